"""The PostgreSQL stand-ins for HR, payroll and e-mail."""

from __future__ import annotations

import asyncio

import asyncpg
import pytest

from activities.local_systems import LocalHris, LocalMailer, LocalPayroll
from activities.systems import (
    EmployeeNotFound,
    IdempotencyConflict,
    NoPrincipalAssigned,
    SchoolNotFound,
)
from domain.external import (
    EmailMessage,
    Employee,
    EmploymentStatus,
    PaymentKind,
    PaymentRequest,
    School,
)


def stipend(key: str = "stipend:2027:T-100:cohort-1", **changes: object) -> PaymentRequest:
    fields: dict[str, object] = {
        "idempotency_key": key,
        "kind": PaymentKind.STIPEND,
        "payee_id": "T-100",
        "amount_cents": 150_000,
        "memo": "Teacher leader stipend, first installment",
        "workflow_id": "teacher-leader-T-100-2027",
    }
    return PaymentRequest.model_validate(fields | changes)


def welcome(key: str = "email:welcome:T-100:2027", **changes: object) -> EmailMessage:
    fields: dict[str, object] = {
        "idempotency_key": key,
        "to": "t100@district.example",
        "subject": "Welcome to the teacher leader pathway",
        "body": "Your first session is on 2027-08-20.",
    }
    return EmailMessage.model_validate(fields | changes)


async def count(pool: asyncpg.Pool, table: str) -> int:
    value = await pool.fetchval(f"SELECT count(*) FROM {table}")
    assert isinstance(value, int)
    return value


async def test_repeated_payment_is_recorded_once(pool: asyncpg.Pool) -> None:
    payroll = LocalPayroll(pool)
    first = await payroll.request_payment(stipend())
    second = await payroll.request_payment(stipend())
    assert not first.duplicate
    assert second.duplicate
    assert second.payroll_reference == first.payroll_reference
    assert await count(pool, "payroll_requests") == 1


async def test_same_key_for_a_different_payment_is_a_conflict(pool: asyncpg.Pool) -> None:
    payroll = LocalPayroll(pool)
    await payroll.request_payment(stipend())
    with pytest.raises(IdempotencyConflict) as conflict:
        await payroll.request_payment(stipend(amount_cents=200_000))
    assert "stipend:2027:T-100:cohort-1" in str(conflict.value)
    assert "1500.00 USD" in str(conflict.value) and "2000.00 USD" in str(conflict.value)
    with pytest.raises(IdempotencyConflict):
        await payroll.request_payment(stipend(payee_id="T-200"))
    with pytest.raises(IdempotencyConflict):
        await payroll.request_payment(stipend(kind=PaymentKind.FINANCIAL_ASSISTANCE))
    amount = await pool.fetchval("SELECT amount_cents FROM payroll_requests")
    assert amount == 150_000


async def test_concurrent_identical_payments_record_one_row(pool: asyncpg.Pool) -> None:
    payroll = LocalPayroll(pool)
    receipts = await asyncio.gather(*(payroll.request_payment(stipend()) for _ in range(10)))
    assert await count(pool, "payroll_requests") == 1
    assert len({r.payroll_reference for r in receipts}) == 1
    assert sorted(r.duplicate for r in receipts) == [False] + [True] * 9


async def test_distinct_keys_are_distinct_payments(pool: asyncpg.Pool) -> None:
    payroll = LocalPayroll(pool)
    a = await payroll.request_payment(stipend("stipend:2027:T-100:installment-1"))
    b = await payroll.request_payment(stipend("stipend:2027:T-100:installment-2"))
    assert a.payroll_reference != b.payroll_reference
    assert await count(pool, "payroll_requests") == 2


async def test_repeated_email_is_queued_once(pool: asyncpg.Pool) -> None:
    mailer = LocalMailer(pool)
    first = await mailer.send(welcome())
    second = await mailer.send(welcome())
    assert not first.duplicate
    assert second.duplicate
    assert second.message_id == first.message_id
    assert await count(pool, "email_outbox") == 1


async def test_same_key_for_a_different_email_is_a_conflict(pool: asyncpg.Pool) -> None:
    mailer = LocalMailer(pool)
    await mailer.send(welcome())
    with pytest.raises(IdempotencyConflict, match="recipient"):
        await mailer.send(welcome(to="someone.else@district.example"))
    with pytest.raises(IdempotencyConflict, match="body"):
        await mailer.send(welcome(body="Your first session moved to 2027-08-27."))
    assert await count(pool, "email_outbox") == 1


async def test_concurrent_identical_emails_queue_one_row(pool: asyncpg.Pool) -> None:
    mailer = LocalMailer(pool)
    receipts = await asyncio.gather(*(mailer.send(welcome()) for _ in range(10)))
    assert await count(pool, "email_outbox") == 1
    assert len({r.message_id for r in receipts}) == 1
    assert sorted(r.duplicate for r in receipts) == [False] + [True] * 9


async def test_hris_upsert_and_read_back(pool: asyncpg.Pool) -> None:
    hris = LocalHris(pool)
    principal = Employee(
        employee_id="P-1",
        full_name="Ada Principal",
        email="p1@district.example",
        role="principal",
        school_id="S-1",
    )
    teacher = Employee(
        employee_id="T-100",
        full_name="Tom Teacher",
        email="t100@district.example",
        role="teacher",
        school_id="S-1",
    )
    await hris.upsert_employee(principal)
    await hris.upsert_employee(teacher)
    await hris.upsert_school(School(school_id="S-1", name="Lincoln Elementary", principal_id="P-1"))

    assert await hris.employee("T-100") == teacher
    assert await hris.school("S-1") == School(
        school_id="S-1", name="Lincoln Elementary", principal_id="P-1"
    )
    assert await hris.principal_of("S-1") == principal

    moved = teacher.model_copy(update={"school_id": "S-2", "status": EmploymentStatus.LEAVE})
    await hris.upsert_employee(moved)
    assert await hris.employee("T-100") == moved


async def test_school_without_principal(pool: asyncpg.Pool) -> None:
    hris = LocalHris(pool)
    await hris.upsert_school(School(school_id="S-9", name="Roosevelt Middle"))
    with pytest.raises(NoPrincipalAssigned, match="'S-9'"):
        await hris.principal_of("S-9")


async def test_principal_who_left_is_no_principal(pool: asyncpg.Pool) -> None:
    hris = LocalHris(pool)
    gone = Employee(
        employee_id="P-2",
        full_name="Former Principal",
        email="p2@district.example",
        role="principal",
        status=EmploymentStatus.SEPARATED,
    )
    await hris.upsert_employee(gone)
    await hris.upsert_school(School(school_id="S-2", name="Adams High", principal_id="P-2"))
    with pytest.raises(NoPrincipalAssigned, match="'P-2' has left"):
        await hris.principal_of("S-2")


async def test_unknown_employee_and_school(pool: asyncpg.Pool) -> None:
    hris = LocalHris(pool)
    with pytest.raises(EmployeeNotFound, match="'T-404'") as missing:
        await hris.employee("T-404")
    assert "HR system" in str(missing.value)
    assert missing.value.employee_id == "T-404"
    with pytest.raises(SchoolNotFound, match="'S-404'"):
        await hris.principal_of("S-404")


async def test_school_with_unknown_principal_is_refused(pool: asyncpg.Pool) -> None:
    hris = LocalHris(pool)
    with pytest.raises(EmployeeNotFound, match="'P-404'"):
        await hris.upsert_school(School(school_id="S-3", name="Jefferson", principal_id="P-404"))
