"""One teacher leader's program year: application, joint commitment, PD, coaching,
deliverables, and the stipend and substitute reimbursement at year close.

The journey's state is the fold of its events; every action that can be refused is an update
whose validator runs the same domain rule, so a refused action never enters the history.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime, timedelta

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from domain import policy
    from domain.events import DomainEvent
    from domain.external import (
        PaymentKind,
    )
    from domain.money import dollars
    from domain.policy import Action, Case
    from domain.teacher_leader import journey as rules
    from domain.teacher_leader.events import (
        ApplicantIdentified,
        ApplicationLapsed,
        ApplicationSubmitted,
        CommitmentReminderSent,
        CommitmentRequested,
        JourneyEnded,
        NoticeSent,
        PaymentRequested,
        Signer,
        YearClosed,
    )
    from domain.teacher_leader.journey import Journey, JourneyRefusal, JourneyStatus, Stage
    from domain.teacher_leader.start import TeacherLeaderInput, journey_id
    from workflows import district, search, steps
    from workflows.journal import Journal
    from workflows.steps import Decision


# Patch ids: each names a change made to the released workflow (see the README).
OFFICE_NOTICE_ON_WITHHELD_STIPEND = "office-notice-on-withheld-stipend"


__all__ = ["TeacherLeaderInput", "TeacherLeaderJourney", "journey_id"]


@workflow.defn(name="TeacherLeaderJourney")
class TeacherLeaderJourney:
    @workflow.init
    def __init__(self, inp: TeacherLeaderInput) -> None:
        self.program = steps.dates_as_run(inp.program)
        self.application = inp.application
        self.journey = Journey()
        self.journal = Journal(workflow.info().workflow_id)
        app = inp.application
        # Recorded before any handler runs, so every validator sees who applied for what.
        self._record(
            [
                ApplicationSubmitted(
                    event_id=workflow.uuid4(),
                    occurred_at=workflow.now(),
                    employee_id=app.employee_id,
                    role=app.role,
                    cohort=app.cohort,
                    school_id=app.school_id,
                    program_year=inp.program.program_year,
                    submitted_by=app.submitted_by,
                )
            ],
            actor=app.submitted_by,
        )
        self._commitment_sent = False
        self._settled = False

    # --- the journey, top to bottom ------------------------------------------------------

    @workflow.run
    async def run(self, inp: TeacherLeaderInput) -> JourneyStatus:
        employee = await district.employee(self.application.employee_id)
        self._record(
            [
                ApplicantIdentified(
                    event_id=workflow.uuid4(),
                    occurred_at=workflow.now(),
                    full_name=employee.full_name,
                    email=employee.email,
                )
            ],
            actor="hris",
        )
        await self.journal.flush()

        decided = await self._wait_until(
            lambda: self.journey.stage not in (Stage.APPLIED, Stage.WAITLISTED),
            self.program.commitment_deadline,
        )
        if not decided:
            self._lapse("the program office made no decision before the commitment deadline")
        if self.journey.stage is Stage.COMMITMENT_PENDING:
            await self._joint_commitment()
        if self.journey.stage is Stage.ACTIVE:
            await self._program_year()
        await self._settle()
        await workflow.wait_condition(workflow.all_handlers_finished)
        return self._status()

    async def _joint_commitment(self) -> None:
        principal = await district.principal_of(self.application.school_id)
        if self.journey.stage is not Stage.COMMITMENT_PENDING:
            return  # withdrawn or separated while HR was asked
        deadline = self.program.commitment_deadline
        self._record(
            [
                CommitmentRequested(
                    event_id=workflow.uuid4(),
                    occurred_at=workflow.now(),
                    principal_id=principal.employee_id,
                    principal_name=principal.full_name,
                    principal_email=principal.email,
                    deadline=deadline,
                )
            ],
            actor="system",
        )
        ask = (
            f"Please sign the joint commitment for {self.journey.full_name} as "
            f"{self._role_title()} in {self.program.program_year} by {deadline.isoformat()}."
        )
        await self._notify(Signer.TEACHER, "commitment-requested", "Joint commitment", ask)
        await self._notify(Signer.PRINCIPAL, "commitment-requested", "Joint commitment", ask)
        await self.journal.flush()
        self._commitment_sent = True

        def signed_or_closed() -> bool:
            return self.journey.stage is not Stage.COMMITMENT_PENDING

        for days in sorted(self.program.commitment_reminders_days_before, reverse=True):
            remind_at = deadline - timedelta(days=days)
            if remind_at <= workflow.now():
                continue
            if await self._wait_until(signed_or_closed, remind_at):
                break
            awaiting = []
            for signer in self.journey.awaiting_signatures:
                if signer in self.journey.signed or signed_or_closed():
                    continue  # signed (or the journey ended) while the reminders went out
                await self._notify(
                    signer, f"commitment-reminder-{days}d", "Reminder: joint commitment", ask
                )
                awaiting.append(signer)
            if not awaiting:
                continue
            self._record(
                [
                    CommitmentReminderSent(
                        event_id=workflow.uuid4(),
                        occurred_at=workflow.now(),
                        days_before=days,
                        awaiting=awaiting,
                    )
                ],
                actor="system",
            )
            await self.journal.flush()
        if not await self._wait_until(signed_or_closed, deadline):
            missing = " and ".join(s.value for s in self.journey.awaiting_signatures)
            self._lapse(f"the joint commitment was not signed by the {missing} by {deadline}")

    async def _program_year(self) -> None:
        closes_at = self.program.year_closes_at
        if not await self._wait_until(lambda: self.journey.stage is not Stage.ACTIVE, closes_at):
            self._record(
                [
                    YearClosed(
                        event_id=workflow.uuid4(),
                        occurred_at=workflow.now(),
                        closed_by="system",
                        early=False,
                    )
                ],
                actor="system",
            )

    async def _settle(self) -> None:
        """Decide and pay what the journey earned, tell the people, and end."""
        j = self.journey
        was_active = len(j.signed) == len(Signer)
        if was_active and j.stage in (Stage.CLOSED, Stage.WITHDRAWN, Stage.SEPARATED):
            now = workflow.now()
            stipend = rules.decide_stipend(j, self.program, now, workflow.uuid4)
            reimbursement = rules.decide_reimbursement(j, self.program, now, workflow.uuid4)
            self._record([stipend, reimbursement], actor="system")
            await self.journal.flush()
            if stipend.paid:
                await self._pay(
                    PaymentKind.STIPEND,
                    j.employee_id,
                    stipend.amount_cents,
                    f"{self._role_title()} stipend {self.program.program_year}",
                )
            if reimbursement.amount_cents > 0:
                await self._pay(
                    PaymentKind.SUBSTITUTE_REIMBURSEMENT,
                    j.school_id,
                    reimbursement.amount_cents,
                    f"Substitute coverage for {j.full_name}, {reimbursement.substitute_days} "
                    f"day(s), {self.program.program_year}",
                )
            if stipend.paid:
                text = f"Your stipend of {dollars(stipend.amount_cents)} has been sent to payroll."
            else:
                text = "Your stipend was withheld:\n- " + "\n- ".join(stipend.reasons)
                # Added after release: journeys already past this point replay without it.
                if workflow.patched(OFFICE_NOTICE_ON_WITHHELD_STIPEND):
                    await self._notify_office(
                        "stipend-withheld",
                        f"Stipend withheld: {j.full_name}, {self._role_title()}",
                        f"{j.full_name} ({j.employee_id}, {j.school_id}): {text}",
                    )
            await self._notify(Signer.TEACHER, "stipend", "Teacher leader stipend", text)
            await self._notify(
                Signer.PRINCIPAL,
                "stipend",
                f"Teacher leader year closed: {j.full_name}",
                f"{j.full_name}: {text}\nSubstitute reimbursement to your school: "
                f"{dollars(reimbursement.amount_cents)}.",
            )
        else:
            text = {
                Stage.DECLINED: "Thank you for applying; you were not selected this year.",
                Stage.LAPSED: f"Your application lapsed: {j.end_reason}.",
                Stage.WITHDRAWN: f"Your application was withdrawn: {j.end_reason}.",
                Stage.SEPARATED: f"Your journey ended: {j.end_reason}.",
            }.get(j.stage, f"Your journey ended ({j.stage.value}).")
            await self._notify(Signer.TEACHER, "ended", "Teacher leader application", text)
        self._record(
            [
                JourneyEnded(
                    event_id=workflow.uuid4(), occurred_at=workflow.now(), outcome=j.stage.value
                )
            ],
            actor="system",
        )
        await self.journal.flush()
        self._settled = True

    # --- updates: every refusable action -----------------------------------------------------

    @workflow.update
    async def decide(self, cmd: rules.DecideApplication) -> JourneyStatus:
        """Answers once an acceptance has gone out to the principal for signature."""
        await self._apply(
            lambda ids: rules.decide_application(self.journey, cmd, workflow.now(), ids),
            cmd.decided_by,
        )
        await workflow.wait_condition(
            lambda: self.journey.stage is not Stage.COMMITMENT_PENDING or self._commitment_sent
        )
        return self._status()

    @decide.validator
    @steps.refuses
    def _validate_decide(self, cmd: rules.DecideApplication) -> None:
        policy.authorize(Action.DECIDE_APPLICATION, cmd.decided_by, self._case())
        rules.decide_application(self.journey, cmd, workflow.now(), district.nil_id)

    @workflow.update
    async def sign_commitment(self, cmd: rules.SignCommitment) -> JourneyStatus:
        return await self._apply(
            lambda ids: rules.decide_signature(self.journey, cmd, workflow.now(), ids),
            cmd.signer_id,
        )

    @sign_commitment.validator
    @steps.refuses
    def _validate_sign(self, cmd: rules.SignCommitment) -> None:
        rules.decide_signature(self.journey, cmd, workflow.now(), district.nil_id)

    @workflow.update
    async def record_attendance(self, cmd: rules.RecordAttendance) -> JourneyStatus:
        return await self._apply(
            lambda ids: rules.decide_attendance(
                self.journey, self.program, cmd, workflow.now(), ids
            ),
            cmd.recorded_by,
        )

    @record_attendance.validator
    @steps.refuses
    def _validate_attendance(self, cmd: rules.RecordAttendance) -> None:
        policy.authorize(Action.RECORD_ATTENDANCE, cmd.recorded_by, self._case())
        rules.decide_attendance(self.journey, self.program, cmd, workflow.now(), district.nil_id)

    @workflow.update
    async def record_make_up(self, cmd: rules.RecordMakeUp) -> JourneyStatus:
        return await self._apply(
            lambda ids: rules.decide_make_up(self.journey, self.program, cmd, workflow.now(), ids),
            cmd.recorded_by,
        )

    @record_make_up.validator
    @steps.refuses
    def _validate_make_up(self, cmd: rules.RecordMakeUp) -> None:
        policy.authorize(Action.RECORD_MAKE_UP, cmd.recorded_by, self._case())
        rules.decide_make_up(self.journey, self.program, cmd, workflow.now(), district.nil_id)

    @workflow.update
    async def record_coaching_step(self, cmd: rules.RecordCoachingStep) -> JourneyStatus:
        return await self._apply(
            lambda ids: rules.decide_coaching_step(
                self.journey, self.program, cmd, workflow.now(), ids
            ),
            cmd.recorded_by,
        )

    @record_coaching_step.validator
    @steps.refuses
    def _validate_coaching(self, cmd: rules.RecordCoachingStep) -> None:
        policy.authorize(Action.RECORD_COACHING, cmd.recorded_by, self._case())
        rules.decide_coaching_step(self.journey, self.program, cmd, workflow.now(), district.nil_id)

    @workflow.update
    async def submit_deliverable(self, cmd: rules.SubmitDeliverable) -> JourneyStatus:
        return await self._apply(
            lambda ids: rules.decide_submission(
                self.journey, self.program, cmd, workflow.now(), ids
            ),
            cmd.submitted_by,
        )

    @submit_deliverable.validator
    @steps.refuses
    def _validate_submission(self, cmd: rules.SubmitDeliverable) -> None:
        policy.authorize(Action.SUBMIT_DELIVERABLE, cmd.submitted_by, self._case())
        rules.decide_submission(self.journey, self.program, cmd, workflow.now(), district.nil_id)

    @workflow.update
    async def review_deliverable(self, cmd: rules.ReviewDeliverable) -> JourneyStatus:
        return await self._apply(
            lambda ids: rules.decide_review(self.journey, self.program, cmd, workflow.now(), ids),
            cmd.reviewed_by,
        )

    @review_deliverable.validator
    @steps.refuses
    def _validate_review(self, cmd: rules.ReviewDeliverable) -> None:
        policy.authorize(Action.REVIEW_DELIVERABLE, cmd.reviewed_by, self._case())
        rules.decide_review(self.journey, self.program, cmd, workflow.now(), district.nil_id)

    @workflow.update
    async def close_year(self, cmd: rules.CloseYear) -> JourneyStatus:
        """Close early; answers once the stipend and reimbursement are decided and sent."""
        if self.journey.year_closed:  # the year's own close got there first
            await workflow.wait_condition(lambda: self._settled)
            return self._status()
        await self._apply(
            lambda ids: rules.decide_close(self.journey, cmd, workflow.now(), ids, early=True),
            cmd.closed_by,
        )
        await workflow.wait_condition(lambda: self._settled)
        return self._status()

    @close_year.validator
    @steps.refuses
    def _validate_close(self, cmd: rules.CloseYear) -> None:
        policy.authorize(Action.CLOSE_YEAR, cmd.closed_by, self._case())
        rules.decide_close(self.journey, cmd, workflow.now(), district.nil_id, early=True)

    @workflow.update
    async def withdraw(self, cmd: rules.Withdraw) -> JourneyStatus:
        return await self._apply(
            lambda ids: rules.decide_withdrawal(self.journey, cmd, workflow.now(), ids),
            cmd.withdrawn_by,
        )

    @withdraw.validator
    @steps.refuses
    def _validate_withdraw(self, cmd: rules.Withdraw) -> None:
        policy.authorize(Action.WITHDRAW, cmd.withdrawn_by, self._case())
        rules.decide_withdrawal(self.journey, cmd, workflow.now(), district.nil_id)

    @workflow.update
    async def record_separation(self, cmd: rules.RecordSeparation) -> JourneyStatus:
        return await self._apply(
            lambda ids: rules.decide_separation(self.journey, cmd, workflow.now(), ids),
            cmd.recorded_by,
        )

    @record_separation.validator
    @steps.refuses
    def _validate_separation(self, cmd: rules.RecordSeparation) -> None:
        policy.authorize(Action.RECORD_SEPARATION, cmd.recorded_by, self._case())
        # Checked before acceptance only: no later moment makes the date more future, and a
        # separation accepted before this check existed replays through the handler unchanged.
        rules.check_separation_date(self.program, cmd, workflow.now())
        rules.decide_separation(self.journey, cmd, workflow.now(), district.nil_id)

    @workflow.query
    def status(self) -> JourneyStatus:
        return self._status()

    # --- plumbing --------------------------------------------------------------------------

    async def _apply(self, decision: Decision, actor: str) -> JourneyStatus:
        events = steps.decide(decision, JourneyRefusal)
        self._record(events, actor=actor)
        await self.journal.flush()
        return self._status()

    def _record(self, events: Sequence[DomainEvent], actor: str) -> None:
        before = self.journey.stage
        for event in events:
            self.journey = rules.evolve(self.journey, event)
        update = workflow.current_update_info()
        self.journal.add(events, actor, update.id if update else None)
        if self.journey.stage is not before:
            workflow.upsert_search_attributes(
                [search.JOURNEY_STAGE.value_set(self.journey.stage.value)]
            )
            workflow.logger.info(
                "journey stage changed",
                extra={"from_stage": before.value, "to_stage": self.journey.stage.value},
            )

    def _lapse(self, reason: str) -> None:
        if self.journey.is_open:
            self._record(
                [
                    ApplicationLapsed(
                        event_id=workflow.uuid4(), occurred_at=workflow.now(), reason=reason
                    )
                ],
                actor="system",
            )

    async def _wait_until(self, condition: Callable[[], bool], until: datetime) -> bool:
        """Wait for `condition` (or the journey ending) until `until`; True if it held."""
        return await steps.wait_until(lambda: condition() or not self.journey.is_open, until)

    async def _pay(self, kind: PaymentKind, payee_id: str, amount_cents: int, memo: str) -> None:
        key = f"{workflow.info().workflow_id}/{kind.value}"
        receipt = await district.pay(key, kind, payee_id, amount_cents, memo)
        self._record(
            [
                PaymentRequested(
                    event_id=workflow.uuid4(),
                    occurred_at=workflow.now(),
                    kind=kind.value,
                    payee_id=payee_id,
                    amount_cents=amount_cents,
                    idempotency_key=key,
                    payroll_reference=receipt.payroll_reference,
                )
            ],
            actor="system",
        )

    async def _notify(self, to: Signer, topic: str, subject: str, body: str) -> None:
        j = self.journey
        if to is Signer.TEACHER:
            await self._send_notice(j.employee_id, j.email, topic, subject, body)
        else:
            await self._send_notice(j.principal_id, j.principal_email, topic, subject, body)

    async def _notify_office(self, topic: str, subject: str, body: str) -> None:
        address = self.program.program_office_email
        await self._send_notice("program-office", address, topic, subject, body)

    async def _send_notice(
        self, recipient_id: str | None, address: str | None, topic: str, subject: str, body: str
    ) -> None:
        if not recipient_id or not address:
            return
        key = await district.send_notice(recipient_id, address, topic, subject, body)
        self._record(
            [
                NoticeSent(
                    event_id=workflow.uuid4(),
                    occurred_at=workflow.now(),
                    recipient_id=recipient_id,
                    subject=subject,
                    idempotency_key=key,
                )
            ],
            actor="system",
        )

    def _case(self) -> Case:
        return Case(self.journey.employee_id, self.journey.principal_id)

    def _status(self) -> JourneyStatus:
        return rules.status(self.journey, self.program)

    def _role_title(self) -> str:
        return self.application.role.label
