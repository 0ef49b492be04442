"""University fellowships for aspiring principals: the cohort's seats and each fellow's journey.

`FellowshipCohort` (one per program) holds the seats: capacity is enforced there, and a seat
given up before enrollment closes goes to the first fellow on the waitlist. `FellowshipJourney`
(one per fellow) runs from application through enrollment, a payroll disbursement per term,
supplemental PD and the university's milestones to graduation, which starts the fellow's
`ServiceCommitment`, a workflow of its own that outlives the journey. Leaving before
graduation ends the journey with the repayment the program's rule says, open to a waiver.
"""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow
from temporalio.exceptions import ActivityError

with workflow.unsafe.imports_passed_through():
    from domain import policy
    from domain.events import DomainEvent
    from domain.external import Employee, PaymentKind
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
    from domain.fellowship.start import FellowshipInput, fellowship_id
    from domain.money import dollars
    from domain.policy import Action, Case
    from domain.service_commitment.start import ServiceCommitmentInput
    from workflows import district, search, steps
    from workflows.engine import (
        JourneyWorkflow,
        action,
        least_data_outward,
        named_outward,
        waiver,
    )

SEAT_TIMEOUT = timedelta(seconds=60)


__all__ = ["FellowshipCohort", "FellowshipInput", "FellowshipJourney", "fellowship_id"]


# --- the cohort ------------------------------------------------------------------------------


@workflow.defn(name="FellowshipCohort")
class FellowshipCohort(JourneyWorkflow[CohortSeats, CohortSeats]):
    refusal = CohortRefusal
    fold = staticmethod(seats.evolve)

    @workflow.init
    def __init__(self, inp: CohortInput) -> None:
        self.program = inp.program
        self.begin(
            CohortSeats(
                capacity=inp.program.cohort_capacity, closes_at=inp.program.enrollment_closes_at
            )
        )

    @workflow.run
    async def run(self, inp: CohortInput) -> CohortSeats:
        await steps.wait_until(lambda: False, self.program.enrollment_closes_at)
        await workflow.wait_condition(workflow.all_handlers_finished)
        self.record(
            [
                CohortClosed(
                    **self.stamp(),
                    seated=sorted(self.state.seats, key=self.state.seats.__getitem__),
                    waitlist_expired=list(self.state.waitlist),
                )
            ]
        )
        await self.journal.flush()
        # Fellows whose waitlist place or seat lapsed at the same moment give them back now;
        # with the cohort closed nothing is offered on, but each release is still recorded.
        await workflow.wait_condition(workflow.all_handlers_finished)
        return self.state

    @workflow.update
    async def claim(self, fellow_id: str) -> SeatAnswer:
        self.record(seats.decide_claim(self.state, fellow_id, workflow.now(), workflow.uuid4))
        await self.journal.flush()
        answer = self.state.answer(fellow_id)
        assert answer is not None
        return answer

    @claim.validator
    @steps.refuses
    def _validate_claim(self, fellow_id: str) -> None:
        seats.decide_claim(self.state, fellow_id, workflow.now(), district.nil_id)

    @workflow.update
    async def release(self, req: ReleaseSeat) -> None:
        events = seats.decide_release(
            self.state, req.fellow_id, req.reason, workflow.now(), workflow.uuid4
        )
        while events:
            self.record(events)
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
                    self.state,
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
        return self.state


# --- one fellow ------------------------------------------------------------------------------


@workflow.defn(name="FellowshipJourney")
class FellowshipJourney(JourneyWorkflow[Fellow, FellowshipStatus]):
    refusal = FellowshipRefusal
    notice_kind = FellowNoticeSent
    fold = staticmethod(rules.evolve)

    @workflow.init
    def __init__(self, inp: FellowshipInput) -> None:
        self.definition = inp.program  # as written, for other workflows and fixed dates
        self.program = steps.dates_as_run(inp.program)
        self.begin(Fellow())
        self._early_offer: SeatOffer | None = None
        self.record(
            [
                FellowshipApplied(
                    **self.stamp(),
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
        hr = await self.unless_ended(district.employee(inp.application.employee_id))
        if hr is not None:  # None: left while HR's record of the applicant was fixed
            await self._identify(hr)
        if not await self.wait_for(
            lambda: self.state.stage is not Stage.APPLIED, self.program.selection_closes_at
        ):
            self._end_stage(EnrollmentLapsed, "no selection decision before selection closed")
        if self.state.stage is Stage.SELECTED:
            await self._claim_seat()
        if self.state.stage is Stage.WAITLISTED:
            if await self.wait_for(
                lambda: self.state.stage is not Stage.WAITLISTED,
                self.program.enrollment_closes_at,
            ):
                now_stage: Stage = self.state.stage  # a signal moved it on
                if now_stage is Stage.ADMITTED and self.state.seat is not None:
                    await self._notify_admitted(self.state.seat)
                    await self.journal.flush()
            else:
                self._end_stage(WaitlistExpired, "no seat came free before enrollment closed")
        if self.state.stage is Stage.ADMITTED and not await self.wait_for(
            lambda: self.state.stage is not Stage.ADMITTED, self.program.enrollment_closes_at
        ):
            self._end_stage(
                EnrollmentLapsed,
                f"the university did not report enrollment by "
                f"{self.program.enrollment_closes_at.isoformat()}",
            )
        if self.state.stage is Stage.ENROLLED:
            await self._study()
        await self._finish()
        await workflow.wait_condition(workflow.all_handlers_finished)
        await self.tell_career(inp.application.employee_id)
        return self.current_status()

    async def _identify(self, hr: Employee) -> None:
        self.record(
            [
                FellowIdentified(
                    **self.stamp(),
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
        if why_not is not None and self.state.is_open:
            self.record(
                [ApplicationIneligible(**self.stamp(), reason=why_not)],
                actor="system",
            )
        await self.journal.flush()

    async def _claim_seat(self) -> None:
        try:
            answer: SeatAnswer = await workflow.execute_activity(
                "claim_cohort_seat",
                ClaimSeat(program=self.definition, fellow_id=self.state.employee_id),
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
                **self.stamp(),
                seat=answer.seat,
                from_waitlist=False,
            )
        else:
            assert answer.waitlist_position is not None
            event = Waitlisted(
                **self.stamp(),
                position=answer.waitlist_position,
            )
        if self.state.stage is not Stage.SELECTED:
            await self._release("the fellow left while the seat was being claimed")
            return
        self.record([event], actor="system")
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
            return self.state.stage is not Stage.ENROLLED or self.state.milestones_complete()

        while not stop_waiting():
            due_term = rules.next_disbursement(self.state, self.program)
            term = self.program.term(due_term) if due_term else None
            wake = (
                min(term.disburse_at, self.program.graduate_by)
                if term
                else (self.program.graduate_by)
            )
            if await self.wait_for(stop_waiting, wake):
                break
            if term is not None and workflow.now() >= term.disburse_at:
                await self._disburse(term.term_id, term.disbursement_cents, term.title)
            elif workflow.now() >= self.program.graduate_by:
                self.record(
                    [
                        LeftProgram(
                            **self.stamp(),
                            kind=LeaveKind.DID_NOT_COMPLETE,
                            effective_on=self.definition.graduate_by_date,
                            reason=rules.did_not_complete_reason(self.state, self.program),
                            recorded_by="system",
                        )
                    ],
                    actor="system",
                )
        if self.state.stage is Stage.ENROLLED and self.state.milestones_complete():
            await self._graduate()

    async def _disburse(self, term_id: str, amount_cents: int, title: str) -> None:
        await self.pay(
            f"disbursement/{term_id}",
            PaymentKind.FINANCIAL_ASSISTANCE,
            self.state.employee_id,
            amount_cents,
            f"{self.program.title}: financial assistance, {title}",
            DisbursementPaid,
            {"term_id": term_id},
        )
        await self.journal.flush()

    async def _graduate(self) -> None:
        f = self.state
        graduated_on = rules.graduation_date(f)
        self.record(
            [
                Graduated(
                    **self.stamp(),
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
        self.record(
            [
                ServiceCommitmentBegun(
                    **self.stamp(),
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
        f = self.state
        if f.stage is Stage.LEFT:
            if f.holds_seat or f.waitlist_position is not None:
                await self._release(f"left the fellowship: {f.end_reason}")
            await self._collect()
        elif f.stage in (Stage.LAPSED, Stage.NOT_ADMITTED) and (
            f.holds_seat or f.waitlist_position is not None
        ):
            await self._release(f.end_reason or f.stage.value)
        f = self.state  # as it stands after the repayment and any waiver
        if f.stage is not Stage.GRADUATED:
            text = {
                Stage.DECLINED: "Thank you for applying; you were not selected for this cohort.",
                Stage.INELIGIBLE: f"Your application cannot proceed: {f.end_reason}.",
            }.get(
                f.stage,
                f"Your fellowship ended ({f.stage.value})."
                if least_data_outward()
                else f"Your fellowship ended ({f.stage.value}): {f.end_reason}.",
            )
            await self._notify("fellow", "ended", self.program.title, text)
        outcome = f.stage.value
        if f.stage is Stage.LEFT and f.waivers and f.owed_cents == 0:
            outcome = "left_waived"
        self.record(
            [FellowshipEnded(**self.stamp(), outcome=outcome)],
            actor="system",
        )
        await self.journal.flush()

    async def _collect(self) -> None:
        """Leaving before graduation: determine the repayment, allow a waiver, request it once."""
        determined = rules.decide_early_exit_repayment(
            self.state, self.program, workflow.now(), workflow.uuid4
        )
        self.record([determined], actor="system")
        await self.journal.flush()
        if determined.owed_cents == 0:
            return
        text = f"Repayment owed: {dollars(determined.owed_cents)} ({determined.explanation})."
        await self._notify("fellow", "repayment-determined", "Fellowship repayment", text)
        await self._notify(
            "office",
            "repayment-determined",
            "Fellowship repayment: " + named_outward(self.state.employee_id, self.state.full_name),
            text,
        )
        await self.journal.flush()
        await self.waiver_window(self.program.waiver_window_days, lambda: self.state.owed_cents)
        if self.state.owed_cents == 0:
            return
        amount = self.state.owed_cents
        await self.request_repayment(
            self.state.employee_id,
            amount,
            f"{self.program.title}: repayment of financial assistance",
            EarlyExitRepaymentRequested,
        )

    async def _release(self, reason: str) -> None:
        await workflow.execute_activity(
            "release_cohort_seat",
            ReleaseSeat(
                program_id=self.program.program_id,
                fellow_id=self.state.employee_id,
                reason=reason,
            ),
            result_type=bool,
            start_to_close_timeout=SEAT_TIMEOUT,
            retry_policy=district.EXTERNAL_RETRY,
        )

    # --- updates, the cohort's signal, and the query ----------------------------------------

    @workflow.signal
    def seat_offered(self, offer: SeatOffer) -> None:
        if self.state.stage is Stage.WAITLISTED:
            self._grant_from_waitlist(offer)
        elif self.state.stage is Stage.SELECTED:
            self._early_offer = offer  # before the claim's answer (the waitlist) is recorded
        # Otherwise the fellow has left or the waitlist expired; `_finish` gives it back.

    def _grant_from_waitlist(self, offer: SeatOffer) -> None:
        self._early_offer = None
        self.record(
            [
                SeatGranted(
                    **self.stamp(),
                    seat=offer.seat,
                    from_waitlist=True,
                )
            ],
            actor="cohort",
        )

    @workflow.update
    async def decide(self, cmd: rules.DecideSelection) -> FellowshipStatus:
        """Answers once the cohort has given a seat or a waitlist place."""
        await self.apply(
            lambda ids: rules.decide_selection(self.state, self.program, cmd, workflow.now(), ids),
            cmd.decided_by,
        )
        await workflow.wait_condition(lambda: self.state.stage is not Stage.SELECTED)
        return self.current_status()

    @decide.validator
    @steps.refuses
    def _validate_decide(self, cmd: rules.DecideSelection) -> None:
        policy.authorize(Action.DECIDE_APPLICATION, cmd.decided_by, self.case())
        rules.decide_selection(self.state, self.program, cmd, workflow.now(), district.nil_id)

    enroll = action(
        "enroll",
        rules.RecordEnrollment,
        FellowshipStatus,
        may=Action.REPORT_ENROLLMENT,
        actor=lambda cmd: cmd.reported_by,
        decide=lambda w, cmd, now, ids: rules.decide_enrollment(w.state, w.program, cmd, now, ids),
    )
    record_pd = action(
        "record_pd",
        rules.RecordSupplementalPD,
        FellowshipStatus,
        may=Action.RECORD_ATTENDANCE,
        actor=lambda cmd: cmd.recorded_by,
        decide=lambda w, cmd, now, ids: rules.decide_pd(w.state, w.program, cmd, now, ids),
    )
    report_milestone = action(
        "report_milestone",
        rules.ReportMilestone,
        FellowshipStatus,
        may=Action.REPORT_MILESTONE,
        actor=lambda cmd: cmd.reported_by,
        decide=lambda w, cmd, now, ids: rules.decide_milestone(w.state, w.program, cmd, now, ids),
    )
    leave = action(
        "leave",
        rules.LeaveFellowship,
        FellowshipStatus,
        may=Action.LEAVE_PROGRAM,
        actor=lambda cmd: cmd.recorded_by,
        decide=lambda w, cmd, now, ids: rules.decide_leaving(w.state, w.program, cmd, now, ids),
    )
    waive = waiver(rules.WaiveEarlyExit, FellowshipStatus, rules.decide_waiver)

    @workflow.query
    def status(self) -> FellowshipStatus:
        return self.current_status()

    # --- what the engine asks -------------------------------------------------------------------

    def case(self) -> Case:
        return Case(self.state.employee_id)

    def current_status(self) -> FellowshipStatus:
        return rules.status(self.state, self.program)

    def _end_stage(self, kind: type[EnrollmentLapsed] | type[WaitlistExpired], reason: str) -> None:
        if self.state.is_open:
            self.record([kind(**self.stamp(), reason=reason)])

    async def _notify(self, to: str, topic: str, subject: str, body: str) -> None:
        address = self.state.email if to == "fellow" else self.program.program_office_email
        await self.notify(to, address, topic, subject, body)
