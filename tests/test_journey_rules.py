"""The teacher leader rules as pure functions: fold events, decide commands, compute money."""

from __future__ import annotations

import itertools
import uuid
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from domain.events import DomainEvent
from domain.program import SAMPLE_PROGRAM, Cohort, Role, load_program_year
from domain.teacher_leader.events import (
    ApplicationDecided,
    ApplicationSubmitted,
    AttendanceRecorded,
    AttendanceStatus,
    CoachingStep,
    CoachingStepRecorded,
    CommitmentRequested,
    CommitmentSigned,
    DecisionOutcome,
    DeliverableReviewed,
    DeliverableSubmitted,
    JoinedInstructionalLeadershipTeam,
    JourneyWithdrawn,
    MakeUpRecorded,
    SelectionScores,
    SeparationRecorded,
    Signer,
    YearClosed,
)
from domain.teacher_leader.journey import (
    CloseYear,
    CycleStatus,
    Journey,
    JourneyRefusal,
    RecordAttendance,
    RecordCoachingStep,
    RecordMakeUp,
    ReviewDeliverable,
    SignCommitment,
    Stage,
    SubmitDeliverable,
    Withdraw,
    decide_attendance,
    decide_close,
    decide_coaching_step,
    decide_make_up,
    decide_reimbursement,
    decide_review,
    decide_signature,
    decide_stipend,
    decide_submission,
    decide_withdrawal,
    fold,
    reimbursement_cents,
    status,
    stipend_blockers,
)

PROGRAM = load_program_year(SAMPLE_PROGRAM)
TEACHER = "e-1001"
PRINCIPAL = "e-9001"
SCHOOL = "grape-street-es"
OFFICE = "office:ana"

SEMINAR_1 = "Teacher Leader Seminar 1: leading data-driven team meetings"
SEMINAR_2 = "Teacher Leader Seminar 2: formative assessment systems"


class Ids:
    """A deterministic `new_id`: UUID(int=1), UUID(int=2), ..."""

    def __init__(self, start: int = 1) -> None:
        self._counter = itertools.count(start)

    def __call__(self) -> uuid.UUID:
        return uuid.UUID(int=next(self._counter))


_event_ids = itertools.count(10_000)


def at(day: date, hour: int = 19) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC)


def meta(day: date) -> dict[str, object]:
    return {"event_id": uuid.UUID(int=next(_event_ids)), "occurred_at": at(day)}


def pending(role: Role = Role.TEAM_LEAD) -> list[DomainEvent]:
    """Applied, accepted, and the joint commitment sent to the principal."""
    cohort = Cohort.ELEMENTARY if role is Role.TEAM_LEAD else None
    return [
        ApplicationSubmitted(
            **meta(date(2027, 4, 20)),
            employee_id=TEACHER,
            role=role,
            cohort=cohort,
            school_id=SCHOOL,
            program_year="2027-28",
            submitted_by="hris",
        ),
        ApplicationDecided(
            **meta(date(2027, 5, 20)),
            outcome=DecisionOutcome.ACCEPTED,
            scores=SelectionScores(time=4, mindset=4, skillset=3, experience=3),
            decided_by=OFFICE,
        ),
        CommitmentRequested(
            **meta(date(2027, 5, 20)),
            principal_id=PRINCIPAL,
            principal_name="Principal Rivera",
            principal_email="e-9001@district.example",
            deadline=PROGRAM.commitment_deadline,
        ),
    ]


def signed(signer: Signer) -> CommitmentSigned:
    signer_id = TEACHER if signer is Signer.TEACHER else PRINCIPAL
    return CommitmentSigned(**meta(date(2027, 5, 25)), signer=signer, signer_id=signer_id)


def active(role: Role = Role.TEAM_LEAD) -> list[DomainEvent]:
    return [
        *pending(role),
        signed(Signer.TEACHER),
        signed(Signer.PRINCIPAL),
        JoinedInstructionalLeadershipTeam(**meta(date(2027, 5, 25)), school_id=SCHOOL),
    ]


def attended(session_id: str, status: AttendanceStatus = AttendanceStatus.PRESENT) -> DomainEvent:
    session = PROGRAM.session(session_id)
    assert session is not None
    return AttendanceRecorded(
        **meta(session.on), session_id=session_id, status=status, recorded_by=OFFICE
    )


def made_up(session_id: str, on: date) -> DomainEvent:
    return MakeUpRecorded(**meta(on), session_id=session_id, completed_on=on, recorded_by=OFFICE)


def coached(cycle_id: str, *steps: CoachingStep) -> list[DomainEvent]:
    cycle = PROGRAM.cycle(cycle_id)
    assert cycle is not None
    return [
        CoachingStepRecorded(**meta(cycle.opens), cycle_id=cycle_id, step=s, recorded_by=OFFICE)
        for s in steps
    ]


def submitted(deliverable_id: str) -> DomainEvent:
    return DeliverableSubmitted(
        **meta(date(2028, 4, 1)), deliverable_id=deliverable_id, submitted_by=TEACHER
    )


def reviewed(deliverable_id: str, accepted: bool, comment: str = "") -> DomainEvent:
    return DeliverableReviewed(
        **meta(date(2028, 4, 5)),
        deliverable_id=deliverable_id,
        accepted=accepted,
        reviewed_by=OFFICE,
        comment=comment,
    )


def closed() -> DomainEvent:
    return YearClosed(**meta(date(2028, 6, 30)), closed_by="system", early=False)


ALL_STEPS = tuple(CoachingStep)


def complete_year(role: Role) -> list[DomainEvent]:
    """Every session attended, both cycles complete, every deliverable accepted."""
    events = active(role)
    events += [attended(s.session_id) for s in PROGRAM.sessions_for(role)]
    for cycle in PROGRAM.coaching_cycles:
        events += coached(cycle.cycle_id, *ALL_STEPS)
    for item in PROGRAM.deliverables_for(role):
        events += [submitted(item.deliverable_id), reviewed(item.deliverable_id, True)]
    return events


def refusal(decide: object) -> str:
    assert callable(decide)
    with pytest.raises(JourneyRefusal) as refused:
        decide()
    return str(refused.value)


# --- the joint commitment ------------------------------------------------------------------

BEFORE_DEADLINE = datetime(2027, 6, 1, 16, tzinfo=UTC)


def test_someone_other_than_the_teacher_or_principal_cannot_sign() -> None:
    j = fold(pending())

    message = refusal(
        lambda: decide_signature(j, SignCommitment(signer_id="e-5555"), BEFORE_DEADLINE, Ids())
    )

    assert message == (
        "e-5555 cannot sign: only the teacher (e-1001) and the principal of school "
        "grape-street-es (e-9001) sign this commitment"
    )


def test_signing_twice_is_refused() -> None:
    j = fold([*pending(), signed(Signer.TEACHER)])

    message = refusal(
        lambda: decide_signature(j, SignCommitment(signer_id=TEACHER), BEFORE_DEADLINE, Ids())
    )

    assert message == "the teacher has already signed"


def test_signing_after_the_deadline_is_refused() -> None:
    j = fold(pending())
    late = datetime(2027, 6, 12, 1, tzinfo=UTC)  # 18:00 in Los Angeles, after the 17:00 close

    message = refusal(lambda: decide_signature(j, SignCommitment(signer_id=TEACHER), late, Ids()))

    assert message == "the commitment deadline 2027-06-11 17:00:00-07:00 has passed"


def test_signing_before_the_commitment_is_requested_is_refused() -> None:
    j = fold(pending()[:2])

    message = refusal(
        lambda: decide_signature(j, SignCommitment(signer_id=TEACHER), BEFORE_DEADLINE, Ids())
    )

    assert message == "there is no joint commitment awaiting signatures (commitment_pending)"


def test_both_signatures_join_the_instructional_leadership_team() -> None:
    j = fold(pending())

    first = decide_signature(j, SignCommitment(signer_id=TEACHER), BEFORE_DEADLINE, Ids(1))

    assert first == [
        CommitmentSigned(
            event_id=uuid.UUID(int=1),
            occurred_at=BEFORE_DEADLINE,
            signer=Signer.TEACHER,
            signer_id=TEACHER,
        )
    ]
    j = fold(first, j)
    assert j.stage is Stage.COMMITMENT_PENDING
    assert j.awaiting_signatures == [Signer.PRINCIPAL]

    second = decide_signature(j, SignCommitment(signer_id=PRINCIPAL), BEFORE_DEADLINE, Ids(2))

    assert second == [
        CommitmentSigned(
            event_id=uuid.UUID(int=2),
            occurred_at=BEFORE_DEADLINE,
            signer=Signer.PRINCIPAL,
            signer_id=PRINCIPAL,
        ),
        JoinedInstructionalLeadershipTeam(
            event_id=uuid.UUID(int=3), occurred_at=BEFORE_DEADLINE, school_id=SCHOOL
        ),
    ]
    j = fold(second, j)
    assert j.stage is Stage.ACTIVE
    assert j.signed == {Signer.TEACHER: TEACHER, Signer.PRINCIPAL: PRINCIPAL}
    assert j.version == len(pending()) + 3


# --- attendance ---------------------------------------------------------------------------

AFTER_SUMMER = datetime(2027, 7, 30, 20, tzinfo=UTC)


def test_attendance_for_an_unknown_session_is_refused() -> None:
    j = fold(active())
    cmd = RecordAttendance(session_id="spring-retreat", status="present", recorded_by=OFFICE)

    message = refusal(lambda: decide_attendance(j, PROGRAM, cmd, AFTER_SUMMER, Ids()))

    assert message == (
        "session 'spring-retreat' is not in the 2027-28 calendar for Team Lead; sessions: "
        "summer-1, summer-2, summer-3, summer-4, seminar-1, seminar-2, winter-institute, seminar-3"
    )


def test_attendance_for_a_session_of_another_role_is_refused() -> None:
    j = fold(active(Role.TEAM_LEAD))
    cmd = RecordAttendance(session_id="peer-coach-seminar", status="present", recorded_by=OFFICE)
    now = datetime(2028, 2, 10, 20, tzinfo=UTC)

    message = refusal(lambda: decide_attendance(j, PROGRAM, cmd, now, Ids()))

    assert message.startswith(
        "session 'peer-coach-seminar' is not in the 2027-28 calendar for Team Lead"
    )


def test_attendance_for_a_future_session_is_refused() -> None:
    j = fold(active())
    cmd = RecordAttendance(session_id="seminar-1", status="present", recorded_by=OFFICE)

    message = refusal(lambda: decide_attendance(j, PROGRAM, cmd, AFTER_SUMMER, Ids()))

    assert message == f"{SEMINAR_1} is on 2027-09-22; it has not happened yet"


def test_attendance_recorded_twice_is_refused() -> None:
    j = fold([*active(), attended("summer-1")])
    cmd = RecordAttendance(session_id="summer-1", status="present", recorded_by="office:ben")

    message = refusal(lambda: decide_attendance(j, PROGRAM, cmd, AFTER_SUMMER, Ids()))

    assert message == (
        "attendance for Summer Institute, day 1 is already recorded as present by office:ana; "
        "nothing changed"
    )


def test_a_different_status_is_a_correction_with_a_reason() -> None:
    j = fold([*active(), attended("summer-1")])
    cmd = RecordAttendance(session_id="summer-1", status="absent", recorded_by="office:ben")

    message = refusal(lambda: decide_attendance(j, PROGRAM, cmd, AFTER_SUMMER, Ids()))
    assert "give the reason for the correction" in message

    fixed = cmd.model_copy(update={"correction_reason": "signed in but left at 9"})
    [event] = decide_attendance(j, PROGRAM, fixed, AFTER_SUMMER, Ids())
    assert event.payload()["correction_reason"] == "signed in but left at 9"
    assert fold([*active(), attended("summer-1"), event]).attendance["summer-1"].status == "absent"


def test_attendance_is_recorded_on_the_day_of_the_session() -> None:
    j = fold(active())
    cmd = RecordAttendance(session_id="summer-2", status="absent", recorded_by=OFFICE)
    now = datetime(2027, 7, 27, 23, tzinfo=UTC)

    events = decide_attendance(j, PROGRAM, cmd, now, Ids(7))

    assert events == [
        AttendanceRecorded(
            event_id=uuid.UUID(int=7),
            occurred_at=now,
            session_id="summer-2",
            status=AttendanceStatus.ABSENT,
            recorded_by=OFFICE,
        )
    ]


def test_attendance_before_the_commitment_is_signed_is_refused() -> None:
    j = fold(pending())
    cmd = RecordAttendance(session_id="summer-1", status="present", recorded_by=OFFICE)

    message = refusal(lambda: decide_attendance(j, PROGRAM, cmd, AFTER_SUMMER, Ids()))

    assert message == (
        "cannot record attendance before the joint commitment is signed (stage: commitment_pending)"
    )


def test_a_make_up_after_an_absence_counts_as_attended_for_the_stipend() -> None:
    before = fold(
        [
            *active(),
            *(attended(f"summer-{n}") for n in range(1, 5)),
            attended("seminar-1", AttendanceStatus.ABSENT),
        ]
    )
    absent_reason = f"absent from {SEMINAR_1} 2027-09-22 (no make-up recorded)"
    assert absent_reason in stipend_blockers(before, PROGRAM, final=True)
    now = datetime(2027, 10, 1, 20, tzinfo=UTC)
    cmd = RecordMakeUp(
        session_id="seminar-1", completed_on=date(2027, 9, 29), recorded_by=OFFICE, note="video"
    )

    events = decide_make_up(before, PROGRAM, cmd, now, Ids(40))

    assert events == [
        MakeUpRecorded(
            event_id=uuid.UUID(int=40),
            occurred_at=now,
            session_id="seminar-1",
            completed_on=date(2027, 9, 29),
            recorded_by=OFFICE,
            note="video",
        )
    ]
    after = fold(events, before)
    assert absent_reason not in stipend_blockers(after, PROGRAM, final=True)
    assert not any("Seminar 1" in r for r in stipend_blockers(after, PROGRAM, final=True))
    assert status(after, PROGRAM).attendance["seminar-1"] == "made up 2027-09-29"
    # A make-up earns the stipend but not the substitute: the teacher was not out of class.
    assert decide_reimbursement(after, PROGRAM, now, Ids()).sessions == []


def test_a_full_year_with_a_make_up_pays_the_stipend() -> None:
    events = complete_year(Role.TEAM_LEAD)
    index = next(
        i
        for i, e in enumerate(events)
        if isinstance(e, AttendanceRecorded) and e.session_id == "seminar-2"
    )
    events[index] = attended("seminar-2", AttendanceStatus.ABSENT)
    events.insert(index + 1, made_up("seminar-2", date(2027, 11, 17)))
    j = fold([*events, closed()])

    decision = decide_stipend(j, PROGRAM, at(date(2028, 6, 30)), Ids(90))

    assert decision.paid is True
    assert decision.amount_cents == 250_000
    assert decision.reasons == []
    assert decision.event_id == uuid.UUID(int=90)
    # Three substitute days (seminar-2 was made up, not attended): 3 × 21500 × 0.80.
    reimbursement = decide_reimbursement(j, PROGRAM, at(date(2028, 6, 30)), Ids())
    assert reimbursement.sessions == ["seminar-1", "winter-institute", "seminar-3"]
    assert reimbursement.substitute_days == Decimal(3)
    assert reimbursement.amount_cents == 51_600


def test_a_make_up_for_an_attended_session_is_refused() -> None:
    j = fold([*active(), attended("summer-1")])
    cmd = RecordMakeUp(session_id="summer-1", completed_on=date(2027, 7, 29), recorded_by=OFFICE)

    message = refusal(lambda: decide_make_up(j, PROGRAM, cmd, AFTER_SUMMER, Ids()))

    assert message == "Summer Institute, day 1 was attended; there is nothing to make up"


def test_a_make_up_cannot_be_dated_before_the_session() -> None:
    j = fold([*active(), attended("summer-4", AttendanceStatus.ABSENT)])
    cmd = RecordMakeUp(session_id="summer-4", completed_on=date(2027, 7, 28), recorded_by=OFFICE)

    message = refusal(lambda: decide_make_up(j, PROGRAM, cmd, AFTER_SUMMER, Ids()))

    assert message == (
        "a make-up for Summer Institute, day 4 must be completed between 2027-07-29 and today"
    )


# --- coaching ------------------------------------------------------------------------------

IN_MID_YEAR = datetime(2027, 10, 15, 20, tzinfo=UTC)


def test_a_coaching_step_out_of_order_is_refused_naming_the_next_step() -> None:
    j = fold(active())
    cmd = RecordCoachingStep(cycle_id="mid-year", step="observation", recorded_by=OFFICE)

    message = refusal(lambda: decide_coaching_step(j, PROGRAM, cmd, IN_MID_YEAR, Ids()))

    assert message == (
        "Mid-year coaching cycle: observation is out of order; the next step is planning "
        "(planning → observation → feedback → coaching)"
    )


def test_a_skipped_coaching_step_is_refused_naming_the_next_step() -> None:
    j = fold([*active(), *coached("mid-year", CoachingStep.PLANNING)])
    cmd = RecordCoachingStep(cycle_id="mid-year", step="feedback", recorded_by=OFFICE)

    message = refusal(lambda: decide_coaching_step(j, PROGRAM, cmd, IN_MID_YEAR, Ids()))

    assert "feedback is out of order; the next step is observation" in message


def test_coaching_steps_in_order_are_recorded_and_a_complete_cycle_is_closed() -> None:
    j = fold([*active(), *coached("mid-year", *ALL_STEPS[:3])])
    cmd = RecordCoachingStep(cycle_id="mid-year", step="coaching", recorded_by=OFFICE)

    events = decide_coaching_step(j, PROGRAM, cmd, IN_MID_YEAR, Ids(5))

    assert events == [
        CoachingStepRecorded(
            event_id=uuid.UUID(int=5),
            occurred_at=IN_MID_YEAR,
            cycle_id="mid-year",
            step=CoachingStep.COACHING,
            recorded_by=OFFICE,
        )
    ]
    j = fold(events, j)
    assert j.coaching["mid-year"] == list(CoachingStep)
    again = RecordCoachingStep(cycle_id="mid-year", step="planning", recorded_by=OFFICE)
    message = refusal(lambda: decide_coaching_step(j, PROGRAM, again, IN_MID_YEAR, Ids()))
    assert message == "the Mid-year coaching cycle is already complete"


def test_coaching_in_an_unknown_cycle_or_before_it_opens_is_refused() -> None:
    j = fold(active())
    unknown = RecordCoachingStep(cycle_id="spring", step="planning", recorded_by=OFFICE)
    early = RecordCoachingStep(cycle_id="end-of-year", step="planning", recorded_by=OFFICE)

    assert (
        refusal(lambda: decide_coaching_step(j, PROGRAM, unknown, IN_MID_YEAR, Ids()))
        == "no coaching cycle 'spring'; cycles: mid-year, end-of-year"
    )
    assert (
        refusal(lambda: decide_coaching_step(j, PROGRAM, early, IN_MID_YEAR, Ids()))
        == "the End-of-year coaching cycle opens on 2028-02-01"
    )


# --- deliverables --------------------------------------------------------------------------

IN_APRIL = datetime(2028, 4, 10, 20, tzinfo=UTC)


def test_a_returned_deliverable_needs_a_comment() -> None:
    j = fold([*active(), submitted("data-cycle")])
    cmd = ReviewDeliverable(deliverable_id="data-cycle", accepted=False, reviewed_by=OFFICE)

    message = refusal(lambda: decide_review(j, PROGRAM, cmd, IN_APRIL, Ids()))

    assert message == "a returned deliverable needs a comment saying what to change"


def test_a_comment_of_only_spaces_is_no_comment() -> None:
    j = fold([*active(), submitted("data-cycle")])
    cmd = ReviewDeliverable(
        deliverable_id="data-cycle", accepted=False, reviewed_by=OFFICE, comment="   "
    )

    message = refusal(lambda: decide_review(j, PROGRAM, cmd, IN_APRIL, Ids()))

    assert message == "a returned deliverable needs a comment saying what to change"


def test_a_returned_deliverable_with_a_comment_is_recorded() -> None:
    j = fold([*active(), submitted("data-cycle")])
    cmd = ReviewDeliverable(
        deliverable_id="data-cycle", accepted=False, reviewed_by=OFFICE, comment="add May data"
    )

    events = decide_review(j, PROGRAM, cmd, IN_APRIL, Ids(3))

    assert events == [
        DeliverableReviewed(
            event_id=uuid.UUID(int=3),
            occurred_at=IN_APRIL,
            deliverable_id="data-cycle",
            accepted=False,
            reviewed_by=OFFICE,
            comment="add May data",
        )
    ]
    # Once returned, it can be submitted again.
    again = SubmitDeliverable(deliverable_id="data-cycle", submitted_by=TEACHER)
    resubmitted = decide_submission(fold(events, j), PROGRAM, again, IN_APRIL, Ids(4))
    assert [type(e) for e in resubmitted] == [DeliverableSubmitted]


def test_review_of_a_deliverable_that_was_not_submitted_is_refused() -> None:
    j = fold(active())
    cmd = ReviewDeliverable(deliverable_id="data-cycle", accepted=True, reviewed_by=OFFICE)

    message = refusal(lambda: decide_review(j, PROGRAM, cmd, IN_APRIL, Ids()))

    assert message == "'data-cycle' is not awaiting review (not submitted)"


def test_review_of_an_accepted_deliverable_is_refused() -> None:
    j = fold([*active(), submitted("data-cycle"), reviewed("data-cycle", True)])
    cmd = ReviewDeliverable(deliverable_id="data-cycle", accepted=True, reviewed_by=OFFICE)

    message = refusal(lambda: decide_review(j, PROGRAM, cmd, IN_APRIL, Ids()))

    assert message == "'data-cycle' is not awaiting review (accepted)"


def test_submitting_a_deliverable_of_another_role_is_refused() -> None:
    j = fold(active(Role.PEER_COACH))
    cmd = SubmitDeliverable(deliverable_id="host-seminar", submitted_by=TEACHER)

    message = refusal(lambda: decide_submission(j, PROGRAM, cmd, IN_APRIL, Ids()))

    assert message == "'host-seminar' is not a deliverable of a Peer Coach; required: coaching-log"


# --- closing and withdrawing ---------------------------------------------------------------

AFTER_CLOSE = datetime(2028, 7, 2, 20, tzinfo=UTC)


def test_nothing_is_accepted_after_the_year_is_closed() -> None:
    j = fold([*active(), submitted("data-cycle"), closed()])
    assert j.stage is Stage.CLOSED

    refusals = [
        refusal(
            lambda: decide_attendance(
                j,
                PROGRAM,
                RecordAttendance(session_id="seminar-3", status="present", recorded_by=OFFICE),
                AFTER_CLOSE,
                Ids(),
            )
        ),
        refusal(
            lambda: decide_make_up(
                j,
                PROGRAM,
                RecordMakeUp(
                    session_id="seminar-3", completed_on=date(2028, 6, 1), recorded_by=OFFICE
                ),
                AFTER_CLOSE,
                Ids(),
            )
        ),
        refusal(
            lambda: decide_coaching_step(
                j,
                PROGRAM,
                RecordCoachingStep(cycle_id="mid-year", step="planning", recorded_by=OFFICE),
                AFTER_CLOSE,
                Ids(),
            )
        ),
        refusal(
            lambda: decide_submission(
                j,
                PROGRAM,
                SubmitDeliverable(deliverable_id="data-cycle", submitted_by=TEACHER),
                AFTER_CLOSE,
                Ids(),
            )
        ),
        refusal(
            lambda: decide_review(
                j,
                PROGRAM,
                ReviewDeliverable(deliverable_id="data-cycle", accepted=True, reviewed_by=OFFICE),
                AFTER_CLOSE,
                Ids(),
            )
        ),
        refusal(
            lambda: decide_close(j, CloseYear(closed_by=OFFICE), AFTER_CLOSE, Ids(), early=True)
        ),
        refusal(
            lambda: decide_withdrawal(
                j, Withdraw(withdrawn_by=TEACHER, reason="moving"), AFTER_CLOSE, Ids()
            )
        ),
        refusal(lambda: decide_signature(j, SignCommitment(signer_id=TEACHER), AFTER_CLOSE, Ids())),
    ]

    assert refusals == [
        "cannot record attendance: the journey is closed",
        "cannot record a make-up: the journey is closed",
        "cannot record coaching: the journey is closed",
        "cannot submit a deliverable: the journey is closed",
        "cannot review a deliverable: the journey is closed",
        "cannot close the year: the journey is closed",
        "cannot withdraw: the journey is closed",
        "there is no joint commitment awaiting signatures (closed)",
    ]


def test_closing_early_records_who_closed_it() -> None:
    j = fold(active())
    now = datetime(2028, 5, 1, 20, tzinfo=UTC)

    events = decide_close(j, CloseYear(closed_by=OFFICE), now, Ids(11), early=True)

    assert events == [
        YearClosed(event_id=uuid.UUID(int=11), occurred_at=now, closed_by=OFFICE, early=True)
    ]


def test_the_teacher_or_the_office_can_withdraw() -> None:
    j = fold(active())

    for who in (TEACHER, "office:ana"):
        events = decide_withdrawal(
            j, Withdraw(withdrawn_by=who, reason="new job"), AFTER_SUMMER, Ids(21)
        )
        assert events == [
            JourneyWithdrawn(
                event_id=uuid.UUID(int=21),
                occurred_at=AFTER_SUMMER,
                withdrawn_by=who,
                reason="new job",
            )
        ]
        assert fold(events, j).stage is Stage.WITHDRAWN


# --- the stipend ---------------------------------------------------------------------------


def blocked_senior_peer_coach() -> list[DomainEvent]:
    return [
        *active(Role.SENIOR_PEER_COACH),
        *(attended(f"summer-{n}") for n in range(1, 5)),
        attended("seminar-1", AttendanceStatus.ABSENT),
        # seminar-2: nothing recorded
        attended("winter-institute"),
        attended("peer-coach-seminar"),
        attended("seminar-3"),
        *coached("mid-year", *ALL_STEPS),
        *coached("end-of-year", CoachingStep.PLANNING, CoachingStep.OBSERVATION),
        submitted("coaching-log"),
        reviewed("coaching-log", False, "add the spring entries"),
        submitted("host-seminar"),
        reviewed("host-seminar", True),
        submitted("coaching-videos"),
        # coach-the-coaches: never submitted
    ]


def test_stipend_blockers_list_every_reason() -> None:
    j = fold([*blocked_senior_peer_coach(), closed()])

    reasons = stipend_blockers(j, PROGRAM, final=True)

    assert reasons == [
        f"absent from {SEMINAR_1} 2027-09-22 (no make-up recorded)",
        f"no attendance recorded for {SEMINAR_2} 2027-11-10",
        "End-of-year coaching cycle incomplete (missing: feedback, coaching)",
        "deliverable 'Coaching log for the teachers in the coaching cohort' returned: "
        "add the spring entries",
        "deliverable 'Videos of exemplary coaching cycles' submitted but not accepted",
        "deliverable 'Coaching other Peer Coaches' not submitted",
    ]
    decision = decide_stipend(j, PROGRAM, AFTER_CLOSE, Ids(1))
    assert (decision.paid, decision.amount_cents, decision.role) == (
        False,
        0,
        Role.SENIOR_PEER_COACH,
    )
    assert decision.reasons == reasons


def test_mid_year_blockers_say_what_is_still_to_come() -> None:
    j = fold(blocked_senior_peer_coach())

    reasons = stipend_blockers(j, PROGRAM, final=False)

    assert reasons[:2] == [
        f"absent from {SEMINAR_1} 2027-09-22 (no make-up recorded)",
        f"{SEMINAR_2} 2027-11-10: not yet attended",
    ]
    assert len(reasons) == 6
    # Once the seminar has happened (in the program's time zone), an unmarked one says so.
    after = stipend_blockers(j, PROGRAM, final=False, today=date(2027, 11, 11))
    assert after[1] == f"no attendance recorded for {SEMINAR_2} 2027-11-10"
    on_the_day = stipend_blockers(j, PROGRAM, final=False, today=date(2027, 11, 10))
    assert on_the_day[1] == f"{SEMINAR_2} 2027-11-10: not yet attended"


def test_a_fresh_journey_is_blocked_by_everything() -> None:
    j = fold(active(Role.TEAM_LEAD))

    reasons = stipend_blockers(j, PROGRAM, final=True)

    assert len(reasons) == 8 + 2 + 1
    assert reasons[-3:] == [
        "Mid-year coaching cycle incomplete (missing: planning, observation, feedback, coaching)",
        "End-of-year coaching cycle incomplete (missing: planning, observation, feedback, "
        "coaching)",
        "deliverable 'Data cycle with the grade-level or department team' not submitted",
    ]


def test_a_withdrawn_journeys_only_reason_is_the_withdrawal() -> None:
    withdrawn = JourneyWithdrawn(
        **meta(date(2028, 1, 5)), withdrawn_by=TEACHER, reason="moving to another district"
    )
    j = fold([*blocked_senior_peer_coach(), withdrawn])

    assert stipend_blockers(j, PROGRAM, final=True) == [
        "withdrew from the program: moving to another district"
    ]
    assert stipend_blockers(j, PROGRAM, final=False) == [
        "withdrew from the program: moving to another district"
    ]


def test_a_separated_journeys_only_reason_is_the_separation() -> None:
    separation = SeparationRecorded(
        **meta(date(2028, 1, 5)),
        effective_on=date(2028, 1, 31),
        reason="resigned",
        recorded_by="hris",
    )
    j = fold([*complete_year(Role.TEAM_LEAD), separation])

    assert stipend_blockers(j, PROGRAM, final=True) == ["separated from the district: resigned"]


def test_a_complete_year_pays_the_roles_stipend_and_the_schools_substitutes() -> None:
    j = fold([*complete_year(Role.SENIOR_PEER_COACH), closed()])
    now = at(date(2028, 6, 30))

    stipend = decide_stipend(j, PROGRAM, now, Ids(1))
    reimbursement = decide_reimbursement(j, PROGRAM, now, Ids(2))

    assert (stipend.paid, stipend.amount_cents, stipend.reasons) == (True, 400_000, [])
    assert reimbursement.school_id == SCHOOL
    assert reimbursement.sessions == [
        "seminar-1",
        "seminar-2",
        "winter-institute",
        "seminar-3",
        "peer-coach-seminar",
    ]
    assert reimbursement.substitute_days == Decimal("4.5")
    # 4.5 days × 21500 cents × 0.80
    assert reimbursement.amount_cents == 77_400
    assert reimbursement.payload()["substitute_days"] == "4.5"
    assert reimbursement.payload()["partner_share"] == "0.80"


# --- money rounding ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("days", "rate", "share", "expected"),
    [
        (Decimal("0.5"), 21501, Decimal("0.8"), 8600),  # 8600.4
        (Decimal("0.5"), 21503, Decimal("0.8"), 8601),  # 8601.2
        (Decimal("0.5"), 21501, Decimal("1"), 10751),  # 10750.5: half up, not to even
        (Decimal("1"), 21505, Decimal("0.1"), 2151),  # 2150.5: half up, not to even
        (Decimal("0.5"), 3, Decimal("1"), 2),  # 1.5
        (Decimal("0.5"), 21501, Decimal("0.9"), 9675),  # 9675.45: no double rounding
        (Decimal("0.5"), 21501, Decimal("0.7"), 7525),  # 7525.35
        (Decimal("4.5"), 21500, Decimal("0.80"), 77400),
        (Decimal("0"), 21500, Decimal("0.80"), 0),
    ],
)
def test_reimbursement_rounds_half_up_to_the_cent(
    days: Decimal, rate: int, share: Decimal, expected: int
) -> None:
    result = reimbursement_cents(days, rate, share)

    assert result == expected
    assert type(result) is int


# --- status --------------------------------------------------------------------------------


def test_status_of_a_pending_commitment_awaits_both_signatures() -> None:
    j = fold(pending())

    report = status(j, PROGRAM)

    assert report.stage is Stage.COMMITMENT_PENDING
    assert report.awaiting_signatures == [Signer.TEACHER, Signer.PRINCIPAL]
    assert report.principal_id == PRINCIPAL
    assert report.events_recorded == 3
    assert report.stipend_cents_if_met == 250_000

    after_teacher = status(fold([signed(Signer.TEACHER)], j), PROGRAM)
    assert after_teacher.awaiting_signatures == [Signer.PRINCIPAL]
    assert after_teacher.events_recorded == 4


def test_status_of_an_active_journey_reports_progress_and_blockers() -> None:
    j = fold(
        [
            *active(Role.TEAM_LEAD),
            attended("summer-1"),
            attended("summer-2", AttendanceStatus.ABSENT),
            *coached("mid-year", CoachingStep.PLANNING),
            attended("seminar-1"),
            submitted("data-cycle"),
        ]
    )

    report = status(j, PROGRAM)

    assert report.stage is Stage.ACTIVE
    assert report.awaiting_signatures == []
    assert report.employee_id == TEACHER
    assert report.role is Role.TEAM_LEAD
    assert report.school_id == SCHOOL
    assert report.attendance == {
        "summer-1": "present",
        "summer-2": "absent",
        "seminar-1": "present",
    }
    assert report.coaching == [
        CycleStatus(cycle_id="mid-year", steps_done=[CoachingStep.PLANNING], complete=False),
        CycleStatus(cycle_id="end-of-year", steps_done=[], complete=False),
    ]
    assert report.deliverables == {"data-cycle": "submitted"}
    assert report.reimbursement_cents == 17_200  # one substitute day × 21500 × 0.80
    assert report.stipend is None
    assert report.stipend_blockers == [
        "absent from Summer Institute, day 2 2027-07-27 (no make-up recorded)",
        "Summer Institute, day 3 2027-07-28: not yet attended",
        "Summer Institute, day 4 2027-07-29: not yet attended",
        f"{SEMINAR_2} 2027-11-10: not yet attended",
        "Winter Institute 2028-01-19: not yet attended",
        "Teacher Leader Seminar 3: school culture and family partnership 2028-03-08: "
        "not yet attended",
        "Mid-year coaching cycle incomplete (missing: observation, feedback, coaching)",
        "End-of-year coaching cycle incomplete (missing: planning, observation, feedback, "
        "coaching)",
        "deliverable 'Data cycle with the grade-level or department team' submitted but not "
        "accepted",
    ]


def test_status_of_a_withdrawn_journey() -> None:
    withdrawn = JourneyWithdrawn(**meta(date(2027, 8, 1)), withdrawn_by=OFFICE, reason="on leave")
    j = fold([*active(), withdrawn])

    report = status(j, PROGRAM)

    assert report.stage is Stage.WITHDRAWN
    assert report.end_reason == "on leave"
    assert report.stipend_blockers == ["withdrew from the program: on leave"]


def test_status_of_an_empty_journey_has_no_role_and_no_blockers() -> None:
    report = status(Journey(), PROGRAM)

    assert (report.role, report.stipend_blockers, report.reimbursement_cents) == (None, [], 0)
    assert report.stipend_cents_if_met == 0


def test_withheld_reasons_are_counted_without_what_people_wrote() -> None:
    from domain.teacher_leader.journey import reason_heading

    assert reason_heading("withdrew from the program: family emergency") == (
        "withdrew from the program"
    )
    assert reason_heading("separated from the district: moved away") == (
        "separated from the district"
    )
    assert reason_heading("deliverable 'Coaching log' returned: redo the summary") == (
        "deliverable 'Coaching log' returned"
    )
    same = "absent from Summer Institute, day 1 2026-08-10 (no make-up recorded)"
    assert reason_heading(same) == same
