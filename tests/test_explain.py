"""Every event an auditor can meet reads as a sentence."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import worker  # noqa: F401  (registers every workflow's events)
from domain.events import event_class, registered_event_types
from domain.explain import TEMPLATES, explain
from domain.teacher_leader.events import CommitmentRequested


def test_every_event_type_has_a_sentence() -> None:
    ours = [t for t in registered_event_types() if event_class(t).__module__.startswith("domain.")]
    assert len(ours) >= 70  # every pathway's events are registered
    missing = sorted(t for t in ours if event_class(t) not in TEMPLATES)
    assert missing == []


def test_a_timeline_shows_its_moments_in_the_program_s_time_zone() -> None:
    """A deadline of 17:00 in Los Angeles reads as that, beside when it was sent; without a
    zone, every moment is ISO in UTC."""
    requested = CommitmentRequested(
        event_id=uuid.uuid4(), occurred_at=datetime(2027, 1, 5, 0, 30, tzinfo=UTC),
        principal_id="p-001", principal_name="Pat Lee", principal_email="p@district.example",
        deadline=datetime(2027, 1, 19, 1, 0, tzinfo=UTC),
    )  # fmt: skip
    [local] = explain([(requested, "system")], ZoneInfo("America/Los_Angeles"))
    assert local.when == "2027-01-04 16:30"
    assert local.what == "joint commitment sent to principal p-001, due 2027-01-18 17:00"
    [utc] = explain([(requested, "system")])
    assert utc.when == "2027-01-05T00:30+00:00"
    assert utc.what.endswith("due 2027-01-19T01:00+00:00")
