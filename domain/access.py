"""Who read what: the access log's entries (written by `activities.access_log`).

Every reading of a person's records through one of the system's doors is recorded: a journey's
page or status, a career, a program year's roster, a report. The reader is written as actors are
everywhere (`office:ana`, `e-1001`, `auditor:kay`), or as the API key (`api:<name>`) or the
command line's operator (`pathways-cli <operator>@<host>`) that read.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict


class Door(StrEnum):
    WEB = "web"
    API = "api"
    CLI = "cli"
    CODEC = "codec"


class Read(StrEnum):
    """What was read."""

    JOURNEY = "journey"
    CAREER = "career"
    ROSTER = "roster"
    REPORT = "report"
    TIMELINE = "timeline"
    """A journey's decisions from the event log (`audit explain`)."""
    EXPORT = "export"
    """Every record of the person, exported (`privacy export`)."""
    PAYLOADS = "payloads"
    """A journey's Temporal payloads, decoded for the Temporal Web UI (the codec server)."""


class Access(BaseModel):
    model_config = ConfigDict(frozen=True)

    at: datetime
    reader: str
    door: Door
    what: Read
    subject: str
    """The journey id, employee id, program year or report read."""
    employee_id: str | None = None
    """Whose record it is, when one person's."""

    def line(self) -> str:
        whose = f" ({self.employee_id})" if self.employee_id else ""
        return f"{self.reader} read {self.what.value} {self.subject}{whose} through {self.door}"
