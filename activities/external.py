"""Temporal activities for the district's HR, payroll and e-mail systems.

Workers register `(await build_external(systems, http_client, pool)).activities()`, where
`systems` (a `SystemsConfig`, built by the entry point from `HRIS_URL`, `PAYROLL_URL`,
`EMAIL_URL` and `HTTP_TIMEOUT_SECONDS`) says where each system is: reached over HTTP when its
URL is given and through the local PostgreSQL stand-in otherwise. `choose_hris` is the one
place that decides it for HR; the worker and the command line both use it.

A definite "no" from a system (unknown employee, school without a principal, a key that
already stands for another payment, a refused request) fails the activity with a
non-retryable `ApplicationError` whose `type` is the exception's class name, e.g.
`"EmployeeNotFound"`, and whose first detail is a dict of the ids involved. Anything else
(timeouts, 5xx, a database hiccup) propagates and Temporal retries it under the caller's
retry policy; the idempotency key makes those retries safe.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import AsyncExitStack, asynccontextmanager, contextmanager
from dataclasses import dataclass
from typing import Any, TypeAlias, TypeVar

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

__all__ = [
    "ExternalActivities",
    "SystemsConfig",
    "build_external",
    "choose_hris",
    "open_hris",
    "open_http_client",
]

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


@dataclass(frozen=True)
class SystemsConfig:
    """Where the district's HR, payroll and e-mail systems are: a base URL each (None: the
    local PostgreSQL stand-in), and how long an HTTP request may take."""

    hris_url: str | None = None
    payroll_url: str | None = None
    email_url: str | None = None
    http_timeout_seconds: float = 10.0


#: An open pool, or how to open one when a local stand-in first needs it (the command line
#: opens no database for an HR it reaches over HTTP).
PoolSource: TypeAlias = asyncpg.Pool | Callable[[], Awaitable[asyncpg.Pool]]
System = TypeVar("System")


async def _choose(
    url: str | None,
    http: httpx.AsyncClient,
    pool: PoolSource,
    remote: Callable[[str, httpx.AsyncClient], System],
    local: Callable[[asyncpg.Pool], System],
) -> System:
    if url:
        return remote(url, http)
    return local(pool if isinstance(pool, asyncpg.Pool) else await pool())


async def choose_hris(systems: SystemsConfig, http: httpx.AsyncClient, pool: PoolSource) -> Hris:
    """HR's API when `hris_url` is set, otherwise the local HR tables."""
    return await _choose(systems.hris_url, http, pool, HttpHris, LocalHris)


@asynccontextmanager
async def open_hris(
    systems: SystemsConfig, open_pool: Callable[[], Awaitable[asyncpg.Pool]]
) -> AsyncIterator[Hris]:
    """HR for one short task (a command): `choose_hris` with a client of its own, and a pool
    from `open_pool` only when HR is the local tables; both are closed on the way out."""
    async with AsyncExitStack() as stack:
        http = await stack.enter_async_context(open_http_client(systems.http_timeout_seconds))

        async def pool() -> asyncpg.Pool:
            opened = await open_pool()
            stack.push_async_callback(opened.close)
            return opened

        yield await choose_hris(systems, http, pool)


async def build_external(
    systems: SystemsConfig, http: httpx.AsyncClient, pool: asyncpg.Pool
) -> ExternalActivities:
    """HTTP adapters for the systems whose URL is set, local PostgreSQL stand-ins for the rest.

    `http` is shared by the HTTP adapters (see `activities.http_systems.open_http_client`,
    which takes `systems.http_timeout_seconds`); the caller owns and closes it.
    """
    hris = await choose_hris(systems, http, pool)
    payroll: Payroll = await _choose(systems.payroll_url, http, pool, HttpPayroll, LocalPayroll)
    mailer: Mailer = await _choose(systems.email_url, http, pool, HttpMailer, LocalMailer)
    log.info(
        "external systems",
        hris="http" if isinstance(hris, HttpHris) else "local",
        payroll="http" if isinstance(payroll, HttpPayroll) else "local",
        email="http" if isinstance(mailer, HttpMailer) else "local",
    )
    return ExternalActivities(hris, payroll, mailer)
