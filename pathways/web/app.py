"""The program office's web app: server-rendered pages (FastAPI and Jinja2) for the daily work.

Every page needs a signed-in person (`pathways.web.auth`), who is the actor of every action:
no form has a "by" field. What a page lists follows `domain.policy.sees` (staff, coaches and
auditors everyone; a principal their school; a teacher their own journeys); what it offers
follows `domain.policy.may`, and the journey's update validators check it again, so a refusal
is shown in words and changes nothing. Lists read the read models (paginated); a journey's page
asks the journey itself. Every asset is served by the app: it works offline.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote, urlencode
from zoneinfo import ZoneInfo

import asyncpg
from fastapi import Depends, FastAPI, Request
from fastapi.responses import HTMLResponse, PlainTextResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from pydantic import BaseModel, ValidationError
from starlette.datastructures import FormData
from starlette.middleware.sessions import SessionMiddleware
from temporalio.client import (
    Client,
    WorkflowQueryFailedError,
    WorkflowUpdateFailedError,
    WorkflowUpdateRPCTimeoutOrCancelledError,
)
from temporalio.service import RPCError

from activities.access_log import AccessLog
from activities.actors import principal_of, resolve, resolve_person
from activities.careers import readable_timeline
from activities.enrollment_rules import shipped_programs
from activities.eventstore import EventStore
from activities.person_keys import PersonKeys, as_shown
from activities.progress import (
    EVERYONE,
    Progress,
    Scope,
    catalog_awaiting_review,
    catalog_roster,
    catalog_sheet_rows,
    catalog_years,
    fellowship_applications,
    session_marks,
)
from activities.systems import EmployeeNotFound, ExternalSystemError, Hris
from domain import registry
from domain.access import Door, Read
from domain.attendance import AttendanceStatus
from domain.calendar import DEFAULT_TIME_ZONE, local_date
from domain.career.rules import SHIPPED_RULES
from domain.catalog.definition import Course, ProgramDefinition
from domain.catalog.journey import OPEN as CATALOG_OPEN
from domain.catalog.journey import MakeUpSession, MarkSession
from domain.catalog.journey import Stage as CatalogStage
from domain.catalog.start import PROGRAM
from domain.explain import explain
from domain.external import DataFixNeeded
from domain.money import dollars
from domain.needs import SAMPLE_NEEDS
from domain.policy import SYSTEMS, Action, Case, PolicyRefusal, Standing, Viewer, may, sees
from domain.program import SERVICE_RULES, ProgramYear, Role, load_program_year
from domain.success_factors import SHIPPED_FACTORS
from domain.teacher_leader import journey as tl
from domain.teacher_leader import worklist
from pathways.config import Settings
from pathways.journeys import journeys_waiting_on_fixes, waiting_on
from pathways.logs import get_logger
from pathways.refusals import update_failure
from pathways.show import status_facts
from pathways.web import auth
from pathways.web.actions import BY_KEY, ActionForm, case_of, in_words, offered
from pathways.web.codec import create_codec_app
from pathways.web.reports import REPORTS, Context, NoProgramYear, commitment_statuses

log = get_logger("web")
HERE = Path(__file__).parent
SHEET_CONCURRENCY = 8
MAX_PAGE = 100_000
MAX_SHEET_LINES = 10_000
QUEUE_LIMIT = 500
#: How often a signed-in person's HR record is read again (a title, a school, a separation).
HR_RECHECK_SECONDS = 300
MARKS = frozenset(s.value for s in AttendanceStatus)


@dataclass
class WebBackend:
    """What the app talks to: Temporal (journeys' state, actions), the database (read models,
    the event log, local sign-in) and HR (who is acting)."""

    client: Client
    pool: asyncpg.Pool
    hris: Hris
    task_queue: str
    non_hr_actors: tuple[str, ...]
    shelf: ProgramShelf = field(default_factory=lambda: ProgramShelf(()))
    needs_file: Path = SAMPLE_NEEDS
    factors_file: Path = SHIPPED_FACTORS
    rules_file: Path = SHIPPED_RULES
    people: PersonKeys | None = None
    """The district's person keys, which open the event log's personal fields."""

    @property
    def programs(self) -> dict[str, ProgramYear]:
        """The program years the app knows the calendar and rules of, by `program_year`."""
        return self.shelf.programs()


class ProgramShelf:
    """Every teacher leader program year defined in some folders (a later folder's file for the
    same year wins; files of other kinds are passed over), read again when a file changes, so
    a definition written while the app runs (`pathways sample-year`) is there on the next page."""

    def __init__(self, folders: tuple[Path, ...], fixed: dict[str, ProgramYear] | None = None):
        self._folders = folders
        self._fixed = fixed or {}
        self._seen: tuple[tuple[str, int], ...] | None = None
        self._found: dict[str, ProgramYear] = {}

    def programs(self) -> dict[str, ProgramYear]:
        if not self._folders:
            return self._fixed
        files = [p for f in self._folders if f.is_dir() for p in sorted(f.glob("*.toml"))]
        seen = tuple((str(p), p.stat().st_mtime_ns) for p in files)
        if seen != self._seen:
            found: dict[str, ProgramYear] = {}
            for path in files:
                try:
                    program = load_program_year(path)
                except Exception:  # not a teacher leader year: another kind of definition file
                    continue
                found[program.program_year] = program
            self._seen, self._found = seen, found
        return {**self._found, **self._fixed}


def default_program_folders(settings: Settings) -> tuple[Path, ...]:
    from domain.program import SAMPLE_PROGRAM

    return (SAMPLE_PROGRAM.parent, settings.data_dir / "sample", *settings.web_program_dirs)


def scope_of(viewer: Viewer) -> Scope:
    """What `sees` lets the viewer list, as the read model filters it."""
    if viewer.sees_everyone:
        return EVERYONE
    if viewer.standing is Standing.PRINCIPAL:
        return Scope(
            employee_id=viewer.person_id,
            school_id=viewer.school_id,
            principal_id=viewer.person_id,
        )
    return Scope(employee_id=viewer.person_id)


class NotAllowed(Exception):
    """The signed-in person may not see this page."""


class NotFound(Exception):
    pass


def _text(form: FormData, name: str) -> str:
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


# --- the app ----------------------------------------------------------------------------------


def get_backend(request: Request) -> WebBackend:
    found: WebBackend = request.app.state.backend
    return found


async def signed_in(request: Request) -> Viewer:
    """The signed-in person, as HR lists them now: their record is read again every
    `HR_RECHECK_SECONDS`, so a new title or school changes what they see, and a separation
    ends the session."""
    rules: auth.SessionRules = request.app.state.session_rules
    viewer = auth.signed_in(request, rules)
    if not auth.due_for_recheck(request, HR_RECHECK_SECONDS):
        return viewer
    backend: WebBackend = request.app.state.backend
    try:
        fresh = await _viewer_for(backend, auth.signed_in_as(request))
    except PolicyRefusal as refusal:
        request.session.clear()
        log.info("session ended by HR", actor=viewer.actor, code=refusal.code)
        raise auth.SignInNeeded(f"You were signed out: {refusal}") from None
    except ExternalSystemError as error:  # HR is down: keep what it said at the last check
        log.warning("HR recheck failed", actor=viewer.actor, error=str(error))
        return viewer
    auth.refresh(request, fresh)
    return fresh


async def checked_form(request: Request) -> FormData:
    """The posted form, once its CSRF token is the session's (`CsrfRefused` otherwise)."""
    form = await request.form()
    csrf = form.get("csrf")
    auth.check_csrf(request, csrf if isinstance(csrf, str) else None)
    return form


Backed = Annotated[WebBackend, Depends(get_backend)]
Signed = Annotated[Viewer, Depends(signed_in)]
Posted = Annotated[FormData, Depends(checked_form)]


def create_web_app(settings: Settings, backend: WebBackend | None = None) -> FastAPI:
    """The web app; without `backend` it connects to Temporal, the database and HR on startup."""
    from pathways.api import backend_lifespan

    lifespan = backend_lifespan(backend, lambda: open_web_backend(settings))
    app = FastAPI(title="Pathways", lifespan=lifespan, docs_url=None, redoc_url=None,
                  openapi_url=None)  # fmt: skip
    rules = auth.SessionRules(
        idle_seconds=settings.web_session_idle_minutes * 60,
        max_seconds=settings.web_session_max_hours * 3600,
    )
    app.state.session_rules = rules
    base_url = settings.web_base_url or f"http://{settings.web_host}:{settings.web_port}"
    app.add_middleware(
        SessionMiddleware,
        secret_key=auth.session_secret(settings.web_session_secret, settings.data_dir),
        session_cookie=auth.SESSION_COOKIE,
        max_age=rules.idle_seconds,
        same_site="lax",
        https_only=base_url.startswith("https://"),
    )
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    app.mount("/codec", create_codec_app(settings, app, signed_in))
    templates = Jinja2Templates(directory=HERE / "templates")
    templates.env.filters["dollars"] = dollars
    templates.env.globals["local_sign_in"] = settings.web_local_sign_in
    templates.env.globals["oidc"] = settings.oidc_configured
    oauth = _oauth(settings)

    def page(request: Request, name: str, status_code: int = 200, **context: Any) -> HTMLResponse:
        context.setdefault("viewer", None)
        return templates.TemplateResponse(
            request,
            name,
            {
                **context,
                "csrf": auth.csrf_token(request),
                "flash": auth.take_flash(request),
                "standing": Standing,
            },
            status_code=status_code,
        )

    @app.exception_handler(auth.SignInNeeded)
    async def _sign_in(request: Request, error: auth.SignInNeeded) -> Response:
        why = error.why
        if why and request.method == "POST":
            why += " Nothing you sent was saved: sign in and send it again."
        if why:
            auth.flash(request, "info", [why])
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"/sign-in?{urlencode({'next': target})}", status_code=303)

    @app.exception_handler(auth.CsrfRefused)
    async def _csrf(request: Request, _: auth.CsrfRefused) -> Response:
        return page(
            request, "problem.html", 403, title="This form has expired",
            lines=["The form was sent without this session's token, so nothing was changed. "
                   "Go back, reload the page and send it again."],
        )  # fmt: skip

    @app.exception_handler(NotAllowed)
    async def _not_allowed(request: Request, error: NotAllowed) -> Response:
        return page(request, "problem.html", 403, title="Not yours to see", lines=[str(error)],
                    viewer=_maybe_viewer(request, rules))  # fmt: skip

    @app.exception_handler(NotFound)
    async def _not_found(request: Request, error: NotFound) -> Response:
        return page(request, "problem.html", 404, title="Not found", lines=[str(error)],
                    viewer=_maybe_viewer(request, rules))  # fmt: skip

    @app.get("/healthz", include_in_schema=False)
    async def health() -> PlainTextResponse:
        return PlainTextResponse("ok")

    # --- signing in and out ---------------------------------------------------------------

    @app.get("/sign-in", response_class=HTMLResponse)
    async def sign_in_page(request: Request, backend: Backed, next: str = "/",
                           q: str = "") -> HTMLResponse:  # fmt: skip
        people: list[dict[str, Any]] = []
        if settings.web_local_sign_in:
            people = await _local_people(backend.pool, q)
            people += [
                {"employee_id": a, "full_name": a, "role": "auditor", "school_id": None}
                for a in backend.non_hr_actors
                if a.startswith("auditor:") and (not q or q.lower() in a.lower())
            ]
        return page(request, "sign_in.html", people=people, next=_safe_next(next), q=q)

    @app.post("/sign-in/local")
    async def sign_in_local(request: Request, form: Posted, backend: Backed) -> Response:
        if not settings.web_local_sign_in:
            raise NotFound("local sign-in is off (WEB_LOCAL_SIGN_IN)")
        who = _text(form, "employee_id")
        next_url = _safe_next(_text(form, "next") or "/")
        try:
            viewer = await _viewer_for(backend, who)
        except PolicyRefusal as refusal:
            auth.flash(request, "refused", [str(refusal)])
            return RedirectResponse(f"/sign-in?{urlencode({'next': next_url})}", status_code=303)
        auth.sign_in(request, viewer, "local", who)
        log.info("signed in", actor=viewer.actor, via="local")
        return RedirectResponse(next_url, status_code=303)

    @app.get("/sign-in/oidc")
    async def sign_in_oidc(request: Request, next: str = "/") -> Response:
        if oauth is None:
            raise NotFound("sign-in with the district's identity provider is not configured")
        request.session["next"] = _safe_next(next)
        redirect: Response = await oauth.district.authorize_redirect(
            request, f"{base_url}/auth/callback"
        )
        return redirect

    @app.get("/auth/callback")
    async def oidc_callback(request: Request, backend: Backed) -> Response:
        from authlib.integrations.starlette_client import OAuthError

        if oauth is None:
            raise NotFound("sign-in with the district's identity provider is not configured")
        next_url = _safe_next(str(request.session.get("next") or "/"))
        try:
            token = await oauth.district.authorize_access_token(request)
        except OAuthError as error:
            auth.flash(request, "refused", [f"The identity provider refused: {error.description}"])
            return RedirectResponse("/sign-in", status_code=303)
        claims = token.get("userinfo") or {}
        who = claims.get(settings.oidc_employee_claim)
        if not isinstance(who, str) or not who:
            auth.flash(request, "refused", [
                f"Your account at the identity provider has no {settings.oidc_employee_claim!r}; "
                "ask the district's IT to add your employee id to it."
            ])  # fmt: skip
            return RedirectResponse("/sign-in", status_code=303)
        try:
            viewer = await _viewer_for(backend, who)
        except PolicyRefusal as refusal:
            auth.flash(request, "refused", [str(refusal)])
            return RedirectResponse("/sign-in", status_code=303)
        auth.sign_in(request, viewer, "oidc", who)
        log.info("signed in", actor=viewer.actor, via="oidc", subject=claims.get("sub"))
        return RedirectResponse(next_url, status_code=303)

    @app.post("/sign-out")
    async def sign_out(request: Request, _: Posted) -> Response:
        request.session.clear()
        auth.flash(request, "info", ["You are signed out."])
        return RedirectResponse("/sign-in", status_code=303)

    # --- home, rosters, sheets, queues ----------------------------------------------------

    @app.get("/", response_class=HTMLResponse)
    async def home(request: Request, viewer: Signed, backend: Backed) -> HTMLResponse:
        progress = Progress(backend.pool)
        scope = scope_of(viewer)
        years = await progress.program_years(scope)
        own = await progress.of_employee(viewer.person_id)
        queues = await _queues(backend, viewer, limit=QUEUE_LIMIT)
        return page(request, "home.html", viewer=viewer, years=years, own=own,
                    waiting=queues.waiting, cut=queues.cut,
                    show_reports=viewer.reads_reports)  # fmt: skip

    @app.get("/years/{program_year}", response_class=HTMLResponse)
    async def roster(
        request: Request, program_year: str, viewer: Signed, backend: Backed,
        school: str = "", stage: str = "", role: str = "", q: str = "", page_no: int = 1,
    ) -> HTMLResponse:  # fmt: skip
        program = backend.programs.get(program_year)
        page_no = min(max(1, page_no), MAX_PAGE)
        await _read(backend, viewer, Read.ROSTER, f"teacher_leader {program_year}")
        found = await Progress(backend.pool).roster(
            program_year, scope_of(viewer), school_id=school or None, stage=stage or None,
            role=role or None, search=q or None, offset=(page_no - 1) * 50,
        )  # fmt: skip
        today = local_date(datetime.now(UTC), program.time_zone) if program else None
        rows = [(r, worklist.blockers(r.journey, program, today)) for r in found.rows]
        pages = max(1, -(-found.total // found.limit))
        query = {"school": school, "stage": stage, "role": role, "q": q}
        return page(
            request, "roster.html", viewer=viewer, program_year=program_year, program=program,
            rows=rows, total=found.total, page_no=page_no, pages=pages, filters=query,
            stages=list(tl.Stage), roles=list(Role),
            link=lambda n: f"/years/{quote(program_year)}?" + urlencode({**query, "page_no": n}),
            may_mark=_may_mark(viewer),
        )  # fmt: skip

    @app.get("/years/{program_year}/sessions/{session_id}", response_class=HTMLResponse)
    async def sheet(
        request: Request, program_year: str, session_id: str, viewer: Signed, backend: Backed
    ) -> HTMLResponse:
        program, session = _session(backend, program_year, session_id)
        lines = await _sheet_lines(backend, viewer, program_year, session)
        await _read(backend, viewer, Read.ROSTER, f"teacher_leader {program_year} {session_id}")
        return page(request, "sheet.html", viewer=viewer, sheet=_tl_sheet(program, session),
                    lines=lines, statuses=list(AttendanceStatus),
                    may_mark=_may_mark(viewer), results=None)  # fmt: skip

    @app.post("/years/{program_year}/sessions/{session_id}", response_class=HTMLResponse)
    async def save_sheet(
        request: Request, program_year: str, session_id: str, viewer: Signed, form: Posted,
        backend: Backed,
    ) -> HTMLResponse:  # fmt: skip
        program, session = _session(backend, program_year, session_id)
        _check_may_mark(viewer)
        return await saved_sheet(
            request, viewer, backend, form, _tl_sheet(program, session),
            lambda: _sheet_lines(backend, viewer, program_year, session),
            program_year=program_year, session_id=session_id,
        )  # fmt: skip

    async def saved_sheet(
        request: Request, viewer: Viewer, backend: WebBackend, form: FormData, sheet: Sheet,
        read_lines: Callable[[], Awaitable[list[worklist.SheetLine]]], **where: str,
    ) -> HTMLResponse:  # fmt: skip
        """Send each posted line's mark and make-up to its journey; show the sheet as it stands
        after, with one result per person."""
        wanted = _wanted(form, await read_lines())
        results = await _save_marks(
            backend, viewer, sheet, wanted, _text(form, "correction_reason")
        )
        log.info("attendance sheet saved", actor=viewer.actor, lines=len(results), **where)
        return page(request, "sheet.html", viewer=viewer, sheet=sheet,
                    lines=_overlay(await read_lines(), wanted, results),
                    statuses=list(AttendanceStatus), may_mark=True, results=results)  # fmt: skip

    @app.get("/queues", response_class=HTMLResponse)
    async def queues(request: Request, viewer: Signed, backend: Backed) -> HTMLResponse:
        queues = await _queues(backend, viewer, limit=QUEUE_LIMIT)
        return page(request, "queues.html", viewer=viewer, waiting=queues.waiting,
                    cut=queues.cut, limit=QUEUE_LIMIT,
                    fixes_unlisted=queues.fixes_unlisted)  # fmt: skip

    # --- a journey, a person ------------------------------------------------------------

    @app.get("/journeys/{journey_id:path}", response_class=HTMLResponse)
    async def journey_page(
        request: Request, journey_id: str, viewer: Signed, backend: Backed
    ) -> HTMLResponse:
        journey = await _journey(backend, viewer, journey_id)
        await _read(backend, viewer, Read.JOURNEY, journey_id, case_of(journey.status).employee_id)
        stored = await EventStore(backend.pool, backend.people).read_stream(journey_id)
        zone = ZoneInfo(journey.time_zone)
        lines = explain(((e.to_domain(), str(e.metadata.get("actor", "?"))) for e in stored), zone)
        timeline = [(line.when, line.actor, line.what) for line in lines]
        status, definition = journey.status, journey.definition
        title, facts = status_facts(status)
        actions = offered(viewer, journey.pathway, status, definition)
        forms = [(a, [(i, i.options(status, definition)) for i in a.inputs]) for a in actions]
        context: dict[str, Any] = {}
        if isinstance(status, tl.JourneyStatus):
            program = definition if isinstance(definition, ProgramYear) else None
            context = {
                "tl": status, "program": program,
                "deliverables": program.deliverables_for(status.role)
                if program and status.role else [],
            }  # fmt: skip
        return page(
            request, "journey.html", viewer=viewer, journey_id=journey_id,
            pathway=journey.pathway, title=title, facts=facts, forms=forms,
            employee_id=case_of(status).employee_id, timeline=timeline, zone=zone.key,
            waiting=journey.waiting, **context,
        )  # fmt: skip

    @app.post("/journeys/{journey_id:path}/actions/{key}")
    async def journey_action(
        request: Request, journey_id: str, key: str, viewer: Signed, form: Posted,
        backend: Backed,
    ) -> Response:  # fmt: skip
        back = f"/journeys/{quote(journey_id)}"
        journey = await _journey(backend, viewer, journey_id)
        action = BY_KEY.get((journey.pathway, key))
        if action is None:
            raise NotFound(f"no action {key!r} on {journey_id}")
        kind, words = await _act(backend, viewer, journey_id, action, form)
        auth.flash(request, kind, [words])
        return RedirectResponse(back, status_code=303)

    @app.get("/people/{employee_id}", response_class=HTMLResponse)
    async def person(
        request: Request, employee_id: str, viewer: Signed, backend: Backed
    ) -> HTMLResponse:
        try:
            employee = await backend.hris.employee(employee_id)
        except EmployeeNotFound:
            raise NotFound(f"HR has no employee {employee_id}") from None
        principal = await _principal_of(backend, employee.school_id)
        if not sees(viewer, employee_id, employee.school_id, principal):
            raise NotAllowed(f"The career of {employee_id} is not yours to see.")
        await _read(backend, viewer, Read.CAREER, employee_id, employee_id)
        try:
            store = EventStore(backend.pool, backend.people)
            career = await readable_timeline(backend.client, store, employee_id)
        except (RPCError, WorkflowQueryFailedError):
            career = None
        journeys = await Progress(backend.pool).of_employee(employee_id)
        return page(request, "person.html", viewer=viewer, employee=employee, career=career,
                    journeys=journeys)  # fmt: skip

    # --- the catalog's programs ------------------------------------------------------------

    @app.get("/programs", response_class=HTMLResponse)
    async def catalog(request: Request, viewer: Signed, backend: Backed) -> HTMLResponse:
        years = await catalog_years(backend.pool, scope_of(viewer))
        titles = {k: d.title for k, d in shipped_programs().items()}
        return page(request, "programs.html", viewer=viewer, years=years, titles=titles)

    @app.get("/programs/{program_key}/{school_year}", response_class=HTMLResponse)
    async def catalog_program(
        request: Request, program_key: str, school_year: str, viewer: Signed, backend: Backed,
        stage: str = "", q: str = "", page_no: int = 1,
    ) -> HTMLResponse:  # fmt: skip
        if program_key not in shipped_programs():
            raise NotFound(f"no catalog program {program_key!r}")
        page_no = min(max(1, page_no), MAX_PAGE)
        await _read(backend, viewer, Read.ROSTER, f"{program_key} {school_year}")
        found = await catalog_roster(
            backend.pool, program_key, school_year, scope_of(viewer), stage=stage or None,
            search=q or None, offset=(page_no - 1) * 50,
        )  # fmt: skip
        definition = await _catalog_definition(
            backend, program_key, school_year, found.rows[0]["stream_id"] if found.rows else None
        )
        sessions = sorted(
            ((part, session) for part in definition.parts if isinstance(part, Course)
             for session in part.sessions),
            key=lambda ps: ps[1].on,
        )  # fmt: skip
        rows = [(r, _still_to_complete(definition, r)) for r in found.rows]
        pages = max(1, -(-found.total // found.limit))
        query = {"stage": stage, "q": q}
        base = f"/programs/{quote(program_key)}/{quote(school_year)}"
        return page(
            request, "program.html", viewer=viewer, definition=definition,
            school_year=school_year, rows=rows, total=found.total, page_no=page_no, pages=pages,
            filters=query, stages=[s.value for s in CatalogStage], sessions=sessions,
            may_mark=_may_mark(viewer),
            link=lambda n: f"{base}?" + urlencode({**query, "page_no": n}),
        )  # fmt: skip

    @app.get("/programs/{program_key}/{school_year}/sessions/{session_id}",
             response_class=HTMLResponse)  # fmt: skip
    async def catalog_sheet(
        request: Request, program_key: str, school_year: str, session_id: str, viewer: Signed,
        backend: Backed,
    ) -> HTMLResponse:  # fmt: skip
        sheet, lines, _ = await _catalog_sheet(
            backend, viewer, program_key, school_year, session_id
        )
        await _read(backend, viewer, Read.ROSTER, f"{program_key} {school_year} {session_id}")
        return page(request, "sheet.html", viewer=viewer, sheet=sheet, lines=lines,
                    statuses=list(AttendanceStatus), may_mark=_may_mark(viewer),
                    results=None)  # fmt: skip

    @app.post("/programs/{program_key}/{school_year}/sessions/{session_id}",
              response_class=HTMLResponse)  # fmt: skip
    async def save_catalog_sheet(
        request: Request, program_key: str, school_year: str, session_id: str, viewer: Signed,
        form: Posted, backend: Backed,
    ) -> HTMLResponse:  # fmt: skip
        _check_may_mark(viewer)
        sheet, _, definition = await _catalog_sheet(
            backend, viewer, program_key, school_year, session_id
        )

        async def lines() -> list[worklist.SheetLine]:  # the definition is read once
            found = await _catalog_sheet(
                backend, viewer, program_key, school_year, session_id, definition
            )
            return found[1]

        return await saved_sheet(
            request, viewer, backend, form, sheet, lines, program_key=program_key,
            school_year=school_year, session_id=session_id,
        )  # fmt: skip

    # --- fellowships: seats, waitlist and service commitments -------------------------------

    @app.get("/fellowships", response_class=HTMLResponse)
    async def fellowships(request: Request, viewer: Signed, backend: Backed) -> HTMLResponse:
        _check_reports(viewer)
        from domain.fellowship.cohort import cohort_id

        prefix = cohort_id("")
        ids = await EventStore(backend.pool).stream_ids(prefix)
        return page(request, "fellowships.html", viewer=viewer,
                    programs=[i.removeprefix(prefix) for i in ids])  # fmt: skip

    @app.get("/fellowships/{program_id}", response_class=HTMLResponse)
    async def fellowship(
        request: Request, program_id: str, viewer: Signed, backend: Backed
    ) -> HTMLResponse:
        _check_reports(viewer)
        from domain.fellowship.cohort import CohortSeats, cohort_id

        try:
            handle = backend.client.get_workflow_handle(cohort_id(program_id))
            seats: CohortSeats | None = await handle.query("roster", result_type=CohortSeats)
        except (RPCError, WorkflowQueryFailedError):
            seats = None
        from domain.service_commitment.rules import load_service_rules

        zone = load_service_rules(SERVICE_RULES).time_zone
        today = datetime.now(ZoneInfo(zone)).date()
        commitments = await commitment_statuses(backend.pool, today, program_id, backend.people)
        if seats is None and not commitments:
            raise NotFound(f"no fellowship cohort {program_id!r}")
        await _read(backend, viewer, Read.ROSTER, f"fellowship {program_id}")
        return page(request, "fellowship.html", viewer=viewer, program_id=program_id,
                    seats=seats, commitments=commitments,
                    owed=sum(c.owed_cents for c in commitments),
                    at_risk=sum(c.owed_if_left_today_cents for c in commitments))  # fmt: skip

    # --- reports ----------------------------------------------------------------------------

    @app.get("/reports", response_class=HTMLResponse)
    async def reports(request: Request, viewer: Signed, backend: Backed) -> HTMLResponse:
        _check_reports(viewer)
        return page(request, "reports.html", viewer=viewer, reports=REPORTS,
                    years=sorted(backend.programs, reverse=True))  # fmt: skip

    @app.get("/reports/{key}.csv")
    async def report_csv(key: str, viewer: Signed, backend: Backed, year: str = "") -> Response:
        _check_reports(viewer)
        report = await _report(backend, key, year)
        await _read(backend, viewer, Read.REPORT, f"{key} {year or 'latest'} csv")
        name = f"{key}-{year or 'latest'}.csv"  # both checked by _report: no quotes in them
        disposition = f'attachment; filename="{name}"'
        return Response(
            report.csv(),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": disposition},
        )

    @app.get("/reports/{key}", response_class=HTMLResponse)
    async def report_page(
        request: Request, key: str, viewer: Signed, backend: Backed, year: str = ""
    ) -> HTMLResponse:
        _check_reports(viewer)
        year = year or await _latest_year(backend)
        report = await _report(backend, key, year)
        await _read(backend, viewer, Read.REPORT, f"{key} {year or 'latest'}")
        return page(request, "report.html", viewer=viewer, report=report, year=year,
                    years=sorted(backend.programs, reverse=True))  # fmt: skip

    return app


# --- helpers the routes share ------------------------------------------------------------------


async def _read(
    backend: WebBackend, viewer: Viewer, what: Read, subject: str, employee_id: str | None = None
) -> None:
    """Record in the access log that `viewer` reads this, before the page shows it."""
    await AccessLog(backend.pool).record(viewer.actor, Door.WEB, what, subject, employee_id)


def _maybe_viewer(request: Request, rules: auth.SessionRules) -> Viewer | None:
    try:
        return auth.signed_in(request, rules)
    except auth.SignInNeeded:
        return None


def _safe_next(target: str) -> str:
    """Only a path of this app (no other site after sign-in)."""
    if not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"  # a browser reads "/\\host" as "//host"
    return target if target.isprintable() else "/"


async def _local_people(pool: asyncpg.Pool, search: str, limit: int = 200) -> list[dict[str, Any]]:
    pattern = f"%{search}%" if search else "%"
    records = await pool.fetch(
        "SELECT employee_id, full_name, role, school_id FROM hris_employees "
        "WHERE status <> 'separated' AND (full_name ILIKE $1 OR employee_id ILIKE $1) "
        "ORDER BY full_name LIMIT $2",
        pattern,
        limit,
    )
    return [dict(r) for r in records]


async def _viewer_for(backend: WebBackend, who: str) -> Viewer:
    """The viewer HR (or the configuration) vouches for, or `PolicyRefusal`."""
    actor, employee = await resolve_person(backend.hris, who, backend.non_hr_actors)
    if actor in SYSTEMS:
        raise PolicyRefusal(
            code="web.system_actor",
            message=f"{actor} is one of the district's systems: systems send their reports "
            "through the API, and people sign in to the web app as themselves",
        )
    if employee is None:  # an auditor or operator the configuration names
        return Viewer(actor=actor, name=actor)
    return Viewer(actor, employee.full_name, employee.role, employee.school_id)


async def _principal_of(backend: WebBackend, school_id: str | None) -> str | None:
    return await principal_of(backend.hris, school_id)


def _check_may_mark(viewer: Viewer) -> None:
    if not _may_mark(viewer):
        raise NotAllowed(f"{viewer.name} cannot {Action.RECORD_ATTENDANCE.value}: only "
                         "program office staff can")  # fmt: skip


def _may_mark(viewer: Viewer) -> bool:
    """Whether the policy lets the viewer record attendance on anyone's journey."""
    return may(Action.RECORD_ATTENDANCE, viewer, Case(employee_id=""))


def _check_reports(viewer: Viewer) -> None:
    if not viewer.reads_reports:
        raise NotAllowed("Reports are for program office staff, directors and auditors.")


async def _latest_year(backend: WebBackend) -> str:
    """The program year a report shows unless one is chosen: the latest that has journeys (a
    year defined ahead has none to report yet), else the latest defined; "" when none is."""
    programs = backend.programs
    running = [y for y, _ in await Progress(backend.pool).program_years() if y in programs]
    return max(running or programs, default="")


async def _report(backend: WebBackend, key: str, year: str) -> Any:
    if key not in REPORTS:
        raise NotFound(f"no report {key!r}; reports: {', '.join(REPORTS)}")
    programs = backend.programs
    if year and year not in programs:
        known = ", ".join(sorted(programs)) or "none"
        raise NotFound(f"no teacher leader program year {year!r}; years: {known}")
    year = year or await _latest_year(backend)
    program = programs.get(year) if year else None
    zone = program.time_zone if program else DEFAULT_TIME_ZONE
    context = Context(
        backend.pool, program, datetime.now(ZoneInfo(zone)).date(), backend.needs_file,
        backend.factors_file, backend.rules_file, backend.people,
    )  # fmt: skip
    try:
        return await REPORTS[key][1](context)
    except NoProgramYear:
        raise NotFound("no program year is defined (WEB_PROGRAM_DIRS)") from None


def _session(backend: WebBackend, program_year: str, session_id: str) -> tuple[ProgramYear, Any]:
    program = backend.programs.get(program_year)
    if program is None:
        raise NotFound(
            f"no definition of the {program_year} program year in the app's folders "
            "(WEB_PROGRAM_DIRS)"
        )
    session = program.session(session_id)
    if session is None:
        raise NotFound(f"no session {session_id!r} in {program_year}")
    return program, session


async def _sheet_lines(
    backend: WebBackend, viewer: Viewer, program_year: str, session: Any
) -> list[worklist.SheetLine]:
    rows = await Progress(backend.pool).active(program_year, scope_of(viewer))
    return [
        worklist.sheet_line(r.journey_id, r.journey, session)
        for r in rows
        if worklist.on_sheet(r.journey, session)
    ]


@dataclass(frozen=True)
class Sheet:
    """One session's attendance sheet: what it shows and what it sends (the pathway's mark and
    make-up updates, with the fields that name the session)."""

    heading: str
    expected: str
    """Who the session expects, in words ("teacher leaders")."""
    back: str
    back_label: str
    session: dict[str, str]
    """The command fields naming the session (its id, and the course part for a catalog)."""
    mark: type[BaseModel]
    make_up: type[BaseModel]
    made_up_field: str


def _tl_sheet(program: ProgramYear, session: Any) -> Sheet:
    return Sheet(
        heading=f"Attendance: {session.title}, {session.on}",
        expected=f"{program.program_year} · teacher leaders",
        back=f"/years/{quote(program.program_year)}", back_label="Back to the roster",
        session={"session_id": session.session_id}, mark=tl.RecordAttendance,
        make_up=tl.RecordMakeUp, made_up_field="completed_on",
    )  # fmt: skip


async def _catalog_definition(
    backend: WebBackend, program_key: str, school_year: str, any_journey: str | None
) -> ProgramDefinition:
    """The definition a catalog program's year runs on: as one of its journeys started with it,
    or as the catalog ships it."""
    from pathways.cli import journey_definition

    if any_journey is not None:
        handle = backend.client.get_workflow_handle(any_journey)
        try:
            found = await journey_definition(backend.client, handle, PROGRAM)
        except RPCError:
            found = None
        if isinstance(found, ProgramDefinition) and found.school_year == school_year:
            return found
    shipped = shipped_programs().get(program_key)
    if shipped is None:
        raise NotFound(f"no catalog program {program_key!r}")
    return shipped


async def _catalog_sheet(
    backend: WebBackend, viewer: Viewer, program_key: str, school_year: str, session_id: str,
    definition: ProgramDefinition | None = None,
) -> tuple[Sheet, list[worklist.SheetLine], ProgramDefinition]:  # fmt: skip
    """A catalog session's sheet, its lines, and the definition the year runs on (read from
    one of its journeys unless given)."""
    rows = await catalog_sheet_rows(backend.pool, program_key, school_year, scope_of(viewer))
    if definition is None:
        definition = await _catalog_definition(
            backend, program_key, school_year, rows[0]["stream_id"] if rows else None
        )
    found = [
        (part, session)
        for part in definition.parts
        if isinstance(part, Course)
        for session in part.sessions
        if session.id == session_id
    ]
    if not found:
        raise NotFound(f"no session {session_id!r} in {definition.title} {school_year}")
    [(part, session)] = found
    expected = [
        r for r in rows
        if part in definition.parts_for(r["role"], r["year_in_program"],
                                        renewal=r["certified_until"] is not None)
    ]  # fmt: skip
    marks = await session_marks(backend.pool, [r["stream_id"] for r in expected], part.id,
                                session_id)  # fmt: skip
    lines = []
    for r in expected:
        status, made_up = marks.get(r["stream_id"], (None, None))
        lines.append(worklist.SheetLine(
            r["stream_id"], r["employee_id"], r["full_name"], r["school_id"],
            AttendanceStatus(status) if status in MARKS else None, made_up,
        ))  # fmt: skip
    base = f"/programs/{quote(program_key)}/{quote(school_year)}"
    sheet = Sheet(
        heading=f"Attendance: {part.title}, {session.title or session.id}, {session.on}",
        expected=f"{definition.title} {school_year} · participants", back=base,
        back_label="Back to the program", session={"part_id": part.id, "session_id": session.id},
        mark=MarkSession, make_up=MakeUpSession, made_up_field="made_up_on",
    )  # fmt: skip
    return sheet, lines, definition


def _wanted(
    form: FormData, lines: list[worklist.SheetLine]
) -> list[tuple[worklist.SheetLine, AttendanceStatus | None, str]]:
    """Each line of the posted sheet the session expects (once, in the sheet's order): the mark
    given (with "everyone not marked is present", present for a line without one) and the
    make-up date."""
    by_journey = {ln.journey_id: ln for ln in lines}
    everyone_present = bool(_text(form, "all_present"))
    wanted: list[tuple[worklist.SheetLine, AttendanceStatus | None, str]] = []
    count = _text(form, "count")
    seen: set[str] = set()
    for i in range(min(int(count) if count.isdigit() else 0, MAX_SHEET_LINES)):
        line = by_journey.get(_text(form, f"journey-{i}"))
        if line is None or line.journey_id in seen:
            continue
        seen.add(line.journey_id)
        chosen = _text(form, f"status-{i}")
        status = AttendanceStatus(chosen) if chosen in MARKS else None
        if status is None and everyone_present and line.recorded is None:
            status = AttendanceStatus.PRESENT
        wanted.append((line, status, _text(form, f"made-up-{i}")))
    return wanted


@dataclass(frozen=True)
class LineResult:
    journey_id: str
    full_name: str
    outcome: str
    """recorded, unchanged or refused."""
    words: str
    marked: bool = False
    """Whether a mark was recorded (even when the make-up after it was refused)."""


async def _save_marks(
    backend: WebBackend,
    viewer: Viewer,
    sheet: Sheet,
    wanted: list[tuple[worklist.SheetLine, AttendanceStatus | None, str]],
    reason: str,
) -> list[LineResult]:
    """Each person's mark (and make-up) sent to their journey, a few at a time; one result per
    person, in the sheet's order. A mark equal to the one recorded is not sent again."""
    try:
        actor = await resolve(backend.hris, viewer.actor, backend.non_hr_actors)
    except PolicyRefusal as refusal:
        return [
            LineResult(ln.journey_id, ln.full_name, "refused", str(refusal)) for ln, *_ in wanted
        ]
    gate = asyncio.Semaphore(SHEET_CONCURRENCY)

    async def one(
        line: worklist.SheetLine, status: AttendanceStatus | None, made_up: str
    ) -> LineResult:
        said: list[str] = []
        marked = False

        def refused(words: str) -> LineResult:
            before = f"{'; '.join(said)}, but " if said else ""
            return LineResult(line.journey_id, line.full_name, "refused", before + words, marked)

        async with gate:
            if status is not None and status != line.recorded:
                correcting = (reason or None) if line.recorded else None
                cmd = {**sheet.session, "status": status, "recorded_by": actor,
                       "correction_reason": correcting}  # fmt: skip
                sent = await _send(backend, line.journey_id, "record_attendance", sheet.mark, cmd)
                # The sheet was read from the read model, which may not have the latest mark yet:
                # the journey's answer decides.
                if sent.code == "attendance.correction_needs_reason" and reason:
                    cmd["correction_reason"] = reason
                    sent = await _send(backend, line.journey_id, "record_attendance", sheet.mark,
                                       cmd)  # fmt: skip
                if sent.code == "attendance.already_recorded":
                    said.append(f"already {status.value}")
                elif sent.kind == "refused":
                    return refused(sent.words)
                else:
                    said.append(f"{status.value} recorded")
                    marked = True
            elif status is not None:
                said.append(f"already {status.value}")
            absent = (status or line.recorded) is AttendanceStatus.ABSENT
            if made_up and not absent:
                return refused("a make-up date is for an absence: mark the line absent to "
                               "record the make-up")  # fmt: skip
            if made_up and not line.made_up_on:
                cmd = {**sheet.session, sheet.made_up_field: made_up, "recorded_by": actor}
                sent = await _send(backend, line.journey_id, "record_make_up", sheet.make_up, cmd)
                if sent.kind == "refused":
                    return refused(f"the make-up was not recorded: {sent.words}")
                said.append(f"made up on {made_up}")
                marked = True
        if not said:
            return LineResult(line.journey_id, line.full_name, "unchanged", "nothing marked")
        outcome = "recorded" if marked else "unchanged"
        return LineResult(line.journey_id, line.full_name, outcome, "; ".join(said), marked)

    return list(await asyncio.gather(*(one(*w) for w in wanted)))


def _overlay(
    lines: list[worklist.SheetLine],
    wanted: list[tuple[worklist.SheetLine, AttendanceStatus | None, str]],
    results: list[LineResult],
) -> list[worklist.SheetLine]:
    """The sheet as it stands after the save (the read model catches up a moment later)."""
    from dataclasses import replace

    done = {r.journey_id for r in results if r.marked}
    marks = {line.journey_id: (status, made_up) for line, status, made_up in wanted}
    shown = []
    for line in lines:
        status, made_up = marks.get(line.journey_id, (None, ""))
        if line.journey_id in done:
            line = replace(line, recorded=status or line.recorded,
                           made_up_on=line.made_up_on or made_up or None)  # fmt: skip
        shown.append(line)
    return shown


@dataclass(frozen=True)
class Sent:
    kind: str
    """ok or refused."""
    words: str
    code: str | None = None
    """The refusal's stable code, when the journey refused."""


async def _send(
    backend: WebBackend, journey_id: str, update: str, command: type[BaseModel],
    fields: dict[str, Any],
) -> Sent:  # fmt: skip
    """Build the command and send it."""
    try:
        cmd = command.model_validate(fields)
    except ValidationError as error:
        return Sent("refused", in_words(error))
    return await _send_command(backend, journey_id, update, cmd)


async def _send_command(backend: WebBackend, journey_id: str, update: str, cmd: BaseModel) -> Sent:
    from pathways.cli import execute_patiently

    handle = backend.client.get_workflow_handle(journey_id)
    try:
        await execute_patiently(handle, update, cmd)
    except (WorkflowUpdateFailedError, WorkflowUpdateRPCTimeoutOrCancelledError, RPCError) as error:
        failure = update_failure(error)
        assert failure is not None
        return Sent("refused", f"{failure.words} [{failure.code}]", failure.code)
    return Sent("ok", "done")


async def _act(
    backend: WebBackend, viewer: Viewer, journey_id: str, action: ActionForm, form: FormData
) -> tuple[str, str]:
    try:
        actor = await resolve(backend.hris, viewer.actor, backend.non_hr_actors)
        cmd = action.build(form, actor)
        if action.vouch is not None:
            named, prefix = action.vouch
            await resolve(backend.hris, f"{prefix}{getattr(cmd, named)}", backend.non_hr_actors)
    except PolicyRefusal as refusal:
        return "refused", f"{refusal} [{refusal.code}]"
    except ValidationError as error:
        return "refused", in_words(error)
    sent = await _send_command(backend, journey_id, action.update, cmd)
    log.info("web action", actor=actor, journey_id=journey_id, action=action.key,
             result=sent.kind, code=sent.code)  # fmt: skip
    if sent.kind == "ok":
        return "ok", f"{action.label}: done."
    return sent.kind, sent.words


@dataclass(frozen=True)
class Journey:
    """A journey as its page shows it: its status from the journey itself and the definition
    its current run started with."""

    journey_id: str
    pathway: str
    status: BaseModel
    definition: Any
    waiting: DataFixNeeded | None = None
    """The district record the journey waits to see corrected (its `waiting_on` query)."""

    @property
    def time_zone(self) -> str:
        zone = getattr(self.definition, "time_zone", None)
        return zone if isinstance(zone, str) else DEFAULT_TIME_ZONE


async def _journey(backend: WebBackend, viewer: Viewer, journey_id: str) -> Journey:
    """The journey, once `viewer` may see it (`NotFound`, `NotAllowed` otherwise)."""
    from pathways.cli import journey_definition

    status, pathway_key = await _journey_status(backend, journey_id)
    handle = backend.client.get_workflow_handle(journey_id)
    case = case_of(status)
    school = getattr(status, "school_id", None)
    if school is None:  # the status does not name it: the journey's search attribute does
        try:
            described = await handle.describe()
        except RPCError:
            raise NotFound(f"no journey {journey_id}") from None
        found = described.search_attributes.get("SchoolId") or [None]
        school = str(found[0]) if found[0] else None
    principal = case.principal_id or await _principal_of(backend, school)
    if not sees(viewer, case.employee_id, school, principal):
        raise NotAllowed(f"{journey_id} is not yours to see: it is neither your journey nor "
                         "one of your school's.")  # fmt: skip
    try:
        definition = await journey_definition(backend.client, handle, registry.by_key(pathway_key))
    except RPCError:
        definition = None
    return Journey(journey_id, pathway_key, status, definition, await waiting_on(handle))


async def _journey_status(backend: WebBackend, journey_id: str) -> tuple[BaseModel, str]:
    try:
        pathway = registry.by_journey_id(journey_id)
    except registry.UnknownJourney as error:
        raise NotFound(str(error)) from None
    handle = backend.client.get_workflow_handle(journey_id)
    try:
        status: BaseModel = await handle.query("status", result_type=pathway.status_type)
    except RPCError:
        raise NotFound(f"no journey {journey_id}") from None
    except WorkflowQueryFailedError as error:
        raise NotFound(f"{journey_id} did not answer: {error}") from None
    return await as_shown(backend.pool, status), pathway.key


@dataclass(frozen=True)
class Queues:
    waiting: dict[str, list[worklist.Waiting]]
    cut: bool
    """Whether a queue holds more than the page shows (`QUEUE_LIMIT` of each source)."""
    fixes_unlisted: bool = False
    """Temporal could not list the journeys waiting on a fix just now."""


async def _queues(backend: WebBackend, viewer: Viewer, limit: int) -> Queues:
    """What waits on this person: for staff the decisions and reviews of every pathway; for a
    signer the signatures they owe."""
    scope = scope_of(viewer)
    rows = await Progress(backend.pool).waiting(scope, limit)
    cut = len(rows) >= limit
    programs = backend.programs
    found: dict[str, list[worklist.Waiting]] = {kind: [] for kind in worklist.KINDS}
    for r in rows:
        items = worklist.awaiting_signatures(r.journey_id, r.journey)
        if viewer.reads_reports:
            program = programs.get(r.journey.program_year)
            items += worklist.waiting_on_office(r.journey_id, r.journey, program)
        else:  # a signer sees the signatures they owe
            items = [i for i in items if worklist.owed_by(i, r.journey, viewer.person_id)]
        for item in items:
            found[item.kind].append(item)
    if viewer.reads_reports:
        applications = await fellowship_applications(backend.pool, limit, backend.people)
        work = await catalog_awaiting_review(backend.pool, scope, limit)
        cut = cut or len(applications) >= limit or len(work) >= limit
        found["applications"] += [
            worklist.Waiting(a["stream_id"], a["employee_id"], a["full_name"], a["school_id"],
                             "applications", f"fellowship {a['program_id']}: decide the selection")
            for a in applications
        ]  # fmt: skip
        titles = {k: d.title for k, d in shipped_programs().items()}
        found["deliverables"] += [
            worklist.Waiting(w["stream_id"], w["employee_id"], w["full_name"],
                             w["school_id"] or "", "deliverables",
                             f"{titles.get(w['program_key'], w['program_key'])} "
                             f"{w['school_year']}: review {part}", part)
            for w in work
            for part in w["awaiting_review"]
        ]  # fmt: skip
    found["fixes"], unlisted = [], False
    if viewer.reads_reports and viewer.sees_everyone:
        try:
            fixes, more = await journeys_waiting_on_fixes(backend.client, limit=limit)
        except RPCError as error:
            log.warning("journeys waiting on a fix could not be listed", error=str(error))
            fixes, more, unlisted = [], False, True
        cut = cut or more
        found["fixes"] = [
            worklist.Waiting(f.journey_id, f.employee_id, "", f.school_id, "fixes",
                             f"{f.fix.record}: {f.fix.problem} (since "
                             f"{local_date(f.fix.since, DEFAULT_TIME_ZONE)}, "
                             f"asked {f.fix.attempts} time(s))")
            for f in fixes
        ]  # fmt: skip
    return Queues(found, cut, unlisted)


def _still_to_complete(definition: Any, row: dict[str, Any]) -> list[str]:
    """The required parts of the leader's year not yet complete (nothing once the program is
    completed, certified or has ended)."""
    if row["stage"] not in {s.value for s in CATALOG_OPEN} or row["completed_on"]:
        return []
    done = set(row["parts_completed"])
    return [
        p.title
        for p in definition.parts_for(row["role"], row["year_in_program"])
        if p.required and p.id not in done
    ]


def _oauth(settings: Settings) -> Any:
    if not settings.oidc_configured:
        return None
    from authlib.integrations.starlette_client import OAuth

    oauth = OAuth()
    issuer = str(settings.oidc_issuer).rstrip("/")
    oauth.register(
        "district",
        server_metadata_url=f"{issuer}/.well-known/openid-configuration",
        client_id=settings.oidc_client_id,
        client_secret=settings.oidc_client_secret,
        client_kwargs={"scope": "openid profile email"},
    )
    return oauth


@asynccontextmanager
async def open_web_backend(settings: Settings) -> AsyncIterator[WebBackend]:
    """Temporal, the database and HR as the HTTP API opens them, with the app's files."""
    from pathways.api import open_backend

    async with open_backend(settings) as b:
        yield WebBackend(
            b.client, b.pool, b.hris, b.task_queue, settings.non_hr_actors,
            ProgramShelf(default_program_folders(settings)), settings.needs_file,
            settings.success_factors, settings.enrollment_rules, b.people,
        )  # fmt: skip


__all__ = ["ProgramShelf", "WebBackend", "create_web_app"]
