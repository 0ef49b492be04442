"""What the engine needs from the district's external systems, and how they say no.

Three small interfaces (`Hris`, `Payroll`, `Mailer`) with a local implementation backed by
PostgreSQL (`activities.local_systems`) and an HTTP one (`activities.http_systems`).

Two kinds of failure:

* `ExternalSystemError` and its subclasses: the system answered, and asking again will get the
  same answer (an unknown employee, a refused payment). Activities turn these into
  non-retryable Temporal failures whose message tells a program officer what to fix.
* `ExternalSystemUnavailable`: the system did not answer, or answered 5xx. Retrying is safe
  because every payment and message carries its idempotency key, so Temporal retries.
"""

from __future__ import annotations

from typing import Any, Protocol

from domain.external import (
    EmailMessage,
    EmailReceipt,
    Employee,
    EmploymentStatus,
    PaymentReceipt,
    PaymentRequest,
    School,
)

HRIS = "the HR system (HRIS)"
PAYROLL = "payroll"
EMAIL = "the e-mail service"


def sentence(text: str) -> str:
    """`text` with its first letter capitalised, for messages that start with a system name."""
    return text[:1].upper() + text[1:]


class Hris(Protocol):
    async def employee(self, employee_id: str) -> Employee: ...

    async def school(self, school_id: str) -> School: ...

    async def principal_of(self, school_id: str) -> Employee: ...


class Payroll(Protocol):
    async def request_payment(self, request: PaymentRequest) -> PaymentReceipt: ...


class Mailer(Protocol):
    async def send(self, message: EmailMessage) -> EmailReceipt: ...


class ExternalSystemError(Exception):
    """An external system gave a definite answer that a retry will not change."""

    def __init__(self, message: str, **details: Any) -> None:
        super().__init__(message)
        self.message = message
        self.details: dict[str, Any] = details

    def __str__(self) -> str:
        return self.message


class EmployeeNotFound(ExternalSystemError):
    def __init__(self, employee_id: str, system: str = HRIS) -> None:
        super().__init__(
            f"{sentence(system)} has no employee with id {employee_id!r}. Check the id, or add the "
            "employee to the HR roster, then retry.",
            employee_id=employee_id,
            system=system,
        )
        self.employee_id = employee_id


class SchoolNotFound(ExternalSystemError):
    def __init__(self, school_id: str, system: str = HRIS) -> None:
        super().__init__(
            f"{sentence(system)} has no school with id {school_id!r}. Check the id, or add "
            "the school to the HR roster, then retry.",
            school_id=school_id,
            system=system,
        )
        self.school_id = school_id


class NoPrincipalAssigned(ExternalSystemError):
    def __init__(self, school_id: str, system: str = HRIS, *, reason: str | None = None) -> None:
        why = reason or "no principal is assigned to it"
        super().__init__(
            f"School {school_id!r} has no principal in {system}: {why}. Assign the school's "
            "principal in the HR system, then retry.",
            school_id=school_id,
            system=system,
        )
        self.school_id = school_id


class IdempotencyConflict(ExternalSystemError):
    """The key already stands for a different payment or message; nothing was sent."""

    def __init__(self, idempotency_key: str, system: str, difference: str) -> None:
        super().__init__(
            f"{sentence(system)} already holds a request with idempotency key "
            f"{idempotency_key!r} for something else ({difference}); this one was not sent. "
            "Each payment or message needs its own key: ask the engineering team to check the "
            "workflow that built it.",
            idempotency_key=idempotency_key,
            system=system,
        )
        self.idempotency_key = idempotency_key


class ExternalSystemRefused(ExternalSystemError):
    """A 4xx answer the other exceptions do not cover: the system will not take this request."""

    def __init__(self, system: str, what: str, status_code: int, reason: str) -> None:
        if status_code in (401, 403):
            fix = "Ask an operator to check the credentials the engine uses for it"
        elif status_code in (404, 405):
            fix = "Ask an operator to check the engine's URL setting for it"
        else:
            fix = "Correct the request"
        super().__init__(
            f"{sentence(system)} refused {what} (HTTP {status_code}): {reason}. {fix}, then retry.",
            system=system,
            status_code=status_code,
        )
        self.status_code = status_code


class ExternalDataInvalid(ExternalSystemError):
    """The system answered with a record that cannot be right or cannot be stored (a NUL in a
    name, a missing field); asking again gets the same record until someone fixes it there."""

    def __init__(self, system: str, record: str, problems: str) -> None:
        super().__init__(
            f"{sentence(system)} sent {record} with {problems}. Correct the record in "
            f"{system}, then retry.",
            system=system,
            record=record,
        )


class ExternalSystemUnavailable(Exception):
    """The system did not answer usefully (timeout, connection error, 5xx). Safe to retry."""


async def principal_of_school(hris: Hris, school_id: str, system: str) -> Employee:
    """The school's principal, who must be on the roster and still with the district."""
    school = await hris.school(school_id)
    if school.principal_id is None:
        raise NoPrincipalAssigned(school_id, system)
    try:
        employee = await hris.employee(school.principal_id)
    except EmployeeNotFound:
        raise NoPrincipalAssigned(
            school_id,
            system,
            reason=f"the listed principal {school.principal_id!r} is not on the roster",
        ) from None
    if employee.status is EmploymentStatus.SEPARATED:
        raise NoPrincipalAssigned(
            school_id,
            system,
            reason=f"the listed principal {employee.employee_id!r} has left the district",
        )
    return employee
