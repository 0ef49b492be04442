"""Bulk starts from an HR roster: one teacher leader journey per valid row of a CSV file.

    pathways teacher-leader apply-roster roster.csv [--program FILE] [--concurrency 64]

The roster has the columns `employee_id`, `role`, `school_id` and `cohort` (blank for every
role but Team Lead); other columns are ignored. Every row is checked with the same rules as a
single application before anything reaches Temporal, and every refused row is reported with its
line number and the reason, so the program office can fix the file and send it again. Starting
is idempotent: journey ids are deterministic, so a second run of the same roster starts nothing
new and counts those rows as already existing.
"""

from __future__ import annotations

import asyncio
import csv
import io
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from pydantic import ValidationError
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from temporalio.client import Client
from temporalio.common import Priority
from temporalio.service import RPCError

from activities.enrollment import start_journey
from activities.systems import ExternalSystemUnavailable, Hris
from domain.pathway import StartRefused
from domain.program import Cohort, ProgramYear, Role
from domain.teacher_leader.journey import Application, JourneyRefusal, check_application
from domain.teacher_leader.start import TEACHER_LEADER, TeacherLeaderInput

COLUMNS = ("employee_id", "role", "school_id", "cohort")
DEFAULT_CONCURRENCY = 64
#: Journeys a roster starts go to the bulk task queue (`Settings.bulk_task_queue`), which each
#: worker serves with a few slots of its own, so the office's queries and updates on other
#: journeys do not wait behind thousands of first look-ups (bench scenario 8); and they run
#: after everything at the default priority (3) whenever a queue has a backlog. The server must
#: have task priority enabled (`matching.useNewMatcher`; Temporal Cloud has it); without it the
#: key is ignored.
BULK_PRIORITY = Priority(priority_key=4)


class RosterUnreadable(ValueError):
    """The file as a whole cannot be used (no header, a required column missing)."""


@dataclass(frozen=True)
class RowProblem:
    """One roster row that was not started, and why. `line` is the line in the file (the
    header is line 1)."""

    line: int
    employee_id: str
    reason: str

    def __str__(self) -> str:
        who = f" ({self.employee_id})" if self.employee_id else ""
        return f"row {self.line}{who}: {self.reason}"


@dataclass(frozen=True)
class RosterRow:
    line: int
    application: Application


@dataclass
class RosterOutcome:
    """What one run of a roster did."""

    rows: int = 0
    started: int = 0
    existing: int = 0
    refused: list[RowProblem] = field(default_factory=list)
    failed: list[RowProblem] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return not self.refused and not self.failed

    def summary(self) -> str:
        parts = [
            f"{self.started} started",
            f"{self.existing} already existing",
            f"{len(self.refused)} refused",
        ]
        if self.failed:
            parts.append(f"{len(self.failed)} failed")
        return f"{self.rows} rows: " + ", ".join(parts) + f" in {self.seconds:.1f} s"


def parse_roster(
    text: str | Iterable[str], program: ProgramYear, now: datetime
) -> tuple[list[RosterRow], list[RowProblem]]:
    """Check every row: returns the applications to start and the rows refused, by line."""
    lines = io.StringIO(text) if isinstance(text, str) else text
    reader = csv.DictReader(lines)
    header = [name.strip() for name in reader.fieldnames or []]
    if not header:
        raise RosterUnreadable("the roster is empty: expected a header line " + ",".join(COLUMNS))
    missing = [c for c in COLUMNS if c not in header and c != "cohort"]
    if missing:
        raise RosterUnreadable(
            f"the roster has no column {', '.join(missing)}; "
            f"its header is {','.join(header)}, expected {','.join(COLUMNS)}"
        )
    reader.fieldnames = header
    rows: list[RosterRow] = []
    problems: list[RowProblem] = []
    seen: dict[tuple[str, str], int] = {}
    for record in reader:
        line = reader.line_num
        values = {c: (record.get(c) or "").strip() for c in COLUMNS}
        if not any(values.values()):
            continue  # a blank line at the end of an export
        employee = values["employee_id"]
        try:
            application = Application(
                employee_id=employee,
                role=values["role"],
                school_id=values["school_id"],
                cohort=values["cohort"] or None,
            )
            check_application(program, application, now)
        except ValidationError as error:
            problems.append(RowProblem(line, employee, _explain(error)))
            continue
        except JourneyRefusal as refusal:
            problems.append(RowProblem(line, employee, str(refusal)))
            continue
        key = (application.employee_id, application.role.value)
        if key in seen:
            problems.append(
                RowProblem(
                    line,
                    employee,
                    f"the same employee and role as row {seen[key]}; one journey per role a year",
                )
            )
            continue
        seen[key] = line
        rows.append(RosterRow(line, application))
    return rows, problems


def read_roster(
    path: Path, program: ProgramYear, now: datetime
) -> tuple[list[RosterRow], list[RowProblem]]:
    with path.open(newline="", encoding="utf-8-sig") as handle:
        return parse_roster(handle, program, now)


_FIELD_HINTS = {
    "role": "one of " + ", ".join(r.value for r in Role),
    "cohort": "blank, or one of " + ", ".join(c.value for c in Cohort),
}


def _explain(error: ValidationError) -> str:
    problems = []
    for item in error.errors():
        name = ".".join(str(p) for p in item["loc"])
        given = item.get("input")
        if name in _FIELD_HINTS:
            problems.append(f"{name} {given!r} is not known: expected {_FIELD_HINTS[name]}")
        elif item["type"] == "string_too_short":
            problems.append(f"{name} is blank")
        else:
            problems.append(f"{name}: {item['msg']}")
    return "; ".join(problems)


ProgressHook = Callable[[int, RosterOutcome], None]


async def start_roster(
    client: Client,
    hris: Hris,
    program: ProgramYear,
    rows: Sequence[RosterRow],
    task_queue: str,
    *,
    concurrency: int = DEFAULT_CONCURRENCY,
    now: datetime | None = None,
    on_progress: ProgressHook | None = None,
    priority: Priority = BULK_PRIORITY,
) -> RosterOutcome:
    """Start a journey for every row, at most `concurrency` starts in flight at once.

    A row whose journey already exists counts as existing; a row Temporal refuses or cannot
    take (after the client's own retries) is reported under `failed` and the rest go on.
    """
    if concurrency < 1:
        raise ValueError("concurrency must be at least 1")
    outcome = RosterOutcome(rows=len(rows))
    moment = now or datetime.now(UTC)
    began = time.perf_counter()
    gate = asyncio.Semaphore(concurrency)
    done = 0

    async def start(row: RosterRow) -> None:
        nonlocal done
        async with gate:
            try:
                inp = TeacherLeaderInput(program=program, application=row.application)
                started = await start_journey(
                    client, hris, TEACHER_LEADER, inp, task_queue, now=moment, priority=priority
                )
            except StartRefused as refusal:
                outcome.refused.append(
                    RowProblem(row.line, row.application.employee_id, str(refusal))
                )
            except ExternalSystemUnavailable as error:
                outcome.failed.append(
                    RowProblem(row.line, row.application.employee_id, f"HR: {error}")
                )
            except RPCError as error:
                outcome.failed.append(
                    RowProblem(row.line, row.application.employee_id, f"Temporal: {error.message}")
                )
            else:
                if started.created:
                    outcome.started += 1
                else:
                    outcome.existing += 1
        done += 1
        if on_progress is not None:
            on_progress(done, outcome)

    await asyncio.gather(*(start(row) for row in rows))
    outcome.refused.sort(key=lambda p: p.line)
    outcome.failed.sort(key=lambda p: p.line)
    outcome.seconds = time.perf_counter() - began
    return outcome


async def apply_roster(
    client: Client,
    hris: Hris,
    program: ProgramYear,
    path: Path,
    task_queue: str,
    *,
    concurrency: int = DEFAULT_CONCURRENCY,
    now: datetime | None = None,
    console: Console | None = None,
    priority: Priority = BULK_PRIORITY,
) -> RosterOutcome:
    """Read, check and start a roster file, showing progress on `console`: a bar in a
    terminal, a line of counts every few seconds otherwise."""
    console = console or Console(stderr=True)
    moment = now or datetime.now(UTC)
    rows, refused = read_roster(path, program, moment)
    with Progress(
        TextColumn("starting journeys"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[counts]}"),
        TimeElapsedColumn(),
        console=console,
        transient=True,
        disable=not console.is_terminal,
    ) as progress:
        bar = progress.add_task("start", total=len(rows), counts="")
        last_line = time.monotonic()

        def show(done: int, so_far: RosterOutcome) -> None:
            nonlocal last_line
            counts = f"{so_far.started} started, {so_far.existing} existing"
            if console.is_terminal:
                progress.update(bar, completed=done, counts=counts)
            elif time.monotonic() - last_line >= 5 or done == len(rows):
                last_line = time.monotonic()
                console.print(f"{done}/{len(rows)} rows: {counts}", highlight=False)

        outcome = await start_roster(
            client,
            hris,
            program,
            rows,
            task_queue,
            concurrency=concurrency,
            now=moment,
            on_progress=show,
            priority=priority,
        )
    outcome.rows += len(refused)
    outcome.refused = sorted([*refused, *outcome.refused], key=lambda p: p.line)
    return outcome
