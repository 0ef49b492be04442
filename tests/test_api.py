"""The HTTP API against a real local server (uvicorn on a free port, in the test's event loop),
a real Temporal server (time-skipping) with a worker, and a real PostgreSQL."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
from temporalio.testing import WorkflowEnvironment

from activities.api_keys import ApiKeys, Scope
from activities.eventstore import EventStore
from activities.local_systems import LocalHris
from domain.calendar import local_date
from domain.catalog.definition import CATALOG, load_program
from domain.external import Employee, School
from pathways.api import Backend, create_app, serve_api
from pathways.config import Settings
from tests.journey_kit import running_worker


@dataclass
class Api:
    url: str
    keys: dict[str, str]
    pool: asyncpg.Pool

    def client(self, key: str | None = "all") -> httpx.AsyncClient:
        headers = {"Authorization": f"Bearer {self.keys[key]}"} if key else {}
        return httpx.AsyncClient(base_url=self.url, headers=headers, timeout=30)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@contextlib.asynccontextmanager
async def served(app: Any, port: int | None = None) -> AsyncIterator[str]:
    """`app` (the HTTP API or the web app) served on loopback (`port`, or a free one) until the
    block ends, once it answers `/healthz`: its address."""
    port, stop = port or free_port(), asyncio.Event()
    server = asyncio.create_task(serve_api(app, "127.0.0.1", port, stop))
    url = f"http://127.0.0.1:{port}"
    try:
        async with httpx.AsyncClient() as probe:
            for _ in range(200):
                with contextlib.suppress(httpx.TransportError):
                    await probe.get(f"{url}/healthz")
                    break
                await asyncio.sleep(0.05)
            else:
                raise AssertionError(f"nothing answered at {url} within 10 s")
        yield url
    finally:
        stop.set()
        await server


@pytest.fixture
async def api(
    own_env: WorkflowEnvironment, pool: asyncpg.Pool, task_queue: str, tmp_path: Path
) -> AsyncIterator[Api]:
    """On a time-skipping server of its own: a journey the API starts runs on for its year and
    would hold a shared server's clock."""
    client = own_env.client
    store = ApiKeys(pool)
    keys = {
        "all": await store.create("integration", set(Scope), "operator:test"),
        "hr": await store.create("hr-feed", {Scope.HR_WRITE}, "operator:test"),
        "reader": await store.create("reports", {Scope.CAREERS_READ}, "operator:test"),
    }
    hris = LocalHris(pool)
    await hris.upsert_school(School(school_id="carver-ms", name="Carver Middle School"))
    settings = Settings.model_validate({"PATHWAYS_DATA_DIR": tmp_path})
    app = create_app(settings, Backend(client, pool, hris, task_queue))
    async with running_worker(client, pool, task_queue), served(app) as url:
        yield Api(url, keys, pool)


def hire(who: str, event_id: str | None = None, **fields: object) -> dict[str, object]:
    body: dict[str, object] = {
        "employee_id": who, "kind": "hire", "effective_on": "2026-08-01", "role": "teacher",
        "school_id": "carver-ms", **fields,
    }  # fmt: skip
    if event_id is not None:
        body["event_id"] = event_id
    return body


def someone() -> str:
    return f"api-{uuid.uuid4().hex[:8]}"


async def test_keys_and_scopes(api: Api) -> None:
    who = someone()
    async with api.client(None) as anonymous:
        missing = await anonymous.post("/v1/hr/events", json=hire(who, "h1"))
        wrong = await anonymous.post(
            "/v1/hr/events", json=hire(who, "h1"), headers={"X-API-Key": "pw_dead_beef"}
        )
    async with api.client("reader") as reader:
        forbidden = await reader.post("/v1/hr/events", json=hire(who, "h1"))
    assert (missing.status_code, missing.json()["code"]) == (401, "auth.missing_key")
    assert missing.headers["www-authenticate"] == "Bearer"
    assert (wrong.status_code, wrong.json()["code"]) == (401, "auth.wrong_key")
    assert (forbidden.status_code, forbidden.json()["code"]) == (403, "auth.scope_missing")
    await ApiKeys(api.pool).revoke("hr-feed", "operator:test")
    async with api.client("hr") as revoked:
        after = await revoked.post("/v1/hr/events", json=hire(who, "h1"))
    assert after.status_code == 401
    assert await EventStore(api.pool).read_stream(f"career/{who}") == []


async def test_an_hr_event_is_accepted_once_and_the_career_reads_back(api: Api) -> None:
    who = someone()
    async with api.client() as http:
        first = await http.post("/v1/hr/events", json=hire(who, f"{who}-hire"))
        again = await http.post("/v1/hr/events", json=hire(who, f"{who}-hire"))
        by_header = await http.post(
            "/v1/hr/events",
            json={"employee_id": who, "kind": "credential_earned", "effective_on": "2026-09-01",
                  "credential": "administrative_services_tier1"},
            headers={"Idempotency-Key": f"{who}-tier1"},
        )  # fmt: skip
        career = await http.get(f"/v1/careers/{who}")
        nobody = await http.get(f"/v1/careers/{someone()}")
    assert first.status_code == 202 and first.json()["career_id"] == f"career/{who}"
    assert again.status_code == 202 and again.json() == first.json()
    assert by_header.status_code == 202 and by_header.json()["hr_event_id"] == f"{who}-tier1"
    timeline = career.json()
    assert career.status_code == 200 and timeline["role"] == "teacher"
    assert timeline["credentials"] == {"administrative_services_tier1": "2026-09-01"}
    assert timeline["hr_events_applied"] == 2
    assert nobody.status_code == 404
    stored = await EventStore(api.pool).read_stream(f"career/{who}")
    applied = [e for e in stored if e.event_type == "career.HrApplied"]
    assert [e.metadata.get("actor") for e in applied] == ["api:integration"] * 2


async def test_bad_input_names_every_field_and_a_batch_is_all_or_nothing(api: Api) -> None:
    who = someone()
    async with api.client() as http:
        bad = await http.post(
            "/v1/hr/events",
            json={"event_id": "x1", "employee_id": who, "kind": "promotion",
                  "effective_on": "2026-13-01"},
        )  # fmt: skip
        no_id = await http.post("/v1/hr/events", json=hire(who))
        batch = await http.post(
            "/v1/hr/events/batch",
            json={"events": [hire(who, f"{who}-1"),
                             {"event_id": f"{who}-2", "employee_id": who, "kind": "role_change",
                              "effective_on": "2026-09-01"}]},
        )  # fmt: skip
    assert bad.status_code == 422
    named = {tuple(e["loc"]) for e in bad.json()["detail"]}
    assert {("body", "kind"), ("body", "effective_on")} <= named
    assert no_id.status_code == 422 and no_id.json()["detail"][0]["loc"] == ["body", "event_id"]
    assert batch.status_code == 422
    assert "a role_change needs role" in batch.text
    assert await EventStore(api.pool).read_stream(f"career/{who}") == []  # nothing half-done


async def test_a_batch_reports_each_refusal_with_its_code(api: Api) -> None:
    who = someone()
    events = [
        hire(who, f"{who}-1"),
        {"event_id": f"{who}-2", "employee_id": who, "kind": "role_change",
         "effective_on": "2026-10-01", "role": "department_head"},
        {"event_id": f"{who}-3", "employee_id": who, "kind": "role_change",
         "effective_on": "2026-09-01", "role": "instructional_coach"},
        {"event_id": f"{who}-4", "employee_id": who, "kind": "school_transfer",
         "effective_on": "2026-11-01", "school_id": "atlantis-hs"},
    ]  # fmt: skip
    async with api.client("all") as http:
        answer = await http.post("/v1/hr/events/batch", json={"events": events})
        one = await http.post("/v1/hr/events", json=events[2])
    body = answer.json()
    assert answer.status_code == 202 and (body["accepted"], body["refused"]) == (2, 2)
    codes = [r["problem"]["code"] for r in body["results"] if r["problem"]]
    assert codes == ["career.out_of_order", "hr.unknown_school"]
    assert (one.status_code, one.json()["code"]) == (409, "career.out_of_order")


async def test_a_journey_starts_through_the_start_path_and_reads_back(
    api: Api, own_env: WorkflowEnvironment
) -> None:
    who = someone()
    await LocalHris(api.pool).upsert_employee(
        Employee(employee_id=who, full_name="Dana Brooks", email=f"{who}@district.example",
                 role="teacher", school_id="carver-ms")
    )  # fmt: skip
    d = load_program(CATALOG / "teacher_leader_certificate.toml")
    today = local_date(await own_env.get_current_time(), d.time_zone)
    d = d.shifted((today - timedelta(days=1) - d.starts).days)
    start = {
        "pathway": "program",
        "input": {"program": d.model_dump(mode="json"),
                  "enrollment": {"employee_id": who, "enrolled_by": "office:ana"}},
    }  # fmt: skip
    async with api.client() as http:
        started = await http.post("/v1/journeys", json=start)
        twice = await http.post("/v1/journeys", json=start)
        journey = started.json()["journey_id"]
        status = await http.get(f"/v1/journeys/{journey}")
        unknown = await http.get("/v1/journeys/nothing/like/this")
        wrong = await http.post(
            "/v1/journeys", json={"pathway": "program", "input": {"enrollment": {}}}
        )
        refused = await http.post(
            "/v1/journeys",
            json={**start, "input": {**start["input"], "enrollment": {  # type: ignore[dict-item]
                "employee_id": "nobody-here", "enrolled_by": "office:ana"}}},
        )  # fmt: skip
        career = await http.get(f"/v1/careers/{who}")
    assert started.status_code == 201 and started.json()["created"] is True
    assert twice.status_code == 201 and twice.json() == {**started.json(), "created": False}
    assert status.status_code == 200 and status.json()["employee_id"] == who
    assert unknown.status_code == 404
    assert wrong.status_code == 422
    assert {tuple(e["loc"][:3]) for e in wrong.json()["detail"]} >= {("body", "input", "program")}
    assert (refused.status_code, refused.json()["code"]) == (409, "start.unknown_employee")
    assert [j["journey_id"] for j in career.json()["journeys"]] == [journey]
    # Both readings are in the access log, under the API key that read.
    from activities.access_log import AccessLog

    read = await AccessLog(api.pool).entries(employee_id=who)
    assert [(e.door.value, e.what.value) for e in read] == [("api", "career"), ("api", "journey")]
    assert read[0].reader.startswith("api:")


async def test_the_openapi_contract_holds_no_server_errors(api: Api) -> None:
    """schemathesis generates requests from the OpenAPI document for every operation; none
    may answer a 5xx."""
    import schemathesis
    from hypothesis import HealthCheck, given, settings

    headers = {"Authorization": f"Bearer {api.keys['all']}"}
    failures: list[str] = []
    statuses: list[int] = []
    operations = 0

    def run() -> None:
        nonlocal operations
        schema = schemathesis.openapi.from_url(f"{api.url}/openapi.json")  # off the loop
        for result in schema.get_all_operations():
            operation = result.ok()
            operations += 1

            @settings(
                max_examples=25, deadline=None, database=None, derandomize=True,
                suppress_health_check=list(HealthCheck),
            )  # fmt: skip
            @given(case=operation.as_strategy())
            def check(case: schemathesis.Case) -> None:
                response = case.call(headers=headers, timeout=30)
                statuses.append(response.status_code)
                if response.status_code >= 500:
                    failures.append(f"{case.method} {case.formatted_path}: {response.status_code}")

            check()

    await asyncio.to_thread(run)
    assert operations == 6
    assert failures == []
    # Requests got past validation too (refusals, not-found answers, accepted events).
    assert len(statuses) >= 50 and 422 in statuses and set(statuses) - {422}, sorted(set(statuses))


async def test_a_oneroster_file_uploads_and_a_broken_one_is_a_422(api: Api) -> None:
    from tests.test_oneroster import files, role, user, zipped

    tag = uuid.uuid4().hex[:6]
    texts = files(
        [user("u1", f"or-{tag}", "Ana", "teacher")], [role("r1", "u1", "teacher", "org-1")]
    )
    zip_headers = {"Content-Type": "application/zip"}
    async with api.client("hr") as http:
        dry = await http.post(
            "/v1/hr/oneroster?dry_run=true", content=zipped(texts), headers=zip_headers
        )
        sent = await http.post(
            "/v1/hr/oneroster?effective_on=2026-12-01", content=zipped(texts), headers=zip_headers
        )
        broken = await http.post("/v1/hr/oneroster", content=b"not a zip", headers=zip_headers)
    assert dry.status_code == 202 and [e["status"] for e in dry.json()["events"]] == ["would_send"]
    assert sent.status_code == 202 and [e["status"] for e in sent.json()["events"]] == ["accepted"]
    assert "no administrators" in sent.json()["warnings"][0]
    assert broken.status_code == 422 and "not a zip" in broken.text
