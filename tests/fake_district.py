"""A stand-in for the district's HR, payroll and e-mail APIs, served over real HTTP.

`FakeDistrict().app` is a FastAPI app; `serve(app)` runs it with uvicorn on 127.0.0.1 (a free
port) in a background thread and yields its base URL. Payroll and e-mail behave like real
idempotent APIs: the first request with an `Idempotency-Key` is recorded and answered 201; a
repeat with the same body gets the original result with `"duplicate": true` (200); a repeat
with a different body gets 409. Tests steer failures:

* `fail_next(n)`: the next n requests answer 500 before anything is recorded;
* `fail_next(n, after_recording=True)`: the next n accepted requests are recorded, then
  answered 500 (the response is lost, the payment is not);
* `slow_next(seconds)`: the next request waits that long before being handled (its body
  already read, so a client that gave up meanwhile does not stop it);
* `payroll.max_amount_cents`: larger payments are refused with 422, as is any bad payload.

Every request that reaches a service counts in its `attempts`.
"""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Literal

import httpx
import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from domain.external import Employee, School


class PaymentIn(BaseModel):
    model_config = ConfigDict(extra="ignore")

    idempotency_key: str | None = None
    kind: Literal["stipend", "substitute_reimbursement", "financial_assistance", "repayment"]
    payee_id: str = Field(min_length=1)
    amount_cents: int = Field(gt=0)
    currency: str = Field(pattern=r"^[A-Z]{3}$")
    memo: str = Field(min_length=1)
    workflow_id: str | None = None


class MessageIn(BaseModel):
    model_config = ConfigDict(extra="ignore")

    idempotency_key: str | None = None
    to: str = Field(pattern=r"^[^@\s]+@[^@\s]+$")
    subject: str = Field(min_length=1)
    body: str
    workflow_id: str | None = None


@dataclass(frozen=True)
class Recorded:
    reference: str
    body: dict[str, Any]


class Service:
    """Counters, recorded requests and scripted failures for one endpoint."""

    def __init__(self, name: str, reference_prefix: str) -> None:
        self.name = name
        self._prefix = reference_prefix
        self._lock = threading.Lock()
        self.attempts = 0
        self.records: dict[str, Recorded] = {}
        self._fail_before = 0
        self._fail_after = 0
        self._slow: list[float] = []

    def fail_next(self, count: int, *, after_recording: bool = False) -> None:
        with self._lock:
            if after_recording:
                self._fail_after += count
            else:
                self._fail_before += count

    def slow_next(self, seconds: float, count: int = 1) -> None:
        with self._lock:
            self._slow.extend([seconds] * count)

    async def arrive(self) -> JSONResponse | None:
        """Count the request, apply any scripted delay, and maybe fail it before recording."""
        with self._lock:
            self.attempts += 1
            delay = self._slow.pop(0) if self._slow else 0.0
            fail = self._fail_before > 0
            if fail:
                self._fail_before -= 1
        if delay:
            await asyncio.sleep(delay)
        if fail:
            return _error(500, f"{self.name} is temporarily unavailable")
        return None

    def record(self, key: str, body: dict[str, Any], field: str) -> JSONResponse:
        """Record the request once per key; answer a repeat with the original result."""
        with self._lock:
            existing = self.records.get(key)
            if existing is not None and existing.body != body:
                return _error(409, f"idempotency key {key!r} was already used for another request")
            duplicate = existing is not None
            if existing is None:
                existing = Recorded(f"{self._prefix}-{len(self.records) + 1:06d}", body)
                self.records[key] = existing
            lose_response = self._fail_after > 0
            if lose_response:
                self._fail_after -= 1
        if lose_response:
            return _error(500, f"{self.name} failed after recording the request")
        content = {"idempotency_key": key, field: existing.reference, "duplicate": duplicate}
        return JSONResponse(content, status_code=200 if duplicate else 201)


def _error(status: int, detail: Any) -> JSONResponse:
    return JSONResponse({"detail": detail}, status_code=status)


class FakeDistrict:
    def __init__(self) -> None:
        self.payroll = Service("payroll", "PR")
        self.payroll_max_amount_cents: int | None = None
        self.email = Service("e-mail", "MSG")
        self.hris = Service("hris", "HR")
        self.employees: dict[str, dict[str, Any]] = {}
        self.schools: dict[str, dict[str, Any]] = {}
        self.app = self._build()

    def add_employee(self, employee: Employee) -> None:
        self.employees[employee.employee_id] = employee.model_dump(mode="json")

    def add_school(self, school: School) -> None:
        self.schools[school.school_id] = school.model_dump(mode="json")

    def _build(self) -> FastAPI:
        app = FastAPI(title="fake district")

        @app.get("/health")
        async def health() -> dict[str, bool]:
            return {"ok": True}

        @app.get("/employees/{employee_id}")
        async def employee(employee_id: str) -> JSONResponse:
            return await self._lookup(self.employees, employee_id, "employee")

        @app.get("/schools/{school_id}")
        async def school(school_id: str) -> JSONResponse:
            return await self._lookup(self.schools, school_id, "school")

        @app.post("/payments")
        async def payments(request: Request) -> JSONResponse:
            return await self._accept(
                self.payroll, request, PaymentIn, "payroll_reference", self._payroll_rules
            )

        @app.post("/messages")
        async def messages(request: Request) -> JSONResponse:
            return await self._accept(self.email, request, MessageIn, "message_id", lambda _: None)

        return app

    async def _lookup(self, table: dict[str, dict[str, Any]], key: str, what: str) -> JSONResponse:
        failed = await self.hris.arrive()
        if failed is not None:
            return failed
        if key not in table:
            return _error(404, f"{what} {key!r} not found")
        return JSONResponse(table[key])

    def _payroll_rules(self, payment: BaseModel) -> str | None:
        assert isinstance(payment, PaymentIn)
        limit = self.payroll_max_amount_cents
        if limit is not None and payment.amount_cents > limit:
            return f"amount_cents {payment.amount_cents} exceeds the per-payment limit {limit}"
        return None

    async def _accept(
        self,
        service: Service,
        request: Request,
        model: type[BaseModel],
        field: str,
        rules: Callable[[BaseModel], str | None],
    ) -> JSONResponse:
        body = await request.body()  # read first: a slow answer still handles the request
        failed = await service.arrive()
        if failed is not None:
            return failed
        key = request.headers.get("Idempotency-Key")
        if not key:
            return _error(400, "the Idempotency-Key header is required")
        try:
            parsed = model.model_validate_json(body)
        except ValidationError as error:
            problems = error.errors(include_url=False, include_context=False, include_input=False)
            return _error(422, problems)
        if getattr(parsed, "idempotency_key", None) not in (None, key):
            return _error(422, "the body's idempotency_key differs from the Idempotency-Key header")
        refusal = rules(parsed)
        if refusal is not None:
            return _error(422, refusal)
        return service.record(key, parsed.model_dump(mode="json"), field)


@contextmanager
def serve(app: FastAPI) -> Iterator[str]:
    """Run `app` on a free local port in a background thread; yields its base URL."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(
        app, log_level="warning", lifespan="off", access_log=False, timeout_graceful_shutdown=2
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(
        target=server.run, kwargs={"sockets": [sock]}, name=f"fake-district-{port}", daemon=True
    )
    thread.start()
    base_url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(server, thread, base_url)
        yield base_url
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


def _wait_until_up(server: uvicorn.Server, thread: threading.Thread, base_url: str) -> None:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if not thread.is_alive():
            raise RuntimeError(f"the fake district server at {base_url} exited during start-up")
        if server.started:
            try:
                if httpx.get(f"{base_url}/health", timeout=1).status_code == 200:
                    return
            except httpx.TransportError:
                pass
        time.sleep(0.02)
    raise RuntimeError(f"the fake district server at {base_url} did not answer within 10 s")
