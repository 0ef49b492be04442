"""HTTP clients for the district's HR, payroll and e-mail services.

One `httpx.AsyncClient` (from `open_http_client`) is shared by all three; its timeout is the
entry point's `HTTP_TIMEOUT_SECONDS`. Answers map onto the failures in `activities.systems`:

* 2xx: the result. Payroll and e-mail answer a repeated `Idempotency-Key` with the original
  result and `"duplicate": true`; that is a success, not an error.
* 404 from HRIS: `EmployeeNotFound` / `SchoolNotFound`. 409: `IdempotencyConflict`.
* 2xx with a record that fails its model (a NUL in a name): `ExternalDataInvalid`, not retried.
* 408 and 429 (the service asks us to come back later), 5xx, timeouts, connection errors and
  answers that are not what the API promises: `ExternalSystemUnavailable`, which Temporal
  retries. Retrying a payment is safe because the key travels with every attempt.
* Any other 4xx: `ExternalSystemRefused`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar
from urllib.parse import quote

import httpx
from pydantic import BaseModel, ValidationError

from activities.systems import (
    EMAIL,
    HRIS,
    PAYROLL,
    EmployeeNotFound,
    ExternalDataInvalid,
    ExternalSystemError,
    ExternalSystemRefused,
    ExternalSystemUnavailable,
    IdempotencyConflict,
    SchoolNotFound,
    principal_of_school,
    sentence,
)
from domain.definitions import problems
from domain.external import (
    EmailMessage,
    EmailReceipt,
    Employee,
    PaymentReceipt,
    PaymentRequest,
    School,
)

USER_AGENT = "pathways/0.1"
_RETRY_LATER = {408, 425, 429}
_REASON_LIMIT = 300

Model = TypeVar("Model", bound=BaseModel)


def open_http_client(timeout_seconds: float) -> httpx.AsyncClient:
    """The client every HTTP adapter shares; the caller closes it (`async with` or `aclose`)."""
    return httpx.AsyncClient(
        timeout=httpx.Timeout(timeout_seconds),
        headers={"User-Agent": USER_AGENT, "Accept": "application/json"},
        follow_redirects=False,
    )


class _Receipt(BaseModel):
    """Fields a payroll or e-mail service sends back; extra fields are ignored."""

    payroll_reference: str | None = None
    message_id: str | None = None
    duplicate: bool = False


async def _call(
    client: httpx.AsyncClient,
    system: str,
    what: str,
    method: str,
    url: str,
    *,
    not_found: Callable[[], ExternalSystemError] | None = None,
    conflict: Callable[[str], ExternalSystemError] | None = None,
    **request: Any,
) -> httpx.Response:
    """Send one request and sort the answer into success, a definite no, or try again."""
    try:
        response = await client.request(method, url, **request)
    except httpx.TimeoutException as error:
        raise ExternalSystemUnavailable(
            f"{sentence(system)} at {_where(url)} did not answer {what} in time "
            f"({type(error).__name__}); will retry"
        ) from error
    except httpx.TransportError as error:
        raise ExternalSystemUnavailable(
            f"Cannot reach {system} at {_where(url)} for {what}: "
            f"{error or type(error).__name__}; will retry"
        ) from error
    status = response.status_code
    if 200 <= status < 300:
        return response
    reason = _reason(response)
    if status >= 500 or status in _RETRY_LATER:
        raise ExternalSystemUnavailable(
            f"{sentence(system)} answered {what} with HTTP {status}: {reason}; will retry"
        )
    if status == 404 and not_found is not None:
        raise not_found()
    if status == 409 and conflict is not None:
        raise conflict(reason)
    raise ExternalSystemRefused(system, what, status, reason)


def _where(url: str) -> str:
    """The URL without credentials or query, safe for logs and workflow history."""
    parsed = httpx.URL(url)
    return str(parsed.copy_with(username=None, password=None, query=None, fragment=None))


def _reason(response: httpx.Response) -> str:
    """A short, readable reason from an error answer (FastAPI-style `detail` or plain text)."""
    try:
        body = response.json()
    except ValueError:
        text = response.text.strip()
    else:
        detail = body.get("detail", body) if isinstance(body, dict) else body
        text = detail if isinstance(detail, str) else _problems(detail)
    text = " ".join(text.split()) or response.reason_phrase or "no reason given"
    return text if len(text) <= _REASON_LIMIT else text[: _REASON_LIMIT - 1] + "…"


def _problems(detail: Any) -> str:
    """FastAPI's validation list (`[{"loc": [...], "msg": ...}]`) as `field: message; ...`."""
    if isinstance(detail, list) and all(isinstance(item, dict) for item in detail):
        parts = []
        for item in detail:
            loc = [str(part) for part in item.get("loc", ()) if part != "body"]
            message = str(item.get("msg", "invalid"))
            parts.append(f"{'.'.join(loc)}: {message}" if loc else message)
        return "; ".join(parts)
    return str(detail)


def _parse(
    response: httpx.Response, model: type[Model], system: str, what: str, record: str = ""
) -> Model:
    """The answer as `model`. A record whose fields are wrong (a NUL in a name, a field
    missing) is `ExternalDataInvalid` when `record` names it: a retry gets it again. A body
    that is not a JSON object at all (a proxy's error page) is worth another try."""
    try:
        return model.model_validate_json(response.content)
    except ValidationError as error:
        if record and all(e["loc"] for e in error.errors()):
            raise ExternalDataInvalid(system, record, problems(error)) from None
        raise ExternalSystemUnavailable(
            f"{sentence(system)} answered {what} with HTTP {response.status_code} but not with a "
            f"{model.__name__} ({error.error_count()} problem(s)); will retry"
        ) from None


def _segment(value: str) -> str:
    return quote(value, safe="")


class HttpHris:
    """`GET {base}/employees/{id}` and `GET {base}/schools/{id}`."""

    def __init__(self, base_url: str, client: httpx.AsyncClient) -> None:
        self._base = base_url.rstrip("/")
        self._client = client

    async def employee(self, employee_id: str) -> Employee:
        what = f"the lookup of employee {employee_id!r}"
        response = await _call(
            self._client,
            HRIS,
            what,
            "GET",
            f"{self._base}/employees/{_segment(employee_id)}",
            not_found=lambda: EmployeeNotFound(employee_id, HRIS),
        )
        return _parse(response, Employee, HRIS, what, f"employee {employee_id!r}")

    async def school(self, school_id: str) -> School:
        what = f"the lookup of school {school_id!r}"
        response = await _call(
            self._client,
            HRIS,
            what,
            "GET",
            f"{self._base}/schools/{_segment(school_id)}",
            not_found=lambda: SchoolNotFound(school_id, HRIS),
        )
        return _parse(response, School, HRIS, what, f"school {school_id!r}")

    async def principal_of(self, school_id: str) -> Employee:
        return await principal_of_school(self, school_id, HRIS)


class HttpPayroll:
    """`POST {base}/payments` with the request as JSON and an `Idempotency-Key` header."""

    def __init__(self, base_url: str, client: httpx.AsyncClient) -> None:
        self._base = base_url.rstrip("/")
        self._client = client

    async def request_payment(self, request: PaymentRequest) -> PaymentReceipt:
        key = request.idempotency_key
        what = f"payment request {key!r}"
        response = await _call(
            self._client,
            PAYROLL,
            what,
            "POST",
            f"{self._base}/payments",
            conflict=lambda reason: IdempotencyConflict(key, PAYROLL, reason),
            json=request.model_dump(mode="json"),
            headers={"Idempotency-Key": key},
        )
        answer = _parse(response, _Receipt, PAYROLL, what)
        if not answer.payroll_reference:
            raise ExternalSystemUnavailable(
                f"{sentence(PAYROLL)} accepted {what} without a payroll_reference; will retry"
            )
        return PaymentReceipt(
            idempotency_key=key,
            payroll_reference=answer.payroll_reference,
            duplicate=answer.duplicate,
        )


class HttpMailer:
    """`POST {base}/messages` with the message as JSON and an `Idempotency-Key` header."""

    def __init__(self, base_url: str, client: httpx.AsyncClient) -> None:
        self._base = base_url.rstrip("/")
        self._client = client

    async def send(self, message: EmailMessage) -> EmailReceipt:
        key = message.idempotency_key
        what = f"e-mail {key!r}"
        response = await _call(
            self._client,
            EMAIL,
            what,
            "POST",
            f"{self._base}/messages",
            conflict=lambda reason: IdempotencyConflict(key, EMAIL, reason),
            json=message.model_dump(mode="json"),
            headers={"Idempotency-Key": key},
        )
        answer = _parse(response, _Receipt, EMAIL, what)
        if not answer.message_id:
            raise ExternalSystemUnavailable(
                f"{sentence(EMAIL)} accepted {what} without a message_id; will retry"
            )
        return EmailReceipt(
            idempotency_key=key, message_id=answer.message_id, duplicate=answer.duplicate
        )
