"""A fellow's service commitment after graduation, running for years.

HR reports changes as updates; on each anniversary the workflow asks HR whether the fellow still
serves in a qualifying role and school, records the answer, and continues as new with its state,
so a commitment of any length keeps a short history. Completing the obligation ends it; leaving
early is a breach whose repayment is computed by the rules, open to a waiver for a window, then
requested from payroll once.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Sequence
from datetime import date, timedelta
from uuid import UUID

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from domain import policy
    from domain.calendar import local_date, local_midday
    from domain.events import DomainEvent
    from domain.external import (
        PaymentKind,
    )
    from domain.money import dollars
    from domain.policy import Action, Case
    from domain.service_commitment import journey as rules
    from domain.service_commitment.journey import (
        Commitment,
        CommitmentEnded,
        CommitmentNoticeSent,
        CommitmentRefusal,
        CommitmentStarted,
        CommitmentStatus,
        ObligationBreached,
        ObligationCompleted,
        RepaymentDetermined,
        RepaymentRequested,
        ServiceVerified,
        Standing,
    )
    from domain.service_commitment.rules import add_months
    from domain.service_commitment.start import ServiceCommitmentInput, commitment_id
    from workflows import district, steps
    from workflows.journal import Journal


__all__ = ["ServiceCommitment", "ServiceCommitmentInput", "commitment_id"]


@workflow.defn(name="ServiceCommitment")
class ServiceCommitment:
    @workflow.init
    def __init__(self, inp: ServiceCommitmentInput) -> None:
        self.inp = inp
        self.rules = steps.dates_as_run(inp.rules)
        self.state = inp.carried or Commitment()
        self.journal = Journal(workflow.info().workflow_id, inp.stream_version)
        self._changed = False
        self._paying = False

    @workflow.run
    async def run(self, inp: ServiceCommitmentInput) -> CommitmentStatus:
        if inp.carried is None:
            await self._start()
        while not self.state.ended:
            if self.state.standing is Standing.SERVING:
                await self._serve()
            elif self.state.standing is Standing.BREACHED:
                await self._collect()
            else:
                self._end("completed")
            await self.journal.flush()
            if self._should_continue_as_new():
                await workflow.wait_condition(workflow.all_handlers_finished)
                # Each year's run starts on the build that is current then (Worker Versioning):
                # a commitment outlives the code it started on.
                workflow.continue_as_new(
                    inp.model_copy(
                        update={"carried": self.state, "stream_version": self.journal.version}
                    ),
                    initial_versioning_behavior=workflow.ContinueAsNewVersioningBehavior.AUTO_UPGRADE,
                )
        await workflow.wait_condition(workflow.all_handlers_finished)
        return self._status()

    async def _start(self) -> None:
        fellow = await district.employee(self.inp.fellow_id)
        deadline = add_months(self.inp.graduated_on, 12 * self.rules.completion_window_years)
        self._record(
            [
                CommitmentStarted(
                    event_id=workflow.uuid4(),
                    occurred_at=workflow.now(),
                    fellow_id=fellow.employee_id,
                    full_name=fellow.full_name,
                    email=fellow.email,
                    program=self.inp.program,
                    graduated_on=self.inp.graduated_on,
                    assistance_cents=self.inp.assistance_cents,
                    role=fellow.role,
                    school_id=fellow.school_id,
                    obligation_years=self.rules.obligation_years,
                    deadline=deadline,
                )
            ],
            actor="system",
        )
        await self._notify(
            "fellow",
            "started",
            "Your service commitment has started",
            f"Serve {self.rules.obligation_years} years in a qualifying role and school by "
            f"{deadline.isoformat()}.",
        )
        await self.journal.flush()

    async def _serve(self) -> None:
        """Wait for HR, the next anniversary, the completion date or the deadline."""
        today = self._today()
        if self.state.separated_on is not None:
            left = self.state.separated_on
            if self.state.served_as_of(left) >= self.rules.obligation_months:
                self._complete(left)  # left on or after the day the obligation was met
            else:
                self._breach(left, f"separated: {self.state.separation_reason}")
            return
        if self.state.served_as_of(today) >= self.rules.obligation_months:
            self._complete(today)
            return
        deadline = self._deadline(today)
        if deadline is not None and today >= deadline:
            self._breach(today, f"the obligation was not completed by {deadline}")
            return
        anniversary = self._next_anniversary()
        wakes = [anniversary]
        completes = rules.completion_date(self.state, self.rules, today)
        if completes is not None:
            wakes.append(completes)
        if deadline is not None:
            wakes.append(deadline)
        wake = min(wakes)
        self._changed = False
        seconds = (local_midday(wake, self.rules.time_zone) - workflow.now()).total_seconds()
        if seconds > 0:
            try:
                await workflow.wait_condition(lambda: self._changed, timeout=seconds)
                return  # an HR change arrived: look again
            except TimeoutError:
                pass
        if self._today() >= anniversary:
            await self._verify(anniversary)

    async def _verify(self, anniversary: date) -> None:
        number = self.state.verifications + 1
        hr = await district.employee(self.state.fellow_id)
        qualifying = hr.status.value == "active" and self.rules.qualifies(hr.role, hr.school_id)
        matches = (hr.role, hr.school_id) == (self.state.role, self.state.school_id) and (
            hr.status.value != "separated"
        )
        self._record(
            [
                ServiceVerified(
                    event_id=workflow.uuid4(),
                    occurred_at=workflow.now(),
                    anniversary=number,
                    hr_role=hr.role,
                    hr_school_id=hr.school_id,
                    hr_status=hr.status.value,
                    qualifying=qualifying,
                    matches=matches,
                    served_months=self.state.served_as_of(anniversary),
                )
            ],
            actor="hris",
        )
        if not matches:
            await self._notify(
                "office",
                f"verification-{number}",
                f"Service verification differs for {self.state.full_name}",
                f"HR reports {hr.role} at {hr.school_id} ({hr.status.value}); the commitment "
                f"records {self.state.role} at {self.state.school_id}. Please send the HR change.",
            )

    async def _collect(self) -> None:
        """After a breach: determine the repayment, allow a waiver, then request it once."""
        c = self.state
        if c.repayment is None:
            on = c.separated_on or self._today()
            computation = rules.repayment_for(c, self.rules, on)
            self._record(
                [
                    RepaymentDetermined(
                        event_id=workflow.uuid4(),
                        occurred_at=workflow.now(),
                        computation=computation,
                    )
                ],
                actor="system",
            )
            text = f"Repayment owed: {dollars(computation.owed_cents)} ({computation.explanation})."
            await self._notify(
                "fellow", "repayment-determined", "Service commitment repayment", text
            )
            await self._notify(
                "office", "repayment-determined", f"Repayment for {c.full_name}", text
            )
            await self.journal.flush()
            window_ends = workflow.now() + timedelta(days=self.rules.waiver_window_days)
            seconds = (window_ends - workflow.now()).total_seconds()
            if seconds > 0 and self.state.owed_cents > 0:
                with contextlib.suppress(TimeoutError):
                    await workflow.wait_condition(
                        lambda: self.state.owed_cents == 0, timeout=seconds
                    )
        if self.state.owed_cents > 0 and self.state.repayment_reference is None:
            key = f"{workflow.info().workflow_id}/repayment"
            amount = self.state.owed_cents
            self._paying = True  # from here on a waiver would come too late
            receipt = await district.pay(
                key,
                PaymentKind.REPAYMENT,
                self.state.fellow_id,
                amount,
                f"Service commitment repayment, {self.inp.program}",
            )
            self._record(
                [
                    RepaymentRequested(
                        event_id=workflow.uuid4(),
                        occurred_at=workflow.now(),
                        amount_cents=amount,
                        idempotency_key=key,
                        payroll_reference=receipt.payroll_reference,
                    )
                ],
                actor="system",
            )
        outcome = "waived" if self.state.owed_cents == 0 and self.state.waivers else "breached"
        self._end(outcome)

    # --- updates and query -------------------------------------------------------------------

    @workflow.update
    async def hr_event(self, cmd: rules.HrEvent) -> CommitmentStatus:
        events = steps.decide(
            lambda ids: rules.decide_hr_event(self.state, self.rules, cmd, workflow.now(), ids),
            CommitmentRefusal,
        )
        if events:
            self._record(events, actor=cmd.recorded_by)
            self._changed = True
            await self.journal.flush()
        return self._status()

    @hr_event.validator
    @steps.refuses
    def _validate_hr_event(self, cmd: rules.HrEvent) -> None:
        policy.authorize(Action.REPORT_HR_CHANGE, cmd.recorded_by, Case(self.state.fellow_id))
        rules.decide_hr_event(self.state, self.rules, cmd, workflow.now(), district.nil_id)

    @workflow.update
    async def waive(self, cmd: rules.Waive) -> CommitmentStatus:

        def waiver(ids: Callable[[], UUID]) -> list[DomainEvent]:
            self._refuse_while_paying()
            return rules.decide_waiver(self.state, cmd, workflow.now(), ids)

        events = steps.decide(waiver, CommitmentRefusal)
        self._record(events, actor=cmd.decided_by)
        await self.journal.flush()
        return self._status()

    @waive.validator
    @steps.refuses
    def _validate_waive(self, cmd: rules.Waive) -> None:
        policy.authorize(Action.WAIVE_REPAYMENT, cmd.decided_by, Case(self.state.fellow_id))
        self._refuse_while_paying()
        rules.decide_waiver(self.state, cmd, workflow.now(), district.nil_id)

    def _refuse_while_paying(self) -> None:
        if self._paying:
            raise CommitmentRefusal(
                "the repayment is already being sent to payroll; a refund is needed instead",
                code="waiver.payment_in_progress",
            )

    @workflow.query
    def status(self) -> CommitmentStatus:
        return self._status()

    # --- plumbing ------------------------------------------------------------------------------

    def _record(self, events: Sequence[DomainEvent], actor: str) -> None:
        for event in events:
            self.state = rules.evolve(self.state, event, self.rules)
        update = workflow.current_update_info()
        self.journal.add(events, actor, update.id if update else None)

    def _complete(self, on: date) -> None:
        self._record(
            [
                ObligationCompleted(
                    event_id=workflow.uuid4(),
                    occurred_at=workflow.now(),
                    completed_on=on,
                    served_months=self.state.served_as_of(on),
                )
            ],
            actor="system",
        )

    def _breach(self, on: date, reason: str) -> None:
        self._record(
            [
                ObligationBreached(
                    event_id=workflow.uuid4(),
                    occurred_at=workflow.now(),
                    breached_on=on,
                    reason=reason,
                    served_months=self.state.served_as_of(on),
                )
            ],
            actor="system",
        )

    def _end(self, outcome: str) -> None:
        self._record(
            [
                CommitmentEnded(
                    event_id=workflow.uuid4(), occurred_at=workflow.now(), outcome=outcome
                )
            ],
            actor="system",
        )

    def _deadline(self, today: date) -> date | None:
        c = self.state
        if c.deadline is None:
            return None
        if c.on_leave and c.leave_defers and c.leave_since is not None:
            return c.deadline + (today - c.leave_since)  # the clock is paused
        return c.deadline

    def _next_anniversary(self) -> date:
        assert self.state.graduated_on is not None
        return add_months(self.state.graduated_on, 12 * (self.state.verifications + 1))

    def _should_continue_as_new(self) -> bool:
        if self.state.ended:
            return False
        # Yearly, after each anniversary's verification, or sooner if the server suggests it.
        return (
            self.state.verifications > (self.inp.carried.verifications if self.inp.carried else 0)
            or workflow.info().is_continue_as_new_suggested()
        )

    def _today(self) -> date:
        return local_date(workflow.now(), self.rules.time_zone)

    async def _notify(self, to: str, topic: str, subject: str, body: str) -> None:
        address = self.state.email if to == "fellow" else self.inp.program_office_email
        sent = await district.notice(CommitmentNoticeSent, to, address, topic, subject, body)
        if sent is not None:
            self._record([sent], actor="system")

    def _status(self) -> CommitmentStatus:
        return rules.status(self.state, self.rules, self._today())
