"""The last OneRoster import (`oneroster_staff`), and the local HR tables it keeps current.

With `HRIS_URL` unset, HR is the local tables: an import then also writes each employee's new
title, school and status there, and adds the schools the file lists, so journeys started later
see what HR sent. With `HRIS_URL` set the HR system is the source and only the careers hear.
"""

from __future__ import annotations

import asyncpg

from domain.oneroster import StaffRecord


class OneRosterStore:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool

    async def last_import(self) -> dict[str, StaffRecord]:
        rows = await self.pool.fetch(
            "SELECT employee_id, sourced_id, full_name, email, role, school_id FROM oneroster_staff"
        )
        return {r["employee_id"]: StaffRecord(**dict(r)) for r in rows}

    async def keep(self, employee_id: str, record: StaffRecord | None) -> None:
        """The employee as this import has them (None: gone from the file)."""
        if record is None:
            await self.pool.execute(
                "DELETE FROM oneroster_staff WHERE employee_id = $1", employee_id
            )
            return
        await self.pool.execute(
            """INSERT INTO oneroster_staff
                   (employee_id, sourced_id, full_name, email, role, school_id)
               VALUES ($1, $2, $3, $4, $5, $6)
               ON CONFLICT (employee_id) DO UPDATE SET sourced_id = EXCLUDED.sourced_id,
                   full_name = EXCLUDED.full_name, email = EXCLUDED.email, role = EXCLUDED.role,
                   school_id = EXCLUDED.school_id, imported_at = now()""",
            record.employee_id, record.sourced_id, record.full_name, record.email, record.role,
            record.school_id,
        )  # fmt: skip

    async def add_schools(self, schools: dict[str, str]) -> None:
        """Schools the local HR tables do not list yet (a listed school keeps its principal)."""
        await self.pool.executemany(
            """INSERT INTO hris_schools (school_id, name) VALUES ($1, $2)
               ON CONFLICT (school_id) DO UPDATE SET name = EXCLUDED.name""",
            list(schools.items()),
        )

    async def write_local_hr(self, employee_id: str, record: StaffRecord | None) -> None:
        if record is None:
            await self.pool.execute(
                "UPDATE hris_employees SET status = 'separated' WHERE employee_id = $1",
                employee_id,
            )
            return
        await self.pool.execute(
            """INSERT INTO hris_employees (employee_id, full_name, email, role, school_id, status)
               VALUES ($1, $2, $3, $4, $5, 'active')
               ON CONFLICT (employee_id) DO UPDATE SET full_name = EXCLUDED.full_name,
                   email = EXCLUDED.email, school_id = EXCLUDED.school_id, status = 'active',
                   role_since = CASE WHEN hris_employees.role = EXCLUDED.role
                                     THEN hris_employees.role_since END,
                   role = EXCLUDED.role""",
            employee_id, record.full_name, record.email,
            record.role, record.school_id,
        )  # fmt: skip
