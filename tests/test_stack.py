"""`make up` goes down with its Temporal dev server, and `make down` stops a running `make up`.

Real processes: a child that exits as the dev server might, and one named like `make up`'s."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from pathlib import Path

import pytest

from pathways.config import Settings
from pathways.stack import STACK_PID, down, watch_process


def _child(code: str) -> subprocess.Popen[bytes]:
    """A process started as `up` starts the dev server (`start_temporal`)."""
    return subprocess.Popen([sys.executable, "-c", code])


async def test_a_dev_server_that_exits_stops_everything_with_its_exit_code() -> None:
    server = _child("import sys; sys.exit(3)")
    stop = asyncio.Event()
    code = await asyncio.wait_for(watch_process(server, stop, every=0.05), 30)
    assert code == 3
    assert stop.is_set()  # the worker, the API and the web app stop on it


async def test_a_stop_first_ends_the_watch_without_a_code() -> None:
    server = _child("import time; time.sleep(60)")
    try:
        stop = asyncio.Event()
        watching = asyncio.create_task(watch_process(server, stop, every=0.05))
        await asyncio.sleep(0.2)
        assert not watching.done()
        stop.set()
        assert await asyncio.wait_for(watching, 5) is None
    finally:
        server.kill()
        server.wait()
    assert await watch_process(None, asyncio.Event()) is None  # a server `up` did not start


def test_down_stops_a_running_up_of_its_data_folder(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # A process named as `python -m pathways.stack up` is, that ends on SIGTERM as `up` does.
    up = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import signal, sys, time\n"
            "signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))\n"
            "print('up', flush=True)\n"
            "time.sleep(60)",
            "pathways.stack",
        ],
        stdout=subprocess.PIPE,
    )
    try:
        assert up.stdout is not None and up.stdout.readline() == b"up\n"
        (tmp_path / STACK_PID).write_text(str(up.pid))
        down(Settings(PATHWAYS_DATA_DIR=tmp_path), wait=30)
        assert up.wait(timeout=5) == 0
        assert f"stopped make up (process {up.pid})" in capsys.readouterr().out
    finally:
        up.kill()
        up.wait()


def test_down_leaves_alone_a_process_that_took_a_stale_pid(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    other = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        (tmp_path / STACK_PID).write_text(str(other.pid))  # left by an `up` that was killed
        down(Settings(PATHWAYS_DATA_DIR=tmp_path), wait=1)
        assert other.poll() is None
        assert "stopped make up" not in capsys.readouterr().out
    finally:
        other.kill()
        other.wait()
