"""Real servers for the tests: one PostgreSQL and one time-skipping Temporal per session.

PostgreSQL is `DATABASE_URL` when set, otherwise an embedded server from `pgserver` in a
temporary folder. Every test that asks for `pool` gets a fresh database cloned from a migrated
template, so tests never see each other's rows.
"""

from __future__ import annotations

import os
import tempfile
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import pytest
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from activities.db import connect_pool, migrate
from pathways.logs import configure_logging
from pathways.temporal import dev_server, time_skipping_server
from tests.fake_district import FakeDistrict, serve

TEMPLATE = "pathways_test_template"
# The command lines the tests run talk to the tests' own workers, which do not encrypt: a ring
# `make up` left in the data folder must not make them (tests of encryption name their ring).
os.environ["PAYLOAD_KEYS"] = "none"


def _with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path="/" + name))


@pytest.fixture(scope="session", autouse=True)
def _logging() -> None:
    configure_logging("console", os.environ.get("LOG_LEVEL", "warning"))


@pytest.fixture(scope="session")
def server_url() -> Iterator[str]:
    if os.environ.get("DATABASE_URL"):
        yield os.environ["DATABASE_URL"]
        return
    import pgserver

    folder = Path(tempfile.mkdtemp(prefix="pathways-pg-"))
    server = pgserver.get_server(folder, cleanup_mode="delete")
    try:
        yield str(server.get_uri())
    finally:
        server.cleanup()


@pytest.fixture(scope="session")
async def template_url(server_url: str) -> AsyncIterator[str]:
    admin = await asyncpg.connect(server_url)
    try:
        await admin.execute(f"DROP DATABASE IF EXISTS {TEMPLATE}")
        await admin.execute(f"CREATE DATABASE {TEMPLATE}")
        url = _with_database(server_url, TEMPLATE)
        conn = await asyncpg.connect(url)
        try:
            await migrate(conn)
        finally:
            await conn.close()
        yield url
        await admin.execute(f"DROP DATABASE IF EXISTS {TEMPLATE}")
    finally:
        await admin.close()


@pytest.fixture
async def database_url(server_url: str, template_url: str) -> AsyncIterator[str]:
    name = f"pathways_test_{uuid.uuid4().hex[:12]}"
    admin = await asyncpg.connect(server_url)
    try:
        await admin.execute(f"CREATE DATABASE {name} TEMPLATE {TEMPLATE}")
        yield _with_database(server_url, name)
        await admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    finally:
        await admin.close()


@pytest.fixture
async def pool(database_url: str) -> AsyncIterator[asyncpg.Pool]:
    pool = await connect_pool(database_url, min_size=1, max_size=8)
    try:
        yield pool
    finally:
        await pool.close()


@pytest.fixture(scope="session")
async def env() -> AsyncIterator[WorkflowEnvironment]:
    async with time_skipping_server() as environment:
        yield environment


@pytest.fixture
async def own_env() -> AsyncIterator[WorkflowEnvironment]:
    """A time-skipping server for one test, for modules whose workflows outlive their test (a
    workflow left behind without its worker would hold a shared server's clock)."""
    async with time_skipping_server() as environment:
        yield environment


@pytest.fixture
async def dev_env() -> AsyncIterator[WorkflowEnvironment]:
    """The dev server (real time, with visibility, which the time-skipping server lacks)."""
    async with dev_server() as environment:
        yield environment


@pytest.fixture
def client(env: WorkflowEnvironment) -> Client:
    return env.client


@pytest.fixture
def task_queue() -> str:
    return f"test-{uuid.uuid4()}"


@pytest.fixture
def district() -> FakeDistrict:
    """The district's HR, payroll and e-mail as a real HTTP server (tests/fake_district.py)."""
    return FakeDistrict()


@pytest.fixture
def base_url(district: FakeDistrict) -> Iterator[str]:
    with serve(district.app) as url:
        yield url
