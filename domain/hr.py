"""What the HR system tells the engine about a person, in the engine's words.

HR reports changes (a role change, a transfer, a leave, a separation); every pathway hears the
ones that matter to it in its own terms, which the pathway registry (`domain.registry`) names.
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum

from pydantic import Field

from domain.commands import Command


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
