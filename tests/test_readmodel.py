"""The staff read model, projected from real teacher leader events in a real event store."""

from __future__ import annotations

import itertools
import uuid
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import asyncpg

from activities.eventstore import EventStore
from activities.readmodel import EVENT_TYPES, ReadModel, SchoolReimbursement
from domain.events import DomainEvent, NewEvent
from domain.program import SAMPLE_PROGRAM, Cohort, Role, load_program_year
from domain.teacher_leader import journey as rules
from domain.teacher_leader.events import (
    ApplicantIdentified,
    ApplicationLapsed,
    ApplicationSubmitted,
    AttendanceStatus,
    CoachingStep,
    CommitmentRequested,
    DecisionOutcome,
    JourneyEnded,
    PaymentRequested,
    SelectionScores,
)

PROGRAM = load_program_year(SAMPLE_PROGRAM)
GRAPE = "grape-street-es"
CARVER = "carver-ms"
PRINCIPALS = {GRAPE: "e-9001", CARVER: "e-9002"}
OFFICE = "office:ana"
SEMINAR_2 = "Teacher Leader Seminar 2: formative assessment systems"


def at(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 20, tzinfo=UTC)


class Journal:
    """One journey's events, produced by the domain rules as the workflow would produce them."""

    def __init__(self, ids: itertools.count[int], employee_id: str, role: Role, school: str):
        self._ids = ids
        self.employee_id, self.role, self.school = employee_id, role, school
        self.stream_id = f"teacher-leader/2027-28/{role.value}/{employee_id}"
        self.journey = rules.Journey()
        self.events: list[tuple[DomainEvent, str]] = []
        self.stored = 0

    def new_id(self) -> uuid.UUID:
        return uuid.UUID(int=next(self._ids))

    def record(self, events: list[DomainEvent], actor: str) -> None:
        self.journey = rules.fold(events, self.journey)
        self.events += [(e, actor) for e in events]

    def meta(self, day: date) -> dict[str, Any]:
        return {"event_id": self.new_id(), "occurred_at": at(day)}

    def apply_and_join(self, full_name: str) -> None:
        cohort = Cohort.ELEMENTARY if self.role is Role.TEAM_LEAD else None
        self.record(
            [
                ApplicationSubmitted(
                    **self.meta(date(2027, 4, 20)),
                    employee_id=self.employee_id,
                    role=self.role,
                    cohort=cohort,
                    school_id=self.school,
                    program_year=PROGRAM.program_year,
                    submitted_by="hris",
                )
            ],
            "hris",
        )
        self.record(
            [
                ApplicantIdentified(
                    **self.meta(date(2027, 4, 20)),
                    full_name=full_name,
                    email=f"{self.employee_id}@district.example",
                )
            ],
            "hris",
        )
        decide = rules.DecideApplication(
            outcome=DecisionOutcome.ACCEPTED,
            scores=SelectionScores(time=4, mindset=4, skillset=3, experience=3),
            decided_by=OFFICE,
        )
        self.record(
            rules.decide_application(self.journey, decide, at(date(2027, 5, 20)), self.new_id),
            OFFICE,
        )
        principal = PRINCIPALS[self.school]
        self.record(
            [
                CommitmentRequested(
                    **self.meta(date(2027, 5, 20)),
                    principal_id=principal,
                    principal_name=f"Principal {principal}",
                    principal_email=f"{principal}@district.example",
                    deadline=PROGRAM.commitment_deadline,
                )
            ],
            "system",
        )
        for signer in (self.employee_id, principal):
            self.record(
                rules.decide_signature(
                    self.journey,
                    rules.SignCommitment(signer_id=signer),
                    at(date(2027, 6, 1)),
                    self.new_id,
                ),
                signer,
            )
        assert self.journey.stage is rules.Stage.ACTIVE

    def attend(self, session_id: str, status: AttendanceStatus = AttendanceStatus.PRESENT) -> None:
        session = PROGRAM.session(session_id)
        assert session is not None
        cmd = rules.RecordAttendance(session_id=session_id, status=status, recorded_by=OFFICE)
        self.record(
            rules.decide_attendance(self.journey, PROGRAM, cmd, at(session.on), self.new_id),
            OFFICE,
        )

    def coach_everything(self) -> None:
        for cycle in PROGRAM.coaching_cycles:
            for step in CoachingStep:
                cmd = rules.RecordCoachingStep(cycle_id=cycle.cycle_id, step=step, recorded_by="c")
                self.record(
                    rules.decide_coaching_step(
                        self.journey, PROGRAM, cmd, at(cycle.opens), self.new_id
                    ),
                    "c",
                )

    def deliver_everything(self) -> None:
        now = at(date(2028, 5, 20))
        for item in PROGRAM.deliverables_for(self.role):
            submit = rules.SubmitDeliverable(
                deliverable_id=item.deliverable_id, submitted_by=self.employee_id
            )
            self.record(
                rules.decide_submission(self.journey, PROGRAM, submit, now, self.new_id),
                self.employee_id,
            )
            review = rules.ReviewDeliverable(
                deliverable_id=item.deliverable_id, accepted=True, reviewed_by=OFFICE
            )
            self.record(
                rules.decide_review(self.journey, PROGRAM, review, now, self.new_id), OFFICE
            )

    def settle(self, day: date, references: dict[str, str]) -> None:
        """Decide the money, record the payments made, and end (as the workflow's settle)."""
        now = at(day)
        stipend = rules.decide_stipend(self.journey, PROGRAM, now, self.new_id)
        reimbursement = rules.decide_reimbursement(self.journey, PROGRAM, now, self.new_id)
        self.record([stipend, reimbursement], "system")
        payments = [
            ("stipend", self.employee_id, stipend.amount_cents),
            ("substitute_reimbursement", self.school, reimbursement.amount_cents),
        ]
        for kind, payee, amount in payments:
            if amount > 0:
                self.record(
                    [
                        PaymentRequested(
                            **self.meta(day),
                            kind=kind,
                            payee_id=payee,
                            amount_cents=amount,
                            idempotency_key=f"{self.stream_id}/{kind}",
                            payroll_reference=references[kind],
                        )
                    ],
                    "system",
                )

    def end(self, day: date) -> None:
        outcome = self.journey.stage.value
        self.record([JourneyEnded(**self.meta(day), outcome=outcome)], "system")

    async def store_new(self, store: EventStore, limit: int | None = None) -> int:
        """Append (up to `limit` of) what is not stored yet; returns how many were appended."""
        pending = self.events[self.stored :][:limit]
        result = await store.append(
            self.stream_id,
            [NewEvent.of(e, actor) for e, actor in pending],
            expected_version=self.stored,
            workflow_id=self.stream_id,
            run_id="run-1",
        )
        self.stored = result.version
        return result.appended


def three_journeys() -> tuple[Journal, Journal, Journal]:
    ids = itertools.count(1)

    # Ana: a Team Lead who did everything.
    ana = Journal(ids, "e-1001", Role.TEAM_LEAD, GRAPE)
    ana.apply_and_join("Ana Flores")
    for session in PROGRAM.sessions_for(Role.TEAM_LEAD):
        ana.attend(session.session_id)
    ana.coach_everything()
    ana.deliver_everything()
    ana.record(
        rules.decide_close(
            ana.journey,
            rules.CloseYear(closed_by="system"),
            at(date(2028, 6, 30)),
            ana.new_id,
            early=False,
        ),
        "system",
    )
    ana.settle(date(2028, 6, 30), {"stipend": "PAY-A1", "substitute_reimbursement": "PAY-A2"})
    ana.end(date(2028, 6, 30))

    # Ben: a Peer Coach who missed seminar 2 and never made it up.
    ben = Journal(ids, "e-1002", Role.PEER_COACH, GRAPE)
    ben.apply_and_join("Ben Okafor")
    for session in PROGRAM.sessions_for(Role.PEER_COACH):
        absent = session.session_id == "seminar-2"
        ben.attend(
            session.session_id, AttendanceStatus.ABSENT if absent else AttendanceStatus.PRESENT
        )
    ben.coach_everything()
    ben.deliver_everything()
    ben.record(
        rules.decide_close(
            ben.journey,
            rules.CloseYear(closed_by="system"),
            at(date(2028, 6, 30)),
            ben.new_id,
            early=False,
        ),
        "system",
    )
    ben.settle(date(2028, 6, 30), {"substitute_reimbursement": "PAY-B2"})
    ben.end(date(2028, 6, 30))

    # Cora: an Arts Lead at another school who attended seminar 1, then withdrew.
    cora = Journal(ids, "e-1003", Role.ARTS_LEAD, CARVER)
    cora.apply_and_join("Cora Diaz")
    for session_id in ("summer-1", "summer-2", "summer-3", "summer-4", "seminar-1"):
        cora.attend(session_id)
    cora.record(
        rules.decide_withdrawal(
            cora.journey,
            rules.Withdraw(withdrawn_by="e-1003", reason="moving to another district"),
            at(date(2027, 10, 4)),
            cora.new_id,
        ),
        "e-1003",
    )
    cora.settle(date(2027, 10, 4), {"substitute_reimbursement": "PAY-C2"})
    return ana, ben, cora


async def store_all(store: EventStore, journals: tuple[Journal, ...]) -> None:
    """Append in interleaved chunks, as three workflows running side by side would."""
    while any(j.stored < len(j.events) for j in journals):
        for journal in journals:
            if journal.stored < len(journal.events):
                await journal.store_new(store, limit=9)


async def rows(read_model: ReadModel) -> dict[str, dict[str, Any]]:
    return {r["employee_id"]: r for r in await read_model.journeys()}


EXPECTED = {
    "e-1001": {
        "full_name": "Ana Flores",
        "role": "team_lead",
        "cohort": "elementary_tk_6",
        "school_id": GRAPE,
        "program_year": "2027-28",
        "stage": "closed",
        "decision": "accepted",
        "stipend_paid": True,
        "stipend_cents": 250_000,
        "withheld_reasons": [],
        "substitute_days": Decimal("4"),
        "reimbursement_cents": 68_800,  # 4 days × 21500 × 0.80
        "stipend_reference": "PAY-A1",
        "reimbursement_reference": "PAY-A2",
        "end_reason": None,
        "ended": True,
    },
    "e-1002": {
        "full_name": "Ben Okafor",
        "role": "peer_coach",
        "cohort": None,
        "school_id": GRAPE,
        "program_year": "2027-28",
        "stage": "closed",
        "decision": "accepted",
        "stipend_paid": False,
        "stipend_cents": 0,
        "withheld_reasons": [f"absent from {SEMINAR_2} 2027-11-10 (no make-up recorded)"],
        "substitute_days": Decimal("3.5"),
        "reimbursement_cents": 60_200,  # 3.5 days × 21500 × 0.80
        "stipend_reference": None,
        "reimbursement_reference": "PAY-B2",
        "end_reason": None,
        "ended": True,
    },
    "e-1003": {
        "full_name": "Cora Diaz",
        "role": "arts_lead",
        "cohort": None,
        "school_id": CARVER,
        "program_year": "2027-28",
        "stage": "withdrawn",
        "decision": "accepted",
        "stipend_paid": False,
        "stipend_cents": 0,
        "withheld_reasons": ["withdrew from the program: moving to another district"],
        "substitute_days": Decimal("1"),
        "reimbursement_cents": 17_200,
        "stipend_reference": None,
        "reimbursement_reference": "PAY-C2",
        "end_reason": "moving to another district",
        "ended": False,
    },
}


def without_position(row: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in row.items() if k not in ("last_position", "stream_id", "employee_id")}


async def test_catch_up_projects_each_journey(pool: asyncpg.Pool) -> None:
    store = EventStore(pool)
    journals = three_journeys()
    await store_all(store, journals)
    # Another pathway's event in the same log is not this projection's business.
    await store.append(
        "other/stream",
        [
            NewEvent(
                event_id=uuid.uuid4(),
                event_type="aspiring_principal.FellowshipOffered",
                schema_version=1,
                payload={"employee_id": "e-1001"},
                actor="system",
            )
        ],
    )
    # The projection applies the events it reads; the others only move its checkpoint.
    total = sum(1 for j in journals for e, _ in j.events if e.event_type in EVENT_TYPES)
    read_model = ReadModel(pool)

    applied = await read_model.catch_up()

    assert applied == total
    projected = await rows(read_model)
    assert sorted(projected) == ["e-1001", "e-1002", "e-1003"]
    for employee_id, expected in EXPECTED.items():
        assert without_position(projected[employee_id]) == expected, employee_id
    for journal in journals:
        row = projected[journal.employee_id]
        assert row["stream_id"] == journal.stream_id
        last = (await store.read_stream(journal.stream_id))[-1]
        assert row["last_position"] == last.global_position
    # Ordered by school, then name.
    assert [r["full_name"] for r in await read_model.journeys()] == [
        "Cora Diaz",
        "Ana Flores",
        "Ben Okafor",
    ]
    assert await read_model.journeys("2026-27") == []


async def test_catch_up_twice_applies_nothing_new(pool: asyncpg.Pool) -> None:
    store = EventStore(pool)
    journals = three_journeys()
    await store_all(store, journals)
    read_model = ReadModel(pool)
    await read_model.catch_up()
    before = await rows(read_model)

    assert await read_model.catch_up() == 0
    assert await rows(read_model) == before

    # A new event is applied on its own.
    cora = journals[2]
    cora.end(date(2027, 10, 4))
    await cora.store_new(store)
    assert await read_model.catch_up() == 1
    after = await rows(read_model)
    assert after["e-1003"]["ended"] is True
    assert after["e-1001"] == before["e-1001"]
    assert after["e-1002"] == before["e-1002"]


async def test_rebuild_gives_identical_rows(pool: asyncpg.Pool) -> None:
    store = EventStore(pool)
    journals = three_journeys()
    await store_all(store, journals)
    # The projection applies the events it reads; the others only move its checkpoint.
    total = sum(1 for j in journals for e, _ in j.events if e.event_type in EVENT_TYPES)
    read_model = ReadModel(pool)
    await read_model.catch_up()
    before = await read_model.journeys()

    assert await read_model.rebuild() == total
    assert await read_model.journeys() == before

    # Small pages see the same history in many transactions and end in the same place.
    paged = ReadModel(pool, page_size=4)
    assert await paged.rebuild() == total
    assert await paged.journeys() == before
    assert await paged.catch_up() == 0


async def test_reimbursements_by_school_sum_exactly(pool: asyncpg.Pool) -> None:
    store = EventStore(pool)
    await store_all(store, three_journeys())
    read_model = ReadModel(pool)
    await read_model.catch_up()

    by_school = await read_model.reimbursements_by_school()

    assert by_school == [
        SchoolReimbursement(CARVER, 1, Decimal("1"), 17_200),
        SchoolReimbursement(GRAPE, 2, Decimal("7.5"), 129_000),
    ]
    assert [type(s.amount_cents) for s in by_school] == [int, int]
    assert str(by_school[1].substitute_days) == "7.50"
    assert await read_model.reimbursements_by_school("2027-28") == by_school
    assert await read_model.reimbursements_by_school("2028-29") == []


async def test_rebuild_reads_any_text_the_catch_up_reads(pool: asyncpg.Pool) -> None:
    """The rebuild reads the log as COPY text, where tabs, newlines and backslashes inside a
    field arrive escaped; names and reasons with them come out as the catch-up reads them."""
    store = EventStore(pool)
    odd = 'Zoë "Z" O\'Brien\t\\ Jr.\nC:\\new\\table \\N \u2028 😀'

    def event(kind: str, payload: dict[str, Any]) -> NewEvent:
        return NewEvent(
            event_id=uuid.uuid4(),
            event_type=f"teacher_leader.{kind}",
            schema_version=1,
            payload=payload,
            actor="hris",
        )

    stream = "teacher-leader/2027-28/peer_coach/e\t\\9"
    when = {"occurred_at": "2027-04-20T16:00:00Z"}
    submitted = {"employee_id": "e\t\\9", "role": "peer_coach", "cohort": None,
                 "school_id": "s\\1", "program_year": "2027-28", "submitted_by": "hris",
                 **when}  # fmt: skip
    await store.append(
        stream,
        [
            event("ApplicationSubmitted", submitted),
            event("ApplicantIdentified", {"full_name": odd, "email": "e9@x.example", **when}),
            event(
                "JourneyWithdrawn",
                {"reason": odd + "\r\x0b\x0c\x08", "withdrawn_by": "e\t\\9", **when},
            ),
        ],
    )
    read_model = ReadModel(pool)
    await read_model.catch_up()
    followed = await read_model.journeys()
    assert [(r["full_name"], r["end_reason"]) for r in followed] == [(odd, odd + "\r\x0b\x0c\x08")]

    assert await read_model.rebuild() == 3
    assert await read_model.journeys() == followed


def four_other_endings() -> tuple[Journal, ...]:
    """Declined, waitlisted, lapsed unsigned, and separated mid-year after a make-up."""
    ids = itertools.count(100)
    journals = []
    for employee_id, outcome in (("e-2001", DecisionOutcome.DECLINED), ("e-2002", None)):
        journal = Journal(ids, employee_id, Role.PEER_COACH, CARVER)
        journal.record(
            [
                ApplicationSubmitted(
                    **journal.meta(date(2027, 4, 20)), employee_id=employee_id,
                    role=Role.PEER_COACH, cohort=None, school_id=CARVER,
                    program_year=PROGRAM.program_year, submitted_by="hris",
                )
            ],
            "hris",
        )  # fmt: skip
        decide = rules.DecideApplication(
            outcome=outcome or DecisionOutcome.WAITLISTED,
            scores=SelectionScores(time=2, mindset=2, skillset=2, experience=2),
            decided_by=OFFICE,
        )
        journal.record(
            rules.decide_application(
                journal.journey, decide, at(date(2027, 5, 20)), journal.new_id
            ),
            OFFICE,
        )
        journals.append(journal)
    lapsed = Journal(ids, "e-2003", Role.ARTS_LEAD, GRAPE)
    lapsed.apply_and_join("Lia Park")
    lapsed.journey = rules.fold([], rules.Journey())  # the joining is replaced by a lapse below
    lapsed.events = [(e, a) for e, a in lapsed.events if e.event_type.endswith(
        ("Submitted", "Identified", "Decided", "Requested")
    )]  # fmt: skip
    lapsed.record(
        [ApplicationLapsed(**lapsed.meta(date(2027, 6, 2)), reason="the principal did not sign")],
        "system",
    )
    lapsed.end(date(2027, 6, 2))
    separated = Journal(ids, "e-2004", Role.TEAM_LEAD, GRAPE)
    separated.apply_and_join("Sam Reyes")
    separated.attend("summer-1", AttendanceStatus.ABSENT)
    separated.record(
        rules.decide_separation(
            separated.journey,
            rules.RecordSeparation(effective_on=date(2027, 9, 30), reason="resigned"),
            at(date(2027, 10, 1)),
            separated.new_id,
        ),
        "hris",
    )
    separated.settle(date(2027, 10, 1), {"substitute_reimbursement": "PAY-S2"})
    separated.end(date(2027, 10, 1))
    return (*journals, lapsed, separated)


async def test_every_ending_projects_the_row_it_always_did(pool: asyncpg.Pool) -> None:
    store = EventStore(pool)
    journals = four_other_endings()
    await store_all(store, journals)
    read_model = ReadModel(pool)
    await read_model.catch_up()
    projected = await rows(read_model)

    summary = {
        k: (r["stage"], r["decision"], r["full_name"], r["stipend_paid"], r["end_reason"],
            r["ended"], r["reimbursement_cents"], r["reimbursement_reference"])
        for k, r in projected.items()
    }  # fmt: skip
    assert summary == {
        "e-2001": ("declined", "declined", "", None, None, False, 0, None),
        "e-2002": ("waitlisted", "waitlisted", "", None, None, False, 0, None),
        "e-2003": ("lapsed", "accepted", "Lia Park", None, "the principal did not sign", True,
                   0, None),
        "e-2004": ("separated", "accepted", "Sam Reyes", False, "resigned", True, 0, None),
    }  # fmt: skip
    assert projected["e-2004"]["withheld_reasons"] != []
    assert await read_model.rebuild() > 0
    assert await rows(read_model) == projected


def test_the_fold_in_place_is_the_fold() -> None:
    """The projection folds each journey in place (`fold_into`, one working state per stream);
    the journey's fold copies the state it is given, once. Both end in the same journey."""
    for journal in (*three_journeys(), *four_other_endings()):
        events = [e for e, _ in journal.events]
        state: rules.Journey | None = None
        for event in events:
            state = rules.fold_into(state, event)
        assert state == rules.fold(events)
        assert state.version == len(events)
        halfway = rules.fold(events[:3])
        before = halfway.model_copy(deep=True)
        assert rules.fold(events[3:], halfway) == state
        assert halfway == before  # the state passed to fold is not changed
