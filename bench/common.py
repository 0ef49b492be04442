"""What every scenario shares: sizes, repetitions, timing, and the table of figures."""

from __future__ import annotations

import resource
import statistics
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

from rich.console import Console
from rich.table import Table

console = Console(highlight=False, width=120)


@dataclass(frozen=True)
class Options:
    scale: float = 1.0
    repeat: int = 3
    profile: bool = False
    cohort: int | None = None  # scenario 4's size, if not the scaled default
    ways: tuple[int, ...] | None = None  # scenario 8's ways (1-based), if not all three

    def size(self, full: int, smallest: int = 1) -> int:
        return max(smallest, round(full * self.scale))


@dataclass
class Figure:
    """One measured quantity over the repetitions, e.g. events/s of one method."""

    name: str
    unit: str
    samples: list[float] = field(default_factory=list)
    note: str = ""

    @property
    def median(self) -> float:
        return statistics.median(self.samples)

    def spread(self) -> str:
        if len(self.samples) < 2:
            return "1 run"
        return f"{fmt(min(self.samples))}–{fmt(max(self.samples))}"


@dataclass
class Ratio:
    name: str
    ours: Figure
    against: Figure

    def samples(self) -> list[float]:
        pairs = zip(self.ours.samples, self.against.samples, strict=False)
        return [a / b for a, b in pairs if b]

    def median(self) -> float:
        return self.ours.median / self.against.median if self.against.median else float("nan")

    def spread(self) -> str:
        values = self.samples()
        if len(values) < 2:
            return "1 run"
        return f"{min(values):.2f}×–{max(values):.2f}×"


def fmt(value: float) -> str:
    if value >= 100:
        return f"{value:,.0f}"
    if value >= 10:
        return f"{value:.1f}"
    return f"{value:.2f}"


class Clock:
    """Adds up the time spent inside `with clock:` blocks (so set-up stays out)."""

    def __init__(self) -> None:
        self.seconds = 0.0
        self._began = 0.0

    def __enter__(self) -> Clock:
        self._began = time.perf_counter()
        return self

    def __exit__(self, *exc: object) -> None:
        self.seconds += time.perf_counter() - self._began


def peak_rss_mib() -> float:
    """Peak resident memory of this process so far (Linux reports KiB, macOS bytes)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


def show(
    title: str,
    figures: Sequence[Figure],
    ratios: Sequence[Ratio] = (),
    notes: Sequence[str] = (),
) -> None:
    table = Table(title=title, title_justify="left")
    table.add_column("measurement")
    table.add_column("median", justify="right")
    table.add_column("spread (min–max)", justify="right")
    table.add_column("unit")
    table.add_column("runs", justify="right")
    for f in figures:
        name = f"{f.name} ({f.note})" if f.note else f.name
        table.add_row(name, fmt(f.median), f.spread(), f.unit, str(len(f.samples)))
    for r in ratios:
        table.add_row(
            f"ratio: {r.name}", f"{r.median():.2f}×", r.spread(), "", str(len(r.samples()))
        )
    console.print(table)
    for note in notes:
        console.print(f"  {note}")
