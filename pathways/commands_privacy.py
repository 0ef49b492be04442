"""`pathways privacy`: a person's records, for the person or an inspector."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Annotated, Any

import typer

from domain.access import Read
from pathways.cli import (
    command_client,
    command_database,
    command_hris,
    command_store,
    console,
    fail,
    operator_identity,
    record_reading,
    run_command,
)
from pathways.config import Settings

privacy_app = typer.Typer(
    help="A person's records: export them for inspection, hold them, erase them once no rule "
    "keeps them; the key ring that encrypts them.",
    no_args_is_help=True,
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

        from activities.careers import readable_timeline
        from pathways.privacy import export_person

        person, _ = await _records(settings, employee)
        pool = await command_database(settings)
        try:
            store = command_store(settings, pool)
            try:
                client = await command_client(settings)
                timeline = await readable_timeline(client, store, employee)
                career: dict[str, object] | None = timeline.model_dump(mode="json")
            except (RPCError, WorkflowQueryFailedError, OSError):
                career = None
            await record_reading(settings, Read.EXPORT, employee, employee)
            dest = out or Path(f"{employee}-records.zip")
            by = operator_identity(settings)
            done = await export_person(store, person, employee, career, by, dest)
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


By = Annotated[
    str,
    typer.Option("--by", help="who does it: director:<id>, auditor:<id> (holds), operator:<id>"),
]


async def _records(settings: Settings, employee: str, by: str | None = None) -> Any:
    """HR's record of the person (None: HR has none) and, with `by`, the actor HR or the
    configuration vouches for."""
    from activities.actors import resolve
    from activities.systems import EmployeeNotFound

    async with command_hris(settings) as hris:
        try:
            person = await hris.employee(employee)
        except EmployeeNotFound:
            person = None
        actor = await resolve(hris, by, settings.non_hr_actors) if by else None
    return person, actor


@privacy_app.command("status")
def status(employee: Annotated[str, typer.Argument(help="HR employee id")]) -> None:
    """The person's legal holds, whether their personal data is erased, and whether it may be
    erased today (and if not, the rule that keeps it)."""

    async def work(settings: Settings) -> None:
        from datetime import UTC, datetime

        from domain.calendar import DEFAULT_TIME_ZONE, local_date
        from domain.privacy import PrivacyRefusal, decide_erasure
        from pathways.privacy import privacy_record

        person, _ = await _records(settings, employee)
        pool = await command_database(settings)
        try:
            record = await privacy_record(command_store(settings, pool), employee, person)
        finally:
            await pool.close()
        for hold in record.holds.values():
            console.print(f"legal hold {hold.hold_id}: {hold.matter} (placed by {hold.placed_by})")
        if record.erased is not None:
            console.print(f"erased by {record.erased.erased_by}: {record.erased.rule}")
            return
        try:
            rule = decide_erasure(
                record, settings.retention, local_date(datetime.now(UTC), DEFAULT_TIME_ZONE)
            )
        except PrivacyRefusal as kept:
            console.print(f"kept ({kept.code}): {kept}")
        else:
            console.print(f"may be erased: {rule}")

    run_command(work)


def _on_holds(employee: str, by: str, act: Callable[[Any, str, Any], Awaitable[str]]) -> None:
    """Run `act(store, actor, now)` on the person's holds as the actor HR or the
    configuration vouches for, and print what it says."""

    async def work(settings: Settings) -> None:
        from datetime import UTC, datetime

        _, actor = await _records(settings, employee, by)
        pool = await command_database(settings)
        try:
            said = await act(command_store(settings, pool), actor, datetime.now(UTC))
        finally:
            await pool.close()
        console.print(said)

    run_command(work)


@privacy_app.command("hold")
def hold(
    employee: Annotated[str, typer.Argument(help="HR employee id")],
    by: By,
    hold_id: Annotated[str, typer.Option("--id", help="the hold's id, e.g. LH-2027-04")],
    matter: Annotated[str, typer.Option("--matter", help="the case or request it is for")],
) -> None:
    """Place a legal hold: the person's records are not erased until it is lifted."""
    from pathways.privacy import place_hold

    async def act(store: Any, actor: str, now: Any) -> str:
        await place_hold(store, employee, hold_id, matter, actor, now)
        return f"legal hold {hold_id} placed on {employee}'s records by {actor}"

    _on_holds(employee, by, act)


@privacy_app.command("lift-hold")
def lift(
    employee: Annotated[str, typer.Argument(help="HR employee id")],
    by: By,
    hold_id: Annotated[str, typer.Option("--id", help="the hold's id")],
) -> None:
    """Lift a legal hold."""
    from pathways.privacy import lift_hold

    async def act(store: Any, actor: str, now: Any) -> str:
        await lift_hold(store, employee, hold_id, actor, now)
        return f"legal hold {hold_id} on {employee}'s records lifted by {actor}"

    _on_holds(employee, by, act)


@privacy_app.command("erase")
def erase(
    employee: Annotated[str, typer.Argument(help="HR employee id")],
    by: By,
) -> None:
    """Erase the person's personal data (names, e-mail addresses, the reasons they gave) by
    destroying their key, once no retention rule or legal hold keeps it. Their events stay,
    with amounts and dates, and every hash chain still verifies; what the personal fields said
    reads "[erased]" from then on. Refused, with the rule, while one keeps the records."""

    async def work(settings: Settings) -> None:
        from datetime import UTC, datetime

        from activities.readmodel import PROGRAM_JOURNEYS, TEACHER_LEADER_PROGRESS, ReadModel
        from domain.calendar import DEFAULT_TIME_ZONE, local_date
        from pathways.privacy import erase_person, plaintext_left

        person, actor = await _records(settings, employee, by)
        pool = await command_database(settings)
        try:
            store = command_store(settings, pool)
            models = [
                ReadModel(pool, projection=p, people=store.people)
                for p in (None, PROGRAM_JOURNEYS, TEACHER_LEADER_PROGRESS)
            ]
            done = await erase_person(
                store, employee, person, actor, settings.retention,
                datetime.now(UTC), local_date(datetime.now(UTC), DEFAULT_TIME_ZONE), models,
            )  # fmt: skip
            plain = await plaintext_left(pool, employee)
        finally:
            await pool.close()
        console.print(f"{employee}'s personal data is erased ({done.rule})")
        if plain:
            console.print(
                f"[yellow]{plain} event(s) of {employee} were stored before the district's key "
                "ring and keep their personal fields in plain text[/]"
            )

    run_command(work)
