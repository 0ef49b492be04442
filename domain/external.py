"""Messages exchanged with the district's external systems: HR, payroll and e-mail.

Workflows build these; activities carry them to a real system or to its local stand-in.
Every request that moves money or sends a message carries an idempotency key derived from
stable ids (never from time or chance), so a retry, a crashed worker or a replay repeats the
same key and the receiving system does the work once.
"""

from __future__ import annotations

import unicodedata
from datetime import date, datetime
from enum import StrEnum
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from domain.commands import Command


def storable(text: str) -> str:
    """Refuse control characters (a NUL above all): PostgreSQL cannot store a NUL in text or
    jsonb, and no name, id or e-mail address from HR has a reason to carry one."""
    for index, char in enumerate(text):
        if char not in "\t\n" and unicodedata.category(char) == "Cc":
            raise ValueError(
                f"contains the control character U+{ord(char):04X} at position {index + 1}, "
                "which cannot be stored"
            )
    return text


HrText = Annotated[str, AfterValidator(storable)]
"""Text that comes from outside (HR, a CSV): checked where it enters."""


class EmploymentStatus(StrEnum):
    ACTIVE = "active"
    LEAVE = "leave"
    SEPARATED = "separated"


class Employee(BaseModel):
    model_config = ConfigDict(frozen=True)

    employee_id: HrText = Field(min_length=1)
    full_name: HrText = Field(min_length=1)
    email: HrText = Field(min_length=3)
    role: HrText = Field(min_length=1, description="job title in the HR system, e.g. 'teacher'")
    school_id: HrText | None = None
    status: EmploymentStatus = EmploymentStatus.ACTIVE
    role_since: date | None = Field(None, description="when the employee took the current role")
    credentials: tuple[HrText, ...] = Field(
        (), description="credentials HR lists, e.g. 'administrative_services_tier1'"
    )


class School(BaseModel):
    model_config = ConfigDict(frozen=True)

    school_id: HrText = Field(min_length=1)
    name: HrText = Field(min_length=1)
    principal_id: HrText | None = None


class PaymentKind(StrEnum):
    STIPEND = "stipend"
    SUBSTITUTE_REIMBURSEMENT = "substitute_reimbursement"
    FINANCIAL_ASSISTANCE = "financial_assistance"
    REPAYMENT = "repayment"


class PaymentRequest(BaseModel):
    """One payment for payroll. Money is integer cents, never a float."""

    model_config = ConfigDict(frozen=True)

    idempotency_key: str = Field(min_length=8, max_length=200)
    kind: PaymentKind
    payee_id: str = Field(min_length=1, description="an employee id or a school id")
    amount_cents: int = Field(gt=0)
    currency: str = Field("USD", pattern=r"^[A-Z]{3}$")
    memo: str = Field(min_length=1, max_length=500)
    workflow_id: str | None = None


class PaymentReceipt(BaseModel):
    model_config = ConfigDict(frozen=True)

    idempotency_key: str
    payroll_reference: str
    duplicate: bool = Field(description="payroll already had this request; nothing new was paid")


class EmailMessage(BaseModel):
    model_config = ConfigDict(frozen=True)

    idempotency_key: str = Field(min_length=8, max_length=200)
    to: str = Field(min_length=3)
    subject: str = Field(min_length=1, max_length=300)
    body: str
    workflow_id: str | None = None


class EmailReceipt(BaseModel):
    model_config = ConfigDict(frozen=True)

    idempotency_key: str
    message_id: str
    duplicate: bool


#: What a district system answers that only a correction of its records puts right: asking
#: again gets the same answer until someone fixes the record there (`activities.systems`).
NEEDS_DATA_FIX = frozenset(
    {"ExternalDataInvalid", "EmployeeNotFound", "SchoolNotFound", "NoPrincipalAssigned"}
)


class DataFixNeeded(BaseModel):
    """A journey waiting for a district system's record to be corrected: what the system sent
    cannot be right or cannot be stored, or a record the journey needs is missing. The journey
    asks again at `next_try_at`, and at once when someone says the record is fixed
    (`RetryAfterFix`); it goes on where it stopped as soon as the answer is usable."""

    model_config = ConfigDict(frozen=True)

    system: str = Field(description="e.g. 'the HR system (HRIS)'")
    record: str = Field(description="e.g. \"employee 'e-9'\"")
    error_type: str = Field(description="e.g. ExternalDataInvalid, NoPrincipalAssigned")
    problem: str = Field(description="the system's answer, in words an officer can act on")
    asked: str = Field(description="what the journey asked: the activity, e.g. hris_employee")
    since: datetime
    attempts: int = Field(ge=1, description="answers that needed the fix so far")
    next_try_at: datetime


class RetryAfterFix(Command):
    """Someone corrected the record a journey waits on: ask the system again now."""

    requested_by: str = Field(min_length=1, description="e.g. operator:jo, office:ana, hris")
