"""A leader's journey through any program of the district's catalog, run from its definition.

The definition file says what the program is made of; this workflow is the same for all of
them: it looks the participant up in HR, takes the parts' updates until the program is
complete or its year ends, pays what the definition says, and then ends, continues into the
program's next year, or holds the certification it awarded until it is renewed or expires.
Each year and each renewal is a run of its own (continue-as-new), so histories stay bounded.
A program with seats claims one from its `ProgramSeats` as the journey starts, and waits on
the waitlist (stage `waitlisted`) until a seat is offered or enrollment closes.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from temporalio import workflow
from temporalio.exceptions import ActivityError

with workflow.unsafe.imports_passed_through():
    from domain.calendar import local_date, local_moment
    from domain.catalog import journey as rules
    from domain.catalog.definition import AwardKind, ProgramDefinition
    from domain.catalog.events import (
        CertificationExpired,
        CoachAssigned,
        HoursLapsed,
        ParticipantIdentified,
        ProgramCheckpoint,
        ProgramEnded,
        ProgramEnrolled,
        ProgramIneligible,
        ProgramNoticeSent,
        ProgramPaused,
        StipendPaid,
    )
    from domain.catalog.journey import (
        ProgramJourneyState,
        ProgramRefusal,
        ProgramStatus,
        Stage,
    )
    from domain.catalog.seats import (
        ClaimProgramSeat,
        NotSeated,
        Place,
        ReleaseProgramSeat,
        SeatOffer,
        SeatTaken,
        Waitlisted,
        seats_id,
        seats_input,
    )
    from domain.catalog.start import (
        Carried,
        ProgramInput,
        program_journey_id,
        years_in_role,
    )
    from domain.events import DomainEvent
    from domain.external import PaymentKind
    from domain.policy import Action, Case
    from workflows import district
    from workflows.engine import (
        Ids,
        JourneyWorkflow,
        action,
        coach_assignment,
        named_outward,
    )

__all__ = ["ProgramInput", "ProgramJourney", "program_journey_id"]

SEAT_TIMEOUT = timedelta(seconds=60)

Decide = Callable[[ProgramJourneyState, ProgramDefinition, Any, datetime, Ids], list[DomainEvent]]


def part_action(name: str, command: type[Any], may: Action, actor: str, decide: Decide) -> Any:
    """An update on one part: the part's decision, then the program's completion if the
    decision completed the last part it needed."""

    def decision(w: ProgramJourney, cmd: Any, now: datetime, ids: Ids) -> list[DomainEvent]:
        events = decide(w.state, w.program, cmd, now, ids)
        journey_id, missed = workflow.info().workflow_id, w.carried.incomplete_years
        return rules.completing(w.state, w.program, events, journey_id, missed, now, ids)

    return action(
        name,
        command,
        ProgramStatus,
        may=may,
        actor=lambda cmd: getattr(cmd, actor),
        decide=decision,
    )


@workflow.defn(name="ProgramJourney")
class ProgramJourney(JourneyWorkflow[ProgramJourneyState, ProgramStatus]):
    refusal = ProgramRefusal
    notice_kind = ProgramNoticeSent
    fold = staticmethod(rules.evolve)

    @workflow.init
    def __init__(self, inp: ProgramInput) -> None:
        self.inp = inp
        self.program = inp.program
        self.carried = inp.carried or Carried(year_in_program=inp.enrollment.year_in_program)
        self.begin(rules.new_state(), self.carried.stream_version)
        self.state.coach_id = self.carried.coach_id  # assigned in an earlier run of the journey
        self._early_offer: SeatOffer | None = None
        self.record(
            [
                ProgramEnrolled(
                    **self.stamp(),
                    employee_id=inp.enrollment.employee_id,
                    program_key=self.program.key,
                    program_title=self.program.title,
                    school_year=self.program.school_year,
                    year_in_program=self.carried.year_in_program,
                    enrolled_by=inp.enrollment.enrolled_by,
                    began_on=local_date(workflow.now(), self.program.time_zone),
                    cycle=self.carried.cycle,
                    certified_until=self.carried.certified_until,
                    carried_hours=self.carried.carried_hours,
                )
            ],
            actor=inp.enrollment.enrolled_by,
        )

    @workflow.run
    async def run(self, inp: ProgramInput) -> ProgramStatus:
        await self._identify()
        if self.state.waiting and self.state.is_open:
            await self._wait_for_seat()
        if not self.state.is_open:
            await self._finish()
        elif rules.renewing(self.state):
            await self._hold_certification()
        else:
            await self._run_year()
        # An update that ended the journey (a withdrawal while it started) answers first.
        await workflow.wait_condition(workflow.all_handlers_finished)
        employee = None if inp.enrollment.person is not None else inp.enrollment.employee_id
        await self.tell_career(employee)
        return self.current_status()

    async def _identify(self) -> None:
        d, enrollment = self.program, self.inp.enrollment
        # A parent or a student is enrolled with their name; HR knows every employee.
        person = enrollment.as_employee() or await self.unless_ended(
            district.employee(enrollment.employee_id)
        )
        if person is None:
            return  # withdrawn while HR's record of the participant was fixed
        events: list[DomainEvent] = [
            ParticipantIdentified(
                **self.stamp(),
                full_name=person.full_name,
                email=person.email,
                role=person.role,
                school_id=person.school_id,
            )
        ]
        first_run = self.carried.cycle == 1 and self.inp.carried is None
        if first_run and (
            why := d.why_ineligible(
                person.role, years_in_role(person, d.starts), person.credentials
            )
        ):
            events.append(ProgramIneligible(**self.stamp(), reason=why))
        elif first_run and d.seats is not None:
            events.append(await self._claim_seat())
        if self.carried.paused_reason:
            events.append(
                ProgramPaused(
                    **self.stamp(),
                    reason=self.carried.paused_reason,
                    paused_by="system",
                    effective_on=d.starts,
                )
            )
        self.record(events, actor="hris" if enrollment.person is None else enrollment.enrolled_by)
        if self._early_offer is not None and self.state.waiting and self.state.is_open:
            self._take_offered(self._early_offer)  # a seat came free while the claim answered
        await self.journal.flush()

    # --- a seat --------------------------------------------------------------------------------

    async def _claim_seat(self) -> DomainEvent:
        """A seat or a waitlist place from the program's seats (the stage stays `enrolled`,
        "still starting", until the answer is recorded)."""
        d = self.program
        assert d.seats is not None
        try:
            place: Place = await workflow.execute_activity(
                "claim_program_seat",
                ClaimProgramSeat(
                    seats=seats_input(d),
                    employee_id=self.inp.enrollment.employee_id,
                    journey_id=workflow.info().workflow_id,
                ),
                result_type=Place,
                start_to_close_timeout=SEAT_TIMEOUT,
                retry_policy=district.EXTERNAL_RETRY,
            )
        except ActivityError as error:
            cause = getattr(error.cause, "message", None) or str(error.cause or error)
            return NotSeated(**self.stamp(), reason=f"the program's seats gave no place: {cause}")
        if place.seat is not None:
            return SeatTaken(**self.stamp(), seat=place.seat, capacity=d.seats, from_waitlist=False)
        assert place.waitlist_position is not None
        return Waitlisted(**self.stamp(), position=place.waitlist_position, capacity=d.seats)

    async def _wait_for_seat(self) -> None:
        d = self.program
        assert d.seats is not None
        await self._tell(
            "waitlisted",
            f"{d.title}: waitlist",
            f"All {d.seats} seats of {d.title} {d.school_year} are taken: you are number "
            f"{self.state.waitlist_position} on the waitlist until enrollment closes on "
            f"{d.enrollment_closes}. You will hear from us as soon as a seat is yours.",
        )
        await self.journal.flush()
        if await self.wait_for(lambda: self.state.seat is not None, seats_input(d).closes_at):
            if self.state.seat is not None and self.state.is_open:
                await self._tell(
                    "seated",
                    f"{d.title}: a seat is yours",
                    f"A seat came free: you have seat {self.state.seat} of {d.seats} in "
                    f"{d.title} {d.school_year}.",
                )
            await self.journal.flush()
            return
        self.record(
            [
                NotSeated(
                    **self.stamp(),
                    reason=f"no seat came free before enrollment closed on {d.enrollment_closes}",
                )
            ]
        )
        await self.journal.flush()

    def _take_offered(self, offer: SeatOffer) -> None:
        self._early_offer = None
        assert self.program.seats is not None
        self.record(
            [
                SeatTaken(
                    **self.stamp(), seat=offer.seat, capacity=self.program.seats, from_waitlist=True
                )
            ],
            actor="seats",
        )

    @workflow.signal
    def seat_offered(self, offer: SeatOffer) -> None:
        """The program's seats give this journey a seat that came free."""
        s = self.state
        if s.waiting and s.is_open:
            self._take_offered(offer)
        elif s.seat is None and s.waitlist_position is None and s.is_open:
            self._early_offer = offer  # before the claim's answer (the waitlist) is recorded
        # Otherwise the journey has ended: `_finish` gives the seat back.

    async def _release_seat(self) -> None:
        s, d = self.state, self.program
        if d.seats is None or (s.seat is None and s.waitlist_position is None):
            return
        await workflow.execute_activity(
            "release_program_seat",
            ReleaseProgramSeat(
                seats_id=seats_id(d.key, d.school_year),
                employee_id=s.employee_id,
                reason=f"the journey ended ({s.stage.value}): {s.end_reason}",
            ),
            result_type=bool,
            start_to_close_timeout=SEAT_TIMEOUT,
            retry_policy=district.EXTERNAL_RETRY,
        )

    # --- a program year ----------------------------------------------------------------------

    async def _run_year(self) -> None:
        d = self.program
        await self._review_checkpoints()
        year_end = local_moment(d.ends + timedelta(days=1), time(0), d.time_zone)
        await self.wait_for(lambda: self.state.stage is Stage.COMPLETED, year_end)
        await workflow.wait_condition(workflow.all_handlers_finished)
        if self.state.stage is Stage.COMPLETED:
            await self._completed()
            return
        if not self.state.is_open:
            await self._finish()
            return
        self.record(rules.close_year(self.state, d, workflow.now(), workflow.uuid4))
        paused = self.state.stage is Stage.PAUSED
        carry = await self._pay(completed=False)
        complete = rules.required_complete(self.state, d)
        more = self.carried.year_in_program < d.years or paused
        if more:
            await self._tell(
                f"year-closed-{d.school_year}",
                f"{d.title}: year {self.carried.year_in_program} closed",
                self._year_words(complete, paused),
            )
            await self._next_year(complete, paused, carry)
            return
        await self._tell(
            "ended", f"{d.title}: your year closed", self._year_words(complete, paused)
        )
        await self.end(ProgramEnded(**self.stamp(), outcome=Stage.INCOMPLETE.value))

    async def _review_checkpoints(self) -> None:
        """On each review day of the year (from the day the journey began), record what is
        still missing and tell whoever the definition names when something is."""
        d, began = self.program, self.state.began_on
        for checkpoint in d.checkpoints:
            if began is not None and checkpoint.on < began:
                continue
            moment = local_moment(checkpoint.on, time(7), d.time_zone)
            if await self.wait_for(lambda: self.state.stage is Stage.COMPLETED, moment):
                return
            missing = rules.checkpoint_missing(self.state, d)
            self.record(
                [ProgramCheckpoint(**self.stamp(), on=checkpoint.on, title=checkpoint.title,
                                   missing=missing)]
            )  # fmt: skip
            await self.journal.flush()
            if missing:
                s = self.state
                who = named_outward(s.employee_id, s.full_name or s.employee_id)
                await self.notify(
                    "oversight",
                    checkpoint.notify,
                    f"checkpoint-{checkpoint.on}",
                    f"{d.title}: {who} falls short at the {checkpoint.title}",
                    f"{d.title} {d.school_year}, {who} ({self.state.school_id or 'no school'}), "
                    f"{checkpoint.title} on {checkpoint.on}. Still missing:\n- "
                    + "\n- ".join(missing),
                )

    def _year_words(self, complete: bool, paused: bool) -> str:
        if paused:
            return f"The year closed while the program was paused ({self.state.paused_reason})."
        if complete:
            return "Everything this year asked is complete."
        parts = rules.parts_of(self.state, self.program)
        missing = [
            rules.missing_words(self.state, p)
            for p in parts
            if p.required and not rules.is_part_complete(self.state, p)
        ]
        return "Still missing:\n- " + "\n- ".join(missing)

    async def _next_year(self, complete: bool, paused: bool, carry: tuple[Decimal, int]) -> None:
        hours, since = carry
        year = self.carried.year_in_program
        carried = Carried(
            # A paused year does not count: the leader takes it again.
            year_in_program=year if paused else year + 1,
            cycle=1,
            carried_hours=hours,
            hours_since_year=since,
            incomplete_years=(
                self.carried.incomplete_years
                if complete or paused
                else (*self.carried.incomplete_years, year)
            ),
            paused_reason=self.state.paused_reason if paused else "",
            stream_version=self.journal.version,
        )
        await self._continue(self.program.next_year(), carried)

    async def _continue(self, program: ProgramDefinition, carried: Carried) -> None:
        # Nothing accepted may be left behind: every handler has recorded and flushed.
        await workflow.wait_condition(workflow.all_handlers_finished)
        carried = carried.model_copy(update={"coach_id": self.state.coach_id})
        workflow.continue_as_new(
            self.inp.model_copy(
                update={
                    "program": program,
                    "carried": carried,
                    "first_school_year": self.inp.began_in,
                }
            ),
            initial_versioning_behavior=workflow.ContinueAsNewVersioningBehavior.AUTO_UPGRADE,
        )

    async def _completed(self) -> None:
        d = self.program
        await self._pay(completed=True)
        award = d.award
        expires = self.state.expires_on
        words = (
            f"Congratulations: you completed {d.title} ({rules.year_hours(self.state, d)} hours)."
        )
        if award is not None:
            words += f"\nAwarded: {award.title}" + (f", valid until {expires}." if expires else ".")
        await self._tell("completed", f"{d.title}: completed", words)
        if award is not None and award.kind is AwardKind.CERTIFICATION and expires is not None:
            await self.journal.flush()
            await self._continue(
                d,
                Carried(
                    year_in_program=self.carried.year_in_program,
                    cycle=self.carried.cycle + 1,
                    certified_until=expires,
                    stream_version=self.journal.version,
                ),
            )
        await self.end(ProgramEnded(**self.stamp(), outcome=Stage.COMPLETED.value))

    # --- a certification held --------------------------------------------------------------

    async def _hold_certification(self) -> None:
        d, until = self.program, self.state.certified_until
        assert until is not None and d.award is not None
        opens = rules.renewal_opens(self.state, d)
        assert opens is not None
        if await self.wait_for(lambda: False, self._morning(opens)) is False:
            await self._tell(
                f"renewal-due-{until}",
                f"{d.award.title}: renewal due by {until}",
                f"Your {d.award.title} expires on {until}. Renew it from {opens}: "
                + ", ".join(p.title for p in rules.parts_of(self.state, d))
                + ".",
            )
        expiry = local_moment(until + timedelta(days=1), time(0), d.time_zone)
        await self.wait_for(lambda: self.state.stage is Stage.RENEWED, expiry)
        await workflow.wait_condition(workflow.all_handlers_finished)
        if self.state.stage is Stage.RENEWED:
            assert self.state.expires_on is not None
            await self._tell(
                f"renewed-{self.state.expires_on}",
                f"{d.award.title}: renewed",
                f"Your {d.award.title} is renewed until {self.state.expires_on}.",
            )
            await self.journal.flush()
            await self._continue(
                d,
                Carried(
                    cycle=self.carried.cycle + 1,
                    certified_until=self.state.expires_on,
                    stream_version=self.journal.version,
                ),
            )
        if not self.state.is_open:
            await self._finish()
            return
        self.record([CertificationExpired(**self.stamp(), title=d.award.title, expired_on=until)])
        await self._tell(
            "expired",
            f"{d.award.title}: expired",
            f"Your {d.award.title} expired on {until}. Certify again to hold it.",
        )
        await self.end(ProgramEnded(**self.stamp(), outcome=Stage.EXPIRED.value))

    def _morning(self, day: date) -> datetime:
        return local_moment(day, time(7), self.program.time_zone)

    # --- money and words --------------------------------------------------------------------

    async def _pay(self, *, completed: bool) -> tuple[Decimal, int]:
        """Pay the stipends due now; returns the unpaid hours carried and since which year."""
        d = self.program
        due, carry = rules.stipends_due(self.state, d, completed=completed)
        for payment in due:
            await self.pay(
                payment.purpose,
                PaymentKind.STIPEND,
                self.state.employee_id,
                payment.amount_cents,
                payment.memo,
                StipendPaid,
                {"basis": payment.basis.value, "purpose": payment.purpose, "hours": payment.hours},
            )
        await self.journal.flush()
        since = (
            self.carried.hours_since_year
            if self.state.carried_hours
            else (self.carried.year_in_program)
        )
        expiry = next(
            (s.hours_expire_after_years for s in d.stipends if s.hours_expire_after_years), None
        )
        if carry and expiry is not None and self.carried.year_in_program - since + 1 >= expiry:
            self.record([HoursLapsed(**self.stamp(), hours=carry, earned_in=d.school_year)])
            await self.journal.flush()
            return Decimal(0), self.carried.year_in_program + 1
        return carry, since

    async def _finish(self) -> None:
        """The journey ended before its year did: ineligible, withdrawn, separated or not
        seated; a seat or waitlist place it held goes back to the program's seats."""
        d = self.program
        if self.state.stage in (Stage.WITHDRAWN, Stage.SEPARATED):
            await self._pay(completed=False)  # what was earned before leaving
        await self._release_seat()
        await self._tell(
            "ended",
            f"{d.title}: your journey ended",
            f"Your {d.title} journey ended ({self.state.stage.value}): {self.state.end_reason}.",
        )
        await self.end(ProgramEnded(**self.stamp(), outcome=self.state.stage.value))

    async def _tell(self, topic: str, subject: str, body: str) -> None:
        await self.notify("participant", self.state.email, topic, subject, body)

    # --- updates ----------------------------------------------------------------------------

    record_attendance = part_action(
        "record_attendance", rules.MarkSession, Action.RECORD_ATTENDANCE, "recorded_by",
        rules.decide_mark,
    )  # fmt: skip
    record_make_up = part_action(
        "record_make_up", rules.MakeUpSession, Action.RECORD_MAKE_UP, "recorded_by",
        rules.decide_make_up,
    )  # fmt: skip
    log_entry = part_action(
        "log_entry", rules.RecordLogEntry, Action.KEEP_LOG, "logged_by", rules.decide_log
    )
    submit_work = part_action(
        "submit_work", rules.SubmitWork, Action.SUBMIT_DELIVERABLE, "submitted_by",
        rules.decide_submit,
    )  # fmt: skip
    review_work = part_action(
        "review_work", rules.ReviewWork, Action.REVIEW_DELIVERABLE, "reviewed_by",
        rules.decide_review,
    )  # fmt: skip
    record_step = part_action(
        "record_step", rules.TakeStep, Action.RECORD_COACHING, "recorded_by", rules.decide_step
    )
    record_score = part_action(
        "record_score", rules.ScoreAssessment, Action.RECORD_SCORE, "recorded_by",
        rules.decide_score,
    )  # fmt: skip
    report_milestone = part_action(
        "report_milestone", rules.ReportMilestone, Action.REPORT_MILESTONE, "reported_by",
        rules.decide_milestone,
    )  # fmt: skip
    seat_member = part_action(
        "seat_member", rules.SeatMember, Action.MANAGE_COUNCIL, "seated_by", rules.decide_seat
    )
    member_leaves = part_action(
        "member_leaves", rules.MemberLeaves, Action.MANAGE_COUNCIL, "recorded_by",
        rules.decide_member_leaves,
    )  # fmt: skip
    record_member_training = part_action(
        "record_member_training", rules.RecordMemberTraining, Action.RECORD_ATTENDANCE,
        "recorded_by", rules.decide_member_training,
    )  # fmt: skip
    assign_coach = coach_assignment(ProgramStatus, CoachAssigned, ProgramRefusal)
    withdraw = action(
        "withdraw",
        rules.WithdrawFromProgram,
        ProgramStatus,
        may=Action.WITHDRAW,
        actor=lambda cmd: cmd.withdrawn_by,
        decide=lambda w, cmd, now, ids: rules.decide_withdrawal(
            w.state, cmd, now, ids, w.program.time_zone
        ),
    )
    hear_hr = action(
        "hear_hr",
        rules.HearHr,
        ProgramStatus,
        may=Action.REPORT_HR_CHANGE,
        actor=lambda cmd: cmd.reported_by,
        decide=lambda w, cmd, now, ids: rules.decide_hr(w.state, w.program, cmd, now, ids),
    )

    @workflow.query
    def status(self) -> ProgramStatus:
        return self.current_status()

    # --- what the engine asks ---------------------------------------------------------------

    def case(self) -> Case:
        return Case(self.state.employee_id, coach_id=self.state.coach_id)

    def current_status(self) -> ProgramStatus:
        return rules.status(self.state, self.program)
