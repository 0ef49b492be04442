"""A journey whose district record needs a correction waits for it, says so, and goes on where it
stopped once the record is fixed: when someone says so, or by itself (hourly, then daily)."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
from temporalio.client import Client, WorkflowUpdateFailedError
from temporalio.testing import WorkflowEnvironment

from activities.api_keys import ApiKeys, Scope
from activities.local_systems import LocalHris
from domain.external import DataFixNeeded, Employee, RetryAfterFix, School
from domain.teacher_leader.events import DecisionOutcome
from domain.teacher_leader.journey import DecideApplication, JourneyStatus, Stage, Withdraw
from pathways.api import Backend, create_app
from pathways.commands_ops import waiting_journeys
from pathways.config import Settings
from pathways.journeys import TeacherLeaderHandle
from pathways.refusals import refusal_of
from tests.journey_kit import (
    PRINCIPAL,
    SCHOOL,
    accepted_update,
    asked_after,
    keep_history,
    program_near,
    running_worker,
    seed_district,
    waiting_on_fix,
)
from tests.test_api import served
from tests.test_cli import run_against
from tests.test_payload_codec import signed_in, web_app
from tests.test_teacher_leader import OFFICE, SCORES, start
from workflows import search
from workflows.district import DATA_FIX_RETRY, DATA_FIX_RETRY_LATER, HOURLY_ASKS, WAITING_ON_MEMO
from workflows.teacher_leader import TeacherLeaderJourney


async def principal_leaves(pool: asyncpg.Pool) -> None:
    """HR lists the school without a principal: a record only HR can correct."""
    await LocalHris(pool).upsert_school(School(school_id=SCHOOL, name="Grape Street Elementary"))


async def principal_returns(pool: asyncpg.Pool) -> None:
    school = School(school_id=SCHOOL, name="Grape Street Elementary", principal_id=PRINCIPAL)
    await LocalHris(pool).upsert_school(school)


async def goes_on(handle: TeacherLeaderHandle) -> JourneyStatus:
    for _ in range(300):
        if await handle.query(TeacherLeaderJourney.waiting_on) is None:
            status: JourneyStatus = await handle.query(TeacherLeaderJourney.status)
            if status.principal_id is not None:
                return status
        await asyncio.sleep(0.05)
    raise AssertionError("the journey did not go on after the fix")


async def retry(handle: TeacherLeaderHandle, by: str) -> DataFixNeeded:
    answer: DataFixNeeded = await handle.execute_update(
        "retry_after_fix", RetryAfterFix(requested_by=by), result_type=DataFixNeeded
    )
    return answer


def code_of(error: WorkflowUpdateFailedError) -> str | None:
    refusal = refusal_of(error)
    return None if refusal is None else refusal.code


async def office_pages(
    client: Client, pool: asyncpg.Pool, folder: Path, **wanted: Callable[[str], bool]
) -> dict[str, str]:
    """Pages of the web app (`wanted`: a path and what the page must show), signed in as
    program office staff; each is read again until it shows it (visibility lists a moment
    late), for up to 15 s, then the test fails."""
    await LocalHris(pool).upsert_employee(
        Employee(employee_id="ana", full_name="Ana Torres", role="program_office",
                 email="ana@district.example")
    )  # fmt: skip
    pages = {}
    async with web_app(client, pool, folder) as url:
        session = await signed_in(url, "ana")
        try:
            for path, shows in wanted.items():
                for _ in range(150):
                    answer = await session.get(path)
                    assert answer.status_code == 200, answer.text
                    if shows(answer.text):
                        break
                    await asyncio.sleep(0.1)
                else:
                    raise AssertionError(f"{path} did not show what was wanted: {answer.text}")
                pages[path] = answer.text
        finally:
            await session.aclose()
    return pages


async def journey_page(client: Client, pool: asyncpg.Pool, journey_id: str, folder: Path) -> str:
    """The journey's page in the web app, signed in as program office staff."""
    path = f"/journeys/{journey_id}"
    return (await office_pages(client, pool, folder, **{path: lambda _: True}))[path]


def fix_queue(page: str) -> str:
    """The queue page's section of journeys waiting on HR's correction."""
    start = page.index('id="q-fixes"')
    return page[start : page.index("</section>", start)]


async def api_answer(client: Client, pool: asyncpg.Pool, journey_id: str, folder: Path) -> Any:
    """`GET /v1/journeys/<id>` of the HTTP API, as an HR integration reads it."""
    key = await ApiKeys(pool).create("hr-feed", {Scope.JOURNEYS_READ}, "operator:test")
    settings = Settings.model_validate({"PATHWAYS_DATA_DIR": folder})
    app = create_app(settings, Backend(client, pool, LocalHris(pool), "fix"))
    headers = {"Authorization": f"Bearer {key}"}
    async with served(app) as url, httpx.AsyncClient(base_url=url, headers=headers) as http:
        answer = await http.get(f"/v1/journeys/{journey_id}")
    assert answer.status_code == 200, answer.text
    return answer.json()


async def accepted_without_a_principal(
    client: Client, env: WorkflowEnvironment, pool: asyncpg.Pool, task_queue: str, teacher: str
) -> TeacherLeaderHandle:
    handle = await start(client, env, pool, await program_near(env), task_queue, teacher)
    await principal_leaves(pool)
    decision = DecideApplication(outcome=DecisionOutcome.ACCEPTED, scores=SCORES, decided_by=OFFICE)
    await handle.execute_update(TeacherLeaderJourney.decide, decision)
    return handle


async def test_a_school_without_a_principal_holds_the_journey_until_hr_fixes_it(
    dev_env: WorkflowEnvironment,
    pool: asyncpg.Pool,
    task_queue: str,
    database_url: str,
    tmp_path: Path,
) -> None:
    client = dev_env.client
    await seed_district(pool, ["t-fix"])
    async with running_worker(client, pool, task_queue):
        handle = await accepted_without_a_principal(client, dev_env, pool, task_queue, "t-fix")

        first = await waiting_on_fix(handle)
        assert (first.error_type, first.asked, first.record) == (
            "NoPrincipalAssigned", "hris_principal_of", f"school {SCHOOL!r}",
        )  # fmt: skip
        assert SCHOOL in first.problem and first.next_try_at - first.since == DATA_FIX_RETRY
        status = await handle.query(TeacherLeaderJourney.status)
        assert status.stage is Stage.COMMITMENT_PENDING and status.principal_id is None
        # Operators find it from the list, with what it waits on.
        listed = await waiting_journeys(client, query=f"WorkflowId = '{handle.id}'")
        assert [(w.workflow_id, w.kind, w.error_type) for w in listed] == [
            (handle.id, "waiting_on_fix", "NoPrincipalAssigned")
        ]

        # The participant cannot make it retry; the office can, and a retry that meets the same
        # record waits again, keeping when the wait began.
        with pytest.raises(WorkflowUpdateFailedError) as own:
            await retry(handle, "t-fix")
        assert code_of(own.value) == "policy.not_permitted"
        answered = await retry(handle, OFFICE)
        assert answered == first
        second = await waiting_on_fix(handle, attempts=2)
        assert second.since == first.since

        # The office sees it beside the status; operators list it and, once HR is fixed, retry.
        shown = await run_against(dev_env, "status", handle.id, database_url=database_url)
        assert shown.returncode == 0, shown.stderr
        assert "waiting on a fix" in shown.stdout and "ops retry" in shown.stdout
        assert "has no principal" in " ".join(shown.stdout.split())
        listed_cli = await run_against(
            dev_env, "ops", "stuck", "--query", f"WorkflowId = '{handle.id}'"
        )
        assert "waiting on a district record's fix" in listed_cli.stdout
        assert "NoPrincipalAssigned" not in listed_cli.stdout  # the words, not the type
        # The journey's page says so too, in the system's words, and the office's queue lists
        # it (from the journey's WaitingOnFix search attribute); so does the HTTP API.
        journey = f"/journeys/{handle.id}"
        pages = await office_pages(
            dev_env.client, pool, tmp_path,
            **{journey: lambda _: True, "/queues": lambda p: handle.id in fix_queue(p),
               "/": lambda p: "journeys waiting on HR to correct a record" in p},
        )  # fmt: skip
        page, home = pages[journey], pages["/"]
        assert 'id="waiting-on-fix"' in page and "has no principal" in page
        listed_web = fix_queue(pages["/queues"])
        assert f"/journeys/{handle.id}" in listed_web and "has no principal" in listed_web
        assert "asked 2 time(s)" in listed_web
        assert re.search(r"\b[1-9][0-9]* journeys waiting on HR to correct a record", home)
        described = await handle.describe()
        assert described.typed_search_attributes.get(search.WAITING_ON) == "NoPrincipalAssigned"
        answer = await api_answer(dev_env.client, pool, handle.id, tmp_path)
        assert answer["stage"] == "commitment_pending"
        assert answer["waiting_on"]["error_type"] == "NoPrincipalAssigned"

        await principal_returns(pool)
        again = await run_against(
            dev_env, "ops", "retry", handle.id, "--by", "hris", database_url=database_url
        )
        assert again.returncode == 0, again.stderr
        assert "is usable now; the journey goes on" in again.stdout
        status = await goes_on(handle)
        assert status.principal_id == PRINCIPAL and status.stage is Stage.COMMITMENT_PENDING
        assert WAITING_ON_MEMO not in await (await handle.describe()).memo()
        assert await waiting_journeys(client, query=f"WorkflowId = '{handle.id}'") == []
        assert (await handle.describe()).typed_search_attributes.get(search.WAITING_ON) is None
        # Off the queue (office_pages fails the test if it stays).
        await office_pages(
            dev_env.client, pool, tmp_path, **{"/queues": lambda p: handle.id not in fix_queue(p)}
        )
        with pytest.raises(WorkflowUpdateFailedError) as idle:
            await retry(handle, OFFICE)
        assert code_of(idle.value) == "fix.not_waiting"
        await keep_history(handle, "teacher_leader_waited_on_principal_fix_searchable")
        await handle.terminate("test over")


async def test_a_waiting_journey_asks_again_by_itself_hourly_then_daily(
    own_env: WorkflowEnvironment, pool: asyncpg.Pool, task_queue: str
) -> None:
    client = own_env.client
    await seed_district(pool, ["t-fix2"])
    async with running_worker(client, pool, task_queue):
        handle = await accepted_without_a_principal(client, own_env, pool, task_queue, "t-fix2")
        first = await waiting_on_fix(handle)
        assert first.next_try_at - first.since == DATA_FIX_RETRY
        # Hourly for a day, then daily: a long wait keeps the history small.
        await own_env.sleep(DATA_FIX_RETRY * HOURLY_ASKS + timedelta(minutes=30))
        later = await waiting_on_fix(handle, attempts=HOURLY_ASKS + 1)
        now = await own_env.get_current_time()
        assert later.since == first.since
        assert DATA_FIX_RETRY < later.next_try_at - now <= DATA_FIX_RETRY_LATER
        await principal_returns(pool)
        await own_env.sleep(DATA_FIX_RETRY_LATER + timedelta(minutes=1))
        status = await goes_on(handle)
        assert status.principal_id == PRINCIPAL
        withdrawal = Withdraw(withdrawn_by=OFFICE, reason="the principal asked to wait a year")
        await handle.execute_update(TeacherLeaderJourney.withdraw, withdrawal)
        await handle.result()
        await keep_history(handle, "teacher_leader_waited_on_principal_fix")


async def ends_withdrawn(handle: TeacherLeaderHandle) -> JourneyStatus:
    """The journey's result once withdrawn; a journey that went on asking HR never ends (the
    time-skipping server would skip on through its daily asks)."""
    status: JourneyStatus = await asyncio.wait_for(handle.result(), timeout=60)
    assert status.stage is Stage.WITHDRAWN
    assert WAITING_ON_MEMO not in await (await handle.describe()).memo()
    assert await handle.query(TeacherLeaderJourney.waiting_on) is None
    return status


async def test_a_journey_withdrawn_while_its_school_has_no_principal_stops_asking_hr(
    own_env: WorkflowEnvironment, pool: asyncpg.Pool, task_queue: str
) -> None:
    client = own_env.client
    await seed_district(pool, ["t-fix3"])
    async with running_worker(client, pool, task_queue):
        handle = await accepted_without_a_principal(client, own_env, pool, task_queue, "t-fix3")
        await own_env.sleep(DATA_FIX_RETRY * 3 + timedelta(minutes=1))
        await waiting_on_fix(handle, attempts=4)
        withdrawal = Withdraw(withdrawn_by=OFFICE, reason="the school's leadership is changing")
        await handle.execute_update(TeacherLeaderJourney.withdraw, withdrawal)
        await ends_withdrawn(handle)
        history = await handle.fetch_history()
        assert asked_after(history, "hris_principal_of", accepted_update(history, "withdraw")) == 0
        assert asked_after(history, "hris_principal_of") == 4
        await keep_history(handle, "teacher_leader_withdrawn_while_waiting_on_principal_fix")


async def test_an_application_withdrawn_while_hr_does_not_list_the_applicant_ends(
    own_env: WorkflowEnvironment, pool: asyncpg.Pool, task_queue: str
) -> None:
    client = own_env.client
    await seed_district(pool, ["t-fix4"])
    handle = await start(client, own_env, pool, await program_near(own_env), task_queue, "t-fix4")
    # HR drops the record between the application and the journey's first look-up.
    await pool.execute("DELETE FROM hris_employees WHERE employee_id = 't-fix4'")
    async with running_worker(client, pool, task_queue):
        found = await waiting_on_fix(handle)
        assert (found.error_type, found.asked) == ("EmployeeNotFound", "hris_employee")
        withdrawal = Withdraw(withdrawn_by=OFFICE, reason="applied under the wrong employee id")
        await handle.execute_update(TeacherLeaderJourney.withdraw, withdrawal)
        status = await ends_withdrawn(handle)
        assert status.full_name == ""  # never identified: nobody to e-mail
        history = await handle.fetch_history()
        assert asked_after(history, "hris_employee", accepted_update(history, "withdraw")) == 0
        assert asked_after(history, "send_email") == 0


async def test_a_journey_withdrawn_before_hr_answers_never_says_it_waits_on_a_fix(
    dev_env: WorkflowEnvironment, pool: asyncpg.Pool, task_queue: str
) -> None:
    """The withdrawal reaches the journey in its first task, before HR answers that it has no
    such employee: the journey ends withdrawn without noting a wait (no memo, no warning)."""
    client = dev_env.client
    await seed_district(pool, ["t-fix5"])
    handle = await start(client, dev_env, pool, await program_near(dev_env), task_queue, "t-fix5")
    await pool.execute("DELETE FROM hris_employees WHERE employee_id = 't-fix5'")
    withdrawal = Withdraw(withdrawn_by=OFFICE, reason="applied under the wrong employee id")
    # No worker yet: the update waits for the journey's first task.
    sent = asyncio.create_task(handle.execute_update(TeacherLeaderJourney.withdraw, withdrawal))
    await asyncio.sleep(3)
    async with running_worker(client, pool, task_queue):
        await sent
        status = await ends_withdrawn(handle)
        history = await handle.fetch_history()
    assert status.full_name == ""
    assert asked_after(history, "hris_employee") == 1
    # As the test means it: the withdrawal was accepted before HR's answer came.
    failed = next(
        e.event_id for e in history.events if e.HasField("activity_task_failed_event_attributes")
    )
    assert accepted_update(history, "withdraw") < failed
    await keep_history(handle, "teacher_leader_withdrawn_before_hr_answered")
    memos = [
        e for e in history.events if e.HasField("workflow_properties_modified_event_attributes")
    ]
    assert memos == []  # never said it waited
