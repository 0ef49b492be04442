"""A fellow's service commitment after graduation, running for years.

HR reports changes as updates; on each anniversary the workflow asks HR whether the fellow still
serves in a qualifying role and school, records the answer, and continues as new with its state,
so a commitment of any length keeps a short history. Completing the obligation ends it; leaving
early is a breach whose repayment is computed by the rules, open to a waiver for a window, then
requested from payroll once.
"""

from __future__ import annotations

import asyncio
import contextlib
from datetime import date

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from domain import policy
    from domain.calendar import local_date, local_midday
    from domain.events import DomainEvent
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
    from workflows.engine import JourneyWorkflow, named_outward, waiver


# Patch id: the commitment upserts JourneyStage as its standing changes (serving, completed,
# breached). Runs started before this kept the stage the start path gave them.
COMMITMENT_JOURNEY_STAGE = "commitment-journey-stage"
# Patch id: HR's separation is answered with the commitment as it settles (breached with what is
# owed, or completed), not the standing before it. Runs started before answered at once.
ANSWER_AS_SETTLED = "hr-answer-as-settled"
#: How long that answer waits for the commitment's course to settle it (an anniversary check
#: retrying a district system that is down holds the course; then it answers as it stands).
SETTLING_SECONDS = 30

__all__ = ["ServiceCommitment", "ServiceCommitmentInput", "commitment_id"]


@workflow.defn(name="ServiceCommitment")
class ServiceCommitment(JourneyWorkflow[Commitment, CommitmentStatus]):
    refusal = CommitmentRefusal
    notice_kind = CommitmentNoticeSent
    stage_patch = COMMITMENT_JOURNEY_STAGE

    @workflow.init
    def __init__(self, inp: ServiceCommitmentInput) -> None:
        self.inp = inp
        self.rules = steps.dates_as_run(inp.rules)
        self.begin(inp.carried or Commitment(), inp.stream_version)
        self._changed = False
        # HR changes taken while the start's look-up of the fellow runs (or waits on a fix of
        # the fellow's record), with their causing update; `_waiting` is what they are decided
        # against meanwhile.
        self._held: list[tuple[rules.HrEvent, str]] = []
        self._waiting = rules.before_start(
            inp.fellow_id, inp.program, inp.graduated_on, inp.assistance_cents, self._deadline()
        )

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
        await self.tell_career(inp.fellow_id)
        return self.current_status()

    async def _start(self) -> None:
        fellow = await district.employee(self.inp.fellow_id)
        deadline = self._deadline()
        self.record(
            [
                CommitmentStarted(
                    **self.stamp(),
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
        unsure = self._apply_held()
        await self._notify(
            "fellow",
            "started",
            "Your service commitment has started",
            f"Serve {self.rules.obligation_years} years in a qualifying role and school by "
            f"{deadline.isoformat()}.",
        )
        if unsure:
            await self._notify(
                "office",
                "held-changes",
                "HR changes during the start of "
                + named_outward(self.state.fellow_id, self.state.full_name),
                "\n".join(unsure),
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
        deadline = rules.deadline_as_of(self.state, today)
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
        if await steps.wait_until(lambda: self._changed, local_midday(wake, self.rules.time_zone)):
            return  # an HR change arrived: look again
        if self._today() >= anniversary:
            await self._verify(anniversary)

    async def _verify(self, anniversary: date) -> None:
        number = self.state.verifications + 1
        hr = await self.unless_ended(district.employee(self.state.fellow_id))
        if hr is None:
            return  # ended while HR's record of the fellow was fixed
        qualifying, matches = rules.service_check(
            self.state, self.rules, hr.role, hr.school_id, hr.status.value
        )
        self.record(
            [
                ServiceVerified(
                    **self.stamp(),
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
                "Service verification differs for "
                + named_outward(self.state.fellow_id, self.state.full_name),
                f"HR reports {hr.role} at {hr.school_id} ({hr.status.value}); the commitment "
                f"records {self.state.role} at {self.state.school_id}. Please send the HR change.",
            )

    async def _collect(self) -> None:
        """After a breach: determine the repayment, allow a waiver, then request it once."""
        c = self.state
        if c.repayment is None:
            on = c.separated_on or self._today()
            computation = rules.repayment_for(c, self.rules, on)
            self.record(
                [
                    RepaymentDetermined(
                        **self.stamp(),
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
                "office",
                "repayment-determined",
                f"Repayment for {named_outward(c.fellow_id, c.full_name)}",
                text,
            )
            await self.journal.flush()
            await self.waiver_window(self.rules.waiver_window_days, lambda: self.state.owed_cents)
        if self.state.owed_cents > 0 and self.state.repayment_reference is None:
            amount = self.state.owed_cents
            await self.request_repayment(
                self.state.fellow_id,
                amount,
                f"Service commitment repayment, {self.inp.program}",
                RepaymentRequested,
            )
        outcome = "waived" if self.state.owed_cents == 0 and self.state.waivers else "breached"
        self._end(outcome)

    # --- updates and query -------------------------------------------------------------------

    @workflow.update
    async def hr_event(self, cmd: rules.HrEvent) -> CommitmentStatus:
        if not self._started():
            self._hold(cmd)
            return self.current_status()
        events = steps.decide(
            lambda ids: rules.decide_hr_event(self.state, self.rules, cmd, workflow.now(), ids),
            CommitmentRefusal,
        )
        if events:
            self.record(events, actor=cmd.recorded_by)
            self._changed = True
            await self.journal.flush()
            if self.state.separated_on is not None and workflow.patched(ANSWER_AS_SETTLED):
                with contextlib.suppress(asyncio.TimeoutError):
                    await workflow.wait_condition(self._settled, timeout=SETTLING_SECONDS)
        return self.current_status()

    def _settled(self) -> bool:
        """The separation has settled the commitment on its course (`_serve`, `_collect`)."""
        c = self.state
        return c.ended or c.standing is Standing.COMPLETED or c.repayment is not None

    @hr_event.validator
    @steps.refuses
    def _validate_hr_event(self, cmd: rules.HrEvent) -> None:
        policy.authorize(Action.REPORT_HR_CHANGE, cmd.recorded_by, self.case())
        against = self.state if self._started() else self._waiting
        rules.decide_hr_event(against, self.rules, cmd, workflow.now(), district.nil_id)

    def _started(self) -> bool:
        return self.state.graduated_on is not None

    def _hold(self, cmd: rules.HrEvent) -> None:
        """Before the start is recorded: decide against what the start states, and keep the
        change to apply once it is (a change that repeats one held is taken once)."""
        events = steps.decide(
            lambda ids: rules.decide_hr_event(self._waiting, self.rules, cmd, workflow.now(), ids),
            CommitmentRefusal,
        )
        if not events:
            return
        for event in events:
            self._waiting = rules.evolve(self._waiting, event, self.rules)
        update = workflow.current_update_info()
        self._held.append((cmd, update.id if update else ""))
        workflow.logger.info(
            "HR change held until the commitment has started",
            extra={"change": cmd.change.value, "effective_on": cmd.effective_on.isoformat()},
        )

    def _apply_held(self) -> list[str]:
        """The HR changes held during the start, decided again against the started commitment
        in the order HR sent them, each recorded as caused by its own update; returns what the
        office should review (`rules.unknown_before`)."""
        held, self._held = self._held, []
        unsure = rules.unknown_before(self.state, [cmd for cmd, _ in held])
        for cmd, update_id in held:
            try:
                events = rules.decide_hr_event(
                    self.state, self.rules, cmd, workflow.now(), workflow.uuid4
                )
            except CommitmentRefusal as refusal:
                # Decided against the same start facts when it was held, so this needs HR's
                # record to contradict them; the office hears of it from the log's warning.
                workflow.logger.warning(
                    "a held HR change no longer applies",
                    extra={"change": cmd.change.value, "code": refusal.code, "why": str(refusal)},
                )
                continue
            if events:
                self.record(events, actor=cmd.recorded_by, cause=update_id or None)
        return unsure

    waive = waiver(rules.Waive, CommitmentStatus, rules.decide_waiver)

    @workflow.query
    def status(self) -> CommitmentStatus:
        return self.current_status()

    # --- plumbing ------------------------------------------------------------------------------

    def evolve(self, state: Commitment, event: DomainEvent) -> Commitment:
        return rules.evolve(state, event, self.rules)

    def stage(self) -> str:
        return self.state.standing.value

    def is_open(self) -> bool:
        return not self.state.ended

    def stops_asking(self) -> bool:
        """HR's separation settles the commitment (`_serve`): an anniversary's check waiting on
        the fellow's record is no longer needed."""
        return self.state.ended or self.state.separated_on is not None

    def case(self) -> Case:
        return Case(self.state.fellow_id or self.inp.fellow_id)

    def current_status(self) -> CommitmentStatus:
        if not self._started():  # what the start states and HR has sent so far
            today = self._today()
            return rules.status(self._waiting, self.rules, today, len(self._held), starting=True)
        return rules.status(self.state, self.rules, self._today())

    def _complete(self, on: date) -> None:
        self.record(
            [
                ObligationCompleted(
                    **self.stamp(),
                    completed_on=on,
                    served_months=self.state.served_as_of(on),
                )
            ],
            actor="system",
        )

    def _breach(self, on: date, reason: str) -> None:
        self.record(
            [
                ObligationBreached(
                    **self.stamp(),
                    breached_on=on,
                    reason=reason,
                    served_months=self.state.served_as_of(on),
                )
            ],
            actor="system",
        )

    def _end(self, outcome: str) -> None:
        self.record(
            [CommitmentEnded(**self.stamp(), outcome=outcome)],
            actor="system",
        )

    def _deadline(self) -> date:
        return add_months(self.inp.graduated_on, 12 * self.rules.completion_window_years)

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
        await self.notify(to, address, topic, subject, body)
