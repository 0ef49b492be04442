"""An LBUSD aspiring principal's year: Summer Institute, an optional shadowing fellowship with
a mentor principal and its shadow log, and VP/AP training and coaching, summed up at the close.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Sequence

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
    from domain.events import DomainEvent
    from domain.policy import Action, Case
    from workflows import district, search, steps
    from workflows.journal import Journal
    from workflows.steps import Decision


__all__ = ["AspiringInput", "AspiringPrincipalJourney", "aspiring_id"]


@workflow.defn(name="AspiringPrincipalJourney")
class AspiringPrincipalJourney:
    @workflow.init
    def __init__(self, inp: AspiringInput) -> None:
        self.year = steps.dates_as_run(inp.year)
        self.state = Aspiring()
        self.journal = Journal(workflow.info().workflow_id)
        n = inp.nomination
        self._record(
            [
                AspiringJoined(
                    event_id=workflow.uuid4(),
                    occurred_at=workflow.now(),
                    employee_id=n.employee_id,
                    program_year=inp.year.program_year,
                    tier1_credential_on=n.tier1_credential_on,
                    nominated_by=n.nominated_by,
                )
            ],
            actor=n.nominated_by,
        )

    @workflow.run
    async def run(self, inp: AspiringInput) -> AspiringStatus:
        hr = await district.employee(inp.nomination.employee_id)
        self._record(
            [
                AspiringIdentified(
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
        why_not = rules.check_eligibility(self.year, hr.role)
        if why_not is not None and self.state.is_open:
            self._record(
                [
                    AspiringIneligible(
                        event_id=workflow.uuid4(), occurred_at=workflow.now(), reason=why_not
                    )
                ],
                actor="system",
            )
        await self.journal.flush()
        remaining = (self.year.closes_at - workflow.now()).total_seconds()
        if self.state.is_open and remaining > 0:
            with contextlib.suppress(asyncio.TimeoutError):
                await workflow.wait_condition(lambda: not self.state.is_open, timeout=remaining)
        await workflow.wait_condition(workflow.all_handlers_finished)
        if self.state.is_open:
            done, missing = rules.sum_up(self.state, self.year)
            self._record(
                [
                    AspiringYearSummed(
                        event_id=workflow.uuid4(),
                        occurred_at=workflow.now(),
                        completed=done,
                        missing=missing,
                    )
                ],
                actor="system",
            )
            body = "Completed:\n- " + "\n- ".join(done or ["nothing yet"])
            if missing:
                body += "\nStill missing:\n- " + "\n- ".join(missing)
            await self._notify("participant", "year-closed", "Aspiring Principals: your year", body)
            if self.state.mentor_email:
                await self._notify(
                    "mentor",
                    "year-closed",
                    f"Aspiring Principals: {self.state.full_name}'s shadowing year",
                    f"Thank you for mentoring {self.state.full_name}.\n{body}",
                )
        else:
            await self._notify(
                "participant",
                "ended",
                "Aspiring Principals",
                f"Your year ended ({self.state.stage.value}): {self.state.end_reason}.",
            )
        self._record(
            [
                AspiringEnded(
                    event_id=workflow.uuid4(),
                    occurred_at=workflow.now(),
                    outcome=self.state.stage.value,
                )
            ],
            actor="system",
        )
        await self.journal.flush()
        return self._status()

    # --- updates --------------------------------------------------------------------------------

    @workflow.update
    async def record_institute_day(self, cmd: rules.RecordInstituteDay) -> AspiringStatus:
        return await self._apply(
            lambda ids: rules.decide_institute_day(self.state, self.year, cmd, workflow.now(), ids),
            cmd.recorded_by,
        )

    @record_institute_day.validator
    @steps.refuses
    def _validate_institute(self, cmd: rules.RecordInstituteDay) -> None:
        policy.authorize(Action.RECORD_ATTENDANCE, cmd.recorded_by, Case(self.state.employee_id))
        rules.decide_institute_day(self.state, self.year, cmd, workflow.now(), district.nil_id)

    @workflow.update
    async def offer_shadowing(self, cmd: rules.OfferShadowing) -> AspiringStatus:
        """Places the participant with a mentor principal, as HR lists the mentor now."""
        mentor = await district.employee(cmd.mentor_id)
        return await self._apply(
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
        policy.authorize(Action.OFFER_SHADOWING, cmd.offered_by, Case(self.state.employee_id))
        rules.check_shadowing_offer(self.state, cmd)

    @workflow.update
    async def log_shadow(self, cmd: rules.LogShadow) -> AspiringStatus:
        return await self._apply(
            lambda ids: rules.decide_shadow_log(self.state, self.year, cmd, workflow.now(), ids),
            cmd.logged_by,
        )

    @log_shadow.validator
    @steps.refuses
    def _validate_shadow(self, cmd: rules.LogShadow) -> None:
        policy.authorize(Action.LOG_SHADOWING, cmd.logged_by, Case(self.state.employee_id))
        rules.decide_shadow_log(self.state, self.year, cmd, workflow.now(), district.nil_id)

    @workflow.update
    async def record_vp_training(self, cmd: rules.RecordVpTraining) -> AspiringStatus:
        return await self._apply(
            lambda ids: rules.decide_vp_training(self.state, self.year, cmd, workflow.now(), ids),
            cmd.recorded_by,
        )

    @record_vp_training.validator
    @steps.refuses
    def _validate_training(self, cmd: rules.RecordVpTraining) -> None:
        policy.authorize(Action.RECORD_ATTENDANCE, cmd.recorded_by, Case(self.state.employee_id))
        rules.decide_vp_training(self.state, self.year, cmd, workflow.now(), district.nil_id)

    @workflow.update
    async def record_coaching(self, cmd: rules.RecordCoaching) -> AspiringStatus:
        return await self._apply(
            lambda ids: rules.decide_coaching(self.state, self.year, cmd, workflow.now(), ids),
            cmd.coach,
        )

    @record_coaching.validator
    @steps.refuses
    def _validate_coaching(self, cmd: rules.RecordCoaching) -> None:
        policy.authorize(Action.RECORD_COACHING, cmd.coach, Case(self.state.employee_id))
        rules.decide_coaching(self.state, self.year, cmd, workflow.now(), district.nil_id)

    @workflow.update
    async def withdraw(self, cmd: rules.WithdrawAspiring) -> AspiringStatus:
        return await self._apply(
            lambda ids: rules.decide_withdrawal(self.state, cmd, workflow.now(), ids),
            cmd.withdrawn_by,
        )

    @withdraw.validator
    @steps.refuses
    def _validate_withdraw(self, cmd: rules.WithdrawAspiring) -> None:
        policy.authorize(Action.WITHDRAW, cmd.withdrawn_by, Case(self.state.employee_id))
        rules.decide_withdrawal(self.state, cmd, workflow.now(), district.nil_id)

    @workflow.query
    def status(self) -> AspiringStatus:
        return self._status()

    # --- plumbing ------------------------------------------------------------------------------

    async def _apply(self, decision: Decision, actor: str) -> AspiringStatus:
        events = steps.decide(decision, AspiringRefusal)
        self._record(events, actor=actor)
        await self.journal.flush()
        return self._status()

    def _record(self, events: Sequence[DomainEvent], actor: str) -> None:
        before = self.state.stage
        for event in events:
            self.state = rules.evolve(self.state, event)
        update = workflow.current_update_info()
        self.journal.add(events, actor, update.id if update else None)
        if self.state.stage is not before:
            workflow.upsert_search_attributes(
                [search.JOURNEY_STAGE.value_set(self.state.stage.value)]
            )

    async def _notify(self, to: str, topic: str, subject: str, body: str) -> None:
        address = self.state.email if to == "participant" else self.state.mentor_email
        sent = await district.notice(AspiringNoticeSent, to, address, topic, subject, body)
        if sent is not None:
            self._record([sent], actor="system")

    def _status(self) -> AspiringStatus:
        return rules.status(self.state, self.year)
