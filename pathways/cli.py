"""Running an entry point: configuration, logging, and one clear line for known failures."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Callable, Coroutine
from typing import Any

from pathways.config import ConfigError, Settings, load_settings
from pathways.logs import configure_logging


def known_failures() -> tuple[type[BaseException], ...]:
    from activities.db import DatabaseUnavailable
    from domain.program import ProgramDefinitionError
    from domain.teacher_leader.journey import JourneyRefusal
    from pathways.temporal import TemporalUnavailable

    return (
        ConfigError,
        DatabaseUnavailable,
        TemporalUnavailable,
        ProgramDefinitionError,
        JourneyRefusal,
        FileNotFoundError,
    )


def fail(message: str, code: int = 2) -> None:
    print(f"error: {message}", file=sys.stderr)
    raise SystemExit(code)


def load_or_exit() -> Settings:
    try:
        settings = load_settings()
    except ConfigError as error:
        fail(f"configuration: {error}")
        raise  # unreachable
    configure_logging(settings.log_format.value, settings.log_level.value)
    return settings


def run_cli_main(entry: Callable[[Settings], Coroutine[Any, Any, None]]) -> None:
    settings = load_or_exit()
    try:
        asyncio.run(entry(settings))
        return
    except KeyboardInterrupt:
        message, code = "interrupted", 130
    except known_failures() as error:
        message, code = str(error), 2
    fail(message, code)
