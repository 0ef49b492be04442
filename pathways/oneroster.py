"""Importing a OneRoster zip: read, compare with the last import, send the differences as HR
events to the careers, and report per row. Used by `pathways hr import-oneroster` and the API.

Nothing is sent when the file cannot be read (a missing file or column). Rows with a problem
are reported by file and line and their employees left as the last import had them; every other
difference is sent. Each employee's row in the last import changes once their events were
accepted, so an import stopped halfway and run again sends only what was not yet accepted, and
the same file twice sends nothing.
"""

from __future__ import annotations

import asyncio
import io
import zipfile
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import PurePosixPath

import asyncpg
from pydantic import BaseModel, Field
from temporalio.client import Client, WorkflowUpdateFailedError

from activities.careers import submit_hr_event
from activities.oneroster import OneRosterStore
from domain.calendar import DEFAULT_TIME_ZONE, local_date
from domain.career.career import HrEvent, HrEventKind, SubmitHrEvent
from domain.oneroster import OneRosterError, StaffRecord, diff, read_roster
from pathways.refusals import refusal_of

MAX_BYTES = 200 * 1024 * 1024


class EventResult(BaseModel):
    hr_event_id: str
    employee_id: str
    kind: str
    detail: str
    status: str
    """would_send (a dry run), accepted, already (a hire the career had) or refused."""
    code: str | None = None


class ImportReport(BaseModel):
    dry_run: bool
    users: int
    staff: int
    administrators: int
    problems: list[str] = Field(default_factory=list)
    warnings: list[str] = Field(default_factory=list)
    events: list[EventResult] = Field(default_factory=list)

    @property
    def refused(self) -> int:
        return sum(1 for e in self.events if e.status == "refused")


def files_of(data: bytes) -> dict[str, str]:
    """The CSV files of a OneRoster zip, by file name (folders inside the zip are ignored)."""
    if len(data) > MAX_BYTES:
        raise OneRosterError(f"the file is larger than {MAX_BYTES // 1024 // 1024} MB")
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        raise OneRosterError("the file is not a zip archive") from None
    files: dict[str, str] = {}
    with archive:
        if sum(info.file_size for info in archive.infolist()) > MAX_BYTES:
            raise OneRosterError(f"the files unpack to more than {MAX_BYTES // 1024 // 1024} MB")
        for info in archive.infolist():
            name = PurePosixPath(info.filename).name.lower()
            if not name.endswith(".csv") or info.is_dir():
                continue
            try:
                files[name] = archive.read(info).decode("utf-8-sig")
            except UnicodeDecodeError as error:
                raise OneRosterError(f"{name} is not UTF-8 text: {error.reason}") from None
    return files


def district_today() -> date:
    """Today in the district (the careers' time zone): an import's default effective date."""
    return local_date(datetime.now(UTC), DEFAULT_TIME_ZONE)


def _with(kept: StaffRecord | None, event: HrEvent, now: StaffRecord | None) -> StaffRecord | None:
    """The last import's record of the employee once `event` is applied."""
    match event.kind:
        case HrEventKind.SEPARATION:
            return None
        case HrEventKind.HIRE:
            return now
        case HrEventKind.ROLE_CHANGE if kept is not None:
            return kept.model_copy(update={"role": event.role})
        case HrEventKind.SCHOOL_TRANSFER if kept is not None:
            return kept.model_copy(update={"school_id": event.school_id})
    return kept


#: Employees whose events are delivered at once (update-with-start on their careers).
IN_FLIGHT = 32


async def _deliver(client: Client, event: HrEvent, source: str, task_queue: str) -> EventResult:
    """Send one HR event to its career; a refusal is the result, with its code."""
    result = _result(event, "accepted")
    try:
        await submit_hr_event(client, SubmitHrEvent(event=event, source=source), task_queue)
    except WorkflowUpdateFailedError as error:
        refusal = refusal_of(error)
        if refusal is None:
            raise
        if refusal.code == "career.already_employed" and event.kind is HrEventKind.HIRE:
            return result.model_copy(update={"status": "already"})
        return result.model_copy(
            update={"status": "refused", "code": refusal.code, "detail": str(refusal)}
        )
    return result


def _result(event: HrEvent, status: str) -> EventResult:
    detail = event.role or event.school_id or event.reason or ""
    return EventResult(
        hr_event_id=event.event_id, employee_id=event.employee_id, kind=event.kind.value,
        detail=detail, status=status,
    )  # fmt: skip


async def import_oneroster(
    client: Client,
    pool: asyncpg.Pool,
    data: bytes,
    *,
    effective_on: date,
    source: str,
    task_queue: str,
    local_hr: bool,
    dry_run: bool = False,
    allow_mass_separation: bool = False,
    progress: Callable[[int, int], None] | None = None,
) -> ImportReport:
    roster = read_roster(files_of(data))
    store = OneRosterStore(pool)
    previous = await store.last_import()
    events = diff(previous, roster.staff, effective_on, roster.skipped)
    leaving = sum(1 for e in events if e.kind is HrEventKind.SEPARATION)
    if not allow_mass_separation and len(previous) >= 20 and leaving > 0.2 * len(previous):
        raise OneRosterError(
            f"the file would separate {leaving} of the {len(previous)} staff of the last import: "
            "a file cut short looks like this; check it, or import with the mass separation "
            "allowed"
        )
    report = ImportReport(
        dry_run=dry_run, users=roster.users, staff=len(roster.staff),
        administrators=roster.administrators, problems=[p.text() for p in roster.problems],
        warnings=roster.warnings,
    )  # fmt: skip
    if dry_run:
        report.events = [_result(e, "would_send") for e in events]
        return report
    if local_hr and roster.schools:
        await store.add_schools(roster.schools)
    by_employee: dict[str, list[HrEvent]] = {}
    for event in events:
        by_employee.setdefault(event.employee_id, []).append(event)
    results: dict[str, list[EventResult]] = {}
    gate = asyncio.Semaphore(IN_FLIGHT)

    async def send(employee_id: str, theirs: list[HrEvent]) -> None:
        """One employee's events in order; what the last import holds for them follows what
        their career accepted."""
        async with gate:
            kept, accepted, sent = previous.get(employee_id), True, []
            for event in theirs:
                result = await _deliver(client, event, source, task_queue)
                accepted = accepted and result.status != "refused"
                sent.append(result)
                if result.status != "refused":  # the last import now has this change
                    kept = _with(kept, event, roster.staff.get(employee_id))
            record = roster.staff.get(employee_id) if accepted else kept
            if local_hr:
                await store.write_local_hr(employee_id, record)
            await store.keep(employee_id, record)
            results[employee_id] = sent
            if progress is not None:
                progress(len(results), len(by_employee))

    # Employees side by side (each one's events in order): a night's changes to 60,000 staff
    # are delivered in seconds rather than minutes. A failure stops the rest; what was sent
    # is kept as sent, and the next import sends what was not.
    try:
        async with asyncio.TaskGroup() as group:
            for employee_id, theirs in by_employee.items():
                group.create_task(send(employee_id, theirs))
    except ExceptionGroup as failed:  # the first failure, as the caller reports any one
        raise failed.exceptions[0] from None
    report.events = [r for employee_id in by_employee for r in results[employee_id]]
    return report
