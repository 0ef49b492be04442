"""What every journey workflow does the same way, so that each pathway's `run` reads as its
program description.

- **Record**: `record(events, actor)` folds events into the journey's state, queues them in the
  journal with the update that caused them, and upserts `JourneyStage` when the stage moves.
- **Act**: `action(...)` declares an update once. Its validator checks who may act
  (`domain.policy`) and runs the domain decision with throwaway ids, so a refused action never
  enters the history; its handler runs the same decision with the workflow's ids, records the
  events and flushes the journal before the update answers.
- **Wait**: `wait_for(condition, until)` waits for a condition or the journey ending, until a
  deadline (`steps.wait_until`).
- **Tell and pay**: `notify(...)` e-mails under the key `<workflow>/notice/<topic>/<to>`;
  `pay(...)` requests a payment under `<workflow>/<purpose>`; each records its event once sent.
- **Repayment**: `waiver_window(...)` then `request_repayment(...)`: a person may waive within
  the window; once the request goes to payroll, `refuse_while_paying()` refuses waivers.
- **End**: `end(event)` records the closing event and flushes; `tell_career(...)`, the last
  step of a run, tells the employee's career how the journey ended.
- **Wait on a fix**: a district record only a correction puts right holds the journey where it
  is (`district.Fixes`): the `waiting_on` query says what it waits on, and the
  `retry_after_fix` update (an operator, the program office or HR) asks again at once. A
  journey that ends while it waits stops asking: `unless_ended(...)` answers None, and the
  course that asked goes on to the journey's end.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any, ClassVar, Generic, TypeVar
from uuid import UUID

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError

with workflow.unsafe.imports_passed_through():
    from domain import coaching, policy
    from domain.career.career import JourneyEnded
    from domain.events import DomainEvent, Notice
    from domain.external import DataFixNeeded, PaymentKind, RetryAfterFix
    from domain.payments import PaymentSent, payment_key
    from domain.policy import Action, Case
    from domain.refusals import Refusal
    from workflows import district, search, steps
    from workflows.journal import Journal
    from workflows.steps import Decision

T = TypeVar("T")
State = TypeVar("State")
Status = TypeVar("Status")
Command = TypeVar("Command")
Ids = Callable[[], UUID]


#: Journeys that ended before careers heard of ends replay without telling them.
CAREER_HEARS_END = "career-hears-end"
#: Journeys that sent e-mails and payments before these carried ids and codes instead of names
#: and the reasons people gave replay with what they sent then.
LEAST_DATA_OUTWARD = "least-data-outward"
#: A few minutes at most: the journey's end does not wait on its career for long.
TELL_CAREER_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=1),
    backoff_coefficient=2.0,
    maximum_interval=timedelta(minutes=1),
    maximum_attempts=8,
)


def least_data_outward() -> bool:
    """Whether what this journey sends out (e-mails to the office, payroll memos, notices of an
    end) carries only what the receiver needs: ids, amounts and codes, not a person's name in
    someone else's inbox, nor the reasons a person gave. True for every journey from here on;
    False where a recorded history sent more."""
    return workflow.patched(LEAST_DATA_OUTWARD)


def named_outward(person_id: str, name: str) -> str:
    """How a person is named in what leaves the district for someone else: by id (by `name`
    where a recorded history named them so)."""
    return person_id if least_data_outward() else name


class JourneyWorkflow(Generic[State, Status]):
    """Base of a journey workflow: `state` is the fold of the journey's events."""

    #: The refusal a decision raises; the handler turns it into the update's failure.
    refusal: ClassVar[type[Refusal]] = Refusal
    #: The notice event a pathway records for each e-mail it sends.
    notice_kind: ClassVar[type[Notice] | None] = None
    #: A patch id when the workflow began upserting `JourneyStage` after release.
    stage_patch: ClassVar[str | None] = None
    #: The pathway's fold of one event: `staticmethod(rules.evolve)`, or one that folds in place
    #: (`rules.fold_into`): the workflow owns its state.
    fold: ClassVar[staticmethod[[Any, DomainEvent], Any]]

    state: State
    journal: Journal
    fixes: district.Fixes
    _paying: bool = False

    def begin(self, state: State, stream_version: int = 0) -> None:
        """Call first from the workflow's init."""
        self.state = state
        self.journal = Journal(workflow.info().workflow_id, stream_version)
        self.fixes = district.Fixes(self.stops_asking)
        self._paying = False

    # --- what every journey answers ---------------------------------------------------------

    @workflow.query(name="waiting_on")
    def waiting_on(self) -> DataFixNeeded | None:
        """The district record this journey waits to see corrected (None: nothing)."""
        return self.fixes.waiting

    @workflow.update(name="retry_after_fix")
    async def retry_after_fix(self, cmd: RetryAfterFix) -> DataFixNeeded:
        """Ask the district system again now: answers with what the journey was waiting on."""
        waiting = self.fixes.waiting
        if waiting is None:  # answered between the validator and here
            raise steps.refused(self._not_waiting())
        self.fixes.retry_now()
        workflow.logger.info(
            "retry after a fix", extra={"requested_by": cmd.requested_by, "record": waiting.record}
        )
        return waiting

    @retry_after_fix.validator
    @steps.refuses
    def _may_retry(self, cmd: RetryAfterFix) -> None:
        policy.authorize(Action.RETRY_AFTER_FIX, cmd.requested_by, self._fix_case())
        if self.fixes.waiting is None:
            raise self._not_waiting()

    @staticmethod
    def _not_waiting() -> Refusal:
        return Refusal(
            "this journey is not waiting on a district record's fix; nothing to retry",
            code="fix.not_waiting",
        )

    def _fix_case(self) -> Case:
        try:
            return self.case()
        except NotImplementedError:  # a workflow of the program's own (a cohort's seats)
            return Case(employee_id="")

    # --- what each pathway says ----------------------------------------------------------

    def evolve(self, state: State, event: DomainEvent) -> State:
        folded: State = type(self).fold(state, event)
        return folded

    def stage(self) -> str | None:
        """The journey's stage for the `JourneyStage` search attribute (None: it has none)."""
        stage = getattr(self.state, "stage", None)
        return None if stage is None else str(stage.value)

    def is_open(self) -> bool:
        return bool(getattr(self.state, "is_open", True))

    def stops_asking(self) -> bool:
        """Whether a look-up waiting on a fix of a district record is no longer needed: the
        journey has ended (a pathway whose end its run records says when sooner)."""
        return not self.is_open()

    def case(self) -> Case:
        raise NotImplementedError

    def current_status(self) -> Status:
        raise NotImplementedError

    # --- the shared steps -----------------------------------------------------------------

    @staticmethod
    def stamp() -> dict[str, Any]:
        """A new event's id and time, from the workflow (deterministic on replay)."""
        return {"event_id": workflow.uuid4(), "occurred_at": workflow.now()}

    def record(
        self, events: Sequence[DomainEvent], actor: str = "system", cause: str | None = None
    ) -> None:
        """Fold and journal `events`, caused by the update being handled (or `cause`, the id
        of an update whose command is applied later, outside its handler)."""
        before = self.stage()
        for event in events:
            self.state = self.evolve(self.state, event)
        update = workflow.current_update_info()
        self.journal.add(events, actor, update.id if update else cause)
        after = self.stage()
        if after is not None and after != before:
            if self.stage_patch is None or workflow.patched(self.stage_patch):
                workflow.upsert_search_attributes([search.JOURNEY_STAGE.value_set(after)])
            workflow.logger.info(
                "journey stage changed", extra={"from_stage": before, "to_stage": after}
            )

    async def apply(self, decision: Decision, actor: str) -> Status:
        """Run a decision with the workflow's ids, record it, and flush before answering."""
        self.record(steps.decide(decision, self.refusal), actor)
        await self.journal.flush()
        return self.current_status()

    async def unless_ended(self, asking: Awaitable[T]) -> T | None:
        """`asking`'s answer (a district look-up), or None when the journey ended while it
        waited on a fix of the record asked for: the course goes on to the journey's end. Caught
        here, where `fixes` was made: the sandbox may hold `district` twice."""
        try:
            return await asking
        except district.EndedWhileWaiting:
            return None

    async def wait_for(self, condition: Callable[[], bool], until: datetime) -> bool:
        """Wait for `condition` (or the journey ending) until `until`; True if it held."""
        return await steps.wait_until(lambda: condition() or not self.is_open(), until)

    def notice_event(self, to: str, subject: str, key: str) -> DomainEvent:
        assert self.notice_kind is not None, "a journey that sends notices names its event"
        return self.notice_kind(**self.stamp(), recipient=to, subject=subject, idempotency_key=key)

    async def notify(
        self, to: str | None, address: str | None, topic: str, subject: str, body: str
    ) -> None:
        """E-mail a notice once and record it; nothing when there is nobody to send it to."""
        if not to or not address:
            return
        key = await district.send_notice(to, address, topic, subject, body)
        self.record([self.notice_event(to, subject, key)])

    async def pay(
        self,
        purpose: str,
        kind: PaymentKind,
        payee_id: str,
        amount_cents: int,
        memo: str,
        recorded_as: type[PaymentSent],
        fields: Mapping[str, Any] | None = None,
    ) -> None:
        """Request a payment under `<workflow>/<purpose>`; once payroll acknowledges it, record
        it as `recorded_as` with its amount, key and reference (and the pathway's `fields`)."""
        key = payment_key(workflow.info().workflow_id, purpose)
        receipt = await district.pay(key, kind, payee_id, amount_cents, memo)
        paid = recorded_as(
            **self.stamp(),
            **(fields or {}),
            amount_cents=amount_cents,
            idempotency_key=key,
            payroll_reference=receipt.payroll_reference,
        )
        self.record([paid])

    async def waiver_window(self, days: int, owed: Callable[[], int]) -> None:
        """Give a person `days` to waive what is owed (it ends early once nothing is)."""
        if owed() > 0:
            await steps.wait_until(lambda: owed() == 0, workflow.now() + timedelta(days=days))

    async def request_repayment(
        self,
        payee_id: str,
        amount_cents: int,
        memo: str,
        recorded_as: type[PaymentSent],
    ) -> None:
        """Send the repayment to payroll once; from here on a waiver comes too late."""
        self._paying = True
        await self.pay(
            "repayment", PaymentKind.REPAYMENT, payee_id, amount_cents, memo, recorded_as
        )

    def refuse_while_paying(self) -> None:
        if self._paying:
            raise self.refusal(
                "the repayment is already being sent to payroll; a refund is needed instead",
                code="waiver.payment_in_progress",
            )

    async def end(self, event: DomainEvent) -> None:
        self.record([event])
        await self.journal.flush()

    async def tell_career(self, employee_id: str | None) -> None:
        """Tell the employee's career that the journey ended and how (its stage), so the rules
        read it at once (`employee_id` None: a parent or student, who has no career). The
        `tell_career` activity signals it; a journey started before careers has none, and the
        career of one that could not be reached learns of the end when it next reads it."""
        if not employee_id or not workflow.patched(CAREER_HEARS_END):
            return
        ended = JourneyEnded(
            journey_id=workflow.info().workflow_id,
            employee_id=employee_id,
            outcome=self.stage() or "ended",
        )
        try:
            await workflow.execute_activity(
                "tell_career",
                ended,
                start_to_close_timeout=district.ACTIVITY_TIMEOUT,
                retry_policy=TELL_CAREER_RETRY,
            )
        except ActivityError as error:
            workflow.logger.info(
                "the career was not told the journey ended", extra={"detail": str(error.cause)}
            )


def action(
    name: str,
    command: type[Command],
    answers: type[Status],
    *,
    decide: Callable[[Any, Command, datetime, Ids], list[DomainEvent]],
    actor: Callable[[Command], str],
    may: Action | None = None,
    check: Callable[[Any, Command, datetime], None] | None = None,
) -> workflow.UpdateMethodMultiParam[[Any, Command], Status]:
    """An update declared once: `may` is the policy action its actor must be allowed (None when
    the decision itself says who may, as signing does), `check` an extra test made only before
    acceptance, and `decide` the domain decision both the validator and the handler run."""

    async def handler(self: JourneyWorkflow[Any, Status], cmd: Command) -> Status:
        return await self.apply(lambda ids: decide(self, cmd, workflow.now(), ids), actor(cmd))

    handler.__name__ = handler.__qualname__ = name
    # Temporal reads these to decode the argument and the answer.
    handler.__annotations__ = {"cmd": command, "return": answers}
    update = workflow.update(handler)

    def validate(self: JourneyWorkflow[Any, Status], cmd: Command) -> None:
        if may is not None:
            policy.authorize(may, actor(cmd), self.case())
        if check is not None:
            check(self, cmd, workflow.now())
        decide(self, cmd, workflow.now(), district.nil_id)

    validate.__annotations__ = {"cmd": command, "return": None}
    update.validator(steps.refuses(validate))
    return update


def waiver(
    command: type[Command],
    answers: type[Status],
    decide_waiver: Callable[[Any, Command, datetime, Ids], list[DomainEvent]],
) -> workflow.UpdateMethodMultiParam[[Any, Command], Status]:
    """The `waive` update: a program director waives what is owed, until it goes to payroll."""

    def decide(w: JourneyWorkflow[Any, Any], cmd: Any, now: datetime, ids: Ids) -> list[Any]:
        w.refuse_while_paying()
        return decide_waiver(w.state, cmd, now, ids)

    return action(
        "waive",
        command,
        answers,
        may=Action.WAIVE_REPAYMENT,
        actor=lambda cmd: getattr(cmd, "decided_by"),  # noqa: B009 - every waiver names it
        decide=decide,
    )


def coach_assignment(
    answers: type[Status],
    kind: type[coaching.CoachAssignment],
    refusal: type[Refusal],
) -> workflow.UpdateMethodMultiParam[[Any, coaching.AssignCoach], Status]:
    """The `assign_coach` update: the program office names the journey's coach (the state's
    `coach_id`, which the journey's `case()` gives the policy)."""
    return action(
        "assign_coach",
        coaching.AssignCoach,
        answers,
        may=Action.ASSIGN_COACH,
        actor=lambda cmd: getattr(cmd, "assigned_by"),  # noqa: B009 - every assignment names it
        decide=lambda w, cmd, now, ids: coaching.decide_assignment(
            w.state.coach_id, cmd, now, ids, kind, refusal, w.is_open(), w.case().employee_id
        ),
    )
