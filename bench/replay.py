"""Scenario 5: replaying 2,000 recorded histories, as an auditor checks a program year.

Ours: `pathways.audit.replay_many` in one spawned process per CPU (start-up included).
Baseline: one `Replayer` over the same histories, serially, in this process. The histories
are the golden histories of every workflow type, repeated (each copy under its own id) to
2,000: long teacher-leader years, fellowships, commitments and a cohort.
"""

from __future__ import annotations

import os
import time
from collections.abc import AsyncIterator
from itertools import cycle, islice
from pathlib import Path

from temporalio.client import WorkflowHistory
from temporalio.worker import Replayer

from bench.common import Figure, Options, Ratio, console, show
from pathways.audit import replay_many
from pathways.temporal import DATA_CONVERTER, runtime
from workflows.registry import WORKFLOWS

GOLDEN = Path(__file__).resolve().parent.parent / "tests" / "histories"
FULL = 2_000


def histories(count: int) -> list[WorkflowHistory]:
    texts = [(p.stem, p.read_text()) for p in sorted(GOLDEN.glob("*.json"))]
    return [
        WorkflowHistory.from_json(f"{name}/{n}", text)
        for n, (name, text) in enumerate(islice(cycle(texts), count))
    ]


async def serial(items: list[WorkflowHistory]) -> int:
    replayer = Replayer(workflows=list(WORKFLOWS), data_converter=DATA_CONVERTER, runtime=runtime())
    failures = 0

    async def source() -> AsyncIterator[WorkflowHistory]:
        for item in items:
            yield item

    async with replayer.workflow_replay_iterator(source()) as results:
        async for result in results:
            failures += result.replay_failure is not None
    return failures


async def run(options: Options) -> None:
    count = options.size(FULL, smallest=20)
    items = histories(count)
    events = sum(len(h.events) for h in items)
    processes = os.cpu_count() or 1
    ours = Figure(f"ours: replay_many, {processes} processes", "histories/s")
    baseline = Figure("baseline: one Replayer, serial", "histories/s")
    console.print(
        f"[bold]5. Audit replay[/bold]: {count:,} histories, {events:,} history events "
        f"({events / count:.0f} per history)"
    )
    for repetition in range(options.repeat):
        began = time.perf_counter()
        failures = await serial(items)
        baseline.samples.append(count / (time.perf_counter() - began))
        began = time.perf_counter()
        verdicts = await replay_many(items, processes=processes)
        ours.samples.append(count / (time.perf_counter() - began))
        bad = failures + sum(not v.deterministic for v in verdicts)
        console.print(
            f"  run {repetition + 1}: serial {baseline.samples[-1]:.0f}/s, "
            f"parallel {ours.samples[-1]:.0f}/s, {bad} non-deterministic"
        )
    show(
        "5. Audit replay",
        [ours, baseline],
        [Ratio("ours / one serial Replayer", ours, baseline)],
        [f"{processes} CPUs; process start-up is inside the parallel figure"],
    )
