"""A career per employee: HR events applied once and in order, journeys followed exactly."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

import asyncpg
import pytest
from pydantic import ValidationError
from temporalio.client import Client, WorkflowUpdateFailedError
from temporalio.testing import WorkflowEnvironment

from activities.careers import current_timeline, submit_hr_event
from activities.enrollment import start_journey
from activities.eventstore import EventStore
from activities.local_systems import LocalHris
from domain.calendar import local_date
from domain.career import career as c
from domain.career.events import CareerHrApplied, CareerJourneyTold
from domain.catalog.definition import CATALOG, load_program
from domain.catalog.journey import Stage
from domain.catalog.start import PROGRAM, ProgramEnrollment, ProgramInput
from domain.external import Employee, School
from domain.refusals import Refusal
from pathways.refusals import refusal_of
from tests.journey_kit import keep_history, running_worker
from workflows.program import ProgramJourney

NOW = datetime(2026, 10, 1, 17, tzinfo=UTC)


def hr(kind: str, on: date, event_id: str | None = None, **fields: Any) -> c.HrEvent:
    return c.HrEvent(
        event_id=event_id or f"hr-{uuid.uuid4().hex[:8]}",
        employee_id="e-1",
        kind=c.HrEventKind(kind),
        effective_on=on,
        **fields,
    )


def apply(s: c.CareerState, event: c.HrEvent) -> list[Any]:
    decided = c.decide_hr_event(
        s, event, "hr-system", {"event_id": uuid.uuid4(), "occurred_at": NOW}
    )
    for e in decided:
        c.fold_into(s, e)
    return decided


def code_of(s: c.CareerState, event: c.HrEvent) -> str:
    with pytest.raises(Refusal) as refused:
        apply(s, event)
    return refused.value.code


def test_an_hr_event_names_what_it_lacks() -> None:
    with pytest.raises(ValidationError) as missing:
        hr("role_change", date(2026, 9, 1))
    assert "a role_change needs role" in str(missing.value)
    with pytest.raises(ValidationError) as nul:
        hr("hire", date(2026, 9, 1), role="teach\x00er")
    assert "U+0000" in str(nul.value)
    with pytest.raises(ValidationError):
        c.HrEvent.model_validate(
            {
                "event_id": "x",
                "employee_id": "e-1",
                "kind": "promotion",
                "effective_on": "2026-09-01",
            }
        )


def test_the_same_event_applies_once_and_an_id_reused_for_another_is_refused() -> None:
    s = c.CareerState(employee_id="e-1")
    hire = hr("hire", date(2024, 8, 1), "hr-1", role="teacher", school_id="carver-ms")
    assert len(apply(s, hire)) == 1
    assert apply(s, hire) == []  # sent again: nothing
    assert code_of(s, hr("role_change", date(2026, 8, 1), "hr-1", role="vp")) == (
        "career.event_id_reused"
    )
    assert (s.role, s.school_id, s.employed) == ("teacher", "carver-ms", True)


def test_events_apply_in_effective_date_order_of_what_they_change() -> None:
    s = c.CareerState(employee_id="e-1")
    apply(s, hr("hire", date(2024, 8, 1), role="teacher", school_id="carver-ms"))
    apply(s, hr("school_transfer", date(2026, 1, 15), "t-2", school_id="markham-ms"))
    late = hr("school_transfer", date(2025, 9, 1), school_id="grape-street-es")
    assert code_of(s, late) == "career.out_of_order"
    assert s.school_id == "markham-ms"
    # A role change dated earlier than the transfer is fine: it changes the role, not the school.
    apply(s, hr("role_change", date(2025, 9, 1), role="department_head"))
    assert s.role == "department_head"


def test_leave_separation_return_and_credentials() -> None:
    s = c.CareerState(employee_id="e-1")
    apply(s, hr("hire", date(2020, 8, 1), role="teacher"))
    assert code_of(s, hr("hire", date(2021, 8, 1), role="teacher")) == "career.already_employed"
    assert code_of(s, hr("leave_end", date(2021, 1, 1))) == "career.not_on_leave"
    apply(s, hr("leave_start", date(2021, 2, 1), reason="family leave"))
    assert code_of(s, hr("leave_start", date(2021, 3, 1), reason="x")) == (
        "career.already_on_leave"
    )
    apply(s, hr("leave_end", date(2021, 5, 1)))
    apply(s, hr("credential_earned", date(2022, 6, 1), credential="admin_services_tier1"))
    assert code_of(s, hr("credential_expired", date(2023, 1, 1), credential="clear")) == (
        "career.unknown_credential"
    )
    apply(s, hr("separation", date(2024, 6, 30), reason="moved away"))
    assert code_of(s, hr("role_change", date(2024, 7, 1), role="vp")) == "career.separated"
    apply(s, hr("return", date(2026, 8, 1), role="vice_principal", school_id="markham-ms"))
    timeline = c.timeline_of(s)
    assert timeline.employed and timeline.role == "vice_principal"
    assert timeline.credentials == {"admin_services_tier1": date(2022, 6, 1)}
    assert [t.what for t in timeline.timeline][-2:] == [
        "separated from the district: moved away",
        "return as vice_principal at markham-ms",
    ]


# --- on the time-skipping server ------------------------------------------------------------


def employee(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:6]}"


async def submit(client: Client, task_queue: str, event: c.HrEvent) -> c.HrEventAnswer:
    return await submit_hr_event(client, c.SubmitHrEvent(event=event, source="test-hr"), task_queue)


async def test_concurrent_first_events_create_one_career(
    client: Client, pool: asyncpg.Pool, task_queue: str
) -> None:
    who = employee("cc")
    events = [
        c.HrEvent(
            event_id=f"{who}-cred-{n}", employee_id=who, kind=c.HrEventKind.CREDENTIAL_EARNED,
            effective_on=date(2026, 9, n + 1), credential=f"credential-{n}",
        )
        for n in range(6)
    ]  # fmt: skip
    async with running_worker(client, pool, task_queue):
        answers = await asyncio.gather(*(submit(client, task_queue, e) for e in events))
        again = await submit(client, task_queue, events[0])
        career = client.get_workflow_handle(c.career_id(who))
        timeline = await career.query("timeline", result_type=c.CareerTimeline)
        described = (await career.describe()).raw_description.workflow_execution_info
    assert described.first_run_id == described.execution.run_id  # one career, one run
    assert {a.career_id for a in answers} == {c.career_id(who)}
    assert all(a.applied for a in answers)
    assert again == answers[0]  # the same event's answer, and nothing applied again
    assert timeline.hr_events_applied == 6 and len(timeline.credentials) == 6
    stored = await EventStore(pool).read_stream(c.career_id(who))
    assert [e.event_type for e in stored] == ["career.HrApplied"] * 6


async def test_an_event_sent_three_times_applies_once_and_refusals_carry_codes(
    client: Client, pool: asyncpg.Pool, task_queue: str
) -> None:
    who = employee("rp")
    hire = c.HrEvent(
        event_id=f"{who}-hire", employee_id=who, kind=c.HrEventKind.HIRE,
        effective_on=date(2026, 8, 1), role="teacher", school_id="carver-ms",
    )  # fmt: skip
    await LocalHris(pool).upsert_school(School(school_id="carver-ms", name="Carver Middle School"))
    async with running_worker(client, pool, task_queue):
        answers = [await submit(client, task_queue, hire) for _ in range(3)]
        moved = hire.model_copy(
            update={"event_id": f"{who}-t1", "kind": c.HrEventKind.SCHOOL_TRANSFER,
                    "effective_on": date(2026, 7, 1), "school_id": "carver-ms"}
        )  # fmt: skip
        with pytest.raises(WorkflowUpdateFailedError) as early:
            await submit(client, task_queue, moved)
        nowhere = moved.model_copy(
            update={"event_id": f"{who}-t2", "effective_on": date(2026, 9, 1),
                    "school_id": "atlantis-hs"}
        )  # fmt: skip
        with pytest.raises(WorkflowUpdateFailedError) as unknown:
            await submit(client, task_queue, nowhere)
    assert answers[0].applied and answers == [answers[0]] * 3
    for failure, code in ((early, "career.out_of_order"), (unknown, "hr.unknown_school")):
        refusal = refusal_of(failure.value)
        assert refusal is not None and refusal.code == code
    stored = await EventStore(pool).read_stream(c.career_id(who))
    assert [e.event_type for e in stored] == ["career.HrApplied"]


async def test_a_separation_reaches_a_journey_started_a_moment_before(
    env: WorkflowEnvironment, client: Client, pool: asyncpg.Pool, task_queue: str
) -> None:
    who = employee("sp")
    hris = LocalHris(pool)
    await hris.upsert_employee(
        Employee(employee_id=who, full_name="Ruth Mendez", email=f"{who}@district.example",
                 role="assistant_principal", school_id="carver-ms")
    )  # fmt: skip
    d = load_program(CATALOG / "evaluation_certification.toml")
    today = local_date(await env.get_current_time(), d.time_zone)
    d = d.shifted((today - timedelta(days=1) - d.starts).days)
    inp = ProgramInput(
        program=d, enrollment=ProgramEnrollment(employee_id=who, enrolled_by="office:ana")
    )
    separation = c.HrEvent(
        event_id=f"{who}-sep", employee_id=who, kind=c.HrEventKind.SEPARATION,
        effective_on=today, reason="moved out of state",
    )  # fmt: skip
    async with running_worker(client, pool, task_queue):
        started = await start_journey(client, hris, PROGRAM, inp, task_queue)
        answer = await submit(client, task_queue, separation)
        journey = client.get_workflow_handle(started.workflow_id)
        for _ in range(200):
            timeline = await client.get_workflow_handle(c.career_id(who)).query(
                "timeline", result_type=c.CareerTimeline
            )
            stored = await EventStore(pool).read_stream(c.career_id(who))
            if any(e.event_type == "career.JourneyTold" for e in stored):
                break
            await asyncio.sleep(0.05)
        status = await journey.query(ProgramJourney.status)
        await journey.result()

        async def told_it_ended() -> c.CareerTimeline:
            for _ in range(200):  # the journey's last step tells its career how it ended
                current = await current_timeline(client, who)
                if not current.journeys[0].open:
                    return current
                await asyncio.sleep(0.05)
            raise AssertionError("the career was not told the journey ended")

        current = await told_it_ended()
        await keep_history(client.get_workflow_handle(c.career_id(who)), "career_separated")
    assert [(j.open, j.outcome) for j in current.journeys] == [(False, "separated")]
    assert answer.journeys_told == [started.workflow_id]
    told = [e.to_domain() for e in stored if e.event_type == "career.JourneyTold"]
    assert isinstance(told[0], CareerJourneyTold) and told[0].outcome == "heard", told
    assert status.stage is Stage.SEPARATED
    assert [j.journey_id for j in timeline.journeys] == [started.workflow_id]
    applied = [e.to_domain() for e in stored if e.event_type == "career.HrApplied"]
    assert isinstance(applied[0], CareerHrApplied) and applied[0].source == "test-hr"


async def test_an_id_reused_for_other_content_is_refused_at_once(
    client: Client, pool: asyncpg.Pool, task_queue: str
) -> None:
    who = employee("ru")
    first = c.HrEvent(
        event_id=f"{who}-1", employee_id=who, kind=c.HrEventKind.CREDENTIAL_EARNED,
        effective_on=date(2026, 9, 1), credential="clear_credential",
    )  # fmt: skip
    other = first.model_copy(update={"credential": "tier1"})
    async with running_worker(client, pool, task_queue):
        await submit(client, task_queue, first)
        with pytest.raises(WorkflowUpdateFailedError) as reused:
            await submit(client, task_queue, other)
    refusal = refusal_of(reused.value)
    assert refusal is not None and refusal.code == "career.event_id_reused"
