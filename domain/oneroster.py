"""OneRoster 1.2 CSV files from the district's rostering or HR system, as HR events.

A nightly OneRoster zip holds `orgs.csv`, `users.csv` and `roles.csv`. The staff in it (every
role but students, parents, guardians and relatives) are compared with the previous import,
and each difference becomes an HR event for the employee's career: someone new is a `hire`, a
new title a `role_change`, a new school a `school_transfer`, and someone gone (or disabled, or
`tobedeleted`) a `separation`. The event ids are made of what changed, so a file sent twice,
or an import interrupted and run again, sends nothing twice.

The HR title is the user's `metadata.jobTitle` column when the file has one (districts set it
so that titles such as `assistant_principal` reach the pathways' eligibility rules); otherwise
the OneRoster role (`teacher`, `principal`, `siteAdministrator`, ...). The employee id is the
user's `identifier` (the HR employee number) or, without one, its `sourcedId`. The school is
the org of the user's primary role.
"""

from __future__ import annotations

import csv
import hashlib
import io
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date

from pydantic import BaseModel, ConfigDict, ValidationError

from domain.career.career import HrEvent, HrEventKind
from domain.external import storable

#: OneRoster roles that are not staff: the import leaves them out.
NOT_STAFF = {"student", "parent", "guardian", "relative"}
#: OneRoster roles of administrators (a file without any is almost always a file whose export
#: left out users without class enrollments).
ADMINISTRATORS = {"administrator", "principal", "siteAdministrator", "districtAdministrator"}
ROLES = NOT_STAFF | ADMINISTRATORS | {"teacher", "aide", "counselor", "proctor",
                                      "systemAdministrator"}  # fmt: skip
GONE = {"tobedeleted", "inactive"}


class StaffRecord(BaseModel):
    """One staff member as the file lists them (and as the last import kept them)."""

    model_config = ConfigDict(frozen=True)

    employee_id: str
    sourced_id: str
    full_name: str
    email: str
    role: str
    school_id: str | None


@dataclass(frozen=True)
class RowProblem:
    file: str
    line: int
    problem: str

    def text(self) -> str:
        return f"{self.file} line {self.line}: {self.problem}"


@dataclass
class Roster:
    staff: dict[str, StaffRecord] = field(default_factory=dict)
    """By employee id; the disabled and the deleted are not in it."""
    problems: list[RowProblem] = field(default_factory=list)
    skipped: set[str] = field(default_factory=set)
    """Employees whose rows have a problem: left as the last import had them."""
    warnings: list[str] = field(default_factory=list)
    administrators: int = 0
    schools: dict[str, str] = field(default_factory=dict)
    """School id -> name, from orgs.csv."""
    users: int = 0
    """Rows in users.csv."""


class OneRosterError(ValueError):
    """A file that cannot be read at all (a missing file or column)."""


def _rows(name: str, text: str, needed: set[str]) -> list[tuple[int, dict[str, str]]]:
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff"), newline=""))
    missing = needed - set(reader.fieldnames or [])
    if missing:
        raise OneRosterError(f"{name} has no column {', '.join(sorted(missing))}")
    return [(n, {k: (v or "").strip() for k, v in row.items() if k}) for n, row in
            enumerate(reader, start=2)]  # fmt: skip


def read_roster(files: Mapping[str, str]) -> Roster:
    """The staff in a OneRoster file set (`orgs.csv`, `users.csv`, `roles.csv` by name)."""
    for name in ("orgs.csv", "users.csv", "roles.csv"):
        if name not in files:
            extra = " (OneRoster 1.2 keeps each user's roles there)" if name == "roles.csv" else ""
            raise OneRosterError(f"the file set has no {name}{extra}")
    roster = Roster()
    schools: dict[str, str] = {}
    for line, row in _rows("orgs.csv", files["orgs.csv"], {"sourcedId", "type", "name"}):
        if row.get("type") != "school" or row.get("status", "").lower() in GONE:
            continue
        school_id = row.get("identifier") or row["sourcedId"]
        try:
            storable(school_id)
            storable(row["name"])
        except ValueError as error:
            roster.problems.append(RowProblem("orgs.csv", line, f"org {row['sourcedId']}: {error}"))
            continue
        schools[row["sourcedId"]] = school_id
        roster.schools[school_id] = row["name"] or school_id
    primary: dict[str, tuple[str, str]] = {}
    doubtful: set[str] = set()  # users behind a roles.csv row with a problem
    for line, row in _rows(
        "roles.csv", files["roles.csv"], {"userSourcedId", "role", "roleType", "orgSourcedId"}
    ):
        if row["role"] not in ROLES:
            roster.problems.append(RowProblem("roles.csv", line, f"unknown role {row['role']!r}"))
            doubtful.add(row["userSourcedId"])
            continue
        if row.get("status", "").lower() in GONE:
            continue
        held = primary.get(row["userSourcedId"])
        staff_held = held is not None and held[0] not in NOT_STAFF
        if held is None or (row["roleType"] == "primary" and not (
            staff_held and row["role"] in NOT_STAFF
        )):  # fmt: skip
            # A staff member who is also a parent at the school stays staff.
            primary[row["userSourcedId"]] = (row["role"], row["orgSourcedId"])
    users = _rows(
        "users.csv", files["users.csv"], {"sourcedId", "enabledUser", "givenName", "familyName"}
    )
    roster.users = len(users)
    for line, row in users:
        if row["sourcedId"] in doubtful:
            roster.skipped.add(row.get("identifier") or row["sourcedId"])
            continue
        role = primary.get(row["sourcedId"])
        if role is None or role[0] in NOT_STAFF:
            continue
        if row.get("status", "").lower() in GONE or row["enabledUser"].lower() == "false":
            continue
        problem = _staff(roster, row, role, schools)
        if problem:
            roster.problems.append(RowProblem("users.csv", line, problem))
    if roster.staff and roster.administrators == 0:
        roster.warnings.append(
            "the file has no administrators: rostering exports often leave out staff without "
            "class enrollments unless told to include unenrolled users; administrators HR "
            "still lists would otherwise look separated"
        )
    return roster


def _staff(
    roster: Roster, row: dict[str, str], role: tuple[str, str], schools: dict[str, str]
) -> str | None:
    kind, org = role
    employee_id = row.get("identifier") or row["sourcedId"]
    title = row.get("metadata.jobTitle") or kind
    school = schools.get(org)
    try:
        for text in (employee_id, row["givenName"], row["familyName"], title):
            storable(text)
        record = StaffRecord(
            employee_id=employee_id,
            sourced_id=row["sourcedId"],
            full_name=f"{row['givenName']} {row['familyName']}".strip(),
            email=storable(row.get("email", "")),
            role=title,
            school_id=school,
        )
        HrEvent(
            event_id="check", employee_id=employee_id, kind=HrEventKind.HIRE,
            effective_on=date(2000, 1, 1), role=title, school_id=school,
        )  # fmt: skip
    except ValidationError as error:
        roster.skipped.add(employee_id)
        fields = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or 'value'}: {e['msg']}" for e in error.errors()
        )
        return f"user {row['sourcedId']}: {fields}"
    except ValueError as error:
        roster.skipped.add(employee_id)
        return f"user {row['sourcedId']}: {error}"
    if not record.full_name:
        roster.skipped.add(employee_id)
        return f"user {row['sourcedId']} has no name"
    if "@" not in record.email:
        roster.skipped.add(employee_id)
        return f"user {row['sourcedId']} has no e-mail address: notices could not reach them"
    if employee_id in roster.staff:
        roster.skipped.add(employee_id)
        return f"employee id {employee_id} appears twice"
    roster.staff[employee_id] = record
    roster.administrators += kind in ADMINISTRATORS
    return None


def diff(
    previous: Mapping[str, StaffRecord],
    current: Mapping[str, StaffRecord],
    effective_on: date,
    keep: set[str] = frozenset(),  # type: ignore[assignment]
) -> list[HrEvent]:
    """The HR events that turn the previous import into this one, in employee id order;
    employees in `keep` (rows with a problem) are left as they were. With no previous import
    the hires are the district's baseline (HR's record as it stands), which enrollment rules
    do not read as people taking new roles."""
    baseline = not previous

    def _event_id(employee_id: str, kind: HrEventKind, before: object, after: object) -> str:
        text = f"{employee_id}|{kind}|{before}|{after}|{effective_on}"
        return f"oneroster-{hashlib.sha256(text.encode()).hexdigest()[:20]}"

    events: list[HrEvent] = []
    for employee_id in sorted((set(previous) | set(current)) - keep):
        was, now = previous.get(employee_id), current.get(employee_id)
        if was is None and now is not None:
            events.append(HrEvent(
                event_id=_event_id(employee_id, HrEventKind.HIRE, None, now.sourced_id),
                employee_id=employee_id, kind=HrEventKind.HIRE, effective_on=effective_on,
                role=now.role, school_id=now.school_id, baseline=baseline,
            ))  # fmt: skip
        elif was is not None and now is None:
            events.append(HrEvent(
                event_id=_event_id(employee_id, HrEventKind.SEPARATION, was.role, None),
                employee_id=employee_id, kind=HrEventKind.SEPARATION, effective_on=effective_on,
                reason="no longer in the district's OneRoster file",
            ))  # fmt: skip
        elif was is not None and now is not None:
            if was.role != now.role:
                events.append(HrEvent(
                    event_id=_event_id(employee_id, HrEventKind.ROLE_CHANGE, was.role, now.role),
                    employee_id=employee_id, kind=HrEventKind.ROLE_CHANGE,
                    effective_on=effective_on, role=now.role,
                ))  # fmt: skip
            if now.school_id and was.school_id != now.school_id:
                kind = HrEventKind.SCHOOL_TRANSFER
                events.append(HrEvent(
                    event_id=_event_id(employee_id, kind, was.school_id, now.school_id),
                    employee_id=employee_id, kind=kind, effective_on=effective_on,
                    school_id=now.school_id,
                ))  # fmt: skip
    return events
