"""Running an entry point: configuration, logging, and one clear line for known failures.

The command line has one error boundary, `one_line`: a bad definition file or bad input, a
journey id that is unknown or of another kind, a refusal from any pathway, or an action on a
journey that has ended is one line on stderr (`error: ...`) and a non-zero exit, never a
traceback. Exit 1 is a refusal (the journey said no, or has ended); exit 2 is input or
configuration to fix.
"""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Annotated, Any

import typer
from pydantic import BaseModel, ValidationError
from rich.console import Console
from temporalio.client import (
    Client,
    WorkflowExecutionDescription,
    WorkflowExecutionStatus,
    WorkflowHandle,
    WorkflowUpdateFailedError,
)
from temporalio.service import RPCError, RPCStatusCode

from activities.systems import ExternalSystemError, Hris
from domain.access import Read
from domain.attendance import AttendanceStatus, RecordSessionAttendance
from domain.calendar import local_date
from domain.hr import HrChange
from domain.money import cents_from_dollars
from domain.pathway import Pathway
from domain.refusals import Refusal
from domain.registry import PATHWAYS, by_workflow_type
from pathways.config import ConfigError, Settings, load_settings
from pathways.logs import configure_logging
from pathways.show import emit

if TYPE_CHECKING:
    import asyncpg

    from activities.eventstore import EventStore

console = Console()


class NoSuchJourney(Exception):
    """A journey id the command cannot drive: unknown, or a journey of another kind."""


class JourneyEnded(Exception):
    """An action sent to a journey that has ended; the message says how it ended."""


def known_failures() -> tuple[type[BaseException], ...]:
    from activities.db import DatabaseUnavailable
    from activities.person_keys import PersonKeyError
    from domain.oneroster import OneRosterError
    from domain.refusals import DefinitionError
    from pathways.deploy import DeploymentRefused
    from pathways.payload_codec import PayloadKeyError
    from pathways.temporal import NamespaceNotReady, TemporalUnavailable

    return (
        ConfigError,
        DatabaseUnavailable,
        TemporalUnavailable,
        NamespaceNotReady,
        DefinitionError,
        Refusal,
        NoSuchJourney,
        DeploymentRefused,
        ExternalSystemError,
        FileNotFoundError,
        OneRosterError,
        PayloadKeyError,
        PersonKeyError,
    )


def one_line(error: BaseException) -> tuple[int, str] | None:
    """The exit code and the one line for a failure a person can act on; None for anything
    else (a bug, which keeps its traceback)."""
    from domain.definitions import problems
    from pathways.refusals import refusal_of

    refusal = refusal_of(error)
    if refusal is not None:
        return 1, f"refused: {refusal} [{refusal.code}]"
    if isinstance(error, JourneyEnded):
        return 1, str(error)
    if isinstance(error, WorkflowUpdateFailedError):
        cause = error.cause
        return 1, f"refused: {getattr(cause, 'message', None) or cause or error}"
    if isinstance(error, RPCError):
        return 1, f"Temporal answered: {error.message}"
    if isinstance(error, ValidationError):
        return 2, f"invalid input: {problems(error)}"
    if isinstance(error, known_failures()):
        return 2, str(error)
    return None


def run_app(app: typer.Typer) -> None:
    """Run the command line; a failure a person can act on is one line and an exit code."""
    try:
        app()
    except Exception as error:
        answer = one_line(error)
        if answer is None:
            raise
        fail(answer[1], answer[0])


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
    except typer.Exit as done:
        code = done.exit_code
    except Exception as error:
        answer = one_line(error)
        if answer is None:
            raise
        code, message = answer
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


def operator_identity(settings: Settings) -> str:
    """Who runs this command, as Temporal records the sender of every start and update it
    makes (beside the actor the journey records): `PATHWAYS_OPERATOR`, or the account and host."""
    import getpass
    import socket

    return f"pathways-cli {settings.operator or getpass.getuser()}@{socket.gethostname()}"


async def record_reading(
    settings: Settings, what: Read, subject: str, employee_id: str | None = None
) -> bool:
    """Record in the access log that this command's operator reads `subject`; True when the
    person's personal data is erased (what is shown of them must then be masked)."""
    from activities.access_log import AccessLog
    from activities.person_keys import is_erased
    from domain.access import Door

    pool = await command_database(settings)
    try:
        await AccessLog(pool).record(
            operator_identity(settings), Door.CLI, what, subject, employee_id
        )
        return await is_erased(pool, employee_id)
    finally:
        await pool.close()


def command_store(settings: Settings, pool: asyncpg.Pool) -> EventStore:
    """The event log as the command reads and writes it, with the district's person keys."""
    from activities.eventstore import EventStore as Store
    from pathways.payload_codec import person_keys

    return Store(pool, person_keys(settings.payload_keys))


async def command_client(settings: Settings) -> Client:
    from pathways.temporal import connect

    return await connect(settings, forward_core_logs=False, identity=operator_identity(settings))


#: How long a command waits for a journey that is still starting (looking its person up in HR)
#: before it gives the refusal: the refusal's code asks the caller to send again shortly.
STARTING_PATIENCE_SECONDS = 15.0


async def execute_patiently(handle: WorkflowHandle[Any, Any], update: Any, sent: BaseModel) -> Any:
    """Send the update; while the journey answers `journey.starting`, send it again, backing
    off, for up to `STARTING_PATIENCE_SECONDS` (a command typed right after the start)."""
    from pathways.refusals import refusal_of

    loop = asyncio.get_running_loop()
    deadline, delay = loop.time() + STARTING_PATIENCE_SECONDS, 0.2
    while True:
        try:
            return await handle.execute_update(update, sent)
        except WorkflowUpdateFailedError as error:
            refusal = refusal_of(error)
            if refusal is None or refusal.code != "journey.starting":
                raise
            if loop.time() + delay > deadline:
                raise
        await asyncio.sleep(delay)
        delay = min(delay * 2, 2.0)


def send_update(
    journey: str,
    update: Any,
    command: BaseModel,
    answer: type[BaseModel],
    *,
    actor: str | None = None,
    check: Callable[[Settings], Awaitable[None]] | None = None,
    as_json: bool = False,
) -> None:
    """Send one update (a workflow's update method, e.g. `TeacherLeaderJourney.decide`) to a
    journey and print its answer. `actor` names the command's field that says who acts: HR (or
    the configuration) must vouch for them before anything is sent; `check` is what else must
    hold first (a school HR lists, say). A refusal is one line."""

    async def work(settings: Settings) -> None:
        from activities.updates import run_closed

        client = await command_client(settings)
        handle, described = await find_journey(client, journey, answer)
        if described.status is not WorkflowExecutionStatus.RUNNING:
            raise await journey_ended(client, handle, described, answer)
        if check is not None:
            await check(settings)
        sent = command
        if actor is not None:
            sent = await resolved(settings, command, actor)
        try:
            status = await execute_patiently(handle, update, sent)
        except (RPCError, WorkflowUpdateFailedError) as error:
            if not run_closed(error):  # it closed between the look and the update
                raise
            raise await journey_ended(client, handle, await handle.describe(), answer) from None
        emit(console, journey, status, as_json=as_json, after=True)
        if not as_json:
            await say_waiting(handle)

    run_command(work)


async def resolved(settings: Settings, command: BaseModel, field: str) -> BaseModel:
    """The command with its actor as HR (or the configuration) knows them."""
    from activities.actors import resolve

    async with command_hris(settings) as hris:
        who = await resolve(hris, getattr(command, field), settings.non_hr_actors)
    return command.model_copy(update={field: who})


def show_status(workflow_id: str, answer: type[BaseModel], *, as_json: bool = False) -> None:
    """Ask a journey where it stands (its `status` query) and print the answer."""

    async def work(settings: Settings) -> None:
        client = await command_client(settings)
        handle, described = await find_journey(client, workflow_id, answer)
        pathway = by_workflow_type(described.workflow_type)
        assert pathway is not None  # find_journey checked the kind
        query = workflow_class(pathway).status
        status = await handle.query(query)
        from domain.pathway import person_named
        from domain.privacy import erased_status

        whose = person_named(dict(status))
        if await record_reading(settings, Read.JOURNEY, workflow_id, whose):
            status = erased_status(status)
        emit(console, workflow_id, status, as_json=as_json)
        if not as_json:
            await say_waiting(handle)

    run_command(work)


async def say_waiting(handle: WorkflowHandle[Any, Any]) -> None:
    """One line when the journey waits on a district record's fix (`waiting_on`)."""
    from pathways.journeys import waiting_on

    fix = await waiting_on(handle)
    if fix is None:
        return
    console.print(
        f"[yellow]waiting on a fix[/yellow] since {fix.since:%Y-%m-%d %H:%M} UTC: {fix.problem} "
        f"It asks again by itself at {fix.next_try_at:%H:%M} UTC, or at once with "
        f"`pathways ops retry {handle.id} --by <you>`.",
        highlight=False,
        soft_wrap=True,
    )


def attendance_command(
    group: typer.Typer,
    names: Sequence[str],
    *,
    update: Any,
    command: type[RecordSessionAttendance],
    answer: type[BaseModel],
    what: str,
    session_option: str = "--session",
) -> Callable[..., None]:
    """Add a pathway's attendance command to its group: the same options in every pathway, as
    the rule is the same (`domain/attendance.py`: once a session; a different status later is a
    correction with its reason). The first name is shown, the others are hidden aliases."""

    def attend(
        journey: str,
        session: str = typer.Option(..., session_option, help=f"the id of {what}"),
        status: AttendanceStatus = typer.Option(...),
        by: str = typer.Option(..., "--by", help="who is doing this, e.g. office:ana or ana"),
        correction_reason: str | None = typer.Option(
            None,
            "--correction-reason",
            help="why a mark already recorded is changed (a correction)",
        ),
        as_json: bool = typer.Option(False, "--json", help="the answer as JSON (amounts in cents)"),
    ) -> None:
        sent = build(
            command, session_id=session, status=status, recorded_by=by,
            correction_reason=correction_reason,
        )  # fmt: skip
        send_update(journey, update, sent, answer, actor="recorded_by", as_json=as_json)

    attend.__doc__ = f"Record attendance at {what} (again, with a reason, to correct it)."
    for position, name in enumerate(names):
        group.command(name, hidden=position > 0)(attend)
    return attend


def dollars_option(name: str, text: str | None) -> int | None:
    """Cents from a dollar amount a person typed (`--amount 2500.00`); None when left out."""
    if text is None:
        return None
    try:
        return cents_from_dollars(text)
    except ValueError as error:
        fail(f"{name}: {error}")
        raise  # unreachable


def hr_change_holds(
    change: HrChange, school_id: str | None
) -> Callable[[Settings], Awaitable[None]]:
    """A check for `send_update`: the HR change may be heard (`domain.hr.check_hr_change`: a
    school it names is one HR lists), or it is refused and nothing is sent."""

    async def check(settings: Settings) -> None:
        from activities.enrollment import check_hr_news
        from domain.hr import school_named

        if school_named(change, school_id) is None:
            return  # nothing to ask HR
        async with command_hris(settings) as hris:
            await check_hr_news(hris, change, school_id)

    return check


async def command_database(settings: Settings) -> asyncpg.Pool:
    """The database a command reads: `DATABASE_URL`, or the embedded one `make up` runs."""
    from activities.db import open_database, resolve_database_url

    url = resolve_database_url(settings.database_url, settings.data_dir)
    return await open_database(url, connect_timeout=settings.database_connect_timeout)


@asynccontextmanager
async def command_hris(settings: Settings) -> AsyncIterator[Hris]:
    """HR as the command line sees it, chosen as the worker chooses it
    (`activities.external.choose_hris`): the HR system's API when `HRIS_URL` is set, otherwise
    the local HR tables."""
    from activities.external import open_hris

    async with open_hris(settings.systems, lambda: command_database(settings)) as hris:
        yield hris


async def logged_journeys(
    settings: Settings, prefix: str, keep: Callable[[str], bool] = lambda _: True
) -> dict[str, list[Any]]:
    """The domain events of every journey in the event log whose id starts with `prefix` (and
    that `keep` keeps), by journey id in id order: what a `list` command folds with the
    pathway's own fold."""

    pool = await command_database(settings)
    try:
        store = command_store(settings, pool)
        return {
            stream: [e.to_domain() for e in await store.read_stream(stream)]
            for stream in sorted(await store.stream_ids(prefix))
            if keep(stream)
        }
    finally:
        await pool.close()


def start_command(pathway: Pathway[Any], inp: BaseModel) -> None:
    """Start one journey through the start path and say what happened; a refusal (an employee
    or school HR does not know, an ineligible title, a deadline passed) is one line. What the
    input alone refuses (the registry's `check_input`) is refused before contacting anything."""
    if pathway.check_input is not None:
        try:
            pathway.check_input(inp, datetime.now(UTC))
        except Refusal as refusal:
            code, line = one_line(refusal) or (1, str(refusal))
            fail(line, code)

    async def work(settings: Settings) -> None:
        from activities.enrollment import start_journey

        client = await command_client(settings)
        async with command_hris(settings) as hris:
            started = await start_journey(client, hris, pathway, inp, settings.temporal_task_queue)
        console.print(
            f"{'started' if started.created else 'already exists'}: {started.workflow_id}"
        )

    run_command(work)


def _kind(workflow_type: str) -> tuple[str, str]:
    """How a person names a kind of journey, and the command that shows one."""
    if workflow_type == "FellowshipCohort":
        return "a fellowship cohort", "pathways fellowship roster"
    if workflow_type == "ProgramSeats":
        return "a program's seats", "pathways program seats"
    pathway = by_workflow_type(workflow_type)
    if pathway is None:
        return workflow_type, ""
    return pathway.noun, f"pathways {pathway.command_group} status"


def workflow_class(pathway: Pathway[Any]) -> Any:
    from workflows.registry import JOURNEYS

    return JOURNEYS[pathway.key]


async def find_journey(
    client: Client, journey: str, answer: type[BaseModel]
) -> tuple[WorkflowHandle[Any, Any], WorkflowExecutionDescription]:
    """The journey's handle and description, once it is known to exist and to be the kind of
    journey the command drives (an update of the same name on another kind would be taken as
    that kind's command)."""
    handle = client.get_workflow_handle(journey, result_type=answer)
    try:
        described = await handle.describe()
    except RPCError as error:
        if error.status is RPCStatusCode.NOT_FOUND:
            raise NoSuchJourney(f"there is no journey {journey}") from None
        raise
    wanted = pathway_of(answer)
    if described.workflow_type != wanted.workflow_type:
        kind, command = _kind(described.workflow_type)
        raise NoSuchJourney(
            f"{journey} is {kind}, not {wanted.noun}" + (f"; see `{command}`" if command else "")
        )
    return handle, described


async def journey_ended(
    client: Client,
    handle: WorkflowHandle[Any, Any],
    described: WorkflowExecutionDescription,
    answer: type[BaseModel],
) -> JourneyEnded:
    """How a closed journey ended, in words from its final state; the day it closed is the
    day it was in the program's time zone."""
    on = "an earlier day"
    if described.close_time is not None:
        zone = await journey_time_zone(client, handle, pathway_of(answer))
        on = local_date(described.close_time, zone).isoformat()
    if described.status is WorkflowExecutionStatus.COMPLETED:
        how = final_words(await handle.result(), on)
    else:
        status = described.status.name.lower().replace("_", " ") if described.status else "closed"
        how = f"the journey was {status} on {on}"
    return JourneyEnded(f"{handle.id}: {how}; nothing more can be recorded")


def pathway_of(answer: type[BaseModel]) -> Pathway[Any]:
    """The pathway whose journeys answer with `answer`."""
    return next(p for p in PATHWAYS.values() if p.status_type is answer)


async def journey_definition(
    client: Client, handle: WorkflowHandle[Any, Any], pathway: Pathway[Any]
) -> BaseModel | None:
    """The definition the journey's current run started with (its first event: the program
    year, fellowship or catalog program it runs on); None when the history has no input."""
    async for event in handle.fetch_history_events(page_size=1):
        payloads = event.workflow_execution_started_event_attributes.input.payloads
        if not payloads:
            break
        [inp] = await client.data_converter.decode(payloads, [pathway.input_type])
        return pathway.definition_of(inp)
    return None


async def journey_time_zone(
    client: Client, handle: WorkflowHandle[Any, Any], pathway: Pathway[Any]
) -> str:
    """The time zone of the definition the journey's run started with."""
    from domain.calendar import DEFAULT_TIME_ZONE

    zone = getattr(await journey_definition(client, handle, pathway), "time_zone", None)
    return zone if isinstance(zone, str) else DEFAULT_TIME_ZONE


def final_words(final: BaseModel, on: str) -> str:
    from domain.aspiring_principals.journey import AspiringStatus
    from domain.catalog.journey import ProgramStatus
    from domain.fellowship.journey import FellowshipStatus
    from domain.money import dollars
    from domain.service_commitment.journey import CommitmentStatus
    from domain.teacher_leader.journey import JourneyStatus, Stage

    if isinstance(final, JourneyStatus):
        if final.stage is Stage.CLOSED:
            paid = final.stipend is not None and final.stipend.paid
            return f"the journey closed on {on} with the stipend {'paid' if paid else 'withheld'}"
        why = f": {final.end_reason}" if final.end_reason else ""
        return f"the journey ended on {on} ({final.stage.value}{why})"
    if isinstance(final, AspiringStatus):
        return f"the year ended on {on} ({final.stage.value})"
    if isinstance(final, ProgramStatus):
        why = f": {final.end_reason}" if final.end_reason else ""
        return f"the {final.program_title} journey ended on {on} ({final.stage.value}{why})"
    if isinstance(final, FellowshipStatus | CommitmentStatus):
        owed = f", {dollars(final.owed_cents)} owed" if final.owed_cents else ""
        if isinstance(final, FellowshipStatus):
            return f"the fellowship ended on {on} ({final.outcome or final.stage.value}{owed})"
        return f"the service commitment ended on {on} ({final.standing.value}{owed})"
    return f"the journey ended on {on}"


AsJson = Annotated[bool, typer.Option("--json", help="the answer as JSON (amounts in cents)")]
By = Annotated[str, typer.Option("--by", help="who is doing this, e.g. office:ana or ana")]


def pathway_group(pathway: Pathway[Any], help: str) -> typer.Typer:
    """The command group of a pathway's journeys, named by its registry entry."""
    return typer.Typer(name=pathway.command_group, help=help, no_args_is_help=True)


def scores_of(text: str) -> Any:
    """A selection rubric from `--scores time,mindset,skillset,experience`."""
    from domain.teacher_leader.events import SelectionScores

    parts = [p.strip() for p in text.split(",")]
    if len(parts) != 4 or not all(p.isdigit() for p in parts):
        fail("--scores: four whole numbers 1-4 (time,mindset,skillset,experience), e.g. 4,4,3,3")
    time, mindset, skillset, experience = (int(p) for p in parts)
    return build(
        SelectionScores, time=time, mindset=mindset, skillset=skillset, experience=experience
    )
