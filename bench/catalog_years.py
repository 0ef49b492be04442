"""Scenario 9: history events and Temporal actions per journey-year of catalog programs.

Leaders go through Induction (three years, continued as new at each year), Evaluation
Certification (two failed attempts, the review training, certified, then held until it
expires: one run a year) and, as the baseline measured in the same run, the one-year Teacher
Leader Certificate, on the time-skipping server with a worker in the same process and a
throwaway PostgreSQL. Every run of every journey is fetched (following continue-as-new): a run
is a journey-year, so its history is what Temporal keeps for that year.

    python -m bench --scenario 9 --scale 0.5
"""

from __future__ import annotations

import time
import uuid
from datetime import time as clock_time
from datetime import timedelta
from typing import Any

from temporalio.client import Client, WorkflowHandle

from bench.cohort import billed
from bench.common import Figure, Options, Ratio, console, show
from domain.calendar import local_date, local_moment
from domain.catalog.definition import CATALOG, ProgramDefinition, load_program
from domain.catalog.start import PROGRAM, ProgramEnrollment, ProgramInput
from domain.external import Employee
from pathways.audit import fetch_runs
from pathways.config import load_settings
from pathways.demo import throwaway_database
from pathways.demo_catalog import TZ, Leader, evaluation, induction
from pathways.demo_catalog import certificate as certificate_script
from pathways.demo_cohort import advance_to
from pathways.temporal import time_skipping_server

PROGRAMS = {
    "teacher_leader_certificate": ("department_head", 1, certificate_script),
    "induction": ("principal", 3, induction),
    "evaluation_certification": ("assistant_principal", 1, evaluation),
}
BASELINE = "teacher_leader_certificate"


def for_year(d: ProgramDefinition, role: str, year: int, steps: list[Any]) -> list[Any]:
    """The script's commands for the parts a leader takes in that year."""
    offered = {p.id for p in d.parts_for(role, year)}
    return [
        (update, command)
        for update, command in steps
        if getattr(command, "part_id", None) in offered
        or getattr(command, "deliverable_id", None) in offered
    ]


def run_figures(history: Any) -> tuple[int, int]:
    """A run's history events and the actions Temporal Cloud would bill for it."""
    return len(history.events), sum(billed(history).values())


async def one_run(per_program: int) -> dict[str, dict[str, list[int]]]:
    from activities.enrollment import start_journey
    from activities.local_systems import LocalHris
    from worker import build_worker, open_services

    settings = load_settings()
    found: dict[str, dict[str, list[int]]] = {}
    async with (
        throwaway_database(settings) as dsn,
        time_skipping_server() as env,
        open_services(settings, dsn) as services,
    ):
        client: Client = env.client
        today = local_date(await env.get_current_time(), TZ)
        base = {k: load_program(CATALOG / f"{k}.toml") for k in PROGRAMS}
        first = {k: d.shifted((today - d.starts).days) for k, d in base.items()}
        hris = LocalHris(services.pool)
        task_queue = f"bench-{uuid.uuid4()}"
        handles: list[tuple[str, Leader, WorkflowHandle[Any, Any]]] = []
        async with build_worker(client, services, task_queue):
            for key, (role, _, _) in PROGRAMS.items():
                for n in range(per_program):
                    leader = Leader(f"b-{key[:4]}-{n}", f"Leader {n}", role, key)
                    await hris.upsert_employee(
                        Employee(
                            employee_id=leader.employee_id, full_name=leader.name,
                            email=f"{leader.employee_id}@district.example", role=role,
                            school_id="carver-ms",
                        )
                    )  # fmt: skip
                    enrollment = ProgramEnrollment(
                        employee_id=leader.employee_id, enrolled_by="office:ana"
                    )
                    inp = ProgramInput(program=first[key], enrollment=enrollment)
                    started = await start_journey(client, hris, PROGRAM, inp, task_queue)
                    handles.append((key, leader, client.get_workflow_handle(started.workflow_id)))
            years = max(y for _, y, _ in PROGRAMS.values())
            this_year = dict(first)
            for year in range(1, years + 1):
                late = min(d.ends for d in this_year.values()) - timedelta(days=3)
                await advance_to(env, local_moment(late, clock_time(18), TZ))
                for key, leader, handle in handles:
                    role, program_years, script = PROGRAMS[key]
                    if year > program_years:
                        continue
                    d = this_year[key]
                    for update, command in for_year(d, role, year, script(d, leader)):
                        await handle.execute_update(update, command)
                end = max(d.ends for d in this_year.values()) + timedelta(days=2)
                await advance_to(env, local_moment(end, clock_time(9), TZ))
                this_year = {k: d.next_year() for k, d in this_year.items()}
            # The certification is held until it expires, one run a year.
            award = first["evaluation_certification"].award
            assert award is not None and award.valid_years is not None
            expiry = today + timedelta(days=366 * (award.valid_years + 1))
            await advance_to(env, local_moment(expiry, clock_time(9), TZ))
            for key, _, handle in handles:
                runs = await fetch_runs(client, handle.id)
                figures = found.setdefault(key, {"events": [], "actions": [], "runs": []})
                figures["runs"].append(len(runs))
                for history in runs:
                    events, actions = run_figures(history)
                    figures["events"].append(events)
                    figures["actions"].append(actions)
    return found


async def run(options: Options) -> None:
    per_program = options.size(10, smallest=2)
    events = {k: Figure(f"{k}: history events per journey-year", "events") for k in PROGRAMS}
    actions = {k: Figure(f"{k}: actions per journey-year", "actions") for k in PROGRAMS}
    longest = {k: Figure(f"{k}: longest run", "events") for k in PROGRAMS}
    years = {k: Figure(f"{k}: runs per journey", "runs") for k in PROGRAMS}
    wall = Figure("wall time", "s")
    for rep in range(options.repeat):
        console.print(
            f"[dim]catalog years: repetition {rep + 1}/{options.repeat}, "
            f"{per_program} leaders a program[/dim]"
        )
        began = time.perf_counter()
        found = await one_run(per_program)
        wall.samples.append(time.perf_counter() - began)
        for key, figures in found.items():
            events[key].samples.append(sum(figures["events"]) / len(figures["events"]))
            actions[key].samples.append(sum(figures["actions"]) / len(figures["actions"]))
            longest[key].samples.append(max(figures["events"]))
            years[key].samples.append(sum(figures["runs"]) / len(figures["runs"]))
    measured = [k for k in PROGRAMS if k != BASELINE]
    show(
        f"9. Catalog journey-years: {per_program} leaders a program (time-skipping server)",
        [*events.values(), *actions.values(), *longest.values(), *years.values(), wall],
        ratios=[
            *[Ratio(f"{k} events / {BASELINE}", events[k], events[BASELINE]) for k in measured],
            *[Ratio(f"{k} actions / {BASELINE}", actions[k], actions[BASELINE]) for k in measured],
        ],
    )
