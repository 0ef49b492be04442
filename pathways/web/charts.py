"""Charts drawn on the server as SVG: nothing to download, so they show offline and behind a
district's firewall. Each chart has a title and a description for screen readers; its figures
are in the table beside it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

from markupsafe import Markup

BAR_HEIGHT = 22
GAP = 8
LABEL_WIDTH = 260
PLOT_WIDTH = 420
#: present/paid, absent/withheld, made up, not recorded: the order every chart passes its series.
COLOURS = ("#1f6f8b", "#c8553d", "#e9a23b", "#bdbdbd")


@dataclass(frozen=True)
class Series:
    name: str
    values: Sequence[float]


def bars(title: str, labels: Sequence[str], series: Sequence[Series], unit: str = "") -> Markup:
    """A horizontal bar chart, one group per label and one bar per series, stacked."""
    count = len(labels)
    height = max(1, count) * (BAR_HEIGHT + GAP) + 40
    totals = [sum(s.values[i] for s in series) for i in range(count)]
    largest = max(totals, default=0) or 1
    parts = [
        f'<svg class="chart" role="img" aria-labelledby="chart-title" width="'
        f'{LABEL_WIDTH + PLOT_WIDTH + 80}" height="{height}" viewBox="0 0 '
        f'{LABEL_WIDTH + PLOT_WIDTH + 80} {height}" xmlns="http://www.w3.org/2000/svg">',
        f'<title id="chart-title">{escape(title)}</title>',
    ]
    for i, label in enumerate(labels):
        y = i * (BAR_HEIGHT + GAP)
        parts.append(
            f'<text x="{LABEL_WIDTH - 8}" y="{y + BAR_HEIGHT - 6}" text-anchor="end" '
            f'class="label">{escape(_short(label))}</text>'
        )
        x = float(LABEL_WIDTH)
        for n, s in enumerate(series):
            width = PLOT_WIDTH * s.values[i] / largest
            if width > 0:
                parts.append(
                    f'<rect x="{x:.1f}" y="{y}" width="{width:.1f}" height="{BAR_HEIGHT}" '
                    f'fill="{COLOURS[n % len(COLOURS)]}" data-series="{escape(s.name)}">'
                    f"<title>{escape(label)}: {escape(s.name)} {_number(s.values[i])}{unit}"
                    "</title></rect>"
                )
            x += width
        parts.append(
            f'<text x="{x + 6:.1f}" y="{y + BAR_HEIGHT - 6}" class="value">'
            f"{_number(totals[i])}{escape(unit)}</text>"
        )
    legend_y = count * (BAR_HEIGHT + GAP) + 16
    x = float(LABEL_WIDTH)
    for n, s in enumerate(series if len(series) > 1 else ()):
        parts.append(
            f'<rect x="{x:.1f}" y="{legend_y}" width="12" height="12" '
            f'fill="{COLOURS[n % len(COLOURS)]}"/><text x="{x + 16:.1f}" y="{legend_y + 11}" '
            f'class="legend">{escape(s.name)}</text>'
        )
        x += 24 + 8 * len(s.name)
    parts.append("</svg>")
    return Markup("".join(parts))


def _short(label: str, most: int = 34) -> str:
    return label if len(label) <= most else label[: most - 1] + "…"


def _number(value: float) -> str:
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.2f}"
