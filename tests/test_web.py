"""The web app in a real browser: Playwright driving Debian's Chromium against the app served by
uvicorn on a free port, a time-skipping Temporal server with a worker, and a real PostgreSQL.

With SCREENSHOTS=1 the main pages are saved to docs/screenshots/ for the README.
"""

from __future__ import annotations

import asyncio
import csv
import io
import os
import shutil
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from playwright.async_api import Browser, Page, async_playwright
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from activities.local_systems import LocalHris
from activities.readmodel import PROGRAM_JOURNEYS, TEACHER_LEADER_PROGRESS, ReadModel
from domain.external import Employee
from domain.program import SAMPLE_PROGRAM, ProgramYear, Role, load_program_year
from domain.teacher_leader.events import DecisionOutcome, SelectionScores
from domain.teacher_leader.journey import (
    Application,
    DecideApplication,
    JourneyStatus,
    SignCommitment,
    Stage,
    SubmitDeliverable,
)
from pathways.api import serve_api
from pathways.config import Settings
from pathways.journeys import start_teacher_leader
from pathways.sample_year import teacher_leader_year
from pathways.web.app import ProgramShelf, WebBackend, create_web_app
from tests.journey_kit import (
    OTHER_PRINCIPAL,
    PRINCIPAL,
    SCHOOL,
    local_today,
    running_worker,
    seed_district,
)
from tests.test_api import free_port
from workflows.teacher_leader import TeacherLeaderJourney

CHROMIUM = os.environ.get("CHROMIUM", shutil.which("chromium") or "/usr/bin/chromium")
HAVE_CHROMIUM = os.path.exists(CHROMIUM)
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic",
]  # fmt: skip
SHOTS = Path(__file__).parent.parent / "docs" / "screenshots"
ACTIVE = [f"t-{n:02d}" for n in range(1, 31)]
#: A program year defined ahead, with no journeys.
AHEAD = load_program_year(SAMPLE_PROGRAM).model_copy(update={"program_year": "2099-00"})
APPLIED, PENDING = "t-31", "t-32"
SCORES = SelectionScores(time=4, mindset=3, skillset=3, experience=3)


@dataclass
class Web:
    url: str
    client: Client
    pool: asyncpg.Pool
    program: ProgramYear
    journeys: dict[str, str]
    browser: Browser

    async def page_as(self, who: str) -> Page:
        page = await (await self.browser.new_context()).new_page()
        answer = await page.goto(f"{self.url}/sign-in?q={who}")
        assert answer is not None and answer.ok, await page.content()
        await page.select_option("#employee_id", value=who)
        await page.get_by_role("button", name="Sign in").click()
        await page.wait_for_url(f"{self.url}/")
        return page

    async def status(self, teacher: str) -> JourneyStatus:
        handle = self.client.get_workflow_handle(self.journeys[teacher])
        answer: JourneyStatus = await handle.query(TeacherLeaderJourney.status)
        return answer


async def _seed(pool: asyncpg.Pool) -> None:
    await seed_district(pool, [*ACTIVE, APPLIED, PENDING])
    hris = LocalHris(pool)
    for employee_id, name, role in (
        ("ana", "Ana Torres", "program_office"),
        ("maya", "Maya Patel", "program_director"),
        ("lee", "Jordan Lee", "coach"),
        ("kim", "Robin Kim", "coach"),
    ):
        await hris.upsert_employee(
            Employee(employee_id=employee_id, full_name=name, role=role,
                     email=f"{employee_id}@district.example")
        )  # fmt: skip


async def _journeys(
    client: Client, pool: asyncpg.Pool, program: ProgramYear, queue: str
) -> dict[str, str]:
    hris = LocalHris(pool)
    gate = asyncio.Semaphore(8)

    async def one(teacher: str) -> tuple[str, str]:
        async with gate:
            application = Application(employee_id=teacher, role=Role.PEER_COACH, school_id=SCHOOL)
            handle, _ = await start_teacher_leader(client, hris, program, application, queue)
            if teacher == APPLIED:
                return teacher, handle.id
            decide = DecideApplication(
                outcome=DecisionOutcome.ACCEPTED, scores=SCORES, decided_by="office:ana"
            )
            await handle.execute_update(TeacherLeaderJourney.decide, decide)
            if teacher == PENDING:
                return teacher, handle.id
            for signer in (teacher, PRINCIPAL):
                await handle.execute_update(
                    TeacherLeaderJourney.sign_commitment, SignCommitment(signer_id=signer)
                )
            return teacher, handle.id

    return dict(await asyncio.gather(*(one(t) for t in [*ACTIVE, APPLIED, PENDING])))


@pytest.fixture
async def web(
    own_env: WorkflowEnvironment, pool: asyncpg.Pool, task_queue: str, tmp_path: Path
) -> AsyncIterator[Web]:
    assert HAVE_CHROMIUM, f"no Chromium at {CHROMIUM}: `make test` installs it"
    await _seed(pool)
    program = teacher_leader_year(await local_today(own_env))
    client = own_env.client
    port, stop = free_port(), asyncio.Event()
    settings = Settings.model_validate(
        {"PATHWAYS_DATA_DIR": tmp_path, "WEB_LOCAL_SIGN_IN": True, "WEB_PORT": port,
         "NON_HR_ACTORS": "hris,university,payroll,auditor:kay"}
    )  # fmt: skip
    backend = WebBackend(
        client, pool, LocalHris(pool), task_queue, settings.non_hr_actors,
        # And next year's definition, written ahead: nobody has applied to it yet.
        ProgramShelf((), {program.program_year: program, AHEAD.program_year: AHEAD}),
    )  # fmt: skip
    model = ReadModel(pool, projection=TEACHER_LEADER_PROGRESS)
    async with running_worker(client, pool, task_queue), async_playwright() as playwright:
        journeys = await _journeys(client, pool, program, task_queue)
        following = asyncio.gather(
            model.follow(stop, every_seconds=0.2),
            ReadModel(pool).follow(stop, every_seconds=0.2),
            ReadModel(pool, projection=PROGRAM_JOURNEYS).follow(stop, every_seconds=0.2),
        )
        server = asyncio.create_task(
            serve_api(create_web_app(settings, backend), "127.0.0.1", port, stop)
        )
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            for _ in range(200):  # the read model has every journey at its stage
                n = await pool.fetchval(
                    "SELECT count(*) FROM teacher_leader_progress WHERE stage = 'active'"
                )
                if n == len(ACTIVE):
                    break
                await asyncio.sleep(0.1)
            yield Web(f"http://127.0.0.1:{port}", client, pool, program, journeys, browser)
        finally:
            await browser.close()
            stop.set()
            await server
            await following


async def unlabelled(page: Page) -> list[str]:
    """Every visible form control without a label (or aria-label)."""
    found: list[str] = await page.evaluate(
        """() => [...document.querySelectorAll('input, select, textarea')]
            .filter(el => el.type !== 'hidden')
            .filter(el => !(el.labels && el.labels.length) && !el.getAttribute('aria-label')
                          && !el.getAttribute('aria-labelledby'))
            .map(el => el.name || el.id)"""
    )
    return found


async def shot(page: Page, name: str) -> None:
    if os.environ.get("SCREENSHOTS") == "1":
        SHOTS.mkdir(parents=True, exist_ok=True)
        await page.screenshot(path=str(SHOTS / f"{name}.png"))


async def csrf_of(page: Page) -> str:
    token: str = await page.locator("input[name=csrf]").first.get_attribute("value") or ""
    return token


def past_session(program: ProgramYear, today: Any) -> Any:
    return next(
        s for s in sorted(program.sessions, key=lambda s: s.on)
        if s.on < today and s.applies_to(Role.PEER_COACH)
    )  # fmt: skip


async def test_the_program_office_works_a_day_in_the_browser(
    web: Web, own_env: WorkflowEnvironment
) -> None:
    first = web.journeys[ACTIVE[0]]
    await web.client.get_workflow_handle(first).execute_update(
        TeacherLeaderJourney.submit_deliverable,
        SubmitDeliverable(deliverable_id=_deliverable(web.program), submitted_by=ACTIVE[0]),
    )
    page = await web.page_as("ana")
    year = web.program.program_year
    assert await page.get_by_text("Local sign-in is on").is_visible()
    assert await unlabelled(page) == []

    # The roster: every journey, what blocks each stipend, a filter.
    await page.get_by_role("link", name=year).click()
    assert await page.locator("#roster-count").inner_text() == "32 journeys"
    assert await page.locator("table.roster tbody tr").count() == 32
    # Sessions that have happened without a mark say so (in the program's time zone).
    assert "no attendance recorded for" in await page.locator("table.roster").inner_text()
    assert await unlabelled(page) == []
    await shot(page, "roster")
    await page.select_option("#f-stage", "applied")
    await page.get_by_role("button", name="Filter").click()
    assert await page.locator("#roster-count").inner_text() == "1 journeys"

    # The attendance sheet of 30, by keyboard only: two absent (one made up), the rest present.
    session = past_session(web.program, await local_today(own_env))
    await page.goto(f"{web.url}/years/{year}/sessions/{session.session_id}")
    assert await page.locator("table tbody tr").count() == 30
    assert await unlabelled(page) == []
    for row in (0, 1):
        await page.locator(f"input[name=status-{row}][value='']").focus()
        await page.keyboard.press("ArrowRight")  # present
        await page.keyboard.press("ArrowRight")  # absent
    await page.locator("#made-up-1").focus()
    await page.keyboard.type(session.on.strftime("%m%d%Y"))
    await shot(page, "attendance-sheet")
    await page.get_by_role("button", name="Save: everyone not marked is present").focus()
    await page.keyboard.press("Enter")
    heading = page.locator("#results-h")
    await heading.wait_for()
    assert await heading.inner_text() == "Saved: 30 recorded, 0 unchanged, 0 refused"
    assert await page.locator(".results li").count() == 30
    marks = [
        (await web.status(t)).attendance.get(session.session_id) for t in ACTIVE
    ]  # fmt: skip
    assert marks[0] == "absent"
    assert marks[1] is not None and marks[1].startswith("made up")
    assert marks[2:] == ["present"] * 28

    # The queues: one application to decide, one deliverable to review.
    await page.get_by_role("link", name="Queues", exact=True).click()
    assert "Applications to decide (1)" in await page.content()
    assert "Deliverables to review (1)" in await page.content()
    await shot(page, "queues")

    # Review the deliverable on its journey's page; decide the application.
    await page.goto(f"{web.url}/journeys/{first}")
    assert await unlabelled(page) == []
    await shot(page, "journey")
    review = page.locator("form", has=page.get_by_role("heading", name="Review a deliverable"))
    await review.get_by_role("button", name="Review a deliverable").click()
    assert "Review a deliverable: done." in await page.locator(".flash").inner_text()
    status = await web.status(ACTIVE[0])
    assert status.deliverables[_deliverable(web.program)] == "accepted"

    await page.goto(f"{web.url}/journeys/{web.journeys[APPLIED]}")
    for name in ("time", "mindset", "skillset", "experience"):
        await page.fill(f"#decide-scores-{name}", "3")
    await page.get_by_role("button", name="Decide the application").click()
    assert "done" in await page.locator(".flash").inner_text()
    assert (await web.status(APPLIED)).stage is Stage.COMMITMENT_PENDING

    # A refusal is words on the page, and changes nothing: this session is already recorded.
    await page.goto(f"{web.url}/years/{year}/sessions/{session.session_id}")
    await page.locator("input[name=status-2][value=absent]").check()
    await page.get_by_role("button", name="Save only the marks given").click()
    refused = page.locator(".results li.refused")
    assert await refused.count() == 1
    assert "give the reason for the correction" in await refused.inner_text()
    assert (await web.status(ACTIVE[2])).attendance[session.session_id] == "present"

    # A form without this session's token is refused before anything is sent.
    answer = await page.request.post(
        f"{web.url}/journeys/{first}/actions/withdraw", form={"reason": "forged"}
    )
    assert answer.status == 403
    assert (await web.status(ACTIVE[0])).stage is Stage.ACTIVE

    # Unless a year is chosen, a report is of the latest year that has journeys, not of next
    # year's definition, written ahead; the selector says which.
    await page.goto(f"{web.url}/reports/attendance")
    assert year in await page.locator("h1").inner_text()
    assert await page.locator("#year").input_value() == year
    # A report: its chart, its table, and a CSV that matches the table.
    await page.goto(f"{web.url}/reports/attendance?year={year}")
    assert await page.locator("svg.chart rect").count() > 0
    assert await unlabelled(page) == []
    await shot(page, "report-attendance")
    cells = await page.locator("#report-table").evaluate(
        "t => [...t.rows].map(r => [...r.cells].map(c => c.innerText))"
    )
    download = await page.request.get(f"{web.url}/reports/attendance.csv?year={year}")
    assert list(csv.reader(io.StringIO(await download.text()))) == cells
    row = next(r for r in cells if r[1] == session.title)
    assert row[2:7] == ["30", "28", "1", "1", "0"]

    # Every report has its chart, and a CSV equal to its table.
    for key in ("stipends", "reimbursements", "nominations", "certification", "needs",
                "success-factors"):  # fmt: skip
        answer = await page.goto(f"{web.url}/reports/{key}?year={year}")
        assert answer is not None and answer.ok, key
        assert await page.locator("svg.chart").count() == 1, key
        cells = await page.locator("#report-table").evaluate(
            "t => [...t.rows].map(r => [...r.cells].map(c => c.innerText))"
        )
        download = await page.request.get(f"{web.url}/reports/{key}.csv?year={year}")
        assert list(csv.reader(io.StringIO(await download.text()))) == cells, key
        if key == "certification":  # the principals and the director HR lists, none certified
            assert sorted(r[0] for r in cells[1:]) == sorted([PRINCIPAL, OTHER_PRINCIPAL, "maya"])
            assert {r[5] for r in cells[1:]} == {"not certified"}
        if key == "needs":
            teachers = next(r for r in cells[1:] if r[0] == "teachers")
            assert "(30)" in teachers[1]  # the active 30: not the applicant nor the unsigned
        if key == "success-factors":
            placed = {r[0]: r[1] for r in cells[1:4]}
            assert placed["School leaders as instructional leaders"] == "less effective practices"
            await shot(page, "report-success-factors")

    # A sheet posted by hand: a count that is no number saves nothing; a line sent twice is
    # sent once; a make-up on a line marked present is refused in words.
    sheet_url = f"{web.url}/years/{year}/sessions/{session.session_id}"
    token = await csrf_of(page)
    answer = await page.request.post(sheet_url, form={"csrf": token, "count": "x"})
    assert answer.ok and "Saved: 0 recorded" in await answer.text()
    later = next(s for s in web.program.sessions_for(Role.PEER_COACH) if s.on > session.on)
    answer = await page.request.post(
        f"{web.url}/years/{year}/sessions/{later.session_id}",
        form={"csrf": token, "count": "3", "journey-0": first, "status-0": "present",
              "journey-1": first, "status-1": "absent",
              "journey-2": web.journeys[ACTIVE[3]], "status-2": "present",
              "made-up-2": later.on.isoformat()},
    )  # fmt: skip
    text = await answer.text()
    if later.on < await local_today(own_env):
        assert "Saved: 1 recorded, 0 unchanged, 1 refused" in text, text
        assert "a make-up date is for an absence" in text
        assert (await web.status(ACTIVE[0])).attendance[later.session_id] == "present"
    else:  # the next session is still to come: both lines are refused, in words
        assert "0 recorded" in text and "has not happened" in text.replace("&#39;", "'"), text


async def test_auditors_read_and_change_nothing(web: Web) -> None:
    page = await web.page_as("auditor:kay")
    first = web.journeys[ACTIVE[0]]
    await page.goto(f"{web.url}/journeys/{first}")
    assert await page.get_by_role("heading", name="What you can do").count() == 0
    assert await page.locator("table.timeline tbody tr").count() > 0
    token = await csrf_of(page)
    await page.request.post(
        f"{web.url}/journeys/{first}/actions/withdraw",
        form={"csrf": token, "reason": "audit"},
        max_redirects=0,
    )
    await page.goto(f"{web.url}/journeys/{first}")
    assert "auditor:kay cannot" in await page.locator(".flash").inner_text()
    assert (await web.status(ACTIVE[0])).stage is Stage.ACTIVE
    await page.goto(f"{web.url}/reports/stipends?year={web.program.program_year}")
    assert await page.locator("svg.chart").count() == 1
    # What the auditor read is in the access log, newest first.
    from activities.access_log import AccessLog

    read = await AccessLog(web.pool).entries(reader="auditor:kay")
    assert [(e.door.value, e.what.value, e.subject) for e in read][-2:] == [
        ("web", "journey", first), ("web", "journey", first)
    ]  # fmt: skip
    assert read[0].what.value == "report" and read[0].subject.startswith("stipends")
    assert read[-1].employee_id == ACTIVE[0]


async def test_teachers_and_principals_see_and_do_only_their_own(
    web: Web, own_env: WorkflowEnvironment, task_queue: str
) -> None:
    from activities.enrollment import start_journey
    from domain.calendar import local_date
    from domain.catalog.definition import CATALOG, load_program
    from domain.catalog.start import PROGRAM, ProgramEnrollment, ProgramInput

    certificate = load_program(CATALOG / "teacher_leader_certificate.toml")
    today = local_date(await own_env.get_current_time(), certificate.time_zone)
    certificate = certificate.shifted((today - timedelta(days=1) - certificate.starts).days)
    enrollment = ProgramEnrollment(employee_id=ACTIVE[0], enrolled_by="office:ana")
    started = await start_journey(
        web.client, LocalHris(web.pool), PROGRAM,
        ProgramInput(program=certificate, enrollment=enrollment), task_queue,
    )  # fmt: skip
    for _ in range(100):
        if await web.pool.fetchval("SELECT count(*) FROM program_journeys"):
            break
        await asyncio.sleep(0.1)
    own, other = web.journeys[ACTIVE[0]], web.journeys[ACTIVE[1]]
    teacher = await web.page_as(ACTIVE[0])
    assert "Your journeys" in await teacher.content()
    # Her catalog program, with what is still to complete; and her career's page.
    await teacher.get_by_role("link", name="Programs", exact=True).click()
    await teacher.get_by_role("link", name=certificate.title).click()
    assert await teacher.locator("#program-count").inner_text() == "1 journeys"
    row = await teacher.locator("table.roster tbody tr").inner_text()
    assert certificate.parts[0].title in row
    assert await unlabelled(teacher) == []
    await teacher.goto(f"{web.url}/journeys/{started.workflow_id}")
    assert await teacher.locator("table.timeline tbody tr").count() > 0
    mine = await teacher.goto(f"{web.url}/people/{ACTIVE[0]}")
    assert mine is not None and mine.ok
    assert started.workflow_id in await teacher.content()
    theirs = await teacher.goto(f"{web.url}/people/{ACTIVE[1]}")
    assert theirs is not None and theirs.status == 403
    await teacher.goto(f"{web.url}/journeys/{own}")
    await teacher.get_by_role("button", name="Submit a deliverable").click()
    assert "Submit a deliverable: done." in await teacher.locator(".flash").inner_text()
    assert await teacher.get_by_role("heading", name="Review a deliverable").count() == 0
    # Reviewing her own deliverable by a forged form is refused by the policy, in words.
    token = await csrf_of(teacher)
    await teacher.request.post(
        f"{web.url}/journeys/{own}/actions/review",
        form={"csrf": token, "deliverable_id": _deliverable(web.program), "accepted": "true"},
        max_redirects=0,
    )
    await teacher.goto(f"{web.url}/journeys/{own}")
    flash = await teacher.locator(".flash").inner_text()
    assert "cannot review a deliverable" in flash and "policy.not_permitted" in flash
    assert (await web.status(ACTIVE[0])).deliverables[_deliverable(web.program)] == "submitted"
    # Another teacher's journey is not hers to see.
    answer = await teacher.goto(f"{web.url}/journeys/{other}")
    assert answer is not None and answer.status == 403
    assert "not yours to see" in await teacher.content()
    roster = await teacher.goto(f"{web.url}/years/{web.program.program_year}")
    assert roster is not None
    assert await teacher.locator("table.roster tbody tr").count() == 1
    colleague = await web.page_as(ACTIVE[1])
    await colleague.goto(f"{web.url}/programs")
    assert "No catalog program journeys you can see yet." in await colleague.content()

    # The other school's principal cannot see or sign this school's commitment.
    pending = web.journeys[PENDING]
    stranger = await web.page_as(OTHER_PRINCIPAL)
    answer = await stranger.goto(f"{web.url}/journeys/{pending}")
    assert answer is not None and answer.status == 403
    token = await csrf_of(stranger)
    forged = await stranger.request.post(
        f"{web.url}/journeys/{pending}/actions/sign", form={"csrf": token}
    )
    assert forged.status == 403
    assert (await web.status(PENDING)).awaiting_signatures == ["teacher", "principal"]

    # The school's principal finds the commitment in the queue and signs; then the teacher.
    principal = await web.page_as(PRINCIPAL)
    await principal.get_by_role("link", name="Queues", exact=True).click()
    queue = principal.locator("section", has=principal.get_by_role("heading", name="Commitments"))
    await queue.get_by_role("link", name=f"Teacher {PENDING}").click()
    await principal.get_by_role("button", name="Sign the joint commitment").click()
    assert "done" in await principal.locator(".flash").inner_text()
    signer = await web.page_as(PENDING)
    await signer.goto(f"{web.url}/journeys/{pending}")
    await signer.get_by_role("button", name="Sign the joint commitment").click()
    await signer.locator("#stage").filter(has_text="active").wait_for()
    assert (await web.status(PENDING)).stage is Stage.ACTIVE


def _deliverable(program: ProgramYear) -> str:
    return program.deliverables_for(Role.PEER_COACH)[0].deliverable_id


async def test_a_session_ends_when_idle_and_after_its_longest() -> None:
    from starlette.requests import Request

    from domain.policy import Viewer
    from pathways.web import auth

    rules = auth.SessionRules(idle_seconds=60, max_seconds=3600)
    request = Request({"type": "http", "session": {}})
    auth.sign_in(request, Viewer("office:ana", "Ana Torres", "program_office"), "local", "ana")
    assert auth.signed_in(request, rules).actor == "office:ana"
    request.session["seen"] -= 61
    with pytest.raises(auth.SignInNeeded, match="without activity"):
        auth.signed_in(request, rules)
    auth.sign_in(request, Viewer("office:ana", "Ana Torres", "program_office"), "local", "ana")
    request.session["since"] -= int(timedelta(hours=2).total_seconds())
    with pytest.raises(auth.SignInNeeded, match="has ended"):
        auth.signed_in(request, rules)


async def test_staff_sign_in_with_the_districts_identity_provider(
    client: Client, pool: asyncpg.Pool, task_queue: str, tmp_path: Path
) -> None:
    from tests.fake_idp import CLIENT_ID, CLIENT_SECRET, FakeIdp

    await _seed(pool)
    idp, stop = FakeIdp(), asyncio.Event()
    idp_port, port = free_port(), free_port()
    idp.issuer = f"http://127.0.0.1:{idp_port}"
    settings = Settings.model_validate(
        {"PATHWAYS_DATA_DIR": tmp_path, "WEB_PORT": port, "OIDC_ISSUER": idp.issuer,
         "OIDC_CLIENT_ID": CLIENT_ID, "OIDC_CLIENT_SECRET": CLIENT_SECRET}
    )  # fmt: skip
    backend = WebBackend(client, pool, LocalHris(pool), task_queue, settings.non_hr_actors)
    url = f"http://127.0.0.1:{port}"
    servers = [
        asyncio.create_task(serve_api(idp.app, "127.0.0.1", idp_port, stop)),
        asyncio.create_task(serve_api(create_web_app(settings, backend), "127.0.0.1", port, stop)),
    ]
    try:
        async with async_playwright() as playwright:
            browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            page = await browser.new_page()
            await page.goto(f"{url}/queues")  # a page that needs a session sends to sign-in
            assert "/sign-in?next=%2Fqueues" in page.url
            assert await page.get_by_text("Local sign-in is on").count() == 0
            assert await page.locator("#employee_id").count() == 0  # no list of people

            idp.signs_in = {"employee_id": "ana"}
            await page.get_by_role("link", name="Sign in with the district's account").click()
            await page.wait_for_url(f"{url}/queues")
            assert "Ana Torres · program office" in await page.locator(".who").inner_text()
            await page.get_by_role("button", name="Sign out").click()

            idp.signs_in = {"employee_id": "e-0404"}  # someone HR does not list
            await page.get_by_role("link", name="Sign in with the district's account").click()
            await page.wait_for_url(f"{url}/sign-in")
            assert "HR has no employee 'e-0404'" in await page.locator(".flash").inner_text()

            idp.signs_in = {"email": "ana@district.example"}  # no employee id in the token
            await page.get_by_role("link", name="Sign in with the district's account").click()
            await page.wait_for_url(f"{url}/sign-in")
            assert "has no 'employee_id'" in await page.locator(".flash").inner_text()
            await browser.close()
    finally:
        stop.set()
        await asyncio.gather(*servers)


async def test_fellowship_seats_waitlist_and_service_commitments(
    own_env: WorkflowEnvironment, pool: asyncpg.Pool, task_queue: str, tmp_path: Path
) -> None:
    from activities.enrollment import start_journey
    from domain.program import SERVICE_RULES
    from domain.service_commitment.rules import load_service_rules
    from domain.service_commitment.start import SERVICE_COMMITMENT, ServiceCommitmentInput
    from tests.test_fellowship import apply, program_near, seed_fellows, select

    fellows = {f"f-{n}": "teacher" for n in range(1, 4)}
    await seed_fellows(pool, fellows)
    await _seed(pool)
    client = own_env.client
    program = await program_near(own_env, task_queue, cohort_capacity=2)
    port, stop = free_port(), asyncio.Event()
    settings = Settings.model_validate(
        {"PATHWAYS_DATA_DIR": tmp_path, "WEB_LOCAL_SIGN_IN": True, "WEB_PORT": port}
    )
    backend = WebBackend(client, pool, LocalHris(pool), task_queue, settings.non_hr_actors)
    async with running_worker(client, pool, task_queue), async_playwright() as playwright:
        for who in fellows:
            await select(await apply(client, program, task_queue, who))
        today = await local_today(own_env)
        commitment = ServiceCommitmentInput(
            program=program.program_id, fellow_id="f-1", graduated_on=today,
            assistance_cents=3_000_000, rules=load_service_rules(SERVICE_RULES),
            program_office_email="office@district.example",
        )  # fmt: skip
        await start_journey(client, LocalHris(pool), SERVICE_COMMITMENT, commitment, task_queue)
        for _ in range(100):  # its first events are in the log
            if await pool.fetchval(
                "SELECT count(*) FROM events WHERE stream_id LIKE 'service-commitment/%'"
            ):
                break
            await asyncio.sleep(0.1)
        server = asyncio.create_task(
            serve_api(create_web_app(settings, backend), "127.0.0.1", port, stop)
        )
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        web = Web(f"http://127.0.0.1:{port}", client, pool, teacher_leader_year(today), {}, browser)
        try:
            page = await web.page_as("ana")
            await page.get_by_role("link", name="Fellowships").click()
            await page.get_by_role("link", name=program.program_id).click()
            assert await page.locator("#seat-count").inner_text() == (
                "2 of 2 seats taken, 1 waiting, 0 gave up a place; enrollment is open."
            )
            rows = await page.locator("#commitments tbody tr").all_inner_texts()
            assert len(rows) == 1 and rows[0].startswith("f-1")
            assert "$30,000.00" in rows[0]  # leaving now repays all the assistance
            assert await unlabelled(page) == []
            # The report of commitments at risk: the same commitment, its chart and its CSV.
            await page.goto(f"{web.url}/reports/commitments")
            assert await page.locator("svg.chart").count() == 1
            cells = await page.locator("#report-table").evaluate(
                "t => [...t.rows].map(r => [...r.cells].map(c => c.innerText))"
            )
            assert [r[0] for r in cells[1:]] == ["f-1"] and cells[1][1] == "serving"
            download = await page.request.get(f"{web.url}/reports/commitments.csv")
            assert list(csv.reader(io.StringIO(await download.text()))) == cells
            teacher = await web.page_as("f-2")
            answer = await teacher.goto(f"{web.url}/fellowships/{program.program_id}")
            assert answer is not None and answer.status == 403
        finally:
            await browser.close()
            stop.set()
            await server


async def test_every_pathway_offers_its_actions_on_the_journey_page(
    web: Web, own_env: WorkflowEnvironment, task_queue: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Staff act on a fellowship, an aspiring principal's year and a catalog program from the
    journeys' pages; the forms offer only what the journey's own definition has."""
    from activities.enrollment import start_journey
    from domain.aspiring_principals.journey import AspiringNomination
    from domain.catalog.definition import CATALOG, load_program
    from domain.catalog.journey import ProgramStatus
    from domain.catalog.start import PROGRAM, ProgramEnrollment, ProgramInput
    from domain.external import EmploymentStatus
    from domain.fellowship.journey import FellowshipApplication
    from pathways.journeys import start_aspiring, start_fellowship
    from pathways.sample_year import aspiring_year, catalog_programs, fellowship_program
    from pathways.web import app as web_app
    from workflows.aspiring_principal import AspiringPrincipalJourney
    from workflows.fellowship import FellowshipJourney

    today = await local_today(own_env)
    hris = LocalHris(web.pool)
    fellow, aspiring, learner = ACTIVE[4], ACTIVE[5], ACTIVE[6]
    fellowship, _ = await start_fellowship(
        web.client, hris, fellowship_program(today),
        FellowshipApplication(employee_id=fellow), task_queue,
    )  # fmt: skip
    year = aspiring_year(today)
    nominated, _ = await start_aspiring(
        web.client, hris, year,
        AspiringNomination(employee_id=aspiring, tier1_credential_on=today), task_queue,
    )  # fmt: skip
    key = load_program(CATALOG / "teacher_leader_certificate.toml").key
    certificate = catalog_programs(today)[key]
    program = await start_journey(
        web.client, hris, PROGRAM,
        ProgramInput(program=certificate,
                     enrollment=ProgramEnrollment(employee_id=learner, enrolled_by="office:ana")),
        task_queue,
    )  # fmt: skip
    classified = "c-01"
    await hris.upsert_employee(
        Employee(employee_id=classified, full_name="Office Manager c-01", role="office_manager",
                 email="c-01@district.example", school_id=SCHOOL)
    )  # fmt: skip
    academy = catalog_programs(today)["classified_staff_leadership"]
    joins = ProgramEnrollment(employee_id=classified, enrolled_by="office:ana")
    project = await start_journey(
        web.client, hris, PROGRAM, ProgramInput(program=academy, enrollment=joins), task_queue
    )
    page = await web.page_as("ana")

    async def act(journey_id: str, label: str, fill: dict[str, str]) -> str:
        await page.goto(f"{web.url}/journeys/{journey_id}")
        assert await unlabelled(page) == []
        form = page.locator("form", has=page.get_by_role("heading", name=label, exact=True))
        for control, value in fill.items():
            field = form.get_by_label(control, exact=True)
            if await field.evaluate("el => el.tagName") == "SELECT":
                await field.select_option(value)
            else:
                await field.fill(value)
        await form.get_by_role("button", name=label).click()
        return await page.locator(".flash").inner_text()

    # The fellowship's application waits in the office's queue.
    await page.goto(f"{web.url}/queues")
    applications = page.locator("section", has=page.get_by_role("heading", name="Applications"))
    assert "decide the selection" in await applications.inner_text()

    # The fellowship: selected (the cohort gives a seat), then the enrollment is recorded.
    scores = {f"{s} (1–4)": "3" for s in ("time", "mindset", "skillset", "experience")}
    assert "done" in await act(fellowship.id, "Decide the selection", scores)
    assert (await fellowship.query(FellowshipJourney.status)).stage.value == "admitted"
    flash = await act(
        fellowship.id, "Record the enrollment",
        {"University student id": "U-77", "Enrolled on": today.isoformat()},
    )  # fmt: skip
    assert "done" in flash, flash
    assert (await fellowship.query(FellowshipJourney.status)).university_student_id == "U-77"

    # The aspiring principal: placed with a mentor, a summer institute day recorded.
    assert "done" in await act(nominated.id, "Place with a mentor principal",
                               {"Mentor's employee id": PRINCIPAL})  # fmt: skip
    day = min(year.summer_institute, key=lambda s: s.on)
    flash = await act(nominated.id, "Record a summer institute day", {"Day": day.session_id})
    assert "done" in flash, flash
    assert (await nominated.query(AspiringPrincipalJourney.status)).institute_days_present == 1

    # The catalog program: a past session's attendance, as the definition lists it.
    course = next(p for p in certificate.parts if p.kind == "course")
    session = min(course.sessions, key=lambda s: s.on)
    assert session.on < today
    flash = await act(program.workflow_id, "Record attendance",
                      {"Session": f"{course.id}|{session.id}"})  # fmt: skip
    assert "done" in flash, flash
    status = await program.handle.query("status", result_type=ProgramStatus)
    assert course.id in {p.part_id for p in status.parts}
    assert "1" in next(p.progress for p in status.parts if p.part_id == course.id)
    # A value the command refuses is one line in words, and nothing changes.
    before = await program.handle.query("status", result_type=ProgramStatus)
    later = max((s for p in certificate.parts if p.kind == "course" for s in p.sessions),
                key=lambda s: s.on)  # fmt: skip
    assert later.on > today
    part = next(p.id for p in certificate.parts if p.kind == "course" and later in p.sessions)
    flash = await act(program.workflow_id, "Record attendance", {"Session": f"{part}|{later.id}"})
    assert "done" not in flash and "[" in flash, flash
    assert await program.handle.query("status", result_type=ProgramStatus) == before
    # The program's attendance sheet of another past session, from the program's page.
    other = next(
        s for p in certificate.parts if p.kind == "course" for s in p.sessions
        if s.on < today and s.id != session.id
    )  # fmt: skip
    await page.goto(f"{web.url}/programs/{certificate.key}/{certificate.school_year}")
    await page.locator(f"a[href$='/sessions/{other.id}']").click()
    assert await page.locator("table tbody tr").count() == 1
    assert await unlabelled(page) == []
    await page.get_by_role("button", name="Save: everyone not marked is present").click()
    heading = page.locator("#results-h")
    assert await heading.inner_text() == "Saved: 1 recorded, 0 unchanged, 0 refused"
    assert await program.handle.query("status", result_type=ProgramStatus) != before
    await page.goto(f"{web.url}/programs/{certificate.key}/{certificate.school_year}"
                    f"/sessions/{session.id}")  # fmt: skip
    assert "present" in await page.locator("table tbody tr").inner_text()
    # The log of department heads is not hers, so it is not offered.
    await page.goto(f"{web.url}/journeys/{program.workflow_id}")
    assert await page.get_by_role("heading", name="Add a log entry").count() == 0
    # The participant is offered her own part (submitting work) and not the office's.
    learner_page = await web.page_as(learner)
    await learner_page.goto(f"{web.url}/journeys/{program.workflow_id}")
    headings = await learner_page.locator(".actions h3").all_inner_texts()
    assert "Record attendance" not in headings and "Withdraw from the program" in headings

    # Catalog work: the participant submits it, it waits in the office's queue, staff review.
    worker = await web.page_as(classified)
    await worker.goto(f"{web.url}/journeys/{project.workflow_id}")
    assert await unlabelled(worker) == []
    await worker.get_by_role("button", name="Submit work").click()
    assert "Submit work: done." in await worker.locator(".flash").inner_text()
    queue = page.locator("section", has=page.get_by_role("heading", name="Deliverables"))
    for _ in range(100):  # the read model follows the event log
        await page.goto(f"{web.url}/queues")
        if "review site-project" in await queue.inner_text():
            break
        await asyncio.sleep(0.1)
    assert "Classified Staff Leadership Academy" in await queue.inner_text()
    await queue.get_by_role("link", name="Office Manager c-01").click()
    assert "done" in await act(project.workflow_id, "Review work", {})
    reviewed = await project.handle.query("status", result_type=ProgramStatus)
    assert next(p for p in reviewed.parts if p.part_id == "site-project").complete

    # HR separates her: her next request, once HR is asked again, ends her session.
    monkeypatch.setattr(web_app, "HR_RECHECK_SECONDS", -1)
    record = await hris.employee(learner)
    await hris.upsert_employee(record.model_copy(update={"status": EmploymentStatus.SEPARATED}))
    await learner_page.goto(f"{web.url}/journeys/{program.workflow_id}")
    assert "/sign-in" in learner_page.url
    assert "separated" in await learner_page.locator(".flash").inner_text()


async def test_systems_and_unknown_years_get_words_not_errors(web: Web) -> None:
    page = await web.page_as("ana")
    answer = await page.goto(f"{web.url}/reports/attendance?year=1999-00")
    assert answer is not None and answer.status == 404
    assert "no teacher leader program year '1999-00'" in await page.content()
    answer = await page.goto(f"{web.url}/years/{web.program.program_year}?page_no=99999999999999")
    assert answer is not None and answer.ok
    system = await (await web.browser.new_context()).new_page()
    await system.goto(f"{web.url}/sign-in")
    token = await csrf_of(system)
    answer = await system.request.post(
        f"{web.url}/sign-in/local", form={"csrf": token, "employee_id": "hris"}
    )  # fmt: skip
    assert answer.ok and "one of the district&#39;s systems" in await answer.text()


async def test_the_office_assigns_a_coach_and_only_that_coach_coaches(web: Web) -> None:
    journey = web.journeys[ACTIVE[0]]
    office = await web.page_as("ana")
    await office.goto(f"{web.url}/journeys/{journey}")
    form = office.locator("form", has=office.get_by_role("heading", name="Assign the coach"))
    # A teacher is no coach: HR is asked before anything is sent.
    await form.get_by_label("Coach's employee id").fill(ACTIVE[1])
    await form.get_by_role("button", name="Assign the coach").click()
    assert "actor.title_mismatch" in await office.locator(".flash").inner_text()
    assert (await web.status(ACTIVE[0])).coach_id is None
    form = office.locator("form", has=office.get_by_role("heading", name="Assign the coach"))
    await form.get_by_label("Coach's employee id").fill("lee")
    await form.get_by_role("button", name="Assign the coach").click()
    assert "Assign the coach: done." in await office.locator(".flash").inner_text()
    assert await office.locator("#coach").inner_text() == "coach:lee"
    assert (
        "coach:lee assigned as the journey's coach"
        in await office.locator("table.timeline").inner_text()
    )

    # Another coach is not offered coaching, and a forged form is refused by the journey.
    other = await web.page_as("kim")
    await other.goto(f"{web.url}/journeys/{journey}")
    assert await other.get_by_role("heading", name="Record a coaching step").count() == 0
    token = await csrf_of(other)
    cycle = web.program.coaching_cycles[0].cycle_id
    await other.request.post(
        f"{web.url}/journeys/{journey}/actions/coaching",
        form={"csrf": token, "cycle_id": cycle, "step": "planning"},
        max_redirects=0,
    )
    await other.goto(f"{web.url}/journeys/{journey}")
    assert "policy.not_their_coachee" in await other.locator(".flash").inner_text()
    # The assigned coach records the step.
    coach = await web.page_as("lee")
    await coach.goto(f"{web.url}/journeys/{journey}")
    step = coach.locator("form", has=coach.get_by_role("heading", name="Record a coaching step"))
    await step.get_by_role("button", name="Record a coaching step").click()
    flash = await coach.locator(".flash").inner_text()
    # The policy lets the assigned coach act; the journey's own rules (the cycle's window) decide.
    assert "policy." not in flash and ("done" in flash or "[coaching." in flash), flash
