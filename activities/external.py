"""Temporal activities for the district's HR, payroll and e-mail systems.

Workers register `build_external(settings, pool, http_client).activities()`. Each system is
reached over HTTP when its URL setting (`HRIS_URL`, `PAYROLL_URL`, `EMAIL_URL`) is present and
through the local PostgreSQL stand-in otherwise.

A definite "no" from a system (unknown employee, school without a principal, a key that
already stands for another payment, a refused request) fails the activity with a
non-retryable `ApplicationError` whose `type` is the exception's class name, e.g.
`"EmployeeNotFound"`, and whose first detail is a dict of the ids involved. Anything else
(timeouts, 5xx, a database hiccup) propagates and Temporal retries it under the caller's
retry policy; the idempotency key makes those retries safe.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import asyncpg
import httpx
import structlog
from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities.http_systems import HttpHris, HttpMailer, HttpPayroll, open_http_client
from activities.local_systems import LocalHris, LocalMailer, LocalPayroll
from activities.systems import ExternalSystemError, Hris, Mailer, Payroll
from domain.external import (
    EmailMessage,
    EmailReceipt,
    Employee,
    PaymentReceipt,
    PaymentRequest,
    School,
)
from pathways.config import Settings

__all__ = ["ExternalActivities", "build_external", "open_http_client"]

log = structlog.get_logger(__name__)


@contextmanager
def _definite_answers(event: str, **ids: Any) -> Iterator[None]:
    """Turn a system's definite refusal into a failure Temporal does not retry."""
    try:
        yield
    except ExternalSystemError as error:
        kind = type(error).__name__
        log.warning(event, error_type=kind, **ids)
        raise ApplicationError(
            error.message, error.details, type=kind, non_retryable=True
        ) from error


class ExternalActivities:
    """The activities that talk to HR, payroll and e-mail; names are part of workflow history."""

    def __init__(self, hris: Hris, payroll: Payroll, mailer: Mailer) -> None:
        self.hris = hris
        self.payroll = payroll
        self.mailer = mailer

    def activities(self) -> list[Callable[..., Any]]:
        """Everything to pass to `Worker(activities=...)`."""
        return [
            self.hris_employee,
            self.hris_school,
            self.hris_principal_of,
            self.request_payment,
            self.send_email,
        ]

    @activity.defn(name="hris_employee")
    async def hris_employee(self, employee_id: str) -> Employee:
        with _definite_answers("employee lookup failed", employee_id=employee_id):
            return await self.hris.employee(employee_id)

    @activity.defn(name="hris_school")
    async def hris_school(self, school_id: str) -> School:
        with _definite_answers("school lookup failed", school_id=school_id):
            return await self.hris.school(school_id)

    @activity.defn(name="hris_principal_of")
    async def hris_principal_of(self, school_id: str) -> Employee:
        with _definite_answers("principal lookup failed", school_id=school_id):
            return await self.hris.principal_of(school_id)

    @activity.defn(name="request_payment")
    async def request_payment(self, request: PaymentRequest) -> PaymentReceipt:
        ids = {
            "idempotency_key": request.idempotency_key,
            "kind": request.kind.value,
            "payee_id": request.payee_id,
            "amount_cents": request.amount_cents,
            "currency": request.currency,
        }
        with _definite_answers("payment not made", **ids):
            receipt = await self.payroll.request_payment(request)
        log.info(
            "payment requested",
            **ids,
            duplicate=receipt.duplicate,
            payroll_reference=receipt.payroll_reference,
        )
        return receipt

    @activity.defn(name="send_email")
    async def send_email(self, message: EmailMessage) -> EmailReceipt:
        with _definite_answers("e-mail not sent", idempotency_key=message.idempotency_key):
            receipt = await self.mailer.send(message)
        log.info(
            "e-mail sent",
            idempotency_key=message.idempotency_key,
            message_id=receipt.message_id,
            duplicate=receipt.duplicate,
        )
        return receipt


def build_external(
    settings: Settings, pool: asyncpg.Pool, http_client: httpx.AsyncClient
) -> ExternalActivities:
    """HTTP adapters for the systems whose URL is set, local PostgreSQL stand-ins for the rest.

    `http_client` is shared by the HTTP adapters (see `activities.http_systems.open_http_client`,
    which applies `HTTP_TIMEOUT_SECONDS`); the caller owns and closes it.
    """
    hris: Hris = HttpHris(settings.hris_url, http_client) if settings.hris_url else LocalHris(pool)
    payroll: Payroll = (
        HttpPayroll(settings.payroll_url, http_client)
        if settings.payroll_url
        else LocalPayroll(pool)
    )
    mailer: Mailer = (
        HttpMailer(settings.email_url, http_client) if settings.email_url else LocalMailer(pool)
    )
    log.info(
        "external systems",
        hris="http" if settings.hris_url else "local",
        payroll="http" if settings.payroll_url else "local",
        email="http" if settings.email_url else "local",
    )
    return ExternalActivities(hris, payroll, mailer)
