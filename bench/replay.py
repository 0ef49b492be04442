"""Scenario 5: replaying 2,000 recorded histories, as an auditor checks a program year.

Ours: `pathways.audit.replay_many` in one spawned process per CPU (start-up included).
Baseline: one `Replayer` over the same histories, serially, in this process. The histories
are the golden histories of every workflow type, repeated (each copy under its own id) to
2,000: long teacher-leader years, fellowships, commitments and a cohort.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import time
from collections.abc import AsyncIterator
from itertools import cycle, islice
from pathlib import Path
from typing import Any

from google.protobuf import json_format
from temporalio.api.common.v1 import Payload
from temporalio.client import WorkflowHistory
from temporalio.worker import Replayer

from bench.common import Figure, Options, Ratio, console, show
from pathways.audit import replay_many
from pathways.payload_codec import EncryptionCodec, KeyRing
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


async def sealed(items: list[WorkflowHistory], ring: KeyRing) -> list[WorkflowHistory]:
    """The same histories as a district with a key ring records them: every payload
    encrypted (`pathways.payload_codec`)."""
    codec = EncryptionCodec(ring)

    async def walk(node: Any) -> Any:
        if isinstance(node, dict):
            if isinstance(node.get("metadata"), dict) and "encoding" in node["metadata"]:
                payload = json_format.ParseDict(node, Payload())
                [box] = await codec.encode([payload])
                return json_format.MessageToDict(box)
            # Search attributes, headers, memos and markers (the SDK core's patch markers)
            # do not pass through the codec.
            skip = ("searchAttributes", "header", "memo", "markerRecordedEventAttributes")
            return {k: v if k in skip else await walk(v) for k, v in node.items()}
        if isinstance(node, list):
            return [await walk(v) for v in node]
        return node

    return [
        WorkflowHistory.from_json(h.workflow_id, await walk(json.loads(h.to_json()))) for h in items
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
    encrypted = Figure("ours, payloads encrypted (the codec decrypts)", "histories/s")
    folder = Path(tempfile.mkdtemp(prefix="bench-keys-"))
    ring = KeyRing.create(folder / "keys.json")
    items_sealed = await sealed(items, ring)
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
        began = time.perf_counter()
        opened = await replay_many(items_sealed, processes=processes, keys=folder / "keys.json")
        encrypted.samples.append(count / (time.perf_counter() - began))
        bad = failures + sum(not v.deterministic for v in [*verdicts, *opened])
        console.print(
            f"  run {repetition + 1}: serial {baseline.samples[-1]:.0f}/s, "
            f"parallel {ours.samples[-1]:.0f}/s, encrypted {encrypted.samples[-1]:.0f}/s, "
            f"{bad} non-deterministic"
        )
    shutil.rmtree(folder, ignore_errors=True)
    show(
        "5. Audit replay",
        [ours, baseline, encrypted],
        [
            Ratio("ours / one serial Replayer", ours, baseline),
            Ratio("encrypted / ours", encrypted, ours),
        ],
        [
            f"{processes} CPUs; process start-up is inside the parallel figure;",
            "encrypted: the same histories with every payload sealed (AES-256-GCM), "
            "replayed with the key ring.",
        ],
    )
