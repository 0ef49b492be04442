"""OneRoster 1.2 CSV files into HR events: reading, diffing, and importing into careers."""

from __future__ import annotations

import io
import uuid
import zipfile
from datetime import date

import asyncpg
import pytest
from temporalio.client import Client

from activities.local_systems import LocalHris
from domain.career.career import CareerTimeline, HrEventKind, career_id
from domain.oneroster import OneRosterError, StaffRecord, diff, read_roster
from pathways.oneroster import files_of, import_oneroster
from tests.journey_kit import running_worker

ORGS = """sourcedId,status,dateLastModified,name,type,identifier,parentSourcedId
org-d,,,Long Beach Unified,district,lbusd,
org-1,,,Carver Middle School,school,carver-ms,org-d
org-2,,,Markham Middle School,school,markham-ms,org-d
"""
USERS_HEAD = (
    "sourcedId,status,dateLastModified,enabledUser,username,givenName,familyName,identifier,"
    "email,metadata.jobTitle\n"
)


def user(sid: str, emp: str, given: str, title: str = "", enabled: str = "true") -> str:
    return f"{sid},,,{enabled},{emp},{given},Lee,{emp},{emp}@district.example,{title}\n"


ROLES_HEAD = "sourcedId,status,dateLastModified,userSourcedId,roleType,role,orgSourcedId\n"


def role(sid: str, user_sid: str, kind: str, org: str, role_type: str = "primary") -> str:
    return f"{sid},,,{user_sid},{role_type},{kind},{org}\n"


def files(users: list[str], roles: list[str], crlf: bool = False) -> dict[str, str]:
    texts = {
        "orgs.csv": ORGS,
        "users.csv": USERS_HEAD + "".join(users),
        "roles.csv": ROLES_HEAD + "".join(roles),
    }
    if crlf:
        texts = {k: "\ufeff" + v.replace("\n", "\r\n") for k, v in texts.items()}
    return texts


def zipped(texts: dict[str, str]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name, text in texts.items():
            archive.writestr(f"OneRoster/{name}", text.encode("utf-8"))
    return out.getvalue()


DISTRICT = files(
    [user("u1", "e-1", "Ana", "teacher"), user("u2", "e-2", "Ben", "assistant_principal"),
     user("u3", "s-9", "Kid"), user("u4", "e-4", "Cy", "principal")],
    [role("r1", "u1", "teacher", "org-1"), role("r2", "u2", "siteAdministrator", "org-2"),
     role("r3", "u3", "student", "org-1"), role("r4", "u4", "principal", "org-1"),
     role("r5", "u1", "aide", "org-2", "secondary")],
)  # fmt: skip


def test_staff_are_read_with_titles_schools_and_administrators() -> None:
    for texts in (DISTRICT, {k: "\ufeff" + v.replace("\n", "\r\n") for k, v in DISTRICT.items()}):
        assert read_roster(texts).staff == read_roster(DISTRICT).staff
    roster = read_roster(DISTRICT)
    assert sorted(roster.staff) == ["e-1", "e-2", "e-4"]  # the student is not staff
    assert roster.staff["e-2"].role == "assistant_principal"
    assert roster.staff["e-1"].school_id == "carver-ms"  # the primary role's school
    assert roster.administrators == 2 and roster.warnings == []
    assert roster.schools == {
        "carver-ms": "Carver Middle School",
        "markham-ms": "Markham Middle School",
    }


def test_bom_and_crlf_and_rows_with_problems() -> None:
    texts = files(
        [user("u1", "e-1", "Ana", "teacher"), user("u2", "e-2", "B\x00en", "teacher"),
         user("u3", "e-3", "Cy", "teacher")],
        [role("r1", "u1", "teacher", "org-1"), role("r2", "u2", "teacher", "org-1"),
         role("r3", "u3", "wizard", "org-1")],
        crlf=True,
    )  # fmt: skip
    roster = read_roster(texts)
    assert list(roster.staff) == ["e-1"]
    assert [p.text() for p in roster.problems] == [
        "roles.csv line 4: unknown role 'wizard'",
        "users.csv line 3: user u2: contains the control character U+0000 at position 2, "
        "which cannot be stored",
    ]
    assert roster.skipped == {"e-2", "e-3"}  # the wizard is left as the last import had them
    assert roster.warnings and "no administrators" in roster.warnings[0]


def test_a_file_that_cannot_be_read_is_refused_whole() -> None:
    without_roles = {k: v for k, v in DISTRICT.items() if k != "roles.csv"}
    with pytest.raises(OneRosterError, match=r"no roles\.csv"):
        read_roster(without_roles)
    with pytest.raises(OneRosterError, match="no column givenName"):
        read_roster({**DISTRICT, "users.csv": "sourcedId,enabledUser,familyName\nu1,true,Lee\n"})
    with pytest.raises(OneRosterError, match="not a zip"):
        files_of(b"sourcedId,name\n")
    assert sorted(files_of(zipped(DISTRICT))) == ["orgs.csv", "roles.csv", "users.csv"]


def record(emp: str, role: str, school: str | None = "carver-ms") -> StaffRecord:
    return StaffRecord(employee_id=emp, sourced_id=f"u-{emp}", full_name="A Lee",
                       email=f"{emp}@district.example", role=role, school_id=school)  # fmt: skip


def test_the_diff_is_hires_role_changes_transfers_and_separations() -> None:
    on = date(2026, 12, 1)
    before = {"e-1": record("e-1", "teacher"), "e-2": record("e-2", "teacher"),
              "e-3": record("e-3", "teacher"), "e-5": record("e-5", "teacher")}  # fmt: skip
    after = {"e-1": record("e-1", "teacher"), "e-2": record("e-2", "vice_principal"),
             "e-3": record("e-3", "teacher", "markham-ms"),
             "e-4": record("e-4", "teacher")}  # fmt: skip
    events = diff(before, after, on)
    assert [(e.employee_id, e.kind) for e in events] == [
        ("e-2", HrEventKind.ROLE_CHANGE), ("e-3", HrEventKind.SCHOOL_TRANSFER),
        ("e-4", HrEventKind.HIRE), ("e-5", HrEventKind.SEPARATION),
    ]  # fmt: skip
    assert diff(before, after, on) == events  # the same ids: a rerun sends nothing new
    assert diff(after, after, on) == []
    assert [e.employee_id for e in diff(before, after, on, keep={"e-5"})] == ["e-2", "e-3", "e-4"]


async def test_an_import_sends_the_changes_once_and_keeps_local_hr_current(
    client: Client, pool: asyncpg.Pool, task_queue: str
) -> None:
    tag = uuid.uuid4().hex[:6]
    texts = files(
        [user("u1", f"t1-{tag}", "Ana", "teacher"), user("u2", f"t2-{tag}", "Ben", "principal")],
        [role("r1", "u1", "teacher", "org-1"), role("r2", "u2", "principal", "org-2")],
    )  # fmt: skip
    on = date(2026, 12, 1)

    async def run(data: bytes, dry_run: bool = False):  # type: ignore[no-untyped-def]
        return await import_oneroster(
            client, pool, data, effective_on=on, source="test:oneroster",
            task_queue=task_queue, local_hr=True, dry_run=dry_run,
        )  # fmt: skip

    async with running_worker(client, pool, task_queue):
        dry = await run(zipped(texts), dry_run=True)
        first = await run(zipped(texts))
        again = await run(zipped(texts))
        promoted = {
            **texts,
            "users.csv": texts["users.csv"].replace(",teacher\n", ",department_head\n"),
        }
        second = await run(zipped(promoted))
        timeline = await client.get_workflow_handle(career_id(f"t1-{tag}")).query(
            "timeline", result_type=CareerTimeline
        )
    assert [e.status for e in dry.events] == ["would_send", "would_send"]
    assert [(e.kind, e.status) for e in first.events] == [("hire", "accepted")] * 2
    assert again.events == []
    assert [(e.employee_id, e.kind, e.detail) for e in second.events] == [
        (f"t1-{tag}", "role_change", "department_head")
    ]
    assert timeline.role == "department_head" and timeline.school_id == "carver-ms"
    hr = await LocalHris(pool).employee(f"t1-{tag}")
    assert (hr.role, hr.school_id) == ("department_head", "carver-ms")


def test_a_row_with_a_problem_never_reads_as_someone_gone() -> None:
    texts = files(
        [user("u1", "e-1", "Ana", "teacher"), user("u2", "e-2", "Ben", "x" * 101),
         user("u3", "e-3", "Cy", "teacher"), user("u4", "e 4", "Di", "teacher")],
        [role("r1", "u1", "Teacher", "org-1"), role("r2", "u2", "teacher", "org-1"),
         role("r3", "u3", "teacher", "org-1"), role("r3b", "u3", "parent", "org-1"),
         role("r4", "u4", "teacher", "org-1")],
    )  # fmt: skip
    roster = read_roster(texts)
    assert sorted(roster.skipped) == ["e 4", "e-1", "e-2"]
    assert list(roster.staff) == ["e-3"]  # a teacher who is also a parent stays staff
    assert any("user u2: role: " in p.text()
               for p in roster.problems)  # fmt: skip
    before = {e: record(e, "teacher") for e in ("e-1", "e-2", "e-3")}
    assert diff(before, roster.staff, date(2026, 12, 1), roster.skipped) == []


async def test_a_file_cut_short_is_refused_before_it_separates_anyone(
    client: Client, pool: asyncpg.Pool, task_queue: str
) -> None:
    tag = uuid.uuid4().hex[:6]
    everyone = [user(f"u{n}", f"m{n}-{tag}", "Ana", "teacher") for n in range(25)]
    roles_ = [role(f"r{n}", f"u{n}", "teacher", "org-1") for n in range(25)]
    on = date(2026, 12, 1)
    async with running_worker(client, pool, task_queue):
        first = await import_oneroster(
            client, pool, zipped(files(everyone, roles_)), effective_on=on, source="test",
            task_queue=task_queue, local_hr=True,
        )  # fmt: skip
        with pytest.raises(OneRosterError, match="would separate 15 of the 25 staff"):
            await import_oneroster(
                client, pool, zipped(files(everyone[:10], roles_[:10])), effective_on=on,
                source="test", task_queue=task_queue, local_hr=True,
            )  # fmt: skip
    assert len(first.events) == 25
