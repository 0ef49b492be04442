"""The demo's fellowship cohort: service commitments over six years, with a realistic mix.

Fellows graduate together with $40,000 of assistance each and a four-year commitment repaid pro
rata. One serves it out, one leaves halfway, one defers for full-time study, one spends a year
at a non-qualifying school, and two leave early and are granted waivers.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

import asyncpg
from rich.console import Console
from rich.table import Table
from temporalio.client import Client, WorkflowExecutionStatus, WorkflowHandle
from temporalio.testing import WorkflowEnvironment

from activities.enrollment import start_journey
from activities.local_systems import LocalHris
from domain.calendar import local_date
from domain.external import Employee
from domain.money import dollars
from domain.service_commitment.journey import CommitmentStatus, HrChange, HrEvent, Waive
from domain.service_commitment.rules import Crediting, RepaymentForm, ServiceRules, add_months
from domain.service_commitment.start import SERVICE_COMMITMENT, ServiceCommitmentInput
from workflows.service_commitment import ServiceCommitment

ASSISTANCE_CENTS = 4_000_000
PROGRAM = "plf-demo"
RULES = ServiceRules(
    obligation_years=4,
    qualifying_roles=[
        "teacher",
        "counselor",
        "coordinator",
        "coach",
        "assistant_principal",
        "principal",
    ],
    qualifying_schools=["grape-street-es", "carver-ms", "jordan-hs", "markham-ms"],
    completion_window_years=6,
    crediting=Crediting.PRO_RATA_MONTHS,
    repayment=RepaymentForm.PRO_RATA,
)

Handle = WorkflowHandle[ServiceCommitment, CommitmentStatus]


@dataclass
class Step:
    months: int  # after graduation
    change: HrChange
    school_id: str | None = None
    reason: str | None = None
    waive: str | None = None
    waive_cents: int | None = None


@dataclass
class Fellow:
    employee_id: str
    name: str
    story: str
    steps: list[Step] = field(default_factory=list)
    handle: Handle | None = None
    final: CommitmentStatus | None = None


def fellows() -> list[Fellow]:
    return [
        Fellow("f-3001", "Tarik Smith", "serves four years"),
        Fellow("f-3002", "Lucia Moreno", "leaves after 2 years 6 months",
               [Step(30, HrChange.SEPARATION, reason="moved out of state")]),
        Fellow("f-3003", "Daniel Kim", "a year of full-time study, then leaves after 3 years",
               [Step(12, HrChange.LEAVE_START, reason="full_time_study"),
                Step(24, HrChange.LEAVE_END),
                Step(48, HrChange.SEPARATION, reason="took a district office role elsewhere")]),
        Fellow("f-3004", "Amara Okafor", "a year at a non-qualifying school, then serves out",
               [Step(6, HrChange.SCHOOL_TRANSFER, school_id="westside-charter"),
                Step(18, HrChange.SCHOOL_TRANSFER, school_id="jordan-hs")]),
        Fellow("f-3005", "Grace Chen", "leaves after a year; waiver for medical hardship",
               [Step(12, HrChange.SEPARATION, reason="serious illness",
                     waive="medical hardship, approved by the board")]),
        Fellow("f-3006", "Hugo Reyes", "leaves after 10 months; half waived",
               [Step(10, HrChange.SEPARATION, reason="family relocation",
                     waive="relocation for a spouse's military posting",
                     waive_cents=1_666_667)]),
    ]  # fmt: skip


async def run_fellowship(
    env: WorkflowEnvironment, client: Client, pool: asyncpg.Pool, task_queue: str, console: Console
) -> None:
    cohort = fellows()
    hris = LocalHris(pool)
    for fellow in cohort:
        await hris.upsert_employee(
            Employee(
                employee_id=fellow.employee_id,
                full_name=fellow.name,
                email=f"{fellow.employee_id}@district.example",
                role="assistant_principal",
                school_id="carver-ms",
            )
        )
    graduated = local_date(await env.get_current_time(), RULES.time_zone)
    for fellow in cohort:
        inp = ServiceCommitmentInput(
            program=PROGRAM,
            fellow_id=fellow.employee_id,
            graduated_on=graduated,
            assistance_cents=ASSISTANCE_CENTS,
            rules=RULES,
            program_office_email="plf@district.example",
        )
        started = await start_journey(client, hris, SERVICE_COMMITMENT, inp, task_queue)
        fellow.handle = client.get_workflow_handle_for(ServiceCommitment.run, started.workflow_id)
    console.print(
        f"[bold]Fellowship service commitments[/bold]: {len(cohort)} fellows graduated "
        f"{graduated}, $40,000.00 each, four years to serve, repaid pro rata"
    )
    timeline = sorted(((s.months, f, s) for f in cohort for s in f.steps), key=lambda x: x[0])
    for months, fellow, step in timeline:
        await _advance(env, add_months(graduated, months))
        assert fellow.handle is not None
        await fellow.handle.execute_update(
            ServiceCommitment.hr_event,
            HrEvent(
                change=step.change,
                effective_on=add_months(graduated, months),
                school_id=step.school_id,
                reason=step.reason,
            ),
        )
        if step.waive:
            # The repayment is determined right after the breach; poll rather than wait on a
            # result, which would let the time-skipping clock run ahead.
            while (await fellow.handle.query(ServiceCommitment.status)).repayment is None:  # noqa: ASYNC110
                await asyncio.sleep(0.05)
            await fellow.handle.execute_update(
                ServiceCommitment.waive,
                Waive(decided_by="director:plf", reason=step.waive, amount_cents=step.waive_cents),
            )
    await _advance(env, add_months(graduated, 12 * RULES.completion_window_years) + timedelta(40))
    for fellow in cohort:
        assert fellow.handle is not None
        while (await fellow.handle.describe()).status == WorkflowExecutionStatus.RUNNING:  # noqa: ASYNC110
            await asyncio.sleep(0.05)
        fellow.final = await fellow.handle.query(ServiceCommitment.status)
    console.print(_table(cohort))


async def _advance(env: WorkflowEnvironment, day: date) -> None:
    moment = datetime(day.year, day.month, day.day, 20, tzinfo=UTC)
    now = await env.get_current_time()
    if moment > now:
        await env.sleep(moment - now)


def _table(cohort: list[Fellow]) -> Table:
    table = Table(title="What each fellow owes, and why")
    for column in ("fellow", "story", "served", "outcome", "owed", "why"):
        table.add_column(column)
    for fellow in cohort:
        final = fellow.final
        assert final is not None
        repayment = final.repayment
        why = repayment.explanation if repayment else "obligation served in full"
        if final.waivers:
            why += "; waived: " + "; ".join(final.waivers)
        table.add_row(
            fellow.name,
            fellow.story,
            f"{final.served_months} months",
            final.standing.value,
            dollars(final.owed_cents),
            why,
        )
    return table
