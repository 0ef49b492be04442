"""Scenario 6: what logging a failed activity costs the worker's event loop in an outage.

With PostgreSQL down every activity attempt fails, and the SDK logs each failure from the
event loop that also completes workflow tasks. The loop is held while a line renders, so the
time a failure's line takes is time no workflow task can finish. Ours: the worker's console
logging (`pathways.logs`: an expected failure is one line). Baseline: structlog's default
console renderer, a rich traceback with every frame's local variables, which the worker used
before; a 15 s outage with it held the loop past Temporal's 10 s workflow task timeout.
"""

from __future__ import annotations

import asyncio
import io
import logging
import sys
import time
from types import TracebackType

import asyncpg
import structlog

from bench.common import Figure, Options, Ratio, show
from pathways.logs import configure_logging

ExcInfo = tuple[type[BaseException], BaseException, TracebackType]


async def _refused() -> ExcInfo:
    """A real failure of an outage: asyncpg connecting to a port nobody listens on."""
    try:
        await asyncpg.connect("postgresql://pathways@127.0.0.1:1/pathways", timeout=5)
    except OSError:
        kind, error, trace = sys.exc_info()
        assert kind is not None and error is not None and trace is not None
        return kind, error, trace
    raise RuntimeError("something listens on port 1")


def _handler(rich_locals: bool) -> tuple[logging.Handler, io.StringIO]:
    configure_logging("console", "info")
    (handler,) = logging.getLogger().handlers
    buffer = io.StringIO()
    assert isinstance(handler, logging.StreamHandler)
    handler.setStream(buffer)
    if rich_locals:
        handler.setFormatter(
            structlog.stdlib.ProcessorFormatter(
                foreign_pre_chain=[structlog.stdlib.add_log_level],
                processors=[
                    structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                    structlog.dev.ConsoleRenderer(colors=False),
                ],
            )
        )
    return handler, buffer


async def _held_ms(failure: ExcInfo, count: int, rich_locals: bool) -> tuple[float, float]:
    """Milliseconds the loop is held per failure logged, and lines per failure."""
    _, buffer = _handler(rich_locals)
    log = logging.getLogger("temporalio.activity")
    began = time.perf_counter()
    for _ in range(count):
        log.warning("Completing activity as failed", exc_info=failure)
        await asyncio.sleep(0)
    held = (time.perf_counter() - began) * 1000 / count
    return held, buffer.getvalue().count("\n") / count


async def run(options: Options) -> None:
    failure = await _refused()
    count = options.size(100, smallest=5)
    ours = Figure("ours: one line per expected failure", "ms/failure")
    before = Figure("baseline: rich traceback with locals", "ms/failure")
    lines: dict[bool, float] = {}
    try:
        for _ in range(options.repeat):
            for rich_locals, figure in ((False, ours), (True, before)):
                held, lines[rich_locals] = await _held_ms(failure, count, rich_locals)
                figure.samples.append(held)
    finally:
        configure_logging("console", "error")
    show(
        f"6 · failed activity logs in an outage ({count} failures a repetition)",
        [ours, before],
        [Ratio("ours / baseline (lower is better)", ours, before)],
        [
            f"lines per failure: ours {lines[False]:.0f}, baseline {lines[True]:.0f}",
            "the loop that renders a line also completes workflow tasks (10 s timeout)",
        ],
    )
