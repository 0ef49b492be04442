"""`--profile`: the first repetition of the project's side runs under pyinstrument."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from bench.common import console


@contextmanager
def profiled(name: str) -> Iterator[None]:
    try:
        from pyinstrument import Profiler
    except ImportError:
        console.print("[yellow]pyinstrument is not installed (pip install -e '.[dev]')[/yellow]")
        yield
        return
    profiler = Profiler(async_mode="enabled")
    profiler.start()
    try:
        yield
    finally:
        profiler.stop()
        folder = Path(tempfile.gettempdir())
        text = folder / f"pathways-bench-{name}.txt"
        text.write_text(profiler.output_text(unicode=True, show_all=False))
        profiler.write_html(folder / f"pathways-bench-{name}.html")
        console.print(f"[dim]profile of {name}: {text} (and .html)[/dim]")
