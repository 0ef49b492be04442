"""University fellowships for aspiring principals: the cohort's seats and each fellow's journey.

`FellowshipCohort` (one per program) holds the seats: capacity is enforced there, and a seat
given up before enrollment closes goes to the first fellow on the waitlist. `FellowshipJourney`
(one per fellow) runs from application through enrollment, a payroll disbursement per term,
supplemental PD and the university's milestones to graduation, which starts the fellow's
`ServiceCommitment`, a workflow of its own that outlives the journey. Leaving before
graduation ends the journey with the repayment the program's rule says, open to a waiver.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from uuid import UUID

from temporalio import workflow
from temporalio.exceptions import ActivityError

with workflow.unsafe.imports_passed_through():
    from domain import policy
    from domain.events import DomainEvent
    from domain.external import PaymentKind
    from domain.fellowship import cohort as seats
    from domain.fellowship import journey as rules
    from domain.fellowship.cohort import (
        ClaimSeat,
        CohortClosed,
        CohortInput,
        CohortRefusal,
        CohortSeats,
        ReleaseSeat,
        SeatAnswer,
        SeatOffer,
        SeatOffered,
    )
    from domain.fellowship.journey import (
        ApplicationIneligible,
        DisbursementPaid,
        EarlyExitRepaymentRequested,
        EnrollmentLapsed,
        Fellow,
        FellowIdentified,
        FellowNoticeSent,
        FellowshipApplied,
        FellowshipEnded,
        FellowshipRefusal,
        FellowshipStatus,
        Graduated,
        LeaveKind,
        LeftProgram,
        SeatGranted,
        ServiceCommitmentBegun,
        Stage,
        Waitlisted,
        WaitlistExpired,
    )
    from domain.fellowship.program import Milestone
    from domain.fellowship.start import FellowshipInput, fellowship_id
    from domain.money import dollars
    from domain.policy import Action, Case
    from domain.service_commitment.start import ServiceCommitmentInput
    from workflows import district, search, steps
    from workflows.journal import Journal
    from workflows.steps import Decision

SEAT_TIMEOUT = timedelta(seconds=60)


__all__ = ["FellowshipCohort", "FellowshipInput", "FellowshipJourney", "fellowship_id"]


# --- the cohort ------------------------------------------------------------------------------


@workflow.defn(name="FellowshipCohort")
class FellowshipCohort:
    @workflow.init
    def __init__(self, inp: CohortInput) -> None:
        self.program = inp.program
        self.seats = CohortSeats(
            capacity=inp.program.cohort_capacity, closes_at=inp.program.enrollment_closes_at
        )
        self.journal = Journal(workflow.info().workflow_id)

    @workflow.run
    async def run(self, inp: CohortInput) -> CohortSeats:
        remaining = (self.program.enrollment_closes_at - workflow.now()).total_seconds()
        if remaining > 0:
            with contextlib.suppress(asyncio.TimeoutError):
                await workflow.wait_condition(lambda: False, timeout=remaining)
        await workflow.wait_condition(workflow.all_handlers_finished)
        self._record(
            [
                CohortClosed(
                    event_id=workflow.uuid4(),
                    occurred_at=workflow.now(),
                    seated=sorted(self.seats.seats, key=self.seats.seats.__getitem__),
                    waitlist_expired=list(self.seats.waitlist),
                )
            ]
        )
        await self.journal.flush()
        # Fellows whose waitlist place or seat lapsed at the same moment give them back now;
        # with the cohort closed nothing is offered on, but each release is still recorded.
        await workflow.wait_condition(workflow.all_handlers_finished)
        return self.seats

    @workflow.update
    async def claim(self, fellow_id: str) -> SeatAnswer:
        self._record(seats.decide_claim(self.seats, fellow_id, workflow.now(), workflow.uuid4))
        await self.journal.flush()
        answer = self.seats.answer(fellow_id)
        assert answer is not None
        return answer

    @claim.validator
    @steps.refuses
    def _validate_claim(self, fellow_id: str) -> None:
        seats.decide_claim(self.seats, fellow_id, workflow.now(), district.nil_id)

    @workflow.update
    async def release(self, req: ReleaseSeat) -> None:
        events = seats.decide_release(
            self.seats, req.fellow_id, req.reason, workflow.now(), workflow.uuid4
        )
        while events:
            self._record(events)
            await self.journal.flush()
            offered = next((e for e in events if isinstance(e, SeatOffered)), None)
            if offered is None:
                return
            handle = workflow.get_external_workflow_handle(
                fellowship_id(self.program.program_id, offered.fellow_id)
            )
            try:
                await handle.signal("seat_offered", SeatOffer(seat=offered.seat))
                return
            except Exception:  # the fellow's journey has ended: offer the seat to the next
                events = seats.decide_release(
                    self.seats,
                    offered.fellow_id,
                    "the fellow's journey had ended when the seat was offered",
                    workflow.now(),
                    workflow.uuid4,
                )

    @release.validator
    @steps.refuses
    def _validate_release(self, req: ReleaseSeat) -> None:
        if req.program_id != self.program.program_id:
            raise CohortRefusal(
                f"this cohort is {self.program.program_id}, not {req.program_id}",
                code="cohort.wrong_program",
            )

    @workflow.query
    def roster(self) -> CohortSeats:
        return self.seats

    def _record(self, events: Sequence[DomainEvent]) -> None:
        for event in events:
            self.seats = seats.evolve(self.seats, event)
        update = workflow.current_update_info()
        self.journal.add(events, "system", update.id if update else None)


# --- one fellow ------------------------------------------------------------------------------


@workflow.defn(name="FellowshipJourney")
class FellowshipJourney:
    @workflow.init
    def __init__(self, inp: FellowshipInput) -> None:
        self.definition = inp.program  # as written, for other workflows and fixed dates
        self.program = steps.dates_as_run(inp.program)
        self.fellow = Fellow()
        self.journal = Journal(workflow.info().workflow_id)
        self._paying = False
        self._early_offer: SeatOffer | None = None
        self._record(
            [
                FellowshipApplied(
                    event_id=workflow.uuid4(),
                    occurred_at=workflow.now(),
                    employee_id=inp.application.employee_id,
                    program_id=inp.program.program_id,
                    submitted_by=inp.application.submitted_by,
                    statement=inp.application.statement,
                )
            ],
            actor=inp.application.submitted_by,
        )

    @workflow.run
    async def run(self, inp: FellowshipInput) -> FellowshipStatus:
        hr = await district.employee(inp.application.employee_id)
        self._record(
            [
                FellowIdentified(
                    event_id=workflow.uuid4(),
                    occurred_at=workflow.now(),
                    full_name=hr.full_name,
                    email=hr.email,
                    role=hr.role,
                    school_id=hr.school_id,
                )
            ],
            actor="hris",
        )
        if hr.school_id:
            workflow.upsert_search_attributes([search.SCHOOL_ID.value_set(hr.school_id)])
        why_not = rules.check_eligibility(self.program, hr.role)
        if why_not is not None and self.fellow.is_open:
            self._record(
                [
                    ApplicationIneligible(
                        event_id=workflow.uuid4(), occurred_at=workflow.now(), reason=why_not
                    )
                ],
                actor="system",
            )
        await self.journal.flush()

        if not await self._wait_until(
            lambda: self.fellow.stage is not Stage.APPLIED, self.program.selection_closes_at
        ):
            self._end_stage(EnrollmentLapsed, "no selection decision before selection closed")
        if self.fellow.stage is Stage.SELECTED:
            await self._claim_seat()
        if self.fellow.stage is Stage.WAITLISTED:
            if await self._wait_until(
                lambda: self.fellow.stage is not Stage.WAITLISTED,
                self.program.enrollment_closes_at,
            ):
                now_stage: Stage = self.fellow.stage  # a signal moved it on
                if now_stage is Stage.ADMITTED and self.fellow.seat is not None:
                    await self._notify_admitted(self.fellow.seat)
                    await self.journal.flush()
            else:
                self._end_stage(WaitlistExpired, "no seat came free before enrollment closed")
        if self.fellow.stage is Stage.ADMITTED and not await self._wait_until(
            lambda: self.fellow.stage is not Stage.ADMITTED, self.program.enrollment_closes_at
        ):
            self._end_stage(
                EnrollmentLapsed,
                f"the university did not report enrollment by "
                f"{self.program.enrollment_closes_at.isoformat()}",
            )
        if self.fellow.stage is Stage.ENROLLED:
            await self._study()
        await self._finish()
        await workflow.wait_condition(workflow.all_handlers_finished)
        return self._status()

    async def _claim_seat(self) -> None:
        try:
            answer: SeatAnswer = await workflow.execute_activity(
                "claim_cohort_seat",
                ClaimSeat(program=self.definition, fellow_id=self.fellow.employee_id),
                result_type=SeatAnswer,
                start_to_close_timeout=SEAT_TIMEOUT,
                retry_policy=district.EXTERNAL_RETRY,
            )
        except ActivityError as error:
            cause = getattr(error.cause, "message", None) or str(error.cause or error)
            self._end_stage(WaitlistExpired, f"the cohort could not give a place: {cause}")
            await self.journal.flush()
            return
        if answer.seat is not None:
            event: DomainEvent = SeatGranted(
                event_id=workflow.uuid4(),
                occurred_at=workflow.now(),
                seat=answer.seat,
                from_waitlist=False,
            )
        else:
            assert answer.waitlist_position is not None
            event = Waitlisted(
                event_id=workflow.uuid4(),
                occurred_at=workflow.now(),
                position=answer.waitlist_position,
            )
        if self.fellow.stage is not Stage.SELECTED:
            await self._release("the fellow left while the seat was being claimed")
            return
        self._record([event], actor="system")
        if isinstance(event, SeatGranted):
            await self._notify_admitted(event.seat)
        else:
            await self._notify(
                "fellow",
                "waitlisted",
                f"{self.program.title}: waitlist",
                f"You were selected; the cohort is full and you are number "
                f"{answer.waitlist_position} on the waitlist until "
                f"{self.program.enrollment_closes_at.isoformat()}.",
            )
            if self._early_offer is not None:  # a seat came free while the claim was answered
                self._grant_from_waitlist(self._early_offer)
        await self.journal.flush()

    async def _notify_admitted(self, seat: int) -> None:
        await self._notify(
            "fellow",
            "admitted",
            f"Welcome to {self.program.title}",
            f"You have seat {seat} of {self.program.cohort_capacity}. Please enroll "
            f"with {self.program.university} by "
            f"{self.program.enrollment_closes_at.isoformat()}.",
        )

    async def _study(self) -> None:
        """Pay each term's assistance when due; graduate once both milestones are reported."""

        def stop_waiting() -> bool:
            return self.fellow.stage is not Stage.ENROLLED or self.fellow.milestones_complete()

        while not stop_waiting():
            due_term = rules.next_disbursement(self.fellow, self.program)
            term = self.program.term(due_term) if due_term else None
            wake = (
                min(term.disburse_at, self.program.graduate_by)
                if term
                else (self.program.graduate_by)
            )
            if await self._wait_until(stop_waiting, wake):
                break
            if term is not None and workflow.now() >= term.disburse_at:
                await self._disburse(term.term_id, term.disbursement_cents, term.title)
            elif workflow.now() >= self.program.graduate_by:
                self._record(
                    [
                        LeftProgram(
                            event_id=workflow.uuid4(),
                            occurred_at=workflow.now(),
                            kind=LeaveKind.DID_NOT_COMPLETE,
                            effective_on=self.definition.graduate_by_date,
                            reason=self._missing_milestones(),
                            recorded_by="system",
                        )
                    ],
                    actor="system",
                )
        if self.fellow.stage is Stage.ENROLLED and self.fellow.milestones_complete():
            await self._graduate()

    async def _disburse(self, term_id: str, amount_cents: int, title: str) -> None:
        key = f"{workflow.info().workflow_id}/disbursement/{term_id}"
        receipt = await district.pay(
            key,
            PaymentKind.FINANCIAL_ASSISTANCE,
            self.fellow.employee_id,
            amount_cents,
            f"{self.program.title}: financial assistance, {title}",
        )
        self._record(
            [
                DisbursementPaid(
                    event_id=workflow.uuid4(),
                    occurred_at=workflow.now(),
                    term_id=term_id,
                    amount_cents=amount_cents,
                    idempotency_key=key,
                    payroll_reference=receipt.payroll_reference,
                )
            ],
            actor="system",
        )
        await self.journal.flush()

    async def _graduate(self) -> None:
        f = self.fellow
        graduated_on = max(f.milestones.values())
        self._record(
            [
                Graduated(
                    event_id=workflow.uuid4(),
                    occurred_at=workflow.now(),
                    graduated_on=graduated_on,
                    assistance_cents=f.disbursed_cents,
                )
            ],
            actor="system",
        )
        await self.journal.flush()
        commitment_workflow_id: str = await workflow.execute_activity(
            "start_service_commitment",
            ServiceCommitmentInput(
                program=self.program.program_id,
                fellow_id=f.employee_id,
                graduated_on=graduated_on,
                assistance_cents=f.disbursed_cents,
                rules=self.program.service,
                program_office_email=self.program.program_office_email,
            ),
            result_type=str,
            start_to_close_timeout=SEAT_TIMEOUT,
            retry_policy=district.EXTERNAL_RETRY,
        )
        self._record(
            [
                ServiceCommitmentBegun(
                    event_id=workflow.uuid4(),
                    occurred_at=workflow.now(),
                    commitment_workflow_id=commitment_workflow_id,
                    assistance_cents=f.disbursed_cents,
                )
            ],
            actor="system",
        )
        await self._notify(
            "fellow",
            "graduated",
            "Congratulations on your M.Ed. and Tier 1 credential",
            f"Your {self.program.service.obligation_years}-year service commitment starts "
            f"{graduated_on}. Financial assistance received: {dollars(f.disbursed_cents)}.",
        )

    async def _finish(self) -> None:
        f = self.fellow
        if f.stage is Stage.LEFT:
            if f.holds_seat or f.waitlist_position is not None:
                await self._release(f"left the fellowship: {f.end_reason}")
            await self._collect()
        elif f.stage in (Stage.LAPSED, Stage.NOT_ADMITTED) and (
            f.holds_seat or f.waitlist_position is not None
        ):
            await self._release(f.end_reason or f.stage.value)
        f = self.fellow  # as it stands after the repayment and any waiver
        if f.stage is not Stage.GRADUATED:
            text = {
                Stage.DECLINED: "Thank you for applying; you were not selected for this cohort.",
                Stage.INELIGIBLE: f"Your application cannot proceed: {f.end_reason}.",
            }.get(f.stage, f"Your fellowship ended ({f.stage.value}): {f.end_reason}.")
            await self._notify("fellow", "ended", self.program.title, text)
        outcome = f.stage.value
        if f.stage is Stage.LEFT and f.waivers and f.owed_cents == 0:
            outcome = "left_waived"
        self._record(
            [
                FellowshipEnded(
                    event_id=workflow.uuid4(), occurred_at=workflow.now(), outcome=outcome
                )
            ],
            actor="system",
        )
        await self.journal.flush()

    async def _collect(self) -> None:
        """Leaving before graduation: determine the repayment, allow a waiver, request it once."""
        determined = rules.decide_early_exit_repayment(
            self.fellow, self.program, workflow.now(), workflow.uuid4
        )
        self._record([determined], actor="system")
        await self.journal.flush()
        if determined.owed_cents == 0:
            return
        text = f"Repayment owed: {dollars(determined.owed_cents)} ({determined.explanation})."
        await self._notify("fellow", "repayment-determined", "Fellowship repayment", text)
        await self._notify(
            "office", "repayment-determined", f"Fellowship repayment: {self.fellow.full_name}", text
        )
        await self.journal.flush()
        window = timedelta(days=self.program.waiver_window_days).total_seconds()
        if window > 0:
            with contextlib.suppress(asyncio.TimeoutError):
                await workflow.wait_condition(lambda: self.fellow.owed_cents == 0, timeout=window)
        if self.fellow.owed_cents == 0:
            return
        key = f"{workflow.info().workflow_id}/repayment"
        amount = self.fellow.owed_cents
        self._paying = True
        receipt = await district.pay(
            key,
            PaymentKind.REPAYMENT,
            self.fellow.employee_id,
            amount,
            f"{self.program.title}: repayment of financial assistance",
        )
        self._record(
            [
                EarlyExitRepaymentRequested(
                    event_id=workflow.uuid4(),
                    occurred_at=workflow.now(),
                    amount_cents=amount,
                    idempotency_key=key,
                    payroll_reference=receipt.payroll_reference,
                )
            ],
            actor="system",
        )

    async def _release(self, reason: str) -> None:
        await workflow.execute_activity(
            "release_cohort_seat",
            ReleaseSeat(
                program_id=self.program.program_id,
                fellow_id=self.fellow.employee_id,
                reason=reason,
            ),
            result_type=bool,
            start_to_close_timeout=SEAT_TIMEOUT,
            retry_policy=district.EXTERNAL_RETRY,
        )

    # --- updates, the cohort's signal, and the query ----------------------------------------

    @workflow.signal
    def seat_offered(self, offer: SeatOffer) -> None:
        if self.fellow.stage is Stage.WAITLISTED:
            self._grant_from_waitlist(offer)
        elif self.fellow.stage is Stage.SELECTED:
            self._early_offer = offer  # before the claim's answer (the waitlist) is recorded
        # Otherwise the fellow has left or the waitlist expired; `_finish` gives it back.

    def _grant_from_waitlist(self, offer: SeatOffer) -> None:
        self._early_offer = None
        self._record(
            [
                SeatGranted(
                    event_id=workflow.uuid4(),
                    occurred_at=workflow.now(),
                    seat=offer.seat,
                    from_waitlist=True,
                )
            ],
            actor="cohort",
        )

    @workflow.update
    async def decide(self, cmd: rules.DecideSelection) -> FellowshipStatus:
        """Answers once the cohort has given a seat or a waitlist place."""
        await self._apply(
            lambda ids: rules.decide_selection(self.fellow, self.program, cmd, workflow.now(), ids),
            cmd.decided_by,
        )
        await workflow.wait_condition(lambda: self.fellow.stage is not Stage.SELECTED)
        return self._status()

    @decide.validator
    @steps.refuses
    def _validate_decide(self, cmd: rules.DecideSelection) -> None:
        policy.authorize(Action.DECIDE_APPLICATION, cmd.decided_by, Case(self.fellow.employee_id))
        rules.decide_selection(self.fellow, self.program, cmd, workflow.now(), district.nil_id)

    @workflow.update
    async def enroll(self, cmd: rules.RecordEnrollment) -> FellowshipStatus:
        return await self._apply(
            lambda ids: rules.decide_enrollment(
                self.fellow, self.program, cmd, workflow.now(), ids
            ),
            cmd.reported_by,
        )

    @enroll.validator
    @steps.refuses
    def _validate_enroll(self, cmd: rules.RecordEnrollment) -> None:
        policy.authorize(Action.REPORT_ENROLLMENT, cmd.reported_by, Case(self.fellow.employee_id))
        rules.decide_enrollment(self.fellow, self.program, cmd, workflow.now(), district.nil_id)

    @workflow.update
    async def record_pd(self, cmd: rules.RecordSupplementalPD) -> FellowshipStatus:
        return await self._apply(
            lambda ids: rules.decide_pd(self.fellow, self.program, cmd, workflow.now(), ids),
            cmd.recorded_by,
        )

    @record_pd.validator
    @steps.refuses
    def _validate_pd(self, cmd: rules.RecordSupplementalPD) -> None:
        policy.authorize(Action.RECORD_ATTENDANCE, cmd.recorded_by, Case(self.fellow.employee_id))
        rules.decide_pd(self.fellow, self.program, cmd, workflow.now(), district.nil_id)

    @workflow.update
    async def report_milestone(self, cmd: rules.ReportMilestone) -> FellowshipStatus:
        return await self._apply(
            lambda ids: rules.decide_milestone(self.fellow, self.program, cmd, workflow.now(), ids),
            cmd.reported_by,
        )

    @report_milestone.validator
    @steps.refuses
    def _validate_milestone(self, cmd: rules.ReportMilestone) -> None:
        policy.authorize(Action.REPORT_MILESTONE, cmd.reported_by, Case(self.fellow.employee_id))
        rules.decide_milestone(self.fellow, self.program, cmd, workflow.now(), district.nil_id)

    @workflow.update
    async def leave(self, cmd: rules.LeaveFellowship) -> FellowshipStatus:
        return await self._apply(
            lambda ids: rules.decide_leaving(self.fellow, self.program, cmd, workflow.now(), ids),
            cmd.recorded_by,
        )

    @leave.validator
    @steps.refuses
    def _validate_leave(self, cmd: rules.LeaveFellowship) -> None:
        policy.authorize(Action.LEAVE_PROGRAM, cmd.recorded_by, Case(self.fellow.employee_id))
        rules.decide_leaving(self.fellow, self.program, cmd, workflow.now(), district.nil_id)

    @workflow.update
    async def waive(self, cmd: rules.WaiveEarlyExit) -> FellowshipStatus:
        return await self._apply(
            lambda ids: self._decide_waiver(cmd, ids),
            cmd.decided_by,
        )

    @waive.validator
    @steps.refuses
    def _validate_waive(self, cmd: rules.WaiveEarlyExit) -> None:
        policy.authorize(Action.WAIVE_REPAYMENT, cmd.decided_by, Case(self.fellow.employee_id))
        self._decide_waiver(cmd, district.nil_id)

    def _decide_waiver(
        self, cmd: rules.WaiveEarlyExit, ids: Callable[[], UUID]
    ) -> list[DomainEvent]:
        if self._paying:
            raise FellowshipRefusal(
                "the repayment is already being sent to payroll; a refund is needed instead",
                code="waiver.payment_in_progress",
            )
        return rules.decide_waiver(self.fellow, cmd, workflow.now(), ids)

    @workflow.query
    def status(self) -> FellowshipStatus:
        return self._status()

    # --- plumbing ------------------------------------------------------------------------------

    async def _apply(self, decision: Decision, actor: str) -> FellowshipStatus:
        events = steps.decide(decision, FellowshipRefusal)
        self._record(events, actor=actor)
        await self.journal.flush()
        return self._status()

    def _record(self, events: Sequence[DomainEvent], actor: str) -> None:
        before = self.fellow.stage
        for event in events:
            self.fellow = rules.evolve(self.fellow, event)
        update = workflow.current_update_info()
        self.journal.add(events, actor, update.id if update else None)
        if self.fellow.stage is not before:
            workflow.upsert_search_attributes(
                [search.JOURNEY_STAGE.value_set(self.fellow.stage.value)]
            )

    def _end_stage(self, kind: type[EnrollmentLapsed] | type[WaitlistExpired], reason: str) -> None:
        if self.fellow.is_open:
            self._record(
                [kind(event_id=workflow.uuid4(), occurred_at=workflow.now(), reason=reason)],
                actor="system",
            )

    def _missing_milestones(self) -> str:
        missing = [m.label for m in Milestone if m not in self.fellow.milestones]
        return (
            f"did not finish by {self.program.graduate_by.isoformat()}: "
            f"{' and '.join(missing)} not reported"
        )

    async def _wait_until(self, condition: Callable[[], bool], until: datetime) -> bool:
        """Wait for `condition` (or the journey ending) until `until`; True if it held."""
        return await steps.wait_until(lambda: condition() or not self.fellow.is_open, until)

    async def _notify(self, to: str, topic: str, subject: str, body: str) -> None:
        address = self.fellow.email if to == "fellow" else self.program.program_office_email
        sent = await district.notice(FellowNoticeSent, to, address, topic, subject, body)
        if sent is not None:
            self._record([sent], actor="system")

    def _status(self) -> FellowshipStatus:
        return rules.status(self.fellow, self.program)
