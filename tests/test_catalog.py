"""The catalog's programs as definition files, and the rules of a program journey (pure)."""

from __future__ import annotations

import tomllib
from collections.abc import Callable
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any
from uuid import uuid4

import pytest

from domain import definitions
from domain.attendance import AttendanceStatus
from domain.catalog import journey as pj
from domain.catalog.definition import (
    CATALOG,
    ProgramDefinition,
    ProgramDefinitionError,
    catalog_files,
    load_program,
)
from domain.catalog.events import ParticipantIdentified, ProgramEnrolled
from domain.catalog.journey import ProgramRefusal, Stage
from domain.events import DomainEvent
from domain.hr import HrChange

TZ = "America/Los_Angeles"
CERTIFICATE = load_program(CATALOG / "teacher_leader_certificate.toml")
EVALUATION = load_program(CATALOG / "evaluation_certification.toml")
INDUCTION = load_program(CATALOG / "induction.toml")


def at(day: date, hour: int = 20) -> datetime:
    """`hour` UTC on `day`: noon or one in the afternoon in Los Angeles."""
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC)


def journey(
    d: ProgramDefinition, role: str, year: int = 1, **carried: Any
) -> pj.ProgramJourneyState:
    now = at(d.starts)
    events: list[DomainEvent] = [
        ProgramEnrolled(
            event_id=uuid4(),
            occurred_at=now,
            employee_id="e-1",
            program_key=d.key,
            program_title=d.title,
            school_year=d.school_year,
            year_in_program=year,
            enrolled_by="office:ana",
            began_on=d.starts,
            **carried,
        ),
        ParticipantIdentified(
            event_id=uuid4(),
            occurred_at=now,
            full_name="Ana Leader",
            email="a@x.example",
            role=role,
            school_id="carver-ms",
        ),
    ]
    return pj.fold(events)


def apply(
    s: pj.ProgramJourneyState,
    d: ProgramDefinition,
    decide: Callable[..., list[DomainEvent]],
    cmd: Any,
    now: datetime,
) -> list[DomainEvent]:
    events = decide(s, d, cmd, now, uuid4)
    for event in events:
        pj.fold_into(s, event)
    return events


def refused(decide: Callable[..., Any], *args: Any) -> str:
    with pytest.raises(ProgramRefusal) as refusal:
        decide(*args, uuid4)
    return refusal.value.code


def present(part: str, session: str) -> pj.MarkSession:
    return pj.MarkSession(
        part_id=part, session_id=session, status=AttendanceStatus.PRESENT, recorded_by="office:k"
    )


# --- definition files ------------------------------------------------------------------------


def test_every_shipped_definition_is_valid_and_current() -> None:
    files = catalog_files()
    assert {load_program(f).key for f in files} >= {
        "teacher_leader_certificate",
        "evaluation_certification",
        "induction",
        "site_council",
        "classified_staff_leadership",
        "student_leadership",
        "parent_leadership",
    }
    for f in files:
        d = load_program(f)
        assert d.time_zone == TZ
        assert d.school_year == "2026-27", f"{f.name}: the sample is for the current school year"
        assert d.stakeholder_groups, f"{f.name}: the needs assessment reads whom it develops"


def test_every_stakeholder_group_has_a_pathway() -> None:
    from domain.councils import StakeholderGroup

    offered = {g for f in catalog_files() for g in load_program(f).stakeholder_groups}
    assert offered == set(StakeholderGroup)


def broken(change: Callable[[dict[str, Any]], None], tmp_path: Path) -> str:
    data = tomllib.loads((CATALOG / "evaluation_certification.toml").read_text())
    change(data)
    with pytest.raises(ProgramDefinitionError) as error:
        definitions.parse(ProgramDefinition, data, "broken.toml", ProgramDefinitionError)
    return str(error.value)


@pytest.mark.parametrize(
    ("change", "named"),
    [
        (
            lambda d: d["parts"][0].update(pass_mark=100),
            "parts.0.assessment: Value error, pass_mark 100 is above max_score 96",
        ),
        (
            lambda d: d["parts"][0].update(review_part="nowhere"),
            "review_part 'nowhere' is not a course",
        ),
        (
            lambda d: d["parts"][5]["sessions"][0].update(on=date(2028, 1, 1)),
            "is outside 2026-08-17..2027-06-11",
        ),
        (
            lambda d: d.update(time_zone="Mars/Olympus"),
            "time_zone: 'Mars/Olympus' is not a known IANA",
        ),
        (lambda d: d["award"].pop("valid_years"), "a certification needs valid_years"),
        (lambda d: d["parts"][1].update(id="standards"), "ids standards are used twice"),
        (lambda d: d["parts"][0].update(kind="quiz"), "parts.0: Input tag 'quiz'"),
        (lambda d: d.update(school_year="2026-28"), "is not one year"),
    ],
)
def test_a_definition_that_cannot_work_names_the_field(
    change: Callable[[dict[str, Any]], None], named: str, tmp_path: Path
) -> None:
    message = broken(change, tmp_path)
    assert named.replace("Value error, ", "") in message, message


def test_a_file_that_is_not_toml_is_one_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.toml"
    path.write_text("key = [unclosed")
    with pytest.raises(ProgramDefinitionError) as error:
        load_program(path)
    assert error.value.code == "definition.not_toml"


def test_next_year_moves_every_date_a_year_on() -> None:
    following = INDUCTION.next_year()
    assert following.school_year == "2027-28"
    assert following.starts == date(2027, 8, 17)
    assert following.parts[0].opens == date(2027, 8, 24)  # type: ignore[union-attr]


# --- parts: who takes what -------------------------------------------------------------------


def test_department_heads_also_take_walkthroughs() -> None:
    teacher = [p.id for p in pj.parts_of(journey(CERTIFICATE, "teacher"), CERTIFICATE)]
    head = [p.id for p in pj.parts_of(journey(CERTIFICATE, "department_head"), CERTIFICATE)]
    assert teacher == ["facilitating-meetings", "data-analysis", "presenting-pd"]
    assert head == [*teacher, "walkthroughs-course", "walkthroughs"]


def test_induction_parts_follow_the_year_and_the_role() -> None:
    vp1 = {p.id for p in pj.parts_of(journey(INDUCTION, "vice_principal", 1), INDUCTION)}
    p2 = {p.id for p in pj.parts_of(journey(INDUCTION, "principal", 2), INDUCTION)}
    assert "core-evaluation" in vp1 and "school-team-training" not in vp1
    assert "school-team-training" in p2 and "core-evaluation" not in p2
    s = journey(INDUCTION, "vice_principal", 1)
    cmd = pj.RecordLogEntry(
        part_id="school-team-training", on=date(2026, 9, 1), logged_by="e-1", attendees=["e-7"]
    )
    assert (
        refused(pj.decide_log, s, INDUCTION, cmd, at(date(2026, 9, 2)))
        == "program.part_not_applicable"
    )


# --- courses -----------------------------------------------------------------------------------


def test_a_course_completes_with_its_training_record() -> None:
    d, s = CERTIFICATE, journey(CERTIFICATE, "teacher")
    assert (
        refused(
            pj.decide_mark, s, d, present("facilitating-meetings", "fm-1"), at(date(2026, 9, 15))
        )
        == "date.in_future"
    )
    first = apply(
        s, d, pj.decide_mark, present("facilitating-meetings", "fm-1"), at(date(2026, 9, 16))
    )
    assert len(first) == 1
    assert (
        refused(
            pj.decide_mark, s, d, present("facilitating-meetings", "fm-1"), at(date(2026, 9, 17))
        )
        == "attendance.already_recorded"
    )
    done = apply(
        s, d, pj.decide_mark, present("facilitating-meetings", "fm-2"), at(date(2026, 10, 14))
    )
    record = done[-1]
    assert isinstance(record, pj.PartCompleted)
    assert (record.completed_on, record.hours, record.provider) == (
        date(2026, 10, 14),
        Decimal(6),
        "LBUSD Office of Leadership Development",
    )
    assert record.competencies == ["meeting facilitation", "norms and agendas", "consensus"]


def test_a_missed_session_is_made_up() -> None:
    d, s = CERTIFICATE, journey(CERTIFICATE, "teacher")
    absent = pj.MarkSession(
        part_id="data-analysis",
        session_id="da-1",
        status=AttendanceStatus.ABSENT,
        recorded_by="office:k",
    )
    apply(s, d, pj.decide_mark, absent, at(date(2026, 11, 4)))
    make_up = pj.MakeUpSession(
        part_id="data-analysis",
        session_id="da-1",
        made_up_on=date(2026, 11, 20),
        recorded_by="office:k",
    )
    apply(s, d, pj.decide_make_up, make_up, at(date(2026, 11, 20)))
    assert (
        refused(pj.decide_make_up, s, d, make_up, at(date(2026, 11, 21)))
        == "make_up.already_recorded"
    )
    assert [x.id for x in pj.attended(s, d.parts[1])] == ["da-1"]


# --- assessments and the certification ---------------------------------------------------------


def score(part: str, on: date, points: int) -> pj.ScoreAssessment:
    return pj.ScoreAssessment(part_id=part, taken_on=on, score=points, recorded_by="office:k")


def test_certification_completes_once_every_area_is_passed() -> None:
    d, s = EVALUATION, journey(EVALUATION, "vice_principal")
    areas = [p.id for p in d.parts if p.kind == "assessment"]
    on = date(2026, 9, 1)
    for area in areas[:-1]:
        apply(s, d, pj.decide_score, score(area, on, 70), at(on))
    assert pj.completion_events(s, d, "j", (), at(on), uuid4) == []
    apply(s, d, pj.decide_score, score(areas[-1], on, 60), at(on))
    (completed,) = pj.completion_events(s, d, "j", (), at(on), uuid4)
    assert isinstance(completed, pj.ProgramCompleted)
    assert (
        completed.expires_on == date(2030, 9, 1) and completed.award == "LBUSD Certified Evaluator"
    )


def test_two_failures_send_the_administrator_to_the_review_training() -> None:
    d, s = EVALUATION, journey(EVALUATION, "principal")
    apply(s, d, pj.decide_score, score("writing", date(2026, 9, 1), 40), at(date(2026, 9, 1)))
    apply(s, d, pj.decide_score, score("writing", date(2026, 9, 15), 58), at(date(2026, 9, 15)))
    assert (
        refused(
            pj.decide_score, s, d, score("writing", date(2026, 11, 1), 70), at(date(2026, 11, 1))
        )
        == "assessment.review_required"
    )
    apply(
        s,
        d,
        pj.decide_mark,
        present("review-writing", "review-writing-oct"),
        at(date(2026, 10, 28)),
    )
    events = apply(
        s, d, pj.decide_score, score("writing", date(2026, 11, 1), 70), at(date(2026, 11, 1))
    )
    assert (
        isinstance(events[0], pj.AssessmentScored) and events[0].attempt == 3 and events[0].passed
    )


def test_a_renewal_opens_180_days_before_expiry_and_takes_renewal_parts() -> None:
    d = EVALUATION
    s = journey(d, "principal", cycle=2, certified_until=date(2030, 9, 1))
    assert s.stage is Stage.CERTIFIED
    assert pj.renewal_opens(s, d) == date(2030, 3, 5)
    early = score("standards", date(2030, 3, 4), 70)
    assert (
        refused(pj.decide_score, s, d, early, at(date(2030, 3, 4)))
        == "certification.renewal_not_open"
    )
    for p in (p for p in d.parts if p.renewal):
        apply(s, d, pj.decide_score, score(p.id, date(2030, 4, 1), 80), at(date(2030, 4, 1)))
    (renewed,) = pj.completion_events(s, d, "j", (), at(date(2030, 4, 1)), uuid4)
    assert isinstance(renewed, pj.CertificationRenewed) and renewed.expires_on == date(2034, 9, 1)


# --- logs, deliverables, steps ----------------------------------------------------------------


def test_steps_come_in_order_with_their_words() -> None:
    d, s = INDUCTION, journey(INDUCTION, "principal")
    on = at(date(2026, 9, 1))
    goal = pj.TakeStep(part_id="coaching-goals", step="goal_set", recorded_by="coach:lee")
    assert refused(pj.decide_step, s, d, goal, on) == "program.note_required"
    late = pj.TakeStep(
        part_id="coaching-goals", step="mid_year_review", note="x", recorded_by="coach:lee"
    )
    assert refused(pj.decide_step, s, d, late, on) == "coaching.out_of_order"
    apply(s, d, pj.decide_step, goal.model_copy(update={"note": "EL reclassification +5%"}), on)
    assert s.steps["coaching-goals"] == ["goal_set"]


def test_a_team_training_names_who_attended() -> None:
    d, s = INDUCTION, journey(INDUCTION, "principal", 2)
    cmd = pj.RecordLogEntry(part_id="school-team-training", on=date(2026, 9, 1), logged_by="e-1")
    assert refused(pj.decide_log, s, d, cmd, at(date(2026, 9, 2))) == "log.attendees_required"
    apply(
        s,
        d,
        pj.decide_log,
        cmd.model_copy(update={"attendees": ["e-7", "e-8"]}),
        at(date(2026, 9, 2)),
    )
    again = cmd.model_copy(update={"attendees": ["e-7"]})
    assert refused(pj.decide_log, s, d, again, at(date(2026, 9, 2))) == "log.already_logged"


def test_a_plan_is_submitted_and_reviewed_by_someone_else() -> None:
    d, s = INDUCTION, journey(INDUCTION, "principal")
    on = at(date(2026, 12, 1))
    apply(
        s,
        d,
        pj.decide_submit,
        pj.SubmitWork(deliverable_id="achievement-plan", submitted_by="e-1"),
        on,
    )
    own = pj.ReviewWork(deliverable_id="achievement-plan", accepted=True, reviewed_by="e-1")
    assert refused(pj.decide_review, s, d, own, on) == "deliverable.own_submission"
    events = apply(s, d, pj.decide_review, own.model_copy(update={"reviewed_by": "office:ana"}), on)
    assert isinstance(events[-1], pj.PartCompleted)


# --- HR -------------------------------------------------------------------------------------------


def hr(change: HrChange, on: date, role: str | None = None) -> pj.HearHr:
    return pj.HearHr(change=change, effective_on=on, role=role, reason="")


def test_a_principal_who_leaves_the_role_pauses_induction_and_resumes_on_return() -> None:
    d, s = INDUCTION, journey(INDUCTION, "principal")
    on = at(date(2026, 10, 1))
    apply(s, d, pj.decide_hr, hr(HrChange.ROLE_CHANGE, date(2026, 10, 1), "teacher"), on)
    assert s.stage is Stage.PAUSED
    goal = pj.TakeStep(part_id="coaching-goals", step="goal_set", note="x", recorded_by="coach:lee")
    assert refused(pj.decide_step, s, d, goal, on) == "program.paused"
    apply(s, d, pj.decide_hr, hr(HrChange.ROLE_CHANGE, date(2026, 10, 1), "principal"), on)
    assert s.stage is Stage.ACTIVE


def test_an_administrator_who_becomes_a_teacher_no_longer_needs_certification() -> None:
    d, s = EVALUATION, journey(EVALUATION, "vice_principal")
    (changed, event) = apply(
        s,
        d,
        pj.decide_hr,
        hr(HrChange.ROLE_CHANGE, date(2026, 10, 1), "teacher"),
        at(date(2026, 10, 1)),
    )
    assert isinstance(changed, pj.ProgramRoleChanged)
    assert isinstance(event, pj.ProgramWithdrawn) and s.stage is Stage.WITHDRAWN


def test_a_separation_in_the_future_is_refused() -> None:
    d, s = EVALUATION, journey(EVALUATION, "vice_principal")
    future = hr(HrChange.SEPARATION, date(2026, 10, 2))
    assert refused(pj.decide_hr, s, d, future, at(date(2026, 10, 1))) == "date.in_future"


# --- money ------------------------------------------------------------------------------------


def test_the_certificate_pays_its_completion_stipend_once() -> None:
    d, s = CERTIFICATE, journey(CERTIFICATE, "teacher")
    due, carry = pj.stipends_due(s, d, completed=True)
    assert [(p.amount_cents, p.purpose) for p in due] == [(75000, "stipend/2026-27/completion/0")]
    assert carry == 0
    s.paid.append("stipend/2026-27/completion/0")
    assert pj.stipends_due(s, d, completed=True)[0] == []


def test_hourly_stipends_wait_for_their_threshold() -> None:
    data = CERTIFICATE.model_dump()
    data["stipends"] = [{"basis": "hour", "amount_cents": 4500, "hours_threshold": Decimal(6)}]
    d = ProgramDefinition.model_validate(data)
    s = journey(d, "teacher")
    apply(s, d, pj.decide_mark, present("facilitating-meetings", "fm-1"), at(date(2026, 9, 16)))
    due, carry = pj.stipends_due(s, d, completed=False)
    assert due == [] and carry == Decimal(3)
    apply(s, d, pj.decide_mark, present("facilitating-meetings", "fm-2"), at(date(2026, 10, 14)))
    due, _ = pj.stipends_due(s, d, completed=False)
    assert [(p.amount_cents, p.hours) for p in due] == [(27000, Decimal(6))]


def test_a_year_closed_says_what_is_missing() -> None:
    d, s = CERTIFICATE, journey(CERTIFICATE, "department_head")
    (closed,) = pj.close_year(s, d, at(date(2027, 6, 12)), uuid4)
    assert isinstance(closed, pj.YearClosed) and not closed.complete
    assert "Walkthroughs led in the department: 0 of 3 entries" in closed.missing


def test_a_fold_of_the_whole_stream_reads_the_latest_year_as_its_run_does() -> None:
    d, s = INDUCTION, journey(INDUCTION, "principal")
    on = at(date(2026, 9, 23))
    apply(s, d, pj.decide_mark, present("aligned-pd", "pd-sep"), on)
    assert s.marks["aligned-pd"]
    following = d.next_year()
    pj.fold_into(
        s,
        ProgramEnrolled(
            event_id=uuid4(), occurred_at=at(following.starts), employee_id="e-1",
            program_key=d.key, program_title=d.title, school_year=following.school_year,
            year_in_program=2, enrolled_by="office:ana", began_on=following.starts,
        ),
    )  # fmt: skip
    assert (s.marks, s.year_in_program, s.school_year) == ({}, 2, "2027-28")
    assert s.stage is Stage.ENROLLED
    identified = ParticipantIdentified(
        event_id=uuid4(), occurred_at=at(following.starts), full_name="Ana Leader",
        email="a@x.example", role="principal", school_id="carver-ms",
    )  # fmt: skip
    pj.fold_into(s, identified)
    # The same session of next year's calendar is a new mark, not a repeat.
    assert apply(
        s,
        following,
        pj.decide_mark,
        present("aligned-pd", "pd-sep"),
        at(following.starts.replace(month=9, day=24)),
    )


def test_nothing_joins_a_year_once_it_is_summed_up() -> None:
    d, s = CERTIFICATE, journey(CERTIFICATE, "teacher")
    for event in pj.close_year(s, d, at(date(2027, 6, 12)), uuid4):
        pj.fold_into(s, event)
    mark = present("presenting-pd", "pd-1")
    assert refused(pj.decide_mark, s, d, mark, at(date(2027, 6, 12))) == "program.year_closed"
    leave = pj.WithdrawFromProgram(reason="moved", withdrawn_by="office:ana")
    with pytest.raises(ProgramRefusal) as late:
        pj.decide_withdrawal(s, leave, at(date(2027, 6, 12)), uuid4, TZ)
    assert late.value.code == "program.year_closed"


def test_a_new_title_brings_its_parts_and_a_leave_ends_into_the_role_rule() -> None:
    d, s = INDUCTION, journey(INDUCTION, "vice_principal")
    on = at(date(2026, 10, 1))
    (changed,) = apply(
        s, d, pj.decide_hr, hr(HrChange.ROLE_CHANGE, date(2026, 10, 1), "principal"), on
    )
    assert isinstance(changed, pj.ProgramRoleChanged) and s.role == "principal"
    assert "core-evaluation" not in {p.id for p in pj.parts_of(s, d)}
    apply(s, d, pj.decide_hr, hr(HrChange.LEAVE_START, date(2026, 10, 1)), on)
    apply(s, d, pj.decide_hr, hr(HrChange.ROLE_CHANGE, date(2026, 10, 1), "teacher"), on)
    assert s.stage is Stage.PAUSED and s.role == "teacher"
    apply(s, d, pj.decide_hr, hr(HrChange.LEAVE_END, date(2026, 10, 1)), on)
    assert s.stage is Stage.PAUSED and s.paused_reason.startswith("took the role teacher")


def test_a_renewal_can_take_the_review_training_its_assessments_require() -> None:
    d = EVALUATION
    s = journey(d, "principal", cycle=2, certified_until=date(2030, 9, 1))
    ids = {p.id for p in pj.parts_of(s, d)}
    assert "review-writing" in ids and "writing" in ids


def test_hourly_stipends_round_half_cents_up() -> None:
    data = CERTIFICATE.model_dump()
    data["stipends"] = [{"basis": "hour", "amount_cents": 2501}]
    data["parts"][0]["sessions"][0]["hours"] = Decimal("1.5")
    d = ProgramDefinition.model_validate(data)
    s = journey(d, "teacher")
    apply(s, d, pj.decide_mark, present("facilitating-meetings", "fm-1"), at(date(2026, 9, 16)))
    (due,), _ = pj.stipends_due(s, d, completed=False)
    assert due.amount_cents == 3752  # 1.5 x 2501 = 3751.5, half a cent up


@pytest.mark.parametrize(
    ("change", "named"),
    [
        (
            lambda d: d["parts"][0].update(for_roles=["dept_head"]),
            "for_roles dept_head may not join",
        ),
        (
            lambda d: d.update(checkpoints=[{"on": date(2027, 8, 1), "notify": "o@x.example"}]),
            "is outside the year",
        ),
        (lambda d: d["award"].update(renewal_opens_days_before=5000), "renewal would open before"),
        (lambda d: d["parts"][0].update(max_attempts=2), "max_attempts leaves no attempt"),
    ],
)
def test_a_definition_that_loads_but_cannot_work_is_refused(
    change: Callable[[dict[str, Any]], None], named: str, tmp_path: Path
) -> None:
    assert named in broken(change, tmp_path)
