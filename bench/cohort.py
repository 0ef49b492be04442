"""Scenario 4: a cohort of teacher leaders through a whole program year on the time-skipping
server, with the demo's mix of outcomes, a worker in the same process and a throwaway
PostgreSQL. Each repetition runs in a child process, so its peak memory is its own.

    python -m bench.cohort 1000     # one run, prints its figures as JSON (used by run())
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import sys
import time
import uuid
from collections import Counter
from typing import Any

from rich.console import Console
from temporalio.api.enums.v1 import EventType
from temporalio.client import WorkflowHistory

from bench.common import Figure, Options, console, peak_rss_mib, show
from pathways.config import load_settings
from pathways.demo import (
    Demo,
    Member,
    cohort_members,
    demo_program,
    seed_district,
    throwaway_database,
)
from pathways.temporal import time_skipping_server

FULL_COHORT = 1000
# 1,000 journeys take about 9 minutes on the 2-core machine of bench/README.md (100 take 54 s),
# so the default is the largest size that runs in a few minutes; --cohort 1000 runs the issue's.
DEFAULT_COHORT = 300

# History events that Temporal Cloud bills as one action each (docs: "Temporal Cloud Actions").
BILLED = {
    EventType.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED: "workflow start",
    EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED: "activity",
    EventType.EVENT_TYPE_TIMER_STARTED: "timer",
    EventType.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES: "search attribute upsert",
    EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED: "update",
    EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED: "signal",
    EventType.EVENT_TYPE_MARKER_RECORDED: "marker",
    EventType.EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_INITIATED: "child workflow (2)",
}


def billed(history: WorkflowHistory) -> Counter[str]:
    """The actions Temporal Cloud would bill for one run's history, by kind."""
    kinds: Counter[str] = Counter()
    for event in history.events:
        label = BILLED.get(EventType.ValueType(event.event_type))
        if label == "activity":
            scheduled = event.activity_task_scheduled_event_attributes
            label = f"activity {scheduled.activity_type.name}"
        if label is not None:
            kinds[label] += 2 if label.startswith("child") else 1
        if event.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_STARTED:
            retries = event.activity_task_started_event_attributes.attempt - 1
            kinds["activity retry"] += max(0, retries)
    return kinds


def members(count: int, rng: random.Random) -> list[Member]:
    """The demo's mix of outcomes, in the same proportions, for `count` teacher leaders."""
    return cohort_members(rng, count)


async def one_run(count: int) -> dict[str, Any]:
    from worker import build_worker, open_services

    settings = load_settings()
    async with (
        throwaway_database(settings) as dsn,
        time_skipping_server() as env,
        open_services(settings, dsn) as services,
    ):
        cohort = members(count, random.Random(2027))
        await seed_district(services.pool, cohort)
        program = demo_program(await env.get_current_time())
        demo = Demo(env, services.external.hris, program, cohort)
        demo.console = Console(quiet=True)
        task_queue = f"bench-{uuid.uuid4()}"
        began = time.perf_counter()
        async with build_worker(env.client, services, task_queue):
            await demo.run(task_queue)
        wall = time.perf_counter() - began
        rss = peak_rss_mib()
        unfinished = sum(1 for m in cohort if m.final is None)
        events: list[int] = []
        kinds: Counter[str] = Counter()
        for m in cohort:
            assert m.handle is not None
            history = await m.handle.fetch_history()
            events.append(len(history.events))
            kinds += billed(history)
    # Queries are billed too but leave no history: the demo asks one per principal signature
    # and one per journey when it collects the result.
    signing = sum(1 for m in cohort if m.scenario.principal_signs and m.final is not None)
    kinds["query (by the office, not in history)"] = signing + count
    return {
        "count": count,
        "wall": wall,
        "rss_mib": rss,
        "unfinished": unfinished,
        "history_events": sum(events) / count,
        "history_max": max(events),
        "actions": {k: v / count for k, v in kinds.items()},
    }


async def run(options: Options) -> None:
    count = options.cohort or options.size(DEFAULT_COHORT, smallest=32)
    wall = Figure("wall time, start to year close", "s")
    rate = Figure("journeys through the year", "journeys/s")
    rss = Figure("peak RSS of the worker process (worker + driver)", "MiB")
    history = Figure("history events per journey", "events")
    actions = Figure("Temporal actions per journey (estimate)", "actions")
    last: dict[str, Any] = {}
    for rep in range(options.repeat):
        console.print(f"[dim]cohort: repetition {rep + 1}/{options.repeat}, {count} journeys[/dim]")
        child = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bench.cohort", str(count),
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
            env={**os.environ, "LOG_LEVEL": os.environ.get("LOG_LEVEL", "error")},
        )  # fmt: skip
        out, err = await child.communicate()
        if child.returncode != 0:
            console.print(err.decode(errors="replace")[-2000:])
            raise RuntimeError("the cohort run failed")
        stdout = out.decode()
        last = json.loads(stdout.strip().splitlines()[-1])
        wall.samples.append(last["wall"])
        rate.samples.append(count / last["wall"])
        rss.samples.append(last["rss_mib"])
        history.samples.append(last["history_events"])
        actions.samples.append(sum(last["actions"].values()))
    breakdown = ", ".join(f"{k} {v:.1f}" for k, v in sorted(last["actions"].items()))
    show(
        f"4. Cohort simulation: {count:,} teacher leaders through a program year "
        "(time-skipping server)",
        [wall, rate, rss, history, actions],
        notes=[
            f"actions per journey, by kind: {breakdown};",
            f"longest history: {last['history_max']} events; journeys not finished: "
            f"{last['unfinished']}.",
        ],
    )


if __name__ == "__main__":
    from pathways.logs import configure_logging

    configure_logging("console", os.environ.get("LOG_LEVEL", "error"))
    result = asyncio.run(one_run(int(sys.argv[1])))
    print(json.dumps(result))
