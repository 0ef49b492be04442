"""The program year definition: the sample loads, and a definition that cannot work is refused."""

from __future__ import annotations

import copy
import tomllib
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from domain.program import (
    SAMPLE_PROGRAM,
    ProgramDefinitionError,
    ProgramYear,
    Role,
    SessionKind,
    load_program_year,
    parse_program_year,
)


@pytest.fixture(scope="module")
def sample_data() -> dict[str, Any]:
    return tomllib.loads(SAMPLE_PROGRAM.read_text("utf-8"))


def broken(sample_data: dict[str, Any], edit: Callable[[dict[str, Any]], None]) -> str:
    """Parse an edited copy of the sample; return the refusal's message."""
    data = copy.deepcopy(sample_data)
    edit(data)
    with pytest.raises(ProgramDefinitionError) as refused:
        parse_program_year(data, "edited sample")
    return str(refused.value)


def test_the_sample_program_year_loads() -> None:
    program = load_program_year(SAMPLE_PROGRAM)

    assert program.program_year == "2027-28"
    assert program.pathway == "teacher_leader"
    assert (program.starts, program.ends) == (date(2027, 7, 1), date(2028, 6, 30))
    assert program.application_deadline == datetime(2027, 5, 14, 17, tzinfo=UTC) + timedelta(
        hours=7
    )
    assert program.roles == list(Role)
    assert program.stipends_cents[Role.SENIOR_PEER_COACH] == 400_000
    assert program.stipends_cents[Role.TEAM_LEAD] == 250_000
    summer = [s for s in program.sessions if s.kind is SessionKind.SUMMER_INSTITUTE]
    winter = [s for s in program.sessions if s.kind is SessionKind.WINTER_INSTITUTE]
    assert len(summer) == 4 and all(s.substitute_days == 0 for s in summer)
    assert [s.session_id for s in winter] == ["winter-institute"]
    assert [c.cycle_id for c in program.coaching_cycles] == ["mid-year", "end-of-year"]
    assert program.substitute_reimbursement.daily_rate_cents == 21_500
    assert program.substitute_reimbursement.partner_share == Decimal("0.80")
    # The peer coach seminar is for peer coaches only.
    assert "peer-coach-seminar" not in [s.session_id for s in program.sessions_for(Role.TEAM_LEAD)]
    assert "peer-coach-seminar" in [s.session_id for s in program.sessions_for(Role.PEER_COACH)]


def test_parse_accepts_the_unedited_sample(sample_data: dict[str, Any]) -> None:
    assert parse_program_year(copy.deepcopy(sample_data)) == load_program_year(SAMPLE_PROGRAM)


def test_a_session_outside_the_year_is_refused(sample_data: dict[str, Any]) -> None:
    def edit(data: dict[str, Any]) -> None:
        data["sessions"][0]["on"] = date(2028, 7, 26)

    message = broken(sample_data, edit)

    assert message == (
        "edited sample is not valid: (file): sessions[0].on: summer-1 on 2028-07-26 is outside "
        "the year 2027-07-01..2028-06-30"
    )


def test_a_role_offered_without_a_stipend_is_refused(sample_data: dict[str, Any]) -> None:
    def edit(data: dict[str, Any]) -> None:
        del data["stipends_cents"]["arts_lead"]

    message = broken(sample_data, edit)

    assert "stipends_cents.arts_lead: role Arts Lead has no stipend" in message


def test_a_zero_stipend_is_refused(sample_data: dict[str, Any]) -> None:
    def edit(data: dict[str, Any]) -> None:
        data["stipends_cents"]["peer_coach"] = 0

    assert "stipends_cents.peer_coach: role Peer Coach has no stipend" in broken(sample_data, edit)


def test_a_commitment_deadline_after_the_year_ends_is_refused(
    sample_data: dict[str, Any],
) -> None:
    def edit(data: dict[str, Any]) -> None:
        data["commitment_deadline"] = datetime(2028, 7, 3, 17, tzinfo=UTC)

    message = broken(sample_data, edit)

    assert (
        "commitment_deadline: 2028-07-03T17:00:00+00:00 is after the year ends (2028-06-30)"
        in message
    )


def test_a_senior_peer_coach_year_without_extra_duties_is_refused(
    sample_data: dict[str, Any],
) -> None:
    def edit(data: dict[str, Any]) -> None:
        data["senior_peer_coach_duties"] = []

    message = broken(sample_data, edit)

    assert "senior_peer_coach_duties: a year that offers Senior Peer Coach must list" in message


def test_a_senior_peer_coach_duty_due_outside_the_year_is_refused(
    sample_data: dict[str, Any],
) -> None:
    def edit(data: dict[str, Any]) -> None:
        data["senior_peer_coach_duties"][1]["due"] = date(2028, 8, 31)

    message = broken(sample_data, edit)

    assert message == (
        "edited sample is not valid: (file): senior_peer_coach_duties[1]: coaching-videos is "
        "due 2028-08-31, outside the year"
    )


def test_a_deliverable_due_outside_the_year_is_refused(sample_data: dict[str, Any]) -> None:
    def edit(data: dict[str, Any]) -> None:
        data["deliverables"]["arts_lead"][0]["due"] = date(2027, 6, 1)

    message = broken(sample_data, edit)

    assert "deliverables.arts_lead: arts-plan is due 2027-06-01, outside the year" in message


def test_a_year_without_senior_peer_coaches_needs_no_extra_duties(
    sample_data: dict[str, Any],
) -> None:
    data = copy.deepcopy(sample_data)
    data["senior_peer_coach_duties"] = []
    data["roles"].remove("senior_peer_coach")
    del data["stipends_cents"]["senior_peer_coach"]

    program = parse_program_year(data)

    assert Role.SENIOR_PEER_COACH not in program.roles


def test_duplicate_session_ids_are_refused(sample_data: dict[str, Any]) -> None:
    def edit(data: dict[str, Any]) -> None:
        data["sessions"][1]["session_id"] = "summer-1"

    message = broken(sample_data, edit)

    assert "sessions: session_id values must be unique" in message


def test_fewer_than_two_coaching_cycles_are_refused(sample_data: dict[str, Any]) -> None:
    def edit(data: dict[str, Any]) -> None:
        data["coaching_cycles"] = data["coaching_cycles"][:1]

    message = broken(sample_data, edit)

    assert message == (
        "edited sample is not valid: coaching_cycles: List should have at least 2 items after "
        "validation, not 1"
    )


def test_every_problem_is_named_at_once(sample_data: dict[str, Any]) -> None:
    def edit(data: dict[str, Any]) -> None:
        data["sessions"][4]["on"] = date(2026, 9, 22)
        data["sessions"][5]["session_id"] = "seminar-1"

    message = broken(sample_data, edit)

    assert "sessions[4].on: seminar-1 on 2026-09-22 is outside the year" in message
    assert "sessions: session_id values must be unique" in message


def test_a_file_that_is_not_toml_is_refused(tmp_path: Any) -> None:
    path = tmp_path / "broken.toml"
    path.write_text("program_year = [", "utf-8")

    with pytest.raises(ProgramDefinitionError, match=r"broken\.toml: not valid TOML"):
        load_program_year(path)


def test_shifted_moves_every_date_and_stays_valid() -> None:
    program = load_program_year(SAMPLE_PROGRAM)

    moved = program.shifted(364, program_year="2028-29")

    delta = timedelta(days=364)
    assert isinstance(moved, ProgramYear)
    assert moved.program_year == "2028-29"
    assert (moved.starts, moved.ends) == (program.starts + delta, program.ends + delta)
    assert moved.application_deadline == program.application_deadline + delta
    assert moved.commitment_deadline == program.commitment_deadline + delta
    assert moved.year_closes_at == program.year_closes_at + delta
    assert moved.application_deadline.utcoffset() == timedelta(hours=-7)
    assert [s.on for s in moved.sessions] == [s.on + delta for s in program.sessions]
    assert [(c.opens, c.due) for c in moved.coaching_cycles] == [
        (c.opens + delta, c.due + delta) for c in program.coaching_cycles
    ]
    for role in program.roles:
        assert [d.due for d in moved.deliverables_for(role)] == [
            d.due + delta for d in program.deliverables_for(role)
        ]
    # What does not depend on the calendar is unchanged.
    assert moved.stipends_cents == program.stipends_cents
    assert moved.substitute_reimbursement == program.substitute_reimbursement
    # The original is untouched, and shifting back restores it.
    assert program.starts == date(2027, 7, 1)
    assert moved.shifted(-364, program_year="2027-28") == program


def test_shifted_without_a_new_name_keeps_the_program_year() -> None:
    program = load_program_year(SAMPLE_PROGRAM)

    moved = program.shifted(-30)

    assert moved.program_year == "2027-28"
    assert moved.sessions[0].on == date(2027, 6, 26)


def test_senior_peer_coach_deliverables_include_the_extra_duties() -> None:
    program = load_program_year(SAMPLE_PROGRAM)

    senior = [d.deliverable_id for d in program.deliverables_for(Role.SENIOR_PEER_COACH)]
    peer = [d.deliverable_id for d in program.deliverables_for(Role.PEER_COACH)]

    assert senior == ["coaching-log", "host-seminar", "coaching-videos", "coach-the-coaches"]
    assert peer == ["coaching-log"]
    assert program.deliverable(Role.SENIOR_PEER_COACH, "host-seminar") is not None
    assert program.deliverable(Role.PEER_COACH, "host-seminar") is None
