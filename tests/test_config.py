"""Settings from the environment: defaults, and one clear message naming a wrong variable."""

from __future__ import annotations

from pathlib import Path

import pytest

from pathways.config import ConfigError, LogFormat, LogLevel, Settings, load_settings

VARIABLES = [info.alias for info in Settings.model_fields.values() if info.alias]


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    """No variable of ours leaks in from the machine running the tests."""
    for name in VARIABLES:
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)
    return monkeypatch


def refused(monkeypatch: pytest.MonkeyPatch, **variables: str) -> str:
    for name, value in variables.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError) as error:
        load_settings()
    return str(error.value)


def test_every_variable_is_covered() -> None:
    assert set(VARIABLES) >= {
        "TEMPORAL_ADDRESS",
        "TEMPORAL_NAMESPACE",
        "TEMPORAL_TASK_QUEUE",
        "TEMPORAL_TLS_CERT",
        "TEMPORAL_TLS_KEY",
        "DATABASE_URL",
        "LOG_FORMAT",
        "LOG_LEVEL",
    }


def test_defaults() -> None:
    settings = load_settings()

    assert settings.temporal_address == "localhost:7233"
    assert settings.temporal_namespace == "default"
    assert settings.temporal_task_queue == "pathways"
    assert settings.bulk_task_queue == "pathways-bulk"
    assert (settings.worker_workflow_tasks, settings.bulk_workflow_tasks) == (16, 2)
    assert settings.temporal_tls_cert is None
    assert settings.temporal_tls_key is None
    assert settings.temporal_tls_ca is None
    assert settings.temporal_api_key is None
    assert settings.database_url is None
    assert settings.data_dir == Path(".data")
    assert settings.log_format is LogFormat.CONSOLE
    assert settings.log_level is LogLevel.INFO
    assert (settings.payroll_url, settings.hris_url, settings.email_url) == (None, None, None)
    assert settings.http_timeout_seconds == 10.0
    assert settings.uses_tls is False


def test_values_are_read_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TEMPORAL_ADDRESS", "temporal.district.internal:7233")
    monkeypatch.setenv("TEMPORAL_NAMESPACE", "pathways-prod")
    monkeypatch.setenv("DATABASE_URL", "postgresql://app:secret@db:5432/pathways")
    monkeypatch.setenv("LOG_FORMAT", "json")
    monkeypatch.setenv("LOG_LEVEL", "warning")
    monkeypatch.setenv("PAYROLL_URL", "https://payroll.example/api/")
    monkeypatch.setenv("TEMPORAL_API_KEY", "key-123")

    settings = load_settings()

    assert settings.temporal_address == "temporal.district.internal:7233"
    assert settings.temporal_namespace == "pathways-prod"
    assert settings.database_url == "postgresql://app:secret@db:5432/pathways"
    assert settings.log_format is LogFormat.JSON
    assert settings.log_level is LogLevel.WARNING
    assert settings.payroll_url == "https://payroll.example/api"
    assert settings.uses_tls is True


def test_a_temporal_address_without_a_port_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    message = refused(monkeypatch, TEMPORAL_ADDRESS="nonsense")

    assert message == (
        "TEMPORAL_ADDRESS: expected host:port, for example localhost:7233 (got 'nonsense')"
    )
    assert "host:port" in message


def test_a_temporal_port_out_of_range_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    message = refused(monkeypatch, TEMPORAL_ADDRESS="localhost:70000")

    assert message == "TEMPORAL_ADDRESS: port must be between 1 and 65535 (got 'localhost:70000')"


def test_a_database_url_that_is_not_postgresql_is_refused(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    message = refused(monkeypatch, DATABASE_URL="mysql://x")

    assert message == (
        "DATABASE_URL: expected a PostgreSQL URL such as "
        "postgresql://user:pass@host:5432/db (got 'mysql://x')"
    )


def test_an_unknown_log_format_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    message = refused(monkeypatch, LOG_FORMAT="xml")

    assert message.startswith("LOG_FORMAT: ")
    assert "'json'" in message and "'console'" in message
    assert message.endswith("(got 'xml')")


def test_every_wrong_variable_is_named_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    message = refused(monkeypatch, TEMPORAL_ADDRESS="nonsense", LOG_LEVEL="loud")

    parts = message.split("; ")
    assert [p.split(":")[0] for p in parts] == ["TEMPORAL_ADDRESS", "LOG_LEVEL"]


def test_a_non_http_service_url_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    message = refused(monkeypatch, HRIS_URL="ftp://hr.example")

    assert message == "HRIS_URL: expected an http:// or https:// URL (got 'ftp://hr.example')"


def test_a_tls_cert_without_a_key_is_refused(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    cert = tmp_path / "client.pem"
    cert.write_text("-----BEGIN CERTIFICATE-----\n", "utf-8")

    message = refused(monkeypatch, TEMPORAL_TLS_CERT=str(cert))

    assert message == "TEMPORAL_TLS_CERT and TEMPORAL_TLS_KEY must be set together (mutual TLS)"


def test_a_tls_key_without_a_cert_is_refused(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    key = tmp_path / "client.key"
    key.write_text("-----BEGIN PRIVATE KEY-----\n", "utf-8")

    message = refused(monkeypatch, TEMPORAL_TLS_KEY=str(key))

    assert "TEMPORAL_TLS_CERT and TEMPORAL_TLS_KEY must be set together" in message


def test_a_tls_cert_and_key_together_are_accepted(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    cert, key = tmp_path / "client.pem", tmp_path / "client.key"
    cert.write_text("cert", "utf-8")
    key.write_text("key", "utf-8")
    monkeypatch.setenv("TEMPORAL_TLS_CERT", str(cert))
    monkeypatch.setenv("TEMPORAL_TLS_KEY", str(key))

    settings = load_settings()

    assert (settings.temporal_tls_cert, settings.temporal_tls_key) == (cert, key)
    assert settings.uses_tls is True


def test_a_tls_cert_path_that_does_not_exist_is_refused(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    key = tmp_path / "client.key"
    key.write_text("key", "utf-8")
    missing = tmp_path / "nowhere" / "client.pem"

    message = refused(monkeypatch, TEMPORAL_TLS_CERT=str(missing), TEMPORAL_TLS_KEY=str(key))

    assert message == f"TEMPORAL_TLS_CERT: no readable file at {missing} (got '{missing}')"


def test_a_tls_ca_path_that_does_not_exist_is_refused(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    message = refused(monkeypatch, TEMPORAL_TLS_CA=str(tmp_path / "ca.pem"))

    assert message.startswith("TEMPORAL_TLS_CA: no readable file at ")


def test_an_http_timeout_out_of_range_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    message = refused(monkeypatch, HTTP_TIMEOUT_SECONDS="0")

    assert message == "HTTP_TIMEOUT_SECONDS: Input should be greater than 0 (got '0')"


def test_the_database_connect_timeout_is_configuration_and_reaches_the_pool(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import asyncio

    from activities.db import DatabaseUnavailable, connect_pool

    message = refused(monkeypatch, DATABASE_CONNECT_TIMEOUT="0")
    assert message == "DATABASE_CONNECT_TIMEOUT: Input should be greater than 0 (got '0')"
    monkeypatch.setenv("DATABASE_CONNECT_TIMEOUT", "0.5")
    assert load_settings().database_connect_timeout == 0.5

    # A server that accepts the connection and never answers: the pool gives up in time.
    async def silent() -> None:
        async def hold(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            await reader.read()

        server = await asyncio.start_server(hold, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        async with server:
            with pytest.raises(DatabaseUnavailable, match="cannot connect to PostgreSQL"):
                await asyncio.wait_for(
                    connect_pool(f"postgresql://u@127.0.0.1:{port}/d", connect_timeout=0.3), 5
                )

    asyncio.run(silent())


def test_the_bulk_queue_follows_the_main_one_unless_named() -> None:
    assert Settings(TEMPORAL_TASK_QUEUE="district").bulk_task_queue == "district-bulk"
    named = Settings(TEMPORAL_TASK_QUEUE="district", TEMPORAL_BULK_TASK_QUEUE="rosters")
    assert named.bulk_task_queue == "rosters"


def test_the_bulk_queue_must_be_a_queue_of_its_own(monkeypatch: pytest.MonkeyPatch) -> None:
    line = refused(monkeypatch, TEMPORAL_TASK_QUEUE="district", TEMPORAL_BULK_TASK_QUEUE="district")
    assert "TEMPORAL_BULK_TASK_QUEUE must differ from TEMPORAL_TASK_QUEUE" in line
