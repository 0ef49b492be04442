"""The pathway registry: every pathway the engine runs, one entry each.

The worker, the CLI, the start path, HR's fan-out and the audit tools read this table instead
of lists of their own. Adding a pathway made of known parts means adding its entry here (and
its workflow to `workflows.registry`).
"""

from __future__ import annotations

from typing import Any

from domain.aspiring_principals.start import ASPIRING_PRINCIPAL
from domain.catalog.start import PROGRAM
from domain.fellowship.start import FELLOWSHIP
from domain.pathway import Pathway
from domain.service_commitment.start import SERVICE_COMMITMENT
from domain.teacher_leader.start import TEACHER_LEADER

PATHWAYS: dict[str, Pathway[Any]] = {
    p.key: p for p in (TEACHER_LEADER, FELLOWSHIP, ASPIRING_PRINCIPAL, SERVICE_COMMITMENT, PROGRAM)
}


class UnknownJourney(LookupError):
    """An id or workflow type no pathway owns."""


def by_key(key: str) -> Pathway[Any]:
    try:
        return PATHWAYS[key]
    except KeyError:
        known = ", ".join(PATHWAYS)
        raise UnknownJourney(f"no pathway {key!r}; pathways: {known}") from None


def by_workflow_type(workflow_type: str) -> Pathway[Any] | None:
    return next((p for p in PATHWAYS.values() if p.workflow_type == workflow_type), None)


def by_journey_id(journey_id: str) -> Pathway[Any]:
    """The pathway whose id scheme the journey id follows."""
    found = next((p for p in PATHWAYS.values() if p.owns(journey_id)), None)
    if found is None:
        prefixes = ", ".join(p.id_prefix + "..." for p in PATHWAYS.values())
        raise UnknownJourney(
            f"{journey_id!r} is not a journey id (journey ids look like {prefixes})"
        )
    return found
