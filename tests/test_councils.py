"""A council's composition and its members' training (`domain/councils.py`), and the school
site council as a catalog program."""

from __future__ import annotations

from datetime import UTC, date, datetime
from uuid import uuid4

import pytest

from domain.catalog import journey as pj
from domain.catalog.definition import CATALOG, load_program
from domain.catalog.events import ParticipantIdentified, ProgramEnrolled
from domain.councils import (
    Composition,
    Member,
    StakeholderGroup,
    check_seat,
    check_training,
    composition_problems,
    untrained,
)
from domain.refusals import Refusal

G = StakeholderGroup
STAFF = (G.ADMINISTRATOR, G.TEACHER, G.CLASSIFIED)
FAMILIES = (G.PARENT, G.COMMUNITY, G.STUDENT)
SSC = Composition(
    minimum={G.ADMINISTRATOR: 1, G.TEACHER: 3, G.CLASSIFIED: 1, G.PARENT: 3},
    maximum={G.ADMINISTRATOR: 1},
    parity=(STAFF, FAMILIES),
    majority=(G.TEACHER, STAFF),
)
SITE_COUNCIL = load_program(CATALOG / "site_council.toml")


def council(**counts: int) -> list[Member]:
    return [
        Member(f"{group}-{n}", f"{group} {n}", G(group))
        for group, count in counts.items()
        for n in range(count)
    ]


def test_a_council_that_meets_the_california_rule() -> None:
    members = council(administrator=1, teacher=3, classified=1, parent=4, student=1)
    assert composition_problems(members, SSC) == []


@pytest.mark.parametrize(
    ("counts", "problem"),
    [
        (
            {"administrator": 1, "teacher": 3, "classified": 1, "parent": 3},
            "must be equal in number",
        ),
        ({"administrator": 1, "teacher": 2, "classified": 2, "parent": 5}, "must be the majority"),
        ({"teacher": 4, "classified": 1, "parent": 5}, "1 more administrator member(s) needed"),
        (
            {"administrator": 1, "teacher": 4, "classified": 1, "parent": 2, "community": 4},
            "1 more parent",
        ),
    ],
)
def test_each_way_a_council_falls_short_is_named(counts: dict[str, int], problem: str) -> None:
    problems = composition_problems(council(**counts), SSC)
    assert any(problem in p for p in problems), problems


def test_seats_and_training_are_refused_with_codes() -> None:
    members = {m.member_id: m for m in council(administrator=1, teacher=1)}
    with pytest.raises(Refusal) as twice:
        check_seat(members, "teacher-0", G.TEACHER, SSC, Refusal)
    assert twice.value.code == "council.already_member"
    with pytest.raises(Refusal) as full:
        check_seat(members, "p-2", G.ADMINISTRATOR, SSC, Refusal)
    assert full.value.code == "council.group_full"
    topics = ("planning", "school-budgets")
    with pytest.raises(Refusal) as unknown:
        check_training(members, "teacher-0", "knitting", topics, Refusal)
    assert unknown.value.code == "council.unknown_topic"
    with pytest.raises(Refusal) as stranger:
        check_training(members, "nobody", "planning", topics, Refusal)
    assert stranger.value.code == "council.not_a_member"
    trained = {"t": Member("t", "T", G.TEACHER, frozenset({"planning"}))}
    with pytest.raises(Refusal) as again:
        check_training(trained, "t", "planning", topics, Refusal)
    assert again.value.code == "council.training_recorded"
    assert untrained(trained.values(), topics) == ["T (teacher): school-budgets"]


def test_the_site_council_program_completes_once_composed_trained_met_and_approved() -> None:
    d = SITE_COUNCIL
    now = datetime(2026, 9, 1, 20, tzinfo=UTC)
    s = pj.fold(
        [
            ProgramEnrolled(
                event_id=uuid4(), occurred_at=now, employee_id="p-1", program_key=d.key,
                program_title=d.title, school_year=d.school_year, year_in_program=1,
                enrolled_by="office:ana", began_on=date(2026, 9, 1),
            ),
            ParticipantIdentified(
                event_id=uuid4(), occurred_at=now, full_name="Rosa", email="r@x.example",
                role="principal", school_id="grape-street-es",
            ),
        ]
    )  # fmt: skip
    part = d.part("council")
    assert isinstance(part, pj.defs.Council)
    members = council(administrator=1, teacher=3, classified=1, parent=4, student=1)
    for m in members:
        cmd = pj.SeatMember(
            part_id="council",
            member_id=m.member_id,
            full_name=m.full_name,
            group=m.group,
            seated_by="p-1",
        )
        for event in pj.decide_seat(s, d, cmd, now, uuid4):
            pj.fold_into(s, event)
    assert not pj.is_part_complete(s, part)
    assert pj.missing_words(s, part).startswith(
        "The council's membership and training: 10 member(s) not yet trained"
    )
    completed = []
    for m in members:
        for topic in part.topics:
            cmd = pj.RecordMemberTraining(
                part_id="council",
                member_id=m.member_id,
                topic=topic,
                on=date(2026, 9, 1),
                recorded_by="office:ana",
            )
            for event in pj.decide_member_training(s, d, cmd, now, uuid4):
                pj.fold_into(s, event)
                completed += [event] if isinstance(event, pj.PartCompleted) else []
    assert [e.part_id for e in completed] == ["council"]
    leaves = pj.MemberLeaves(
        part_id="council", member_id="parent-0", reason="moved away", recorded_by="p-1"
    )
    for event in pj.decide_member_leaves(s, d, leaves, now, uuid4):
        pj.fold_into(s, event)
    assert "must be equal in number" in pj.missing_words(s, part)
    assert any("Council meetings held" in m for m in pj.checkpoint_missing(s, d))
