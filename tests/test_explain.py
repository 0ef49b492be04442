"""Every event an auditor can meet reads as a sentence."""

from __future__ import annotations

import worker  # noqa: F401  (registers every workflow's events)
from domain.events import event_class, registered_event_types
from domain.explain import TEMPLATES


def test_every_event_type_has_a_sentence() -> None:
    ours = [t for t in registered_event_types() if event_class(t).__module__.startswith("domain.")]
    assert len(ours) >= 70  # every pathway's events are registered
    missing = sorted(t for t in ours if event_class(t) not in TEMPLATES)
    assert missing == []
