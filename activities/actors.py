"""Who is acting, resolved against HR before a command is sent (the rule is `domain.policy`)."""

from __future__ import annotations

from collections.abc import Collection

from activities.systems import EmployeeNotFound, ExternalSystemError, Hris
from domain.external import Employee
from domain.policy import hr_id_of, resolve_actor


async def resolve(hris: Hris, text: str, non_hr_actors: Collection[str]) -> str:
    """The actor as journeys record it; `PolicyRefusal` for one HR or the configuration does
    not vouch for."""
    actor, _ = await resolve_person(hris, text, non_hr_actors)
    return actor


async def resolve_person(
    hris: Hris, text: str, non_hr_actors: Collection[str]
) -> tuple[str, Employee | None]:
    """The actor, and HR's record of them (None for a system, auditor or operator)."""
    employee: Employee | None = None
    person = hr_id_of(text)
    if person is not None:
        try:
            employee = await hris.employee(person)
        except EmployeeNotFound:
            employee = None
    return resolve_actor(text, employee, non_hr_actors), employee


async def principal_of(hris: Hris, school_id: str | None) -> str | None:
    """The principal HR lists for the school (None: no school, or HR cannot say)."""
    if not school_id:
        return None
    try:
        return (await hris.school(school_id)).principal_id
    except (EmployeeNotFound, ExternalSystemError, LookupError):
        return None
