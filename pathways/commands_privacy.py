"""`pathways privacy`: a person's records, for the person or an inspector."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from domain.access import Read
from pathways.cli import (
    command_client,
    command_database,
    command_hris,
    console,
    fail,
    operator_identity,
    record_reading,
    run_command,
)
from pathways.config import Settings

privacy_app = typer.Typer(
    help="A person's records: export them for inspection.", no_args_is_help=True
)


@privacy_app.command("export")
def export(
    employee: Annotated[str, typer.Argument(help="HR employee id")],
    out: Annotated[Path | None, typer.Option("--out", help="the zip to write")] = None,
) -> None:
    """Every record of the person in one zip: HR's record, each journey's events (with their
    hashes) and timeline, the career, and who read their records. The export is recorded in
    the access log."""

    async def work(settings: Settings) -> None:
        from temporalio.client import WorkflowQueryFailedError
        from temporalio.service import RPCError

        from activities.careers import current_timeline
        from activities.systems import EmployeeNotFound
        from pathways.privacy import export_person

        async with command_hris(settings) as hris:
            try:
                person = await hris.employee(employee)
            except EmployeeNotFound:
                person = None
        try:
            client = await command_client(settings)
            career = (await current_timeline(client, employee)).model_dump(mode="json")
        except (RPCError, WorkflowQueryFailedError, OSError):
            career = None
        await record_reading(settings, Read.EXPORT, employee, employee)
        pool = await command_database(settings)
        try:
            dest = out or Path(f"{employee}-records.zip")
            done = await export_person(
                pool, person, employee, career, operator_identity(settings), dest
            )
        finally:
            await pool.close()
        if person is None and not done.journeys:
            console.print(f"[yellow]HR has no employee {employee} and no journey names them[/]")
        console.print(
            f"{done.path}: HR's record, {done.journeys} journey(s) with {done.events} event(s), "
            f"{'the career, ' if career else ''}{done.readings} reading(s) of the access log"
        )

    run_command(work)


@privacy_app.command("new-key-ring")
def new_key_ring(
    path: Annotated[Path, typer.Argument(help="the key ring file to write (PAYLOAD_KEYS)")],
) -> None:
    """Make the key ring that encrypts Temporal's payloads: one 256-bit key, readable by its
    owner only. Point PAYLOAD_KEYS at it in every process (worker, API, web app, commands)."""
    from pathways.payload_codec import KeyRing

    if path.exists():
        fail(f"{path} exists: add a key to it (pathways privacy add-key) instead of replacing it")
    ring = KeyRing.create(path)
    console.print(f"{path}: key {ring.current}; keep a copy where the district keeps secrets")


@privacy_app.command("add-key")
def add_key(
    path: Annotated[Path, typer.Argument(help="the key ring file (PAYLOAD_KEYS)")],
) -> None:
    """Rotation, first step: add a key that every process can open payloads with, without
    sealing anything with it yet. Give every process the new ring and restart them, then
    make it current with `pathways privacy use-key`."""
    from pathways.payload_codec import KeyRing

    ring, kid = KeyRing.load(path).with_new_key()
    ring.save(path)
    console.print(
        f"{path}: key {kid} added ({len(ring.keys)} keys; {ring.current} still seals). Restart "
        f"every process with this ring, then: pathways privacy use-key {path} {kid}"
    )


@privacy_app.command("use-key")
def use_key(
    path: Annotated[Path, typer.Argument(help="the key ring file (PAYLOAD_KEYS)")],
    key: Annotated[str, typer.Argument(help="the key id new payloads are sealed with")],
) -> None:
    """Rotation, second step: seal new payloads with `key`; the old keys stay, to open old
    payloads. Restart every process with the ring."""
    from pathways.payload_codec import KeyRing

    ring = KeyRing.load(path).using(key)
    ring.save(path)
    console.print(f"{path}: new payloads are sealed with {ring.current}; restart every process")
