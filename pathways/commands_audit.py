"""`pathways audit`: replay, cross-check, verify, explain and export, for auditors.

pathways audit replay teacher-leader/2027-28/team_lead/e-1001
pathways audit replay --query "ProgramYear = '2027-28'" --processes 2
pathways audit export teacher-leader/2027-28/team_lead/e-1001 --out e-1001.zip
pathways audit replay --bundle e-1001.zip          # offline: no server, no database
"""

from __future__ import annotations

import asyncio
import json
import zipfile
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.progress import Progress
from rich.table import Table
from temporalio.client import WorkflowHistory

from domain.access import Read
from pathways.archive import journey_runs
from pathways.audit import (
    BundleError,
    ReplayVerdict,
    check_anchor,
    check_bundle,
    cross_check_runs,
    export_bundle,
    replay_many,
)
from pathways.cli import (
    command_client,
    console,
    fail,
    load_or_exit,
    record_reading,
    run_command,
)
from pathways.config import Settings

audit_app = typer.Typer(
    help="Auditors: replay journeys with this code, verify and cross-check the event log, "
    "explain decisions, export evidence bundles.",
    no_args_is_help=True,
)


def _report(verdicts: list[ReplayVerdict]) -> None:
    bad = [v for v in verdicts if not v.deterministic]
    for v in bad:
        console.print(f"[red]{v.line()}[/red]", soft_wrap=True)
    for v in verdicts if len(verdicts) <= 20 else []:
        if v.deterministic:
            console.print(v.line())
    events = sum(v.history_events for v in verdicts)
    console.print(
        f"{len(verdicts)} run(s) replayed ({events} history events): "
        f"{len(verdicts) - len(bad)} deterministic, {len(bad)} not"
    )
    if bad:
        raise typer.Exit(1)


@audit_app.command("replay")
def replay(
    journey: Annotated[str | None, typer.Argument(help="a journey's workflow id")] = None,
    query: Annotated[
        str | None, typer.Option(help="a visibility query, e.g. \"ProgramYear = '2027-28'\"")
    ] = None,
    history: Annotated[Path | None, typer.Option(exists=True, help="a history JSON file")] = None,
    bundle: Annotated[Path | None, typer.Option(exists=True, help="an exported bundle")] = None,
    processes: Annotated[int, typer.Option(min=1, max=64, help="replay processes")] = 1,
) -> None:
    """Replay histories with this code: one journey (every run), a query's journeys, a
    history file, or an exported bundle (offline, with its chain and cross-check)."""
    if sum(x is not None for x in (journey, query, history, bundle)) != 1:
        fail("give one of: a journey id, --query, --history FILE or --bundle FILE")
    if bundle is not None:
        _replay_bundle(bundle, load_or_exit().payload_keys)
        return
    if history is not None:
        recorded = [WorkflowHistory.from_json(history.stem, history.read_text())]
        _report(asyncio.run(replay_many(recorded, keys=load_or_exit().payload_keys)))
        return

    async def fetch(settings: Settings) -> list[WorkflowHistory]:
        client = await command_client(settings)
        if journey is not None:
            from worker import open_services

            async with open_services(settings) as services:
                return await journey_runs(client, services.pool, journey)
        histories = []
        with Progress(console=console, transient=True) as progress:
            task = progress.add_task("fetching histories", total=None)
            async for h in client.list_workflows(query).map_histories():
                histories.append(h)
                progress.advance(task)
        return histories

    async def work(settings: Settings) -> None:
        histories = await fetch(settings)
        if not histories:
            console.print(f"no workflow matches {query!r}")
            raise typer.Exit(1)
        with Progress(console=console, transient=True) as progress:
            task = progress.add_task("replaying", total=len(histories))
            verdicts = await replay_many(
                histories, processes, lambda n: progress.advance(task, n),
                keys=settings.payload_keys,
            )  # fmt: skip
        _report(verdicts)

    run_command(work)


def _replay_bundle(path: Path, keys: Path | None) -> None:
    try:
        report = asyncio.run(check_bundle(path, keys=keys))
    except (BundleError, zipfile.BadZipFile, KeyError, json.JSONDecodeError) as error:
        fail(f"bundle: {error}")
        return
    code = report.code
    console.print(
        f"bundle {path}: {report.workflow_id}, exported from pathways {code.get('version')} "
        f"(commit {code.get('git_commit') or 'unknown'})"
    )
    for v in report.replays:
        style = "" if v.deterministic else "red"
        console.print(f"[{style}]{v.line()}[/{style}]" if style else v.line(), soft_wrap=True)
    chain = report.chain
    console.print(
        f"hash chain: {chain.events_checked} events "
        + (
            "intact"
            if chain.ok
            else f"[red]BROKEN at version {chain.first_bad_version}: {chain.reason}[/red]"
        )
    )
    console.print("chain head: " + ("matches" if report.head_matches else "[red]DIFFERS[/red]"))
    for problem in report.discrepancies:
        console.print(f"[red]{problem}[/red]")
    console.print(f"cross-check: {len(report.discrepancies)} discrepancies")
    if not report.ok:
        raise typer.Exit(1)


@audit_app.command("export")
def export(
    journey: str,
    out: Annotated[Path, typer.Option(help="the bundle file to write (.zip)")],
) -> None:
    """Write a journey's evidence bundle: histories, events, chain head, definition, code."""

    async def work(settings: Settings) -> None:
        from worker import open_services

        client = await command_client(settings)
        async with open_services(settings) as services:
            runs = await journey_runs(client, services.pool, journey)
            stored = await services.store.read_stream(journey)
        manifest = await export_bundle(runs, stored, out, settings.payload_keys)
        console.print(
            f"wrote {out}: {manifest['runs']} run(s), {manifest['events']} events, "
            f"{len(manifest['sha256'])} files"
        )

    run_command(work)


@audit_app.command("verify")
def verify(
    stream: Annotated[str | None, typer.Argument(help="one journey id")] = None,
    anchor: Annotated[
        Path | None,
        typer.Option(exists=True, help="a bundle whose chain head the log must still hold"),
    ] = None,
    public_key: Annotated[
        Path | None,
        typer.Option(exists=True, help="the checkpoints' public key (default AUDIT_PUBLIC_KEY)"),
    ] = None,
) -> None:
    """Recompute every stream's hash chain and the log's own chain, and check the signed
    checkpoints of its head; name each row that differs, is missing or was inserted."""

    async def work(settings: Settings) -> None:
        from activities.logchain import verify_log
        from domain.refusals import Refusal
        from pathways.audit import read_bundle
        from pathways.audit_key import public_key as checkpoint_key
        from worker import open_services

        head = None
        target = stream
        if anchor is not None:
            manifest, _runs, _events, head, _code = read_bundle(anchor)
            if target is not None and target != manifest["workflow_id"]:
                fail(f"--anchor is a bundle of {manifest['workflow_id']}, not of {target}")
            target = manifest["workflow_id"]
        key = checkpoint_key(settings, public_key)
        async with open_services(settings) as services:
            store = services.store
            stored = await store.read_stream(target) if target else []
            if target is not None and not stored and head is None:
                raise Refusal(
                    f"the event log holds no stream {target}: nothing to verify",
                    code="audit.unknown_stream",
                )
            log = await verify_log(services.pool, key)
        for problem in log.problems:
            console.print(f"[red]ALTERED[/red] {escape(problem.line())}", soft_wrap=True)
        anchored = check_anchor(stored, head) if head else None
        if anchored:
            console.print(f"[red]ANCHOR[/red] {target}: {anchored}")
        if target is not None:
            state = "ALTERED" if target in log.altered_streams else "intact"
            console.print(f"{target}: {len(stored)} events, chain {state}")
        console.print(
            f"{log.streams} streams, {log.events_checked} events verified, "
            f"{len(log.altered_streams)} altered; log chain of {log.head_seq} entries "
            f"{'intact' if log.ok else 'BROKEN'}; {log.checkpoints_checked} signed "
            "checkpoint(s) checked"
        )
        if log.checkpoints_checked == 0 and log.events_checked:
            console.print(
                "no signed checkpoint yet: `pathways audit checkpoint` signs the log's head "
                "(a rewrite of the whole log is found only against one)"
            )
        if not log.ok or anchored:
            raise typer.Exit(1)

    run_command(work)


@audit_app.command("checkpoint")
def checkpoint(
    public_key_out: Annotated[
        Path | None, typer.Option(help="also write the public key (PEM) here, for auditors")
    ] = None,
) -> None:
    """Sign the event log's head now with the audit key (AUDIT_SIGNING_KEY) and store the
    checkpoint; workers also sign every AUDIT_CHECKPOINT_SECONDS."""

    async def work(settings: Settings) -> None:
        from activities.logchain import write_checkpoint
        from pathways.audit_key import public_pem, signing_key
        from worker import open_services

        key = signing_key(settings)
        async with open_services(settings) as services:
            signed = await write_checkpoint(services.pool, key)
        assert signed is not None
        console.print(signed.line(), soft_wrap=True)
        if public_key_out is not None:
            public_key_out.write_bytes(public_pem(key.public_key()))
            console.print(f"wrote the public key to {public_key_out}")

    run_command(work)


@audit_app.command("archive")
def archive(
    journey: Annotated[str | None, typer.Argument(help="one closed journey")] = None,
) -> None:
    """Copy closed journeys' histories into the archive now (workers do it every
    HISTORY_ARCHIVE_SECONDS); replay, cross-check and export read it once Temporal has not."""

    async def work(settings: Settings) -> None:
        from pathways.archive import archive_closed, archive_journey
        from worker import open_services

        client = await command_client(settings)
        async with open_services(settings) as services:
            if journey is not None:
                runs = await archive_journey(client, services.pool, journey)
            else:
                runs = await archive_closed(client, services.pool)
        console.print(f"{runs} run(s) archived")

    run_command(work)


async def _journey_zone(settings: Settings, journey: str) -> str:
    """The time zone of the definition the journey runs on, from its history in Temporal; the
    default zone when Temporal cannot say (out of reach, or the history is archived)."""
    from temporalio.service import RPCError

    from domain import registry
    from domain.calendar import DEFAULT_TIME_ZONE
    from pathways.cli import journey_time_zone
    from pathways.temporal import TemporalUnavailable

    try:
        pathway = registry.by_journey_id(journey)
        client = await command_client(settings)
        return await journey_time_zone(client, client.get_workflow_handle(journey), pathway)
    except (registry.UnknownJourney, TemporalUnavailable, RPCError):
        return DEFAULT_TIME_ZONE


@audit_app.command("explain")
def explain(
    journey: str,
    time_zone: Annotated[
        str | None,
        typer.Option("--time-zone", help="show times there (default: the journey's program's)"),
    ] = None,
) -> None:
    """A journey's decisions as a timeline, from the event log, with every money decision's
    rule, inputs and amount; times in the program's time zone."""
    from domain.calendar import known_time_zone

    if time_zone is not None:
        try:
            known_time_zone(time_zone)
        except ValueError as error:
            fail(f"--time-zone: {error}")

    async def work(settings: Settings) -> None:
        from zoneinfo import ZoneInfo

        from domain.explain import explain as timeline
        from worker import open_services

        async with open_services(settings) as services:
            stored = await services.store.read_stream(journey)
        if not stored:
            console.print(f"no events are stored for {journey}")
            raise typer.Exit(1)
        from domain.pathway import person_named

        whose = next(filter(None, (person_named(e.payload) for e in stored)), None)
        await record_reading(settings, Read.TIMELINE, journey, whose)
        zone = time_zone or await _journey_zone(settings, journey)
        table = Table(f"when ({zone})", "who", "what", title=journey)
        lines = timeline(
            ((e.to_domain(), str(e.metadata.get("actor", "?"))) for e in stored), ZoneInfo(zone)
        )
        for line in lines:
            table.add_row(line.when, line.actor, line.what)
        console.print(table)

    run_command(work)


@audit_app.command("cross-check")
def cross_check(journey: str) -> None:
    """Compare the events a journey's histories appended with those in the log."""

    async def work(settings: Settings) -> None:
        from worker import open_services

        client = await command_client(settings)
        async with open_services(settings) as services:
            runs = await journey_runs(client, services.pool, journey)
            stored = await services.store.read_stream(journey)
        appended, problems = await cross_check_runs(runs, stored, settings.payload_keys)
        for problem in problems:
            console.print(f"[red]{problem}[/red]")
        console.print(
            f"{journey}: {len(appended)} events in the history, {len(stored)} in the log, "
            f"{len(problems)} discrepancies"
        )
        if problems:
            raise typer.Exit(1)

    run_command(work)


@audit_app.command("access")
def access(
    employee: Annotated[
        str | None, typer.Option("--employee", help="only readings of this person's records")
    ] = None,
    reader: Annotated[
        str | None, typer.Option("--reader", help="only what this reader read, e.g. office:ana")
    ] = None,
    since: Annotated[
        str | None, typer.Option("--since", help="only from this day on (YYYY-MM-DD, UTC)")
    ] = None,
    limit: Annotated[int, typer.Option(min=1, max=100_000)] = 200,
    as_json: Annotated[bool, typer.Option("--json", help="one JSON object a line")] = False,
) -> None:
    """Who read what, newest first: the access log the web app, the HTTP API and these
    commands append to."""

    async def work(settings: Settings) -> None:
        from datetime import UTC, date, datetime, time

        from activities.access_log import AccessLog
        from pathways.cli import command_database

        try:
            start = datetime.combine(date.fromisoformat(since), time(), UTC) if since else None
        except ValueError:
            fail(f"--since {since!r} is not a day (YYYY-MM-DD)")
        pool = await command_database(settings)
        try:
            found = await AccessLog(pool).entries(
                employee_id=employee, reader=reader, since=start, limit=limit
            )
        finally:
            await pool.close()
        if as_json:
            for entry in found:
                print(entry.model_dump_json())
            return
        table = Table("at (UTC)", "reader", "door", "read", "subject", "whose", title="access log")
        for e in found:
            table.add_row(
                e.at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S"), e.reader, e.door.value,
                e.what.value, e.subject, e.employee_id or "",
            )  # fmt: skip
        console.print(table)
        console.print(f"{len(found)} reading(s)" + (" (the newest; --limit for more)"
                                                      if len(found) == limit else ""))  # fmt: skip

    run_command(work)
