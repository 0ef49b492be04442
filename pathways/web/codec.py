"""The codec server: the Temporal Web UI, running in a staff member's browser, sends a journey's
encrypted payloads to `POST /codec/decode` and shows what comes back (and `POST /codec/encode`
for what the UI sends, such as a signal's argument). Both are the Temporal codec server
protocol: a JSON body `{"payloads": [...]}` in proto3 JSON.

The web app's own sign-in and roles apply: the browser sends the web app's session cookie
(the Web UI's codec setting "Include cross-origin credentials" on), CORS answers only the Web
UI's origins (`CODEC_ORIGINS`), and a payload is opened only for someone who may see the journey
it belongs to (`domain.policy.sees`, with whose it is read by `domain.pathway.person_named`).
A payload the viewer may not see is handed back still sealed; a request none of whose sealed
payloads the viewer may see is refused. Each decode is recorded in the access log (door
`codec`), once per person whose payloads were opened.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response
from google.protobuf import json_format
from google.protobuf.message import DecodeError
from starlette.middleware.cors import CORSMiddleware
from temporalio.api.common.v1 import Payload, Payloads
from temporalio.converter import PayloadCodec

from activities.access_log import AccessLog
from activities.actors import principal_of
from activities.person_keys import is_erased
from activities.systems import EmployeeNotFound, ExternalSystemError, Hris
from domain.access import Door, Read
from domain.pathway import person_named
from domain.policy import Standing, Viewer, sees
from domain.privacy import masked
from pathways.config import Settings
from pathways.logs import get_logger
from pathways.payload_codec import ENCODING, PayloadKeyError
from pathways.web import auth

log = get_logger("codec")

#: Who may encode (send data through the Web UI): the program office and its directors.
ENCODERS = frozenset({Standing.PROGRAM_OFFICE, Standing.PROGRAM_DIRECTOR})


def refused(status: int, *, code: str, message: str) -> JSONResponse:
    return JSONResponse({"code": code, "message": message}, status_code=status)


def not_allowed(message: str) -> JSONResponse:
    return refused(403, code="codec.not_allowed", message=message)


def _json(payload: Payload) -> Any:
    if payload.metadata.get("encoding") != b"json/plain":
        return None
    try:
        return json.loads(payload.data)
    except ValueError:
        return None


def named_in(value: Any) -> set[str]:
    """Every person an opened payload names, at any depth: the `employee_id` or `fellow_id`
    of it and of each object it holds (an update's input, a workflow's argument, a status)."""
    found: set[str] = set()
    if isinstance(value, dict):
        if (person := person_named(value)) is not None:
            found.add(person)
        for v in value.values():
            found |= named_in(v)
    elif isinstance(value, list):
        for v in value:
            found |= named_in(v)
    return found


def _erased_copy(payload: Payload, value: Any) -> Payload:
    """The opened payload with its personal fields `ERASED` (its people's data was erased;
    Temporal's copy is under the district's key, not theirs)."""
    data = json.dumps(masked(value), separators=(",", ":")).encode()
    return Payload(metadata=payload.metadata, data=data)


def create_codec_app(
    settings: Settings,
    parent: FastAPI,
    viewer_of: Callable[[Request], Awaitable[Viewer]],
) -> Any:
    """The codec server, to mount at `/codec` in the web app (`parent`, whose backend it uses),
    wrapped in CORS for the Web UI's origins only."""
    app = FastAPI(docs_url=None, redoc_url=None, openapi_url=None)
    app.state = parent.state  # the session rules and the backend the parent's lifespan sets
    base_url = settings.web_address

    def codec() -> PayloadCodec | None:
        found: PayloadCodec | None = parent.state.backend.client.data_converter.payload_codec
        return found

    async def signed(request: Request) -> Viewer | JSONResponse:
        try:
            return await viewer_of(request)
        except auth.SignInNeeded as needed:
            why = needed.why or "Not signed in."
            return refused(
                401,
                code="codec.sign_in",
                message=f"{why} Sign in to the web app at {base_url} in this browser, and turn "
                'on "Include cross-origin credentials" in the Web UI\'s codec settings.',
            )

    async def body_of(request: Request) -> list[Payload] | JSONResponse:
        try:
            parsed = json_format.Parse(await request.body(), Payloads())
        except (json_format.ParseError, DecodeError, UnicodeDecodeError) as error:
            return refused(
                400, code="codec.bad_request", message=f'expected {{"payloads": [...]}}: {error}'
            )
        return list(parsed.payloads)

    def answer(payloads: Sequence[Payload]) -> JSONResponse:
        return JSONResponse(json_format.MessageToDict(Payloads(payloads=payloads)))

    async def prepared(
        request: Request, encoding: bool
    ) -> tuple[Viewer, PayloadCodec, list[Payload]] | JSONResponse:
        """The signed-in viewer, the codec and the payloads sent, or the refusal."""
        viewer = await signed(request)
        if isinstance(viewer, JSONResponse):
            return viewer
        if encoding and viewer.standing not in ENCODERS:
            return not_allowed(f"{viewer.name} may not send data to journeys through the Web UI")
        found = codec()
        if found is None:
            return refused(
                404, code="codec.off", message="this district's payloads are not encrypted"
            )
        payloads = await body_of(request)
        if isinstance(payloads, JSONResponse):
            return payloads
        return viewer, found, payloads

    @app.post("/decode")
    @app.post("/{namespace}/decode")
    async def decode(request: Request, namespace: str | None = None) -> Response:
        ready = await prepared(request, encoding=False)
        if isinstance(ready, JSONResponse):
            return ready
        viewer, found, payloads = ready
        try:
            opened = await found.decode(payloads)
        except PayloadKeyError as error:
            return refused(422, code="codec.key_missing", message=str(error))
        backend = parent.state.backend
        verdicts: dict[str | None, bool] = {}
        erased: dict[str, bool] = {}
        read_of: set[str | None] = set()
        shown: list[Payload] = []
        sealed = seen = 0
        for sent, plain in zip(payloads, opened, strict=True):
            if sent.metadata.get("encoding") != ENCODING:
                shown.append(sent)
                continue
            sealed += 1
            value = _json(plain)
            people: set[str | None] = set(named_in(value)) or {None}
            for person in people - verdicts.keys():
                verdicts[person] = await _may_see(backend.hris, viewer, person)
            if not all(verdicts[p] for p in people):
                shown.append(sent)  # someone it names is not the viewer's to see
                continue
            seen += 1
            read_of |= people
            for person in {p for p in people if p is not None} - erased.keys():
                erased[person] = await is_erased(backend.pool, person)
            gone = any(erased.get(p, False) for p in people if p is not None)
            shown.append(_erased_copy(plain, value) if gone else plain)
        if sealed and not seen:
            log.info("codec refused", actor=viewer.actor, payloads=sealed)
            return not_allowed(f"{viewer.name} may not see the journeys these payloads belong to")
        ns = namespace or request.headers.get("x-namespace") or settings.temporal_namespace
        access = AccessLog(backend.pool)
        for whose in sorted(read_of, key=lambda p: p or ""):
            await access.record(viewer.actor, Door.CODEC, Read.PAYLOADS, ns, whose)
        return answer(shown)

    @app.post("/encode")
    @app.post("/{namespace}/encode")
    async def encode(request: Request, namespace: str | None = None) -> Response:
        ready = await prepared(request, encoding=True)
        if isinstance(ready, JSONResponse):
            return ready
        _, found, payloads = ready
        return answer(await found.encode(payloads))

    return CORSMiddleware(
        app,
        allow_origins=list(settings.codec_origins),
        allow_credentials=True,
        allow_methods=["POST"],
        allow_headers=["content-type", "x-namespace", "authorization"],
    )


async def _may_see(hris: Hris, viewer: Viewer, person: str | None) -> bool:
    """`sees` for the person a payload is about; one about no one only for those who see every
    journey."""
    if viewer.sees_everyone:
        return True
    if person is None:
        return False
    if person == viewer.person_id:
        return True
    try:
        employee = await hris.employee(person)
    except (EmployeeNotFound, ExternalSystemError, LookupError):
        return False
    return sees(viewer, person, employee.school_id, await principal_of(hris, employee.school_id))
