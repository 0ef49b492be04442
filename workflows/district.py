"""The district's systems as workflows call them: HR look-ups, payroll and e-mail.

Each call is one activity with the same timeout and retry policy, keyed by the workflow's id so
that a retry, a crashed worker or a replay repeats the same idempotency key.
"""

from __future__ import annotations

from datetime import timedelta
from uuid import UUID

from temporalio import workflow
from temporalio.common import RetryPolicy

with workflow.unsafe.imports_passed_through():
    from domain.external import (
        EmailMessage,
        EmailReceipt,
        Employee,
        PaymentKind,
        PaymentReceipt,
        PaymentRequest,
    )

ACTIVITY_TIMEOUT = timedelta(seconds=30)
EXTERNAL_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=1),
    backoff_coefficient=2.0,
    maximum_interval=timedelta(minutes=5),
)
NIL_ID = UUID(int=0)


def nil_id() -> UUID:
    """The id update validators hand to domain decisions: they must not draw on the
    workflow's random stream, which only the accepted handler may advance."""
    return NIL_ID


async def employee(employee_id: str) -> Employee:
    found: Employee = await workflow.execute_activity(
        "hris_employee",
        employee_id,
        result_type=Employee,
        start_to_close_timeout=ACTIVITY_TIMEOUT,
        retry_policy=EXTERNAL_RETRY,
    )
    return found


async def principal_of(school_id: str) -> Employee:
    principal: Employee = await workflow.execute_activity(
        "hris_principal_of",
        school_id,
        result_type=Employee,
        start_to_close_timeout=ACTIVITY_TIMEOUT,
        retry_policy=EXTERNAL_RETRY,
    )
    return principal


async def pay(
    key: str, kind: PaymentKind, payee_id: str, amount_cents: int, memo: str
) -> PaymentReceipt:
    receipt: PaymentReceipt = await workflow.execute_activity(
        "request_payment",
        PaymentRequest(
            idempotency_key=key,
            kind=kind,
            payee_id=payee_id,
            amount_cents=amount_cents,
            memo=memo,
            workflow_id=workflow.info().workflow_id,
        ),
        result_type=PaymentReceipt,
        start_to_close_timeout=ACTIVITY_TIMEOUT,
        retry_policy=EXTERNAL_RETRY,
    )
    return receipt


async def email(key: str, to: str, subject: str, body: str) -> EmailReceipt:
    sent: EmailReceipt = await workflow.execute_activity(
        "send_email",
        EmailMessage(
            idempotency_key=key,
            to=to,
            subject=subject,
            body=body,
            workflow_id=workflow.info().workflow_id,
        ),
        result_type=EmailReceipt,
        start_to_close_timeout=ACTIVITY_TIMEOUT,
        retry_policy=EXTERNAL_RETRY,
    )
    return sent


async def send_notice(to: str, address: str, topic: str, subject: str, body: str) -> str:
    """E-mail a notice under the key `<workflow>/notice/<topic>/<to>`; returns the key."""
    key = f"{workflow.info().workflow_id}/notice/{topic}/{to}"
    await email(key, address, subject, body)
    return key
