"""The HTTP API for HR systems and integrations (FastAPI; OpenAPI at `/docs` and `/openapi.json`).

- `POST /v1/hr/events` (one) and `POST /v1/hr/events/batch` (up to 1,000): HR events, each
  applied once to its employee's career (update-with-start creates the career on the first);
  idempotent on the event id, or on an `Idempotency-Key` header for one event without an id.
  A batch is checked whole before any event is sent: one wrong field and nothing is applied.
- `GET /v1/careers/{employee_id}`: the career's timeline: roles, schools, credentials,
  journeys and what each heard.
- `GET /v1/journeys/{journey_id}`: a journey's status, from the journey itself.
- `POST /v1/journeys`: start a journey of any pathway through the engine's one start path.

Systems authenticate with an API key (`Authorization: Bearer <key>` or `X-API-Key`), stored
hashed with its scopes: a missing or wrong key is 401, a key without the scope 403. Bad input is
a 422 naming every wrong field; a refusal is a 409 with its stable code. Every request that
changes something is logged with the key's name.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable, Generator
from contextlib import AbstractAsyncContextManager, AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from datetime import date
from typing import Annotated, Any

import asyncpg
import uvicorn
from fastapi import Depends, FastAPI, Header, Path, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, Field, ValidationError
from temporalio.client import (
    Client,
    WorkflowQueryFailedError,
    WorkflowUpdateFailedError,
    WorkflowUpdateRPCTimeoutOrCancelledError,
)
from temporalio.service import RPCError, RPCStatusCode

from activities.access_log import AccessLog
from activities.api_keys import ApiKey, ApiKeys, Scope
from activities.careers import readable_timeline, submit_hr_event
from activities.eventstore import EventStore
from activities.person_keys import PersonKeys, as_shown
from activities.systems import ExternalSystemError, Hris
from domain import registry
from domain.access import Door, Read
from domain.career.career import (
    ID_PATTERN,
    CareerTimeline,
    HrEvent,
    HrEventAnswer,
    SubmitHrEvent,
    career_id,
)
from domain.pathway import StartRefused, person_named
from pathways.config import Settings
from pathways.journeys import waiting_on
from pathways.logs import get_logger
from pathways.oneroster import MAX_BYTES, ImportReport, district_today
from pathways.refusals import update_failure

log = get_logger("api")
EMPLOYEE_ID = ID_PATTERN.replace("/", "")  # an id in a path segment has no slash


class Problem(BaseModel):
    """Why a request was refused: a stable code for programs, a sentence for people."""

    code: str
    message: str


class ApiProblem(Exception):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


class HrEventIn(HrEvent):
    """An HR event as sent: `event_id` may instead come in the `Idempotency-Key` header."""

    event_id: str | None = Field(  # type: ignore[assignment]
        None, min_length=1, max_length=128, pattern=ID_PATTERN
    )


class HrEventBatch(BaseModel):
    events: list[HrEvent] = Field(min_length=1, max_length=1000)


class BatchResult(BaseModel):
    hr_event_id: str
    status: str
    """accepted or refused."""
    answer: HrEventAnswer | None = None
    problem: Problem | None = None


class BatchAnswer(BaseModel):
    accepted: int
    refused: int
    results: list[BatchResult]


class StartJourney(BaseModel):
    pathway: str = Field(description="a pathway's key, e.g. program or teacher_leader")
    input: dict[str, Any] = Field(description="the pathway's start input, as its CLI builds it")


class StartedJourney(BaseModel):
    journey_id: str
    pathway: str
    created: bool
    """False when the journey already existed: nothing new started."""


@dataclass
class Backend:
    """What the API talks to: Temporal, the database (API keys) and HR (the start path)."""

    client: Client
    pool: asyncpg.Pool
    hris: Hris
    task_queue: str
    local_hr: bool = True
    """HR is the local tables (HRIS_URL unset): imports keep them current."""
    people: PersonKeys | None = None
    """The district's person keys, which open the event log's personal fields."""


def problems(status: int) -> dict[int | str, dict[str, Any]]:
    return {status: {"model": Problem}}


AUTH = {**problems(401), **problems(403)}
bearer = HTTPBearer(auto_error=False, description="an API key: `Bearer pw_...`")
header_key = APIKeyHeader(name="X-API-Key", auto_error=False)


def get_backend(request: Request) -> Backend:
    found: Backend = request.app.state.backend
    return found


def allowed(scope: Scope) -> Callable[..., Awaitable[ApiKey]]:
    async def check(
        request: Request,
        credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
        api_key: Annotated[str | None, Depends(header_key)],
    ) -> ApiKey:
        presented = credentials.credentials if credentials else api_key
        if not presented:
            raise ApiProblem(401, "auth.missing_key", "send an API key: Bearer pw_...")
        key = await ApiKeys(get_backend(request).pool).check(presented)
        if key is None:
            raise ApiProblem(401, "auth.wrong_key", "the API key is wrong or revoked")
        if scope not in key.scopes:
            raise ApiProblem(
                403, "auth.scope_missing", f"the key {key.name!r} lacks the scope {scope}"
            )
        return key

    return check


Backed = Annotated[Backend, Depends(get_backend)]
HrWriter = Annotated[ApiKey, Depends(allowed(Scope.HR_WRITE))]
CareerReader = Annotated[ApiKey, Depends(allowed(Scope.CAREERS_READ))]
JourneyReader = Annotated[ApiKey, Depends(allowed(Scope.JOURNEYS_READ))]
JourneyWriter = Annotated[ApiKey, Depends(allowed(Scope.JOURNEYS_WRITE))]


def backend_lifespan(
    given: object | None, opener: Callable[[], AbstractAsyncContextManager[object]]
) -> Callable[[FastAPI], AbstractAsyncContextManager[None]]:
    """An app's lifespan that puts its backend in `app.state.backend`: the one `given` (tests,
    `make up`), or one `opener` opens at startup and closes at shutdown."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if given is not None:
            app.state.backend = given
            yield
            return
        async with AsyncExitStack() as stack:
            app.state.backend = await stack.enter_async_context(opener())
            yield

    return lifespan


def create_app(
    settings: Settings, backend: Backend | None = None, *, title: str = "Pathways"
) -> FastAPI:
    """The API; without `backend` it connects to Temporal, the database and HR on startup."""
    app = FastAPI(
        title=f"{title} API",
        version="1",
        summary="HR events into careers; journeys' status; starting journeys.",
        lifespan=backend_lifespan(backend, lambda: open_backend(settings)),
    )

    @app.exception_handler(ApiProblem)
    async def _problem(_: Request, error: ApiProblem) -> JSONResponse:
        return JSONResponse(
            {"code": error.code, "message": error.message},
            status_code=error.status,
            headers={"WWW-Authenticate": "Bearer"} if error.status == 401 else None,
        )

    @app.get("/healthz", include_in_schema=False)
    async def health() -> dict[str, str]:
        return {"status": "ok"}

    @app.post(
        "/v1/hr/events",
        status_code=202,
        response_model=HrEventAnswer,
        responses={**AUTH, **problems(409), **problems(503)},
        tags=["HR"],
    )
    async def post_hr_event(
        event: HrEventIn,
        backend: Backed,
        key: HrWriter,
        idempotency_key: Annotated[str | None, Header(max_length=128, pattern=ID_PATTERN)] = None,
    ) -> HrEventAnswer:
        """Apply one HR event to the employee's career (created by the first event). The same
        event again answers as the first time and changes nothing."""
        if event.event_id and idempotency_key and event.event_id != idempotency_key:
            raise RequestValidationError(
                [{"type": "value_error", "loc": ("header", "idempotency-key"),
                  "msg": "differs from the body's event_id", "input": idempotency_key}]
            )  # fmt: skip
        event_id = event.event_id or idempotency_key
        if event_id is None:
            raise RequestValidationError(
                [{"type": "missing", "loc": ("body", "event_id"),
                  "msg": "give the event's id, or an Idempotency-Key header", "input": None}]
            )  # fmt: skip
        hr_event = HrEvent.model_validate({**event.model_dump(), "event_id": event_id})
        return await _submit(backend, hr_event, key)

    @app.post(
        "/v1/hr/events/batch",
        status_code=202,
        response_model=BatchAnswer,
        responses={**AUTH, **problems(503)},
        tags=["HR"],
    )
    async def post_hr_batch(
        batch: HrEventBatch,
        backend: Backed,
        key: HrWriter,
    ) -> BatchAnswer:
        """Apply HR events in order (the whole batch is checked first: one wrong field and
        none is applied). Each event's result says whether it was accepted or refused."""
        results: list[BatchResult] = []
        for event in batch.events:
            try:
                answer = await _submit(backend, event, key)
                results.append(BatchResult(hr_event_id=event.event_id, status="accepted",
                                           answer=answer))  # fmt: skip
            except ApiProblem as problem:
                if problem.status == 503:
                    raise
                results.append(
                    BatchResult(
                        hr_event_id=event.event_id, status="refused",
                        problem=Problem(code=problem.code, message=problem.message),
                    )
                )  # fmt: skip
        accepted = sum(1 for r in results if r.status == "accepted")
        return BatchAnswer(accepted=accepted, refused=len(results) - accepted, results=results)

    @app.post(
        "/v1/hr/oneroster",
        status_code=202,
        response_model=ImportReport,
        responses={**AUTH, **problems(503)},
        tags=["HR"],
        openapi_extra={
            "requestBody": {
                "required": True,
                "description": "the zip itself (Content-Type application/zip or octet-stream)",
                "content": {
                    "application/octet-stream": {"schema": {"type": "string", "format": "binary"}}
                },
            }
        },
    )
    async def post_oneroster(
        request: Request,
        backend: Backed,
        key: HrWriter,
        dry_run: bool = False,
        effective_on: date | None = None,
        allow_mass_separation: bool = False,
    ) -> ImportReport:
        """A OneRoster 1.2 CSV zip (orgs.csv, users.csv, roles.csv): its staff compared with
        the last import, the differences sent as HR events. `dry_run` shows them only."""
        from domain.oneroster import OneRosterError
        from pathways.oneroster import import_oneroster

        if int(request.headers.get("content-length") or 0) > MAX_BYTES:
            raise ApiProblem(413, "oneroster.too_large", f"the file is over {MAX_BYTES} bytes")
        data = await request.body()
        try:
            report = await import_oneroster(
                backend.client, backend.pool, data,
                effective_on=effective_on or district_today(),
                source=f"api:{key.name}", task_queue=backend.task_queue,
                local_hr=backend.local_hr, dry_run=dry_run,
                allow_mass_separation=allow_mass_separation,
            )  # fmt: skip
        except OneRosterError as error:
            raise RequestValidationError(
                [{"type": "value_error", "loc": ("body",), "msg": str(error), "input": None}]
            ) from None
        except RPCError as error:
            raise _rpc(error, "") from None
        log.info(
            "oneroster imported", key=key.name, dry_run=dry_run, events=len(report.events),
            refused=report.refused, problems=len(report.problems),
        )  # fmt: skip
        return report

    @app.get(
        "/v1/careers/{employee_id}",
        response_model=CareerTimeline,
        responses={**AUTH, **problems(404), **problems(503)},
        tags=["careers"],
    )
    async def get_career(
        employee_id: Annotated[str, Path(max_length=128, pattern=EMPLOYEE_ID)],
        backend: Backed,
        key: CareerReader,
    ) -> CareerTimeline:
        """The career's timeline: roles, schools, credentials, every journey and its outcome.
        The reading is recorded in the access log."""
        try:
            store = EventStore(backend.pool, backend.people)
            timeline = await readable_timeline(backend.client, store, employee_id)
        except RPCError as error:
            raise _rpc(error, f"no career for {employee_id}") from None
        except WorkflowQueryFailedError as error:
            raise ApiProblem(503, "temporal.query_failed", str(error)) from None
        await AccessLog(backend.pool).record(
            f"api:{key.name}", Door.API, Read.CAREER, employee_id, employee_id
        )
        return timeline

    @app.get(
        "/v1/journeys/{journey_id:path}",
        responses={**AUTH, **problems(404), **problems(503)},
        tags=["journeys"],
    )
    async def get_journey(
        journey_id: Annotated[str, Path(max_length=300)],
        backend: Backed,
        key: JourneyReader,
    ) -> dict[str, Any]:
        """A journey's status, as the journey answers its `status` query, and `waiting_on`
        when it waits for a district record to be corrected (what, since when, the system's
        words). The reading is recorded in the access log."""
        try:
            pathway = registry.by_journey_id(journey_id)
        except registry.UnknownJourney as error:
            raise ApiProblem(404, "journey.unknown", str(error)) from None
        handle = backend.client.get_workflow_handle(journey_id)
        try:
            status: BaseModel = await handle.query("status", result_type=pathway.status_type)
        except RPCError as error:
            raise _rpc(error, f"no journey {journey_id}") from None
        except WorkflowQueryFailedError as error:
            raise ApiProblem(503, "temporal.query_failed", str(error)) from None
        await AccessLog(backend.pool).record(
            f"api:{key.name}", Door.API, Read.JOURNEY, journey_id, person_named(dict(status))
        )
        shown = (await as_shown(backend.pool, status)).model_dump(mode="json")
        fix = await waiting_on(handle)
        if fix is not None:
            shown["waiting_on"] = fix.model_dump(mode="json")
        return shown

    @app.post(
        "/v1/journeys",
        status_code=201,
        response_model=StartedJourney,
        responses={**AUTH, **problems(409), **problems(503)},
        tags=["journeys"],
    )
    async def post_journey(
        start: StartJourney,
        backend: Backed,
        key: JourneyWriter,
    ) -> StartedJourney:
        """Start a journey through the engine's start path (checked against HR and the
        pathway's rules); a journey already started is found, not started again."""
        from activities.enrollment import start_journey

        try:
            pathway = registry.by_key(start.pathway)
        except registry.UnknownJourney as error:
            raise RequestValidationError(
                [{"type": "value_error", "loc": ("body", "pathway"), "msg": str(error),
                  "input": start.pathway}]
            ) from None  # fmt: skip
        try:
            inp = pathway.input_type.model_validate(start.input)
        except ValidationError as error:
            raise RequestValidationError(
                [{**e, "loc": ("body", "input", *e["loc"])} for e in error.errors()]
            ) from None
        try:
            started = await start_journey(
                backend.client, backend.hris, pathway, inp, backend.task_queue
            )
        except StartRefused as refused:
            raise ApiProblem(409, refused.code, refused.message) from None
        except ExternalSystemError as error:
            raise ApiProblem(503, "hr.unavailable", str(error)) from None
        except RPCError as error:
            raise _rpc(error, "") from None
        log.info(
            "journey started" if started.created else "journey already started",
            key=key.name, journey_id=started.workflow_id, pathway=pathway.key,
        )  # fmt: skip
        return StartedJourney(
            journey_id=started.workflow_id, pathway=pathway.key, created=started.created
        )

    return app


async def _submit(backend: Backend, event: HrEvent, key: ApiKey) -> HrEventAnswer:
    submitted = SubmitHrEvent(event=event, source=f"api:{key.name}")
    try:
        answer = await submit_hr_event(backend.client, submitted, backend.task_queue)
    except (WorkflowUpdateRPCTimeoutOrCancelledError, WorkflowUpdateFailedError) as error:
        failure = update_failure(error)
        assert failure is not None
        if not failure.refused:
            log.warning("hr event failed", key=key.name, hr_event_id=event.event_id,
                        code=failure.code, error=failure.words)  # fmt: skip
            words = f"the event was not applied: {failure.words}"
            # The API's code for a failure that was no refusal, as HR systems know it.
            code = "career.update_failed" if failure.code == "update.failed" else failure.code
            raise ApiProblem(503, code, words) from None
        log.info(
            "hr event refused", key=key.name, hr_event_id=event.event_id, code=failure.code,
            career_id=career_id(event.employee_id),
        )  # fmt: skip
        raise ApiProblem(409, failure.code, failure.words) from None
    except RPCError as error:
        raise _rpc(error, "") from None
    log.info(
        "hr event accepted", key=key.name, hr_event_id=event.event_id,
        career_id=answer.career_id, applied=answer.applied, journeys=len(answer.journeys_told),
    )  # fmt: skip
    return answer


def _rpc(error: RPCError, not_found: str) -> ApiProblem:
    missing = (RPCStatusCode.NOT_FOUND, RPCStatusCode.INVALID_ARGUMENT)
    if error.status in missing and not_found:
        return ApiProblem(404, "not_found", not_found)
    log.warning("temporal did not answer", status=error.status.name, error=error.message)
    return ApiProblem(503, "temporal.unavailable", f"Temporal did not answer: {error.message}")


@asynccontextmanager
async def open_backend(settings: Settings) -> AsyncIterator[Backend]:
    from activities.external import open_hris
    from pathways.cli import command_database
    from pathways.payload_codec import person_keys
    from pathways.temporal import connect

    client = await connect(settings)
    pool = await command_database(settings)
    try:
        async with open_hris(settings.systems, lambda: command_database(settings)) as hris:
            yield Backend(
                client, pool, hris, settings.temporal_task_queue, settings.hris_url is None,
                person_keys(settings.payload_keys),
            )  # fmt: skip
    finally:
        await pool.close()


class _Server(uvicorn.Server):
    """Uvicorn without its own signal handling: the process that embeds it owns SIGINT."""

    @contextlib.contextmanager
    def capture_signals(self) -> Generator[None, None, None]:
        yield


def serve_until_signalled(app: FastAPI, host: str, port: int, what: str) -> None:
    """Serve `app` in this process until SIGINT or SIGTERM (`pathways api serve`, `web serve`)."""
    import signal

    from pathways.cli import console

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        console.print(f"{what} on http://{host}:{port}")
        await serve_api(app, host, port, stop)

    asyncio.run(main())


async def serve_api(app: FastAPI, host: str, port: int, stop: asyncio.Event) -> None:
    """Serve `app` until `stop` is set."""
    server = _Server(uvicorn.Config(app, host=host, port=port, log_config=None, access_log=False))
    task = asyncio.create_task(server.serve())
    stopping = asyncio.create_task(stop.wait())
    await asyncio.wait({task, stopping}, return_when=asyncio.FIRST_COMPLETED)
    server.should_exit = True
    stopping.cancel()
    await task
