"""The HTTP adapters against a real local server (tests/fake_district.py)."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator

import asyncpg
import httpx
import pytest
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment

from activities.external import (
    ExternalActivities,
    SystemsConfig,
    build_external,
    choose_hris,
    open_hris,
)
from activities.http_systems import HttpHris, HttpMailer, HttpPayroll, open_http_client
from activities.local_systems import LocalHris, LocalMailer, LocalPayroll
from activities.systems import (
    EmployeeNotFound,
    ExternalSystemRefused,
    ExternalSystemUnavailable,
    IdempotencyConflict,
    NoPrincipalAssigned,
    SchoolNotFound,
)
from domain.external import EmailMessage, Employee, PaymentKind, PaymentRequest, School
from pathways.config import Settings
from tests.fake_district import FakeDistrict

CLIENT_TIMEOUT = 0.3


def stipend(key: str = "stipend:2027:T-100:cohort-1", **changes: object) -> PaymentRequest:
    fields: dict[str, object] = {
        "idempotency_key": key,
        "kind": PaymentKind.STIPEND,
        "payee_id": "T-100",
        "amount_cents": 150_000,
        "memo": "Teacher leader stipend, first installment",
    }
    return PaymentRequest.model_validate(fields | changes)


def teacher(employee_id: str = "T-100", school_id: str = "S-1") -> Employee:
    return Employee(
        employee_id=employee_id,
        full_name="Tom Teacher",
        email=f"{employee_id.lower()}@district.example",
        role="teacher",
        school_id=school_id,
    )


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with open_http_client(CLIENT_TIMEOUT) as client:
        yield client


async def test_payment_500_then_200_pays_once(
    district: FakeDistrict, base_url: str, http: httpx.AsyncClient
) -> None:
    payroll = HttpPayroll(base_url, http)
    district.payroll.fail_next(1)
    with pytest.raises(ExternalSystemUnavailable, match="HTTP 500"):
        await payroll.request_payment(stipend())
    assert district.payroll.records == {}

    receipt = await payroll.request_payment(stipend())
    assert not receipt.duplicate
    assert district.payroll.attempts == 2
    assert list(district.payroll.records) == [receipt.idempotency_key]
    assert district.payroll.records[receipt.idempotency_key].reference == receipt.payroll_reference


async def test_lost_response_then_retry_is_a_duplicate(
    district: FakeDistrict, base_url: str, http: httpx.AsyncClient
) -> None:
    payroll = HttpPayroll(base_url, http)
    district.payroll.fail_next(1, after_recording=True)
    with pytest.raises(ExternalSystemUnavailable):
        await payroll.request_payment(stipend())
    receipt = await payroll.request_payment(stipend())
    assert receipt.duplicate
    assert len(district.payroll.records) == 1
    assert district.payroll.records[receipt.idempotency_key].reference == receipt.payroll_reference


async def test_repeated_key_is_a_duplicate_not_an_error(
    district: FakeDistrict, base_url: str, http: httpx.AsyncClient
) -> None:
    payroll = HttpPayroll(base_url, http)
    first = await payroll.request_payment(stipend())
    second = await payroll.request_payment(stipend())
    assert (first.duplicate, second.duplicate) == (False, True)
    assert first.payroll_reference == second.payroll_reference
    assert len(district.payroll.records) == 1


async def test_same_key_different_payment_is_a_conflict(
    district: FakeDistrict, base_url: str, http: httpx.AsyncClient
) -> None:
    payroll = HttpPayroll(base_url, http)
    await payroll.request_payment(stipend())
    with pytest.raises(IdempotencyConflict, match="stipend:2027:T-100:cohort-1"):
        await payroll.request_payment(stipend(amount_cents=99_00))
    assert len(district.payroll.records) == 1


async def test_refused_payment_is_not_retryable(
    district: FakeDistrict, base_url: str, http: httpx.AsyncClient
) -> None:
    district.payroll_max_amount_cents = 100_000
    with pytest.raises(ExternalSystemRefused, match="exceeds the per-payment limit") as refused:
        await HttpPayroll(base_url, http).request_payment(stipend())
    assert refused.value.status_code == 422
    assert "HTTP 422" in str(refused.value)
    assert district.payroll.records == {}


async def test_refused_email_names_the_field(base_url: str, http: httpx.AsyncClient) -> None:
    message = EmailMessage(
        idempotency_key="email:welcome:T-100:2027", to="nobody", subject="Welcome", body="Hi"
    )
    with pytest.raises(ExternalSystemRefused, match=r"HTTP 422\): to: ") as refused:
        await HttpMailer(base_url, http).send(message)
    assert refused.value.status_code == 422


async def test_email_is_sent_once(
    district: FakeDistrict, base_url: str, http: httpx.AsyncClient
) -> None:
    mailer = HttpMailer(base_url, http)
    message = EmailMessage(
        idempotency_key="email:welcome:T-100:2027",
        to="t100@district.example",
        subject="Welcome to the teacher leader pathway",
        body="Your first session is on 2027-08-20.",
    )
    district.email.fail_next(1)
    with pytest.raises(ExternalSystemUnavailable):
        await mailer.send(message)
    first = await mailer.send(message)
    again = await mailer.send(message)
    assert (first.duplicate, again.duplicate) == (False, True)
    assert first.message_id == again.message_id
    assert len(district.email.records) == 1


async def test_hris_lookups(district: FakeDistrict, base_url: str, http: httpx.AsyncClient) -> None:
    hris = HttpHris(base_url, http)
    principal = teacher("P-1").model_copy(update={"role": "principal"})
    district.add_employee(teacher())
    district.add_employee(principal)
    district.add_school(School(school_id="S-1", name="Lincoln Elementary", principal_id="P-1"))
    district.add_school(School(school_id="S-9", name="Roosevelt Middle"))

    assert await hris.employee("T-100") == teacher()
    assert await hris.principal_of("S-1") == principal
    with pytest.raises(EmployeeNotFound, match="'T-404'"):
        await hris.employee("T-404")
    with pytest.raises(SchoolNotFound, match="'S-404'"):
        await hris.school("S-404")
    with pytest.raises(NoPrincipalAssigned, match="'S-9'"):
        await hris.principal_of("S-9")
    # An id with a slash stays one path segment instead of reaching another endpoint.
    with pytest.raises(EmployeeNotFound):
        await hris.employee("../schools/S-1")


async def test_timeout_is_retryable_and_the_retry_pays_once(
    district: FakeDistrict, base_url: str, http: httpx.AsyncClient
) -> None:
    payroll = HttpPayroll(base_url, http)
    district.payroll.slow_next(CLIENT_TIMEOUT * 3)
    with pytest.raises(ExternalSystemUnavailable, match="did not answer"):
        await payroll.request_payment(stipend())
    receipt = await payroll.request_payment(stipend())
    assert receipt.payroll_reference
    assert district.payroll.attempts == 2
    assert len(district.payroll.records) == 1


async def test_unreachable_system_is_retryable(http: httpx.AsyncClient) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    payroll = HttpPayroll(f"http://clerk:s3cret@127.0.0.1:{port}", http)
    with pytest.raises(ExternalSystemUnavailable, match="Cannot reach payroll") as unreachable:
        await payroll.request_payment(stipend())
    # The message ends up in logs and workflow history: no credentials from the URL.
    assert f"127.0.0.1:{port}/payments" in str(unreachable.value)
    assert "s3cret" not in str(unreachable.value)


async def test_wrong_base_url_is_refused(base_url: str, http: httpx.AsyncClient) -> None:
    with pytest.raises(ExternalSystemRefused, match="HTTP 404") as refused:
        await HttpPayroll(f"{base_url}/not-payroll", http).request_payment(stipend())
    assert "URL setting" in str(refused.value)


async def test_activities_make_definite_answers_non_retryable(
    district: FakeDistrict, base_url: str, http: httpx.AsyncClient
) -> None:
    activities = ExternalActivities(
        HttpHris(base_url, http), HttpPayroll(base_url, http), HttpMailer(base_url, http)
    )
    env = ActivityEnvironment()
    with pytest.raises(ApplicationError) as missing:
        await env.run(activities.hris_employee, "T-404")
    assert missing.value.type == "EmployeeNotFound"
    assert missing.value.non_retryable
    assert "'T-404'" in missing.value.message
    assert missing.value.details == ({"employee_id": "T-404", "system": "the HR system (HRIS)"},)

    district.payroll_max_amount_cents = 1
    with pytest.raises(ApplicationError) as refused:
        await env.run(activities.request_payment, stipend())
    assert (refused.value.type, refused.value.non_retryable) == ("ExternalSystemRefused", True)

    district.payroll_max_amount_cents = None
    district.payroll.fail_next(1)
    with pytest.raises(ExternalSystemUnavailable):
        await env.run(activities.request_payment, stipend())
    receipt = await env.run(activities.request_payment, stipend())
    assert not receipt.duplicate


async def test_build_external_follows_the_url_settings(
    pool: asyncpg.Pool, base_url: str, http: httpx.AsyncClient
) -> None:
    nothing = Settings(PAYROLL_URL=None, HRIS_URL=None, EMAIL_URL=None)
    local = await build_external(nothing.systems, http, pool)
    assert isinstance(local.hris, LocalHris)
    assert isinstance(local.payroll, LocalPayroll)
    assert isinstance(local.mailer, LocalMailer)

    remote = await build_external(Settings(PAYROLL_URL=base_url + "/").systems, http, pool)
    assert isinstance(remote.hris, LocalHris)
    assert isinstance(remote.payroll, HttpPayroll)
    assert isinstance(remote.mailer, LocalMailer)
    receipt = await remote.payroll.request_payment(stipend())
    assert receipt.payroll_reference.startswith("PR-")
    assert [fn.__name__ for fn in remote.activities()] == [
        "hris_employee",
        "hris_school",
        "hris_principal_of",
        "request_payment",
        "send_email",
    ]


async def test_the_command_line_and_the_worker_choose_hr_alike(
    pool: asyncpg.Pool,
    database_url: str,
    base_url: str,
    http: httpx.AsyncClient,
    district: FakeDistrict,
) -> None:
    """One choice of HR for both: over HTTP a command opens no database at all."""
    from activities.db import connect_pool
    from pathways.cli import command_hris

    opened: list[asyncpg.Pool] = []

    async def no_database() -> asyncpg.Pool:
        raise AssertionError("HR over HTTP needs no database")

    remote = SystemsConfig(hris_url=base_url, http_timeout_seconds=CLIENT_TIMEOUT)
    assert isinstance(await choose_hris(remote, http, pool), HttpHris)
    async with open_hris(remote, no_database) as hris:
        assert isinstance(hris, HttpHris)
        district.add_employee(teacher())
        assert (await hris.employee("T-100")).full_name == "Tom Teacher"
    async with command_hris(Settings(HRIS_URL=base_url)) as hris:
        assert isinstance(hris, HttpHris)

    async def database() -> asyncpg.Pool:
        opened.append(await connect_pool(database_url, max_size=1))
        return opened[-1]

    assert isinstance(await choose_hris(SystemsConfig(), http, pool), LocalHris)
    async with open_hris(SystemsConfig(), database) as hris:
        assert isinstance(hris, LocalHris)
        assert len(opened) == 1
    assert opened[0].is_closing()
