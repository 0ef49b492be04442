"""Actors resolved at the edge: HR (or the configuration) vouches for who acts, before a
command is sent. The rule is `domain.policy.resolve_actor`; HR's record comes from the real
local HR tables."""

from __future__ import annotations

import asyncpg
import pytest

from activities.actors import resolve
from activities.local_systems import LocalHris
from domain.external import Employee, EmploymentStatus
from domain.policy import DEFAULT_NON_HR_ACTORS, PolicyRefusal, hr_id_of, resolve_actor


def person(employee_id: str, title: str, **more: object) -> Employee:
    return Employee(
        employee_id=employee_id,
        full_name=f"Person {employee_id}",
        email=f"{employee_id}@district.example",
        role=title,
        **more,  # type: ignore[arg-type]
    )


STAFF = {
    "ana": person("ana", "program_office"),
    "maya": person("maya", "program_director"),
    "lee": person("lee", "coach"),
    "e-1001": person("e-1001", "teacher", school_id="grape-street-es"),
    "p-001": person("p-001", "principal", school_id="grape-street-es"),
    "gone": person("gone", "program_office", status=EmploymentStatus.SEPARATED),
}


def resolved(text: str, configured: tuple[str, ...] = DEFAULT_NON_HR_ACTORS) -> str:
    person_id = hr_id_of(text)
    return resolve_actor(text, STAFF.get(person_id) if person_id else None, configured)


def code_of(text: str, configured: tuple[str, ...] = DEFAULT_NON_HR_ACTORS) -> str:
    with pytest.raises(PolicyRefusal) as caught:
        resolved(text, configured)
    return caught.value.code


@pytest.mark.parametrize(
    ("claimed", "recorded"),
    [
        ("office:ana", "office:ana"),
        ("office:maya", "office:maya"),  # a director is program office staff too
        ("director:maya", "director:maya"),
        ("coach:lee", "coach:lee"),
        ("ana", "office:ana"),  # the role comes from HR's title
        ("maya", "director:maya"),
        ("lee", "coach:lee"),
        ("e-1001", "e-1001"),  # teachers and principals act as themselves
        ("p-001", "p-001"),
        ("hris", "hris"),
        ("university", "university"),
    ],
)
def test_hr_vouches_for_the_actor_and_names_their_role(claimed: str, recorded: str) -> None:
    assert resolved(claimed) == recorded


@pytest.mark.parametrize(
    ("claimed", "code"),
    [
        ("nobody", "actor.unknown"),
        ("office:nobody", "actor.unknown"),
        ("office:e-1001", "actor.title_mismatch"),  # a teacher is not program office
        ("director:ana", "actor.title_mismatch"),  # program office is not a director
        ("coach:p-001", "actor.title_mismatch"),
        ("gone", "actor.separated"),
        ("office:gone", "actor.separated"),
        ("auditor:zed", "actor.not_configured"),
        ("operator:ops", "actor.not_configured"),
        ("boss:ana", "policy.unknown_actor"),
    ],
)
def test_an_actor_hr_does_not_vouch_for_is_refused_with_a_code(claimed: str, code: str) -> None:
    assert code_of(claimed) == code


def test_systems_auditors_and_operators_act_only_where_configured() -> None:
    configured = ("hris", "auditor:zed")
    assert resolved("auditor:zed", configured) == "auditor:zed"
    assert code_of("university", configured) == "actor.not_configured"
    assert code_of("operator:ops", configured) == "actor.not_configured"


async def test_the_actor_is_looked_up_in_hr(pool: asyncpg.Pool) -> None:
    hris = LocalHris(pool)
    for employee in (STAFF["ana"], STAFF["e-1001"]):
        await hris.upsert_employee(employee)

    assert await resolve(hris, "ana", DEFAULT_NON_HR_ACTORS) == "office:ana"
    assert await resolve(hris, "e-1001", DEFAULT_NON_HR_ACTORS) == "e-1001"
    with pytest.raises(PolicyRefusal) as caught:
        await resolve(hris, "office:not-in-hr-at-all", DEFAULT_NON_HR_ACTORS)
    assert caught.value.code == "actor.unknown"
    with pytest.raises(PolicyRefusal) as caught:
        await resolve(hris, "office:e-1001", DEFAULT_NON_HR_ACTORS)
    assert caught.value.code == "actor.title_mismatch"
