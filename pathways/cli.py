"""Running an entry point: configuration, logging, and one clear line for known failures."""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import AsyncIterator, Callable, Coroutine
from contextlib import asynccontextmanager
from typing import Any

import typer
from pydantic import BaseModel, ValidationError
from rich.console import Console
from temporalio.client import Client, WorkflowUpdateFailedError
from temporalio.service import RPCError

from activities.systems import ExternalSystemError, Hris
from domain.pathway import Pathway, StartRefused
from pathways.config import ConfigError, Settings, load_settings
from pathways.logs import configure_logging

console = Console()


def known_failures() -> tuple[type[BaseException], ...]:
    from activities.db import DatabaseUnavailable
    from domain.aspiring_principals.journey import AspiringRefusal
    from domain.aspiring_principals.program import AspiringDefinitionError
    from domain.fellowship.journey import FellowshipRefusal
    from domain.fellowship.program import FellowshipDefinitionError
    from domain.program import ProgramDefinitionError
    from domain.teacher_leader.journey import JourneyRefusal
    from pathways.temporal import TemporalUnavailable

    return (
        ConfigError,
        DatabaseUnavailable,
        TemporalUnavailable,
        ProgramDefinitionError,
        FellowshipDefinitionError,
        AspiringDefinitionError,
        JourneyRefusal,
        FellowshipRefusal,
        AspiringRefusal,
        StartRefused,
        ExternalSystemError,
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


def run_command(work: Callable[[Settings], Coroutine[Any, Any, None]]) -> None:
    """Run one command's work, then leave the process at once.

    The Temporal client's native threads can outlive the event loop and crash the interpreter
    while it finalises (temporalio/sdk-python#300), so a command exits with `os._exit` once its
    output is flushed; everything it opened is closed by then.
    """
    settings = load_or_exit()
    if "LOG_LEVEL" not in os.environ:
        configure_logging(settings.log_format.value, "warning")  # the answer is the output
    code, message = 0, ""
    try:
        asyncio.run(work(settings))
    except WorkflowUpdateFailedError as error:
        cause = error.cause
        code, message = 1, f"refused: {getattr(cause, 'message', None) or cause or error}"
    except RPCError as error:
        code, message = 1, f"Temporal answered: {error.message}"
    except known_failures() as error:
        code, message = 2, str(error)
    except typer.Exit as done:
        code = done.exit_code
    if message:
        print(f"error: {message}", file=sys.stderr)
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


def build(model: type[BaseModel], **fields: Any) -> Any:
    try:
        return model(**fields)
    except ValidationError as error:
        from domain.definitions import problems

        fail(f"invalid input: {problems(error)}")


async def command_client(settings: Settings) -> Client:
    from pathways.temporal import connect

    return await connect(settings, forward_core_logs=False)


def send_update(journey: str, name: str, command: BaseModel, answer: type[BaseModel]) -> None:
    """Send one update to a journey and print its answer; a refusal is one line."""

    async def work(settings: Settings) -> None:
        client = await command_client(settings)
        handle = client.get_workflow_handle(journey)
        status = await handle.execute_update(name, command, result_type=answer)
        console.print_json(status.model_dump_json())

    run_command(work)


def show_status(workflow_id: str, answer: type[BaseModel]) -> None:
    """Ask a journey where it stands (its `status` query) and print the answer."""

    async def work(settings: Settings) -> None:
        client = await command_client(settings)
        status = await client.get_workflow_handle(workflow_id).query("status", result_type=answer)
        console.print_json(status.model_dump_json())

    run_command(work)


@asynccontextmanager
async def command_hris(settings: Settings) -> AsyncIterator[Hris]:
    """HR as the command line sees it: the HR system's API when `HRIS_URL` is set, otherwise
    the local HR tables."""
    if settings.hris_url:
        from activities.http_systems import HttpHris, open_http_client

        async with open_http_client(settings) as http:
            yield HttpHris(settings.hris_url, http)
        return
    from activities.db import open_database, resolve_database_url
    from activities.local_systems import LocalHris

    pool = await open_database(resolve_database_url(settings.database_url, settings.data_dir))
    try:
        yield LocalHris(pool)
    finally:
        await pool.close()


def start_command(pathway: Pathway[Any], inp: BaseModel) -> None:
    """Start one journey through the start path and say what happened; a refusal (an employee
    or school HR does not know, an ineligible title, a deadline passed) is one line."""

    async def work(settings: Settings) -> None:
        from activities.enrollment import start_journey

        client = await command_client(settings)
        async with command_hris(settings) as hris:
            started = await start_journey(client, hris, pathway, inp, settings.temporal_task_queue)
        console.print(
            f"{'started' if started.created else 'already exists'}: {started.workflow_id}"
        )

    run_command(work)
