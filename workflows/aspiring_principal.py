"""An LBUSD aspiring principal's year: Summer Institute, an optional shadowing fellowship with
a mentor principal and its shadow log, and VP/AP training and coaching, summed up at the close.
"""

from __future__ import annotations

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from domain import policy
    from domain.aspiring_principals import journey as rules
    from domain.aspiring_principals.journey import (
        Aspiring,
        AspiringEnded,
        AspiringIdentified,
        AspiringIneligible,
        AspiringJoined,
        AspiringNoticeSent,
        AspiringRefusal,
        AspiringStatus,
        AspiringYearSummed,
    )
    from domain.aspiring_principals.start import AspiringInput, aspiring_id
    from domain.policy import Action, Case
    from workflows import district, steps
    from workflows.engine import JourneyWorkflow, action, coach_assignment, least_data_outward


__all__ = ["AspiringInput", "AspiringPrincipalJourney", "aspiring_id"]


@workflow.defn(name="AspiringPrincipalJourney")
class AspiringPrincipalJourney(JourneyWorkflow[Aspiring, AspiringStatus]):
    refusal = AspiringRefusal
    notice_kind = AspiringNoticeSent
    fold = staticmethod(rules.evolve)

    @workflow.init
    def __init__(self, inp: AspiringInput) -> None:
        self.year = steps.dates_as_run(inp.year)
        self.begin(Aspiring())
        n = inp.nomination
        joined = AspiringJoined(
            **self.stamp(),
            employee_id=n.employee_id,
            program_year=inp.year.program_year,
            tier1_credential_on=n.tier1_credential_on,
            nominated_by=n.nominated_by,
        )
        self.record([joined], actor=n.nominated_by)

    @workflow.run
    async def run(self, inp: AspiringInput) -> AspiringStatus:
        hr = await self.unless_ended(district.employee(inp.nomination.employee_id))
        if hr is not None:  # None: withdrawn while HR's record of the nominee was fixed
            self.record(
                [
                    AspiringIdentified(
                        **self.stamp(),
                        full_name=hr.full_name,
                        email=hr.email,
                        role=hr.role,
                        school_id=hr.school_id,
                    )
                ],
                actor="hris",
            )
            why_not = rules.check_eligibility(self.year, hr.role)
            if why_not is not None and self.state.is_open:
                self.record([AspiringIneligible(**self.stamp(), reason=why_not)])
            await self.journal.flush()
        if self.state.is_open:
            await self.wait_for(lambda: False, self.year.closes_at)
        await workflow.wait_condition(workflow.all_handlers_finished)
        if self.state.is_open:
            await self._sum_up()
        else:
            await self._tell(
                "participant",
                "ended",
                "Aspiring Principals",
                f"Your year ended ({self.state.stage.value})."
                if least_data_outward()
                else f"Your year ended ({self.state.stage.value}): {self.state.end_reason}.",
            )
        await self.end(AspiringEnded(**self.stamp(), outcome=self.state.stage.value))
        await self.tell_career(inp.nomination.employee_id)
        return self.current_status()

    async def _sum_up(self) -> None:
        done, missing = rules.sum_up(self.state, self.year)
        self.record([AspiringYearSummed(**self.stamp(), completed=done, missing=missing)])
        body = "Completed:\n- " + "\n- ".join(done or ["nothing yet"])
        if missing:
            body += "\nStill missing:\n- " + "\n- ".join(missing)
        await self._tell("participant", "year-closed", "Aspiring Principals: your year", body)
        if self.state.mentor_email:
            await self._tell(
                "mentor",
                "year-closed",
                f"Aspiring Principals: {self.state.full_name}'s shadowing year",
                f"Thank you for mentoring {self.state.full_name}.\n{body}",
            )

    # --- updates --------------------------------------------------------------------------------

    record_institute_day = action(
        "record_institute_day",
        rules.RecordInstituteDay,
        AspiringStatus,
        may=Action.RECORD_ATTENDANCE,
        actor=lambda cmd: cmd.recorded_by,
        decide=lambda w, cmd, now, ids: rules.decide_institute_day(w.state, w.year, cmd, now, ids),
    )
    log_shadow = action(
        "log_shadow",
        rules.LogShadow,
        AspiringStatus,
        may=Action.LOG_SHADOWING,
        actor=lambda cmd: cmd.logged_by,
        decide=lambda w, cmd, now, ids: rules.decide_shadow_log(w.state, w.year, cmd, now, ids),
    )
    record_vp_training = action(
        "record_vp_training",
        rules.RecordVpTraining,
        AspiringStatus,
        may=Action.RECORD_ATTENDANCE,
        actor=lambda cmd: cmd.recorded_by,
        decide=lambda w, cmd, now, ids: rules.decide_vp_training(w.state, w.year, cmd, now, ids),
    )
    record_coaching = action(
        "record_coaching",
        rules.RecordCoaching,
        AspiringStatus,
        may=Action.RECORD_COACHING,
        actor=lambda cmd: cmd.coach,
        decide=lambda w, cmd, now, ids: rules.decide_coaching(w.state, w.year, cmd, now, ids),
    )
    assign_coach = coach_assignment(AspiringStatus, rules.CoachAssigned, rules.AspiringRefusal)
    withdraw = action(
        "withdraw",
        rules.WithdrawAspiring,
        AspiringStatus,
        may=Action.WITHDRAW,
        actor=lambda cmd: cmd.withdrawn_by,
        decide=lambda w, cmd, now, ids: rules.decide_withdrawal(w.state, cmd, now, ids),
    )

    @workflow.update
    async def offer_shadowing(self, cmd: rules.OfferShadowing) -> AspiringStatus:
        """Places the participant with a mentor principal, as HR lists the mentor now."""
        mentor = await district.employee(cmd.mentor_id)
        return await self.apply(
            lambda ids: rules.decide_shadowing(
                self.state,
                cmd,
                mentor.role,
                mentor.status.value == "active",
                (mentor.full_name, mentor.email, mentor.school_id),
                workflow.now(),
                ids,
            ),
            cmd.offered_by,
        )

    @offer_shadowing.validator
    @steps.refuses
    def _validate_offer(self, cmd: rules.OfferShadowing) -> None:
        policy.authorize(Action.OFFER_SHADOWING, cmd.offered_by, self.case())
        rules.check_shadowing_offer(self.state, cmd)

    @workflow.query
    def status(self) -> AspiringStatus:
        return self.current_status()

    # --- what the engine asks -------------------------------------------------------------------

    def case(self) -> Case:
        return Case(self.state.employee_id, coach_id=self.state.coach_id)

    def current_status(self) -> AspiringStatus:
        return rules.status(self.state, self.year)

    async def _tell(self, to: str, topic: str, subject: str, body: str) -> None:
        address = self.state.email if to == "participant" else self.state.mentor_email
        await self.notify(to, address, topic, subject, body)
