"""Auditors' cross-check: the events a journey's history says it appended, against the log."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from domain.events import NewEvent, canonical_json


@dataclass(frozen=True)
class StoredView:
    """The parts of a stored event the cross-check compares."""

    event_id: UUID
    stream_version: int
    event_type: str
    payload: dict[str, Any]


@dataclass(frozen=True)
class Discrepancy:
    kind: str  # missing | extra | altered
    event_id: UUID
    event_type: str
    detail: str

    def __str__(self) -> str:
        return f"{self.kind}: {self.event_type} {self.event_id}: {self.detail}"


def cross_check(
    from_history: Sequence[NewEvent], stored: Iterable[StoredView]
) -> list[Discrepancy]:
    """Name every event the history appended that the log lacks or holds differently, and
    every stored event the history never appended."""
    found = {s.event_id: s for s in stored}
    problems: list[Discrepancy] = []
    expected_ids = set()
    for position, event in enumerate(from_history, start=1):
        expected_ids.add(event.event_id)
        row = found.get(event.event_id)
        if row is None:
            problems.append(
                Discrepancy("missing", event.event_id, event.event_type,
                            f"appended as event {position} of the history, not in the log")
            )  # fmt: skip
        elif row.event_type != event.event_type or canonical_json(row.payload) != canonical_json(
            event.payload
        ):
            problems.append(
                Discrepancy("altered", event.event_id, event.event_type,
                            f"version {row.stream_version} differs from what the history appended")
            )  # fmt: skip
    for row in found.values():
        if row.event_id not in expected_ids:
            problems.append(
                Discrepancy("extra", row.event_id, row.event_type,
                            f"version {row.stream_version} was never appended by this journey")
            )  # fmt: skip
    return problems
