"""What the HR system tells the engine about a person, in the engine's words.

HR reports changes (a role change, a transfer, a leave, a separation); every pathway hears the
ones that matter to it in its own terms, which the pathway registry (`domain.registry`) names.
Before any journey hears one, `check_hr_change` holds for it, whoever sends it (the command
line's `commitment hr-event`, the fan-out to every open journey of the employee).
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum

from pydantic import Field

from domain.commands import Command
from domain.external import School
from domain.refusals import Refusal


class HrChange(StrEnum):
    ROLE_CHANGE = "role_change"
    SCHOOL_TRANSFER = "school_transfer"
    LEAVE_START = "leave_start"
    LEAVE_END = "leave_end"
    SEPARATION = "separation"


class HrNews(Command):
    """One change HR reports about an employee, before any pathway has heard it."""

    employee_id: str = Field(min_length=1)
    change: HrChange
    effective_on: date
    role: str | None = None
    school_id: str | None = None
    reason: str | None = None


NOT_RECORDED = "The change was not recorded."


def school_named(change: HrChange, school_id: str | None) -> str | None:
    """The school HR must list before the change is heard: the one the change names (a school
    transfer must name its new school)."""
    if change is HrChange.SCHOOL_TRANSFER and not school_id:
        raise Refusal(
            f"a school transfer needs the new school id. {NOT_RECORDED}", code="hr.school_required"
        )
    return school_id or None


def check_hr_change(
    change: HrChange, school_id: str | None, school: School | None, hr_says: str = ""
) -> None:
    """What holds before any journey hears an HR change: `school_named` holds, and a school it
    names is one HR lists (`school` is HR's record of it, None when HR lists none, with HR's
    words in `hr_says`). A school HR does not list cannot count as qualifying service, nor be
    where anyone works."""
    named = school_named(change, school_id)
    if named is None:
        return
    if school is None or school.school_id != named:
        said = hr_says or f"HR lists no school with id {named!r}."
        raise Refusal(f"{said} {NOT_RECORDED}", code="hr.unknown_school")
