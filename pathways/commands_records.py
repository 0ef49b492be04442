"""Training records and badges of the catalog's programs, for personnel files.

pathways program records e-4001 [--json | --csv]
pathways program badge program/teacher_leader_certificate/2026-27/e-1001 --out badge.jwt
pathways program verify-badge badge.jwt [--public-key district-badges.pub.pem]
"""

from __future__ import annotations

import csv
import json
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from domain.catalog.definition import ProgramDefinition
from domain.catalog.events import ParticipantIdentified
from domain.catalog.records import TrainingRecord, total_hours, training_records
from domain.events import DomainEvent
from domain.refusals import Refusal
from pathways.cli import command_client, console, fail, logged_journeys, run_command
from pathways.commands_program import app
from pathways.config import Settings

PREFIX = "program/"


async def journeys_of(settings: Settings, employee: str) -> dict[str, list[DomainEvent]]:
    """Every catalog journey of the employee, with its events, from the event log."""
    return await logged_journeys(settings, PREFIX, lambda stream: stream.endswith(f"/{employee}"))


async def definitions_of(settings: Settings, journey_id: str) -> dict[str, ProgramDefinition]:
    """The definitions a journey ran with, by school year, from its runs' inputs in Temporal;
    none when Temporal no longer holds the history (the records then list courses, not each
    session)."""
    from temporalio.service import RPCError

    from domain.catalog.start import ProgramInput
    from pathways.audit import fetch_runs, run_input

    try:
        runs = await fetch_runs(await command_client(settings), journey_id)
    except RPCError:
        return {}
    found: dict[str, ProgramDefinition] = {}
    for run in runs:
        started = await run_input(run, settings.payload_keys)
        if started["workflow_type"] != "ProgramJourney":
            continue
        definition = ProgramInput.model_validate(started["input"]).program
        found[definition.school_year] = definition
    return found


async def records_of(settings: Settings, employee: str) -> list[TrainingRecord]:
    records: list[TrainingRecord] = []
    for journey, events in (await journeys_of(settings, employee)).items():
        records += training_records(journey, events, await definitions_of(settings, journey))
    return records


@app.command("records")
def records(
    employee: Annotated[str, typer.Argument(help="HR employee id (or a community member's id)")],
    as_json: Annotated[bool, typer.Option("--json", help="one JSON document")] = False,
    as_csv: Annotated[bool, typer.Option("--csv", help="CSV for the personnel file")] = False,
) -> None:
    """The employee's training records (SB 513): every session, course, certificate and
    certification of the catalog's programs, with provider, date, hours and competencies."""

    async def work(settings: Settings) -> None:
        found = await records_of(settings, employee)
        if not found:
            console.print(f"no catalog program has recorded a completion for {employee}")
            return
        rows = [r.model_dump(mode="json") for r in found]
        if as_json:
            print(json.dumps(rows, indent=2))
            return
        if as_csv:
            out = csv.DictWriter(sys.stdout, fieldnames=list(rows[0]), lineterminator="\n")
            out.writeheader()
            for row in rows:
                out.writerow({**row, "competencies": "; ".join(row["competencies"])})
            return
        first = found[0]
        table = Table(
            "date", "kind", "training", "provider", "hours", "credential",
            title=f"training records of {first.full_name} ({employee})",
        )  # fmt: skip
        for r in found:
            credential = r.credential or ""
            if r.expires_on:
                credential += f" until {r.expires_on} ({r.status})"
            table.add_row(
                str(r.completed_on), r.kind.value, r.title, r.provider, str(r.hours), credential
            )
        console.print(table)
        console.print(f"{len(found)} record(s); {total_hours(found)} hours", highlight=False)

    run_command(work)


@app.command("badge")
def badge(
    journey: Annotated[str, typer.Argument(help="the journey id of the award")],
    out: Annotated[Path | None, typer.Option(help="write the badge here")] = None,
) -> None:
    """Export the journey's certificate or certification as an Open Badges 3.0 credential
    (VC-JWT), signed with the district's badge key."""
    from pathways.badges import issue, write

    employee = journey.rsplit("/", 1)[-1]
    if not journey.startswith(PREFIX) or journey.count("/") < 3:
        fail(f"{journey!r} is not a catalog journey id (program/<program>/<year>/<employee>)")

    async def work(settings: Settings) -> None:
        events = (await journeys_of(settings, employee)).get(journey)
        if not events:
            raise Refusal(f"the event log holds no journey {journey}", code="badge.not_awarded")
        found = training_records(journey, events, await definitions_of(settings, journey))
        person = next(e for e in events if isinstance(e, ParticipantIdentified))
        made = issue(settings, found, person.email)
        if out is None:
            print(made.token)
            return
        write(made, out)
        console.print(
            f"wrote {out}: {made.credential_id}; verify it with `pathways program verify-badge "
            f"{out}` and the district's public key",
            highlight=False,
        )

    run_command(work)


@app.command("verify-badge")
def verify_badge(
    file: Annotated[Path, typer.Argument(help="a badge file (VC-JWT)")],
    public_key: Annotated[
        Path | None, typer.Option(help="the district's badge public key (PEM)")
    ] = None,
) -> None:
    """Verify a badge offline: the district's signature, its dates and what it awards."""
    from pathways.badges import badge_keys, verify

    async def work(settings: Settings) -> None:
        try:
            token = file.read_text(encoding="utf-8")
        except OSError as error:
            fail(f"cannot read {file}: {error.strerror}")
        key = badge_keys(settings).public_key(public_key)
        if key is None:
            fail("no badge public key: give --public-key FILE or set BADGE_PUBLIC_KEY")
        assert key is not None
        console.print(verify(token, key).line(), highlight=False)

    run_command(work)
