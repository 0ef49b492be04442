"""One teacher leader's program year: application, joint commitment, PD, coaching,
deliverables, and the stipend and substitute reimbursement at year close.

The journey's state is the fold of its events; every action that can be refused is an update
whose validator runs the same domain rule, so a refused action never enters the history.
"""

from __future__ import annotations

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from domain import policy
    from domain.calendar import local_date
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
        CoachAssigned,
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
    from workflows import district, steps
    from workflows.engine import (
        JourneyWorkflow,
        action,
        coach_assignment,
        least_data_outward,
        named_outward,
    )


# Patch ids: each names a change made to the released workflow (see the README).
OFFICE_NOTICE_ON_WITHHELD_STIPEND = "office-notice-on-withheld-stipend"


__all__ = ["TeacherLeaderInput", "TeacherLeaderJourney", "journey_id"]


@workflow.defn(name="TeacherLeaderJourney")
class TeacherLeaderJourney(JourneyWorkflow[Journey, JourneyStatus]):
    refusal = JourneyRefusal
    fold = staticmethod(rules.fold_into)  # the workflow owns its state: folded in place

    @workflow.init
    def __init__(self, inp: TeacherLeaderInput) -> None:
        self.program = steps.dates_as_run(inp.program)
        self.application = inp.application
        self.begin(Journey())
        app = inp.application
        # Recorded before any handler runs, so every validator sees who applied for what.
        self.record(
            [
                ApplicationSubmitted(
                    **self.stamp(),
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
        employee = await self.unless_ended(district.employee(self.application.employee_id))
        if employee is not None:  # None: withdrawn while HR's record of the applicant was fixed
            self.record(
                [
                    ApplicantIdentified(
                        **self.stamp(),
                        full_name=employee.full_name,
                        email=employee.email,
                    )
                ],
                actor="hris",
            )
            await self.journal.flush()

        decided = await self.wait_for(
            lambda: self.state.stage not in (Stage.APPLIED, Stage.WAITLISTED),
            self.program.commitment_deadline,
        )
        if not decided:
            self._lapse("the program office made no decision before the commitment deadline")
        if self.state.stage is Stage.COMMITMENT_PENDING:
            await self._joint_commitment()
        if self.state.stage is Stage.ACTIVE:
            await self._program_year()
        await self._settle()
        await workflow.wait_condition(workflow.all_handlers_finished)
        await self.tell_career(self.application.employee_id)
        return self.current_status()

    async def _joint_commitment(self) -> None:
        principal = await self.unless_ended(district.principal_of(self.application.school_id))
        if principal is None or self.state.stage is not Stage.COMMITMENT_PENDING:
            return  # withdrawn or separated while HR was asked, or while its record waited
        deadline = self.program.commitment_deadline
        self.record(
            [
                CommitmentRequested(
                    **self.stamp(),
                    principal_id=principal.employee_id,
                    principal_name=principal.full_name,
                    principal_email=principal.email,
                    deadline=deadline,
                )
            ],
            actor="system",
        )
        ask = (
            f"Please sign the joint commitment for {self.state.full_name} as "
            f"{self._role_title()} in {self.program.program_year} by {deadline.isoformat()}."
        )
        await self._notify(Signer.TEACHER, "commitment-requested", "Joint commitment", ask)
        await self._notify(Signer.PRINCIPAL, "commitment-requested", "Joint commitment", ask)
        await self.journal.flush()
        self._commitment_sent = True

        def signed_or_closed() -> bool:
            return self.state.stage is not Stage.COMMITMENT_PENDING

        for days, remind_at in rules.commitment_reminders(self.program):
            if remind_at <= workflow.now():
                continue
            if await self.wait_for(signed_or_closed, remind_at):
                break
            awaiting = []
            for signer in self.state.awaiting_signatures:
                if signer in self.state.signed or signed_or_closed():
                    continue  # signed (or the journey ended) while the reminders went out
                await self._notify(
                    signer, f"commitment-reminder-{days}d", "Reminder: joint commitment", ask
                )
                awaiting.append(signer)
            if not awaiting:
                continue
            self.record(
                [
                    CommitmentReminderSent(
                        **self.stamp(),
                        days_before=days,
                        awaiting=awaiting,
                    )
                ],
                actor="system",
            )
            await self.journal.flush()
        if not await self.wait_for(signed_or_closed, deadline):
            missing = " and ".join(s.value for s in self.state.awaiting_signatures)
            self._lapse(f"the joint commitment was not signed by the {missing} by {deadline}")

    async def _program_year(self) -> None:
        closes_at = self.program.year_closes_at
        if not await self.wait_for(lambda: self.state.stage is not Stage.ACTIVE, closes_at):
            self.record(
                [
                    YearClosed(
                        **self.stamp(),
                        closed_by="system",
                        early=False,
                    )
                ],
                actor="system",
            )

    async def _settle(self) -> None:
        """Decide and pay what the journey earned, tell the people, and end."""
        j = self.state
        lean = least_data_outward()
        who = named_outward(j.employee_id, j.full_name)  # in memos and the office's inbox
        was_active = len(j.signed) == len(Signer)
        if was_active and j.stage in (Stage.CLOSED, Stage.WITHDRAWN, Stage.SEPARATED):
            now = workflow.now()
            stipend = rules.decide_stipend(j, self.program, now, workflow.uuid4)
            reimbursement = rules.decide_reimbursement(j, self.program, now, workflow.uuid4)
            self.record([stipend, reimbursement], actor="system")
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
                    f"Substitute coverage for {who}, {reimbursement.substitute_days} "
                    f"day(s), {self.program.program_year}",
                )
            if stipend.paid:
                text = f"Your stipend of {dollars(stipend.amount_cents)} has been sent to payroll."
            else:
                text = "Your stipend was withheld:\n- " + "\n- ".join(stipend.reasons)
                # Added after release: journeys already past this point replay without it.
                if workflow.patched(OFFICE_NOTICE_ON_WITHHELD_STIPEND):
                    await self.notify(
                        "program-office",
                        self.program.program_office_email,
                        "stipend-withheld",
                        f"Stipend withheld: {who}, {self._role_title()}",
                        f"{j.employee_id} ({j.school_id}): {text}"
                        if lean
                        else f"{j.full_name} ({j.employee_id}, {j.school_id}): {text}",
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
                Stage.WITHDRAWN: "Your application was withdrawn."
                if lean
                else f"Your application was withdrawn: {j.end_reason}.",
                Stage.SEPARATED: "Your journey ended: HR lists you as separated from the district."
                if lean
                else f"Your journey ended: {j.end_reason}.",
            }.get(j.stage, f"Your journey ended ({j.stage.value}).")
            await self._notify(Signer.TEACHER, "ended", "Teacher leader application", text)
        self.record(
            [JourneyEnded(**self.stamp(), outcome=j.stage.value)],
            actor="system",
        )
        await self.journal.flush()
        self._settled = True

    # --- updates: every refusable action -----------------------------------------------------

    @workflow.update
    async def decide(self, cmd: rules.DecideApplication) -> JourneyStatus:
        """Answers once an acceptance has gone out to the principal for signature, or waits on
        HR's record of the principal (`waiting_on`)."""
        await self.apply(
            lambda ids: rules.decide_application(self.state, cmd, workflow.now(), ids),
            cmd.decided_by,
        )
        await workflow.wait_condition(
            lambda: (
                self.state.stage is not Stage.COMMITMENT_PENDING
                or self._commitment_sent
                or self.fixes.waiting is not None
            )
        )
        return self.current_status()

    @decide.validator
    @steps.refuses
    def _validate_decide(self, cmd: rules.DecideApplication) -> None:
        policy.authorize(Action.DECIDE_APPLICATION, cmd.decided_by, self.case())
        rules.decide_application(self.state, cmd, workflow.now(), district.nil_id)

    sign_commitment = action(
        "sign_commitment",
        rules.SignCommitment,
        JourneyStatus,
        actor=lambda cmd: cmd.signer_id,  # the decision knows who may sign: the two signers
        decide=lambda w, cmd, now, ids: rules.decide_signature(w.state, cmd, now, ids),
    )
    record_attendance = action(
        "record_attendance",
        rules.RecordAttendance,
        JourneyStatus,
        may=Action.RECORD_ATTENDANCE,
        actor=lambda cmd: cmd.recorded_by,
        decide=lambda w, cmd, now, ids: rules.decide_attendance(w.state, w.program, cmd, now, ids),
    )
    record_make_up = action(
        "record_make_up",
        rules.RecordMakeUp,
        JourneyStatus,
        may=Action.RECORD_MAKE_UP,
        actor=lambda cmd: cmd.recorded_by,
        decide=lambda w, cmd, now, ids: rules.decide_make_up(w.state, w.program, cmd, now, ids),
    )
    record_coaching_step = action(
        "record_coaching_step",
        rules.RecordCoachingStep,
        JourneyStatus,
        may=Action.RECORD_COACHING,
        actor=lambda cmd: cmd.recorded_by,
        decide=lambda w, cmd, now, ids: rules.decide_coaching_step(
            w.state, w.program, cmd, now, ids
        ),
    )
    submit_deliverable = action(
        "submit_deliverable",
        rules.SubmitDeliverable,
        JourneyStatus,
        may=Action.SUBMIT_DELIVERABLE,
        actor=lambda cmd: cmd.submitted_by,
        decide=lambda w, cmd, now, ids: rules.decide_submission(w.state, w.program, cmd, now, ids),
    )
    review_deliverable = action(
        "review_deliverable",
        rules.ReviewDeliverable,
        JourneyStatus,
        may=Action.REVIEW_DELIVERABLE,
        actor=lambda cmd: cmd.reviewed_by,
        decide=lambda w, cmd, now, ids: rules.decide_review(w.state, w.program, cmd, now, ids),
    )
    withdraw = action(
        "withdraw",
        rules.Withdraw,
        JourneyStatus,
        may=Action.WITHDRAW,
        actor=lambda cmd: cmd.withdrawn_by,
        decide=lambda w, cmd, now, ids: rules.decide_withdrawal(w.state, cmd, now, ids),
    )
    assign_coach = coach_assignment(JourneyStatus, CoachAssigned, JourneyRefusal)
    record_separation = action(
        "record_separation",
        rules.RecordSeparation,
        JourneyStatus,
        may=Action.RECORD_SEPARATION,
        actor=lambda cmd: cmd.recorded_by,
        # Checked before acceptance only: no later moment makes the date more future, and a
        # separation accepted before this check existed replays through the handler unchanged.
        check=lambda w, cmd, now: rules.check_separation_date(w.program, cmd, now),
        decide=lambda w, cmd, now, ids: rules.decide_separation(w.state, cmd, now, ids),
    )

    @workflow.update
    async def close_year(self, cmd: rules.CloseYear) -> JourneyStatus:
        """Close early; answers once the stipend and reimbursement are decided and sent."""
        if not self.state.year_closed:  # else the year's own close got there first
            await self.apply(
                lambda ids: rules.decide_close(self.state, cmd, workflow.now(), ids, early=True),
                cmd.closed_by,
            )
        await workflow.wait_condition(lambda: self._settled)
        return self.current_status()

    @close_year.validator
    @steps.refuses
    def _validate_close(self, cmd: rules.CloseYear) -> None:
        policy.authorize(Action.CLOSE_YEAR, cmd.closed_by, self.case())
        rules.decide_close(self.state, cmd, workflow.now(), district.nil_id, early=True)

    @workflow.query
    def status(self) -> JourneyStatus:
        return self.current_status()

    # --- what the engine asks -------------------------------------------------------------------

    def case(self) -> Case:
        return Case(self.state.employee_id, self.state.principal_id, self.state.coach_id)

    def current_status(self) -> JourneyStatus:
        today = local_date(workflow.now(), self.program.time_zone)
        return rules.status(self.state, self.program, today)

    def notice_event(self, to: str, subject: str, key: str) -> DomainEvent:
        return NoticeSent(**self.stamp(), recipient_id=to, subject=subject, idempotency_key=key)

    def _lapse(self, reason: str) -> None:
        if self.state.is_open:
            self.record([ApplicationLapsed(**self.stamp(), reason=reason)])

    async def _pay(self, kind: PaymentKind, payee_id: str, amount_cents: int, memo: str) -> None:
        await self.pay(
            kind.value,
            kind,
            payee_id,
            amount_cents,
            memo,
            PaymentRequested,
            {"kind": kind.value, "payee_id": payee_id},
        )

    async def _notify(self, to: Signer, topic: str, subject: str, body: str) -> None:
        j = self.state
        if to is Signer.TEACHER:
            await self.notify(j.employee_id, j.email, topic, subject, body)
        else:
            await self.notify(j.principal_id, j.principal_email, topic, subject, body)

    def _role_title(self) -> str:
        return self.application.role.label
