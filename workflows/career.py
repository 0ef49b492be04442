"""A person's career: one long-lived workflow per employee (`career/<employee_id>`).

HR's events reach it by update-with-start, so the first one creates it; the update's id is
HR's event id, and the career keeps every id it applied, so an event sent again (a retry, a
nightly file sent twice) applies once. Every journey started through the engine's start path
joins its employee's career first, so the career knows its journeys without asking
visibility. An applied event is told to each open journey in the journey's own terms (the
registry's `hears`), one at a time in the order applied; what each answered is recorded. The
career continues as new when Temporal suggests it, carrying its state, so its history stays
bounded over decades.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError, ApplicationError

with workflow.unsafe.imports_passed_through():
    from domain import registry
    from domain.calendar import local_date
    from domain.career.career import (
        CareerInput,
        CareerRefusal,
        CareerState,
        CareerTimeline,
        HrEventAnswer,
        HrEventKind,
        JoinJourney,
        JourneyEnded,
        SubmitHrEvent,
        Tell,
        TellJourney,
        TellOutcome,
        career_id,
        coded,
        decide_hr_event,
        decide_join,
        end_trigger,
        fold_into,
        hr_trigger,
        role_held,
        timeline_of,
        told_events,
    )
    from domain.career.events import CareerJourneyFinished
    from domain.career.nominations import (
        AnswerNomination,
        Nominate,
        decide_answer,
        decide_nominate,
        nomination_id,
        open_nomination,
    )
    from domain.career.rules import (
        PROGRAM_TARGET,
        Decision,
        Do,
        RuleBook,
        RuleStart,
        RuleStartOutcome,
        RuleTrigger,
        applied_event,
        decide_rule,
        notice_for,
    )
    from domain.events import DomainEvent
    from workflows import district, steps
    from workflows.district import ACTIVITY_TIMEOUT, EXTERNAL_RETRY, nil_id
    from workflows.engine import JourneyWorkflow

TELL_JOURNEY = "tell_journey"
#: Careers that began before enrollment rules replay without reading them.
RULES_PATCH = "enrollment-rules"
TELL_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=1),
    backoff_coefficient=2.0,
    maximum_interval=timedelta(minutes=2),
    maximum_attempts=20,  # about half an hour; then the tell is recorded as failed
)


@workflow.defn(name="Career")
class CareerWorkflow(JourneyWorkflow[CareerState, CareerTimeline]):
    """Records through the engine's `record` (fold, journal, causing update); a career has no
    stage and is never closed."""

    fold = staticmethod(fold_into)

    @workflow.init
    def __init__(self, inp: CareerInput) -> None:
        fresh = CareerState(employee_id=inp.employee_id, time_zone=inp.time_zone)
        self.begin(inp.carried or fresh, inp.stream_version)
        self.pending: list[Tell] = list(inp.pending)
        self.rules_due: list[RuleTrigger] = list(inp.rules_due)

    @workflow.run
    async def run(self, inp: CareerInput) -> None:
        while True:
            await workflow.wait_condition(
                lambda: (
                    bool(self.pending or self.rules_due)
                    or workflow.info().is_continue_as_new_suggested()
                )
            )
            while self.pending or self.rules_due:
                if self.pending:
                    await self._tell(self.pending[0])
                    self.pending.pop(0)
                else:
                    await self._read_rules(self.rules_due[0])
                    self.rules_due.pop(0)
            if workflow.info().is_continue_as_new_suggested():
                # Nothing accepted may be left behind: every handler has finished, every tell
                # is told and every event stored (a handler may have run during the flush).
                await self.journal.flush()
                await workflow.wait_condition(workflow.all_handlers_finished)
                if self.pending or self.rules_due or self.journal.pending:
                    continue
                workflow.continue_as_new(
                    CareerInput(
                        employee_id=inp.employee_id,
                        time_zone=inp.time_zone,
                        carried=self.state,
                        stream_version=self.journal.version,
                        pending=list(self.pending),
                        rules_due=list(self.rules_due),
                    )
                )

    # --- HR ---------------------------------------------------------------------------------

    @workflow.update(name="hr_event")
    async def hr_event(self, submitted: SubmitHrEvent) -> HrEventAnswer:
        event = submitted.event
        if event.school_id is not None and event.kind in (
            HrEventKind.SCHOOL_TRANSFER, HrEventKind.HIRE, HrEventKind.RETURN
        ):  # fmt: skip
            await self._school_listed(event.school_id)
        decided = self._decide(
            lambda stamp: decide_hr_event(self.state, event, submitted.source, stamp)
        )
        answer = HrEventAnswer(
            career_id=career_id(self.state.employee_id), hr_event_id=event.event_id,
            applied=bool(decided),
        )  # fmt: skip
        if not decided:
            return answer
        # The journeys to tell are those open when the event applies, queued before any await,
        # so a journey joining meanwhile is told once (by its join) and none is missed.
        news = event.news()
        told = self.state.open_journeys() if news is not None else []
        was = role_held(self.state)
        self.record(decided, submitted.source)
        trigger = hr_trigger(was, self.state, event)
        if trigger is not None and workflow.patched(RULES_PATCH):
            self.rules_due.append(trigger)
        if news is not None:
            self.pending += [
                Tell(journey_id=j, hr_event_id=event.event_id, news=news) for j in told
            ]
        await self.journal.flush()
        return answer.model_copy(update={"journeys_told": told})

    @hr_event.validator
    @steps.refuses
    def _check_hr_event(self, submitted: SubmitHrEvent) -> None:
        decide_hr_event(self.state, submitted.event, submitted.source, self._probe())

    # --- journeys ---------------------------------------------------------------------------

    @workflow.signal(name="join")
    async def join(self, joining: JoinJourney) -> None:
        decided = decide_join(
            self.state, joining.journey_id, joining.pathway, joining.started_by, self.stamp()
        )
        if not decided:
            return
        self.record(decided, joining.started_by)
        # A journey that joins after a separation or during a leave still hears it.
        for news in self.state.last_news.values():
            self.pending.append(
                Tell(journey_id=joining.journey_id, hr_event_id=f"joined:{news.change}", news=news)
            )
        await self.journal.flush()

    @workflow.signal(name="journey_ended")
    async def journey_ended(self, ended: JourneyEnded) -> None:
        """A journey the career follows ended: recorded, and read against the rules."""
        entry = self.state.journeys.get(ended.journey_id)
        if entry is None or not entry.open:
            return
        trigger = end_trigger(self.state, ended, self._today())
        assert trigger is not None  # the career follows the journey
        self.record(
            [
                CareerJourneyFinished(
                    **self.stamp(), journey_id=ended.journey_id, outcome=ended.outcome
                )
            ]
        )
        self.rules_due.append(trigger)
        await self.journal.flush()

    # --- nominations ------------------------------------------------------------------------

    @workflow.update(name="nominate")
    async def nominate(self, cmd: Nominate) -> CareerTimeline:
        """Record the nomination and invite the nominee (once: the same nominator's open
        nomination for the target answers as it stands)."""
        if open_nomination(self.state, cmd.nominated_by, cmd.target) is None:
            employee = await district.employee(self.state.employee_id)
            nid = nomination_id(self.state, cmd.nominated_by, cmd.target)
            key = await district.send_notice(
                self.state.employee_id, employee.email, f"nomination/{nid}",
                f"You are nominated for {cmd.target}",
                f"{cmd.nominated_by} nominated you for {cmd.target}: {cmd.reason}\n\nAccept or "
                f"decline the nomination {nid} with the program office.",
            )  # fmt: skip
            self.record(
                self._decide(lambda stamp: decide_nominate(self.state, cmd, key, stamp)),
                cmd.nominated_by,
            )
            await self.journal.flush()
        return self.timeline()

    @nominate.validator
    @steps.refuses
    def _check_nominate(self, cmd: Nominate) -> None:
        decide_nominate(self.state, cmd, "", self._probe())

    @workflow.update(name="answer_nomination")
    async def answer_nomination(self, cmd: AnswerNomination) -> CareerTimeline:
        return await self.apply(lambda _ids: decide_answer(self.state, cmd, self.stamp()), cmd.by)

    @answer_nomination.validator
    @steps.refuses
    def _check_answer(self, cmd: AnswerNomination) -> None:
        decide_answer(self.state, cmd, self._probe())

    def current_status(self) -> CareerTimeline:
        return self.timeline()

    @workflow.query(name="timeline")
    def timeline(self) -> CareerTimeline:
        busy = bool(self.pending or self.rules_due) or self.journal.busy
        return timeline_of(self.state).model_copy(
            update={"telling": len(self.pending), "settling": busy}
        )

    # --- inside -----------------------------------------------------------------------------

    async def _tell(self, tell: Tell) -> None:
        outcome = TellOutcome(outcome="not_told")
        try:
            pathway = registry.by_journey_id(tell.journey_id)
        except registry.UnknownJourney:
            pathway = None
        update = pathway.hears(tell.news) if pathway is not None else None
        if update is not None:
            name, command = update
            outcome = await self._ask(tell, name, command)
        self.record(told_events(self.state, tell, outcome, self.stamp), "system")
        await self.journal.flush()

    async def _ask(self, tell: Tell, name: str, command: Any) -> TellOutcome:
        """The journey's answer; a journey Temporal kept failing to reach is recorded as
        failed (with the error), so one journey cannot hold the career's queue for good."""
        try:
            outcome: TellOutcome = await workflow.execute_activity(
                TELL_JOURNEY,
                TellJourney(
                    journey_id=tell.journey_id,
                    hr_event_id=tell.hr_event_id,
                    update=name,
                    argument=command.model_dump(mode="json"),
                ),
                result_type=TellOutcome,
                start_to_close_timeout=timedelta(minutes=2),
                retry_policy=TELL_RETRY,
            )
        except ActivityError as error:
            return TellOutcome(
                outcome="failed", detail=_gave_up("a journey could not be told", error)
            )
        return outcome

    async def _read_rules(self, trigger: RuleTrigger) -> None:
        """Read the district's enrollment rules against `trigger`, recording each rule's
        outcome before the next is read (so two rules on one target act once)."""
        book: RuleBook = await workflow.execute_activity(
            "enrollment_rules",
            start_to_close_timeout=ACTIVITY_TIMEOUT,
            retry_policy=EXTERNAL_RETRY,
            result_type=RuleBook,
        )
        for rule in book.rules.rules:
            decision = decide_rule(self.state, rule, trigger)
            if decision is None:
                continue
            self.record([await self._act(decision, book)], f"rule:{rule.id}")
            await self.journal.flush()

    async def _act(self, decision: Decision, book: RuleBook) -> DomainEvent:
        if decision.skip:
            return applied_event(decision, "skipped", decision.skip, self.stamp())
        rule, employee = decision.rule, self.state.employee_id
        try:
            if rule.action is Do.START:
                started: RuleStartOutcome = await workflow.execute_activity(
                    "start_by_rule",
                    RuleStart(
                        employee_id=employee,
                        program_key=rule.target.removeprefix(PROGRAM_TARGET),
                        on=decision.trigger.on,
                        year_in_program=decision.year_in_program,
                        rule_id=rule.id,
                    ),
                    start_to_close_timeout=timedelta(minutes=2),
                    retry_policy=EXTERNAL_RETRY,
                    result_type=RuleStartOutcome,
                )
                detail = coded(started.detail, started.code)
                return applied_event(
                    decision, started.outcome, detail, self.stamp(), started.journey_id
                )
            subject, body = notice_for(decision, employee, book)
            await district.send_notice(
                "program_office", book.rules.program_office_email,
                f"rule/{rule.id}/{decision.trigger.key}", subject, body,
            )  # fmt: skip
        except ActivityError as error:
            detail = _gave_up("an enrollment rule could not act", error)
            return applied_event(decision, "failed", detail, self.stamp())
        return applied_event(
            decision, "offered" if rule.action is Do.OFFER else "due", "", self.stamp()
        )

    def _today(self) -> date:
        return local_date(workflow.now(), self.state.time_zone)

    async def _school_listed(self, school_id: str) -> None:
        try:
            await workflow.execute_activity(
                "hris_school",
                school_id,
                start_to_close_timeout=ACTIVITY_TIMEOUT,
                retry_policy=EXTERNAL_RETRY,
            )
        except ActivityError as error:
            cause = error.cause
            if isinstance(cause, ApplicationError) and cause.type == "SchoolNotFound":
                raise steps.refused(
                    CareerRefusal(
                        f"{cause.message} The HR event was not applied.", code="hr.unknown_school"
                    )
                ) from error
            raise

    def _decide(self, decision: Callable[[dict[str, Any]], list[DomainEvent]]) -> list[DomainEvent]:
        """Run a career decision with the workflow's stamp; a refusal (the career moved on
        since the validator) fails the update with its code."""
        return steps.decide(lambda _ids: decision(self.stamp()), self.refusal)

    @staticmethod
    def _probe() -> dict[str, Any]:
        """A stamp for the validator, which must not draw on the workflow's random stream."""
        return {"event_id": nil_id(), "occurred_at": workflow.now()}


def _gave_up(what: str, error: ActivityError) -> str:
    """The words of an activity Temporal stopped retrying, logged once as an expected failure."""
    cause = error.cause
    detail = getattr(cause, "message", None) or str(cause or error)
    workflow.logger.warning(what, extra={"detail": detail})
    return detail
