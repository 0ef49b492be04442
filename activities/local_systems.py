"""Local stand-ins for HR, payroll and e-mail, kept in PostgreSQL (migration 0002).

They behave like the real systems where it matters to the workflows: payroll records each
idempotency key once and answers a repeat with the original reference, and the e-mail outbox
does the same per message.
"""

from __future__ import annotations

import uuid

import asyncpg

from activities.systems import (
    EMAIL,
    HRIS,
    PAYROLL,
    EmployeeNotFound,
    IdempotencyConflict,
    SchoolNotFound,
    principal_of_school,
)
from domain.external import (
    EmailMessage,
    EmailReceipt,
    Employee,
    EmploymentStatus,
    PaymentReceipt,
    PaymentRequest,
    School,
)


class LocalHris:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    async def employee(self, employee_id: str) -> Employee:
        row = await self._pool.fetchrow(
            """SELECT employee_id, full_name, email, role, school_id, status, role_since,
                      credentials
                 FROM hris_employees WHERE employee_id = $1""",
            employee_id,
        )
        if row is None:
            raise EmployeeNotFound(employee_id, HRIS)
        return Employee(
            employee_id=row["employee_id"],
            full_name=row["full_name"],
            email=row["email"],
            role=row["role"],
            school_id=row["school_id"],
            status=EmploymentStatus(row["status"]),
            role_since=row["role_since"],
            credentials=tuple(row["credentials"]),
        )

    async def school(self, school_id: str) -> School:
        row = await self._pool.fetchrow(
            "SELECT school_id, name, principal_id FROM hris_schools WHERE school_id = $1",
            school_id,
        )
        if row is None:
            raise SchoolNotFound(school_id, HRIS)
        return School(
            school_id=row["school_id"], name=row["name"], principal_id=row["principal_id"]
        )

    async def principal_of(self, school_id: str) -> Employee:
        return await principal_of_school(self, school_id, HRIS)

    async def upsert_employee(self, employee: Employee) -> None:
        await self._pool.execute(
            """INSERT INTO hris_employees (employee_id, full_name, email, role, school_id, status,
                                           role_since, credentials)
               VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
               ON CONFLICT (employee_id) DO UPDATE
                  SET full_name = EXCLUDED.full_name, email = EXCLUDED.email,
                      role = EXCLUDED.role, school_id = EXCLUDED.school_id,
                      status = EXCLUDED.status, role_since = EXCLUDED.role_since,
                      credentials = EXCLUDED.credentials""",
            employee.employee_id,
            employee.full_name,
            employee.email,
            employee.role,
            employee.school_id,
            employee.status.value,
            employee.role_since,
            list(employee.credentials),
        )

    async def upsert_school(self, school: School) -> None:
        """Add or update a school. Its principal must already be on the roster."""
        try:
            await self._pool.execute(
                """INSERT INTO hris_schools (school_id, name, principal_id) VALUES ($1, $2, $3)
                   ON CONFLICT (school_id) DO UPDATE
                      SET name = EXCLUDED.name, principal_id = EXCLUDED.principal_id""",
                school.school_id,
                school.name,
                school.principal_id,
            )
        except asyncpg.ForeignKeyViolationError:
            assert school.principal_id is not None
            raise EmployeeNotFound(school.principal_id, HRIS) from None


class LocalPayroll:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    async def request_payment(self, request: PaymentRequest) -> PaymentReceipt:
        reference = f"LP-{uuid.uuid4().hex[:16].upper()}"
        inserted = await self._pool.fetchval(
            """INSERT INTO payroll_requests (idempotency_key, payroll_reference, kind, payee_id,
                                             amount_cents, currency, memo, workflow_id)
               VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
               ON CONFLICT (idempotency_key) DO NOTHING
               RETURNING payroll_reference""",
            request.idempotency_key,
            reference,
            request.kind.value,
            request.payee_id,
            request.amount_cents,
            request.currency,
            request.memo,
            request.workflow_id,
        )
        if inserted is not None:
            return PaymentReceipt(
                idempotency_key=request.idempotency_key, payroll_reference=inserted, duplicate=False
            )
        # The key is taken. ON CONFLICT waited for the other insert to commit, so it is visible.
        row = await self._pool.fetchrow(
            """SELECT payroll_reference, kind, payee_id, amount_cents, currency
                 FROM payroll_requests WHERE idempotency_key = $1""",
            request.idempotency_key,
        )
        assert row is not None, "a conflicting payroll row cannot disappear"
        stored = (row["kind"], row["payee_id"], row["amount_cents"], row["currency"])
        wanted = (request.kind.value, request.payee_id, request.amount_cents, request.currency)
        if stored != wanted:
            raise IdempotencyConflict(
                request.idempotency_key,
                PAYROLL,
                f"held: {_payment(*stored)}; requested: {_payment(*wanted)}",
            )
        return PaymentReceipt(
            idempotency_key=request.idempotency_key,
            payroll_reference=row["payroll_reference"],
            duplicate=True,
        )


def _payment(kind: str, payee_id: str, amount_cents: int, currency: str) -> str:
    return f"{kind} of {amount_cents / 100:.2f} {currency} to {payee_id}"


class LocalMailer:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    async def send(self, message: EmailMessage) -> EmailReceipt:
        message_id = f"<{uuid.uuid4().hex}@outbox.pathways.local>"
        inserted = await self._pool.fetchval(
            """INSERT INTO email_outbox (idempotency_key, message_id, recipient, subject, body,
                                         workflow_id)
               VALUES ($1, $2, $3, $4, $5, $6)
               ON CONFLICT (idempotency_key) DO NOTHING
               RETURNING message_id""",
            message.idempotency_key,
            message_id,
            message.to,
            message.subject,
            message.body,
            message.workflow_id,
        )
        if inserted is not None:
            return EmailReceipt(
                idempotency_key=message.idempotency_key, message_id=inserted, duplicate=False
            )
        row = await self._pool.fetchrow(
            """SELECT message_id, recipient, subject, body
                 FROM email_outbox WHERE idempotency_key = $1""",
            message.idempotency_key,
        )
        assert row is not None, "a conflicting outbox row cannot disappear"
        differs = [
            name
            for name, stored, wanted in (
                ("recipient", row["recipient"], message.to),
                ("subject", row["subject"], message.subject),
                ("body", row["body"], message.body),
            )
            if stored != wanted
        ]
        if differs:
            raise IdempotencyConflict(
                message.idempotency_key,
                EMAIL,
                f"a message with a different {' and '.join(differs)}",
            )
        return EmailReceipt(
            idempotency_key=message.idempotency_key, message_id=row["message_id"], duplicate=True
        )
