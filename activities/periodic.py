"""Work a process repeats every few seconds until it stops (the read model's projector, the
log's checkpoint signer, the history archive's sweep)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from typing import Any

import asyncpg

#: What a round that reaches the database may fail with and still be worth trying again.
DATABASE_FAILURES: tuple[type[BaseException], ...] = (
    OSError,
    asyncpg.PostgresError,
    asyncpg.InterfaceError,
)


async def every(
    seconds: float,
    stop: asyncio.Event,
    round: Callable[[], Awaitable[None]],
    *,
    log: Any,
    failed: str,
    failures: tuple[type[BaseException], ...] = DATABASE_FAILURES,
) -> None:
    """Run `round` now and then every `seconds` until `stop` is set. A round that fails with
    one of `failures` (PostgreSQL away, say) is one warning line, `failed` with the error, and
    the next round tries again; anything else is a bug and ends the loop with its traceback."""
    while not stop.is_set():
        try:
            await round()
        except failures as error:
            log.warning(failed, error=str(error) or type(error).__name__)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=seconds)
