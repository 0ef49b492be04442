"""Training records a personnel file can hold, from a program journey's events.

California's SB 513 (Education Code 44032 and following, as districts apply it to their own
staff's professional learning) asks that a training record name the employee, the provider,
the date and the duration, the competencies the training covered and the certificate or
certification it led to. The event log already keeps each of those facts where it happened:
`PartCompleted` for a course, log, deliverable or assessment, `ProgramCompleted` for the
program's certificate or certification, `CertificationRenewed` and `CertificationExpired` for
what became of it. A session's own date and hours live in the definition the journey ran with;
when it is at hand the record lists every session attended, and when it is not (a history past
Temporal's retention) the course record still holds the hours and the date it was complete.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from decimal import Decimal
from enum import StrEnum

from pydantic import BaseModel, ConfigDict

from domain.attendance import AttendanceStatus
from domain.catalog import definition as defs
from domain.catalog.events import (
    CertificationExpired,
    CertificationRenewed,
    PartCompleted,
    ParticipantIdentified,
    ProgramCompleted,
    ProgramEnrolled,
    SessionMadeUp,
    SessionMarked,
)
from domain.events import DomainEvent


class RecordKind(StrEnum):
    SESSION = "session"
    PART = "part"
    CERTIFICATE = "certificate"
    CERTIFICATION = "certification"
    RENEWAL = "renewal"


class TrainingRecord(BaseModel):
    """One line of a personnel file's training record."""

    model_config = ConfigDict(frozen=True)

    employee_id: str
    full_name: str
    journey_id: str
    program_key: str
    program_title: str
    school_year: str
    kind: RecordKind
    title: str
    provider: str
    completed_on: date
    hours: Decimal
    competencies: tuple[str, ...] = ()
    credential: str | None = None
    """The certificate or certification this record is, or led to."""
    credential_id: str | None = None
    expires_on: date | None = None
    status: str = ""
    """For a certification: valid, expired or renewed, as the log stands now."""


class _Journey:
    """What the fold needs while it walks one journey's events."""

    def __init__(self, journey_id: str) -> None:
        self.journey_id = journey_id
        self.employee_id = ""
        self.full_name = ""
        self.program_key = ""
        self.program_title = ""
        self.school_year = ""
        self.provider = ""
        self.attended: dict[tuple[str, str], date | None] = {}
        self.parts: list[PartCompleted] = []
        """The parts completed in this run (a renewal cycle's, for its record)."""

    def record(self, kind: RecordKind, **fields: object) -> TrainingRecord:
        return TrainingRecord.model_validate(
            {
                "employee_id": self.employee_id,
                "full_name": self.full_name,
                "journey_id": self.journey_id,
                "program_key": self.program_key,
                "program_title": self.program_title,
                "school_year": self.school_year,
                "kind": kind,
                **fields,
            }
        )


def training_records(
    journey_id: str,
    events: Iterable[DomainEvent],
    definitions: Mapping[str, defs.ProgramDefinition] | None = None,
) -> list[TrainingRecord]:
    """Every completion in one journey, in the order it happened. `definitions` are the
    definitions the journey ran with, by school year, when they are at hand."""
    j = _Journey(journey_id)
    out: list[TrainingRecord] = []
    certifications: list[int] = []
    for event in events:
        match event:
            case ProgramEnrolled():
                j.employee_id, j.program_key = event.employee_id, event.program_key
                j.program_title, j.school_year = event.program_title, event.school_year
                j.attended, j.parts = {}, []
            case ParticipantIdentified():
                j.full_name = event.full_name
            case SessionMarked():
                present = event.status is AttendanceStatus.PRESENT
                key = (event.part_id, event.session_id)
                if present:
                    j.attended[key] = None
                elif j.attended.get(key) is None:
                    j.attended.pop(key, None)  # a correction: not there after all
            case SessionMadeUp():
                j.attended[(event.part_id, event.session_id)] = event.made_up_on
            case PartCompleted():
                j.provider = j.provider or event.provider
                j.parts.append(event)
                definition = (definitions or {}).get(j.school_year)
                out += _sessions(j, event, definition)
                out.append(
                    j.record(
                        RecordKind.PART,
                        title=event.title,
                        provider=event.provider,
                        completed_on=event.completed_on,
                        hours=event.hours,
                        competencies=tuple(event.competencies),
                    )
                )
            case ProgramCompleted():
                certified = event.expires_on is not None
                kind = RecordKind.CERTIFICATION if certified else RecordKind.CERTIFICATE
                if certified:
                    certifications.append(len(out))
                out.append(
                    j.record(
                        kind,
                        title=event.title,
                        provider=event.provider,
                        completed_on=event.completed_on,
                        hours=event.hours,
                        competencies=tuple(event.competencies),
                        credential=event.award or event.title,
                        credential_id=event.certificate_id,
                        expires_on=event.expires_on,
                        status="valid" if certified else "",
                    )
                )
            case CertificationRenewed():
                for at in certifications:
                    out[at] = out[at].model_copy(update={"status": "renewed"})
                certifications.append(len(out))
                competencies = [c for part in j.parts for c in part.competencies]
                out.append(
                    j.record(
                        RecordKind.RENEWAL,
                        title=f"{j.program_title}: renewal",
                        provider=j.provider,
                        completed_on=event.renewed_on,
                        hours=sum((part.hours for part in j.parts), Decimal(0)),
                        competencies=tuple(dict.fromkeys(competencies)),
                        credential=event.title,
                        expires_on=event.expires_on,
                        status="valid",
                    )
                )
            case CertificationExpired():
                for at in certifications:
                    if out[at].status == "valid":
                        out[at] = out[at].model_copy(update={"status": "expired"})
            case _:
                pass
    return out


def _sessions(
    j: _Journey, done: PartCompleted, definition: defs.ProgramDefinition | None
) -> list[TrainingRecord]:
    """The sessions of a completed course, each with its own date and hours."""
    if definition is None:
        return []
    part = next((p for p in definition.parts if p.id == done.part_id), None)
    if not isinstance(part, defs.Course):
        return []
    lines = []
    for session in part.sessions:
        if (part.id, session.id) not in j.attended:
            continue
        made_up = j.attended[(part.id, session.id)]
        title = session.title or session.id
        lines.append(
            j.record(
                RecordKind.SESSION,
                title=f"{part.title}: {title}" + (" (made up)" if made_up else ""),
                provider=done.provider,
                completed_on=made_up or session.on,
                hours=session.hours,
                competencies=tuple(part.competencies),
            )
        )
    return lines


def total_hours(records: Iterable[TrainingRecord]) -> Decimal:
    """The hours a record set stands for: each part once (sessions are inside their course)."""
    return sum((r.hours for r in records if r.kind is RecordKind.PART), Decimal(0))
