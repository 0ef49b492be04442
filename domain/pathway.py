"""What the engine knows about a pathway: the shape of one entry of the registry.

A pathway is a kind of journey (a teacher leader's year, a fellowship, a service commitment).
Its entry names the workflow that runs it, the input the workflow starts from and the
definition inside that input, how its journeys are named and found (the id scheme and search
attributes), what is checked before one starts, and how it hears each change HR reports. Every
interface (the CLI, rosters, graduation, later the API) starts journeys and fans out HR changes
through these entries, so a new pathway is one more entry, not one more code path.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ConfigDict

from domain.events import DomainEvent
from domain.external import Employee, EmploymentStatus
from domain.hr import HrNews
from domain.refusals import Refusal

#: The search attributes every journey carries, in this order; `JourneyAttributes` fills them.
SEARCH_ATTRIBUTES = (
    "EmployeeId",
    "Pathway",
    "ProgramYear",
    "SchoolId",
    "LeaderRole",
    "JourneyStage",
)


#: Set only while a journey waits on a fix of a district record, to the answer's error type
#: (e.g. `NoPrincipalAssigned`): the program office's queue lists journeys by it.
WAITING_ON_FIX = "WaitingOnFix"


class JourneyAttributes(BaseModel):
    """How program staff and HR find a journey: the same six facts for every pathway."""

    model_config = ConfigDict(frozen=True)

    employee_id: str
    pathway: str
    program_year: str
    school_id: str
    leader_role: str
    journey_stage: str

    def by_name(self) -> dict[str, str]:
        values = (
            self.employee_id,
            self.pathway,
            self.program_year,
            self.school_id,
            self.leader_role,
            self.journey_stage,
        )
        return dict(zip(SEARCH_ATTRIBUTES, values, strict=True))


class StartRefused(Refusal):
    """A journey that must not start: one line a program officer or HR can act on."""


def require_employed(employee: Employee) -> None:
    """A journey starts only for someone HR lists as working for the district."""
    if employee.status is EmploymentStatus.SEPARATED:
        raise StartRefused(
            code="start.separated",
            message=f"HR lists {employee.employee_id} ({employee.full_name}) as separated from the "
            "district; no journey can start for them",
        )


def require_open(now: datetime, closes_at: datetime, what: str) -> None:
    """Refuse the start once `what` (the applications, the year) closed at `closes_at`."""
    if now > closes_at:
        raise StartRefused(
            code="application.closed", message=f"{what} closed at {closes_at.isoformat()}"
        )


def require_eligible(why_not: str | None) -> None:
    """Refuse the start when the pathway's eligibility rule gave a reason."""
    if why_not is not None:
        raise StartRefused(code="start.ineligible_title", message=why_not)


def person_named(fields: Mapping[str, object]) -> str | None:
    """Whose journey a status (or an event's payload) is about: its `employee_id`, or for a
    service commitment its `fellow_id`; None when it names no one."""
    found = fields.get("employee_id") or fields.get("fellow_id")
    return found if isinstance(found, str) and found else None


InputT = TypeVar("InputT", bound=BaseModel)

#: An update a journey takes, by name (a contract with recorded histories), and its argument.
Told = tuple[str, BaseModel]

#: The same fold one event at a time, in place: the state passed in (None: a new one) is the
#: caller's own, is changed, and is returned.
FoldInto = Callable[[Any, DomainEvent], BaseModel]

#: How each of the pathway's event types reads in an auditor's timeline.
Sentences = Mapping[type[DomainEvent], Callable[[Any], str]]


@dataclass(frozen=True)
class Pathway(Generic[InputT]):
    key: str
    """The `Pathway` search attribute, e.g. "teacher_leader"."""
    title: str
    noun: str
    """One journey of the pathway in words, e.g. "a teacher leader journey"."""
    workflow_type: str
    """The workflow's type name: a contract with every recorded history."""
    input_type: type[InputT]
    definition_type: type[BaseModel]
    status_type: type[BaseModel]
    id_prefix: str
    """Every journey id of the pathway starts with it, e.g. "teacher-leader/"."""
    command_group: str
    """The CLI's command group for the pathway's journeys."""
    journey_id: Callable[[InputT], str]
    definition_of: Callable[[InputT], BaseModel]
    employee_of: Callable[[InputT], str]
    school_of: Callable[[InputT], str | None]
    """The school the start names, which HR must list for the employee (None: not named)."""
    attributes: Callable[[InputT, Employee], JourneyAttributes]
    check_start: Callable[[InputT, Employee, datetime], None]
    """Raises `StartRefused` when the pathway's own rules say no (deadlines, titles)."""
    hears: Callable[[HrNews], Told | None]
    """How a journey of this pathway is told an HR change; None when it does not care."""
    explain: Sentences
    """A sentence for each event of the pathway's journeys (`audit explain`)."""
    person_of: Callable[[Any], Employee | None] = lambda inp: None
    """The participant the start itself names, for pathways whose participants HR does not list
    (parents, students); None: ask HR for `employee_of`."""
    check_input: Callable[[InputT, datetime], None] | None = None
    """Raises `StartRefused` when the input alone says no (a window closed, a date still to
    come): the start path checks it before asking HR, so a command can refuse before it
    contacts anything. None: the pathway has no such rule."""
    fold_into: FoldInto | None = None
    """The same fold in place, one event at a time, for a reader that folds many journeys as
    their events arrive (a read model's rebuild) without copying the journey per event; None
    where the pathway has none yet."""

    def owns(self, journey_id: str) -> bool:
        return journey_id.startswith(self.id_prefix)
