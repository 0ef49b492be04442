"""The workflow that runs each registered pathway, and every workflow a worker hosts."""

from __future__ import annotations

from collections.abc import Sequence

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from domain.registry import PATHWAYS

from workflows.aspiring_principal import AspiringPrincipalJourney
from workflows.career import CareerWorkflow
from workflows.fellowship import FellowshipCohort, FellowshipJourney
from workflows.program import ProgramJourney
from workflows.program_seats import ProgramSeats
from workflows.service_commitment import ServiceCommitment
from workflows.teacher_leader import TeacherLeaderJourney

#: Pathway key -> its workflow class (the class's type name is the registry entry's).
JOURNEYS: dict[str, type] = {
    "teacher_leader": TeacherLeaderJourney,
    "fellowship": FellowshipJourney,
    "aspiring_principal": AspiringPrincipalJourney,
    "service_commitment": ServiceCommitment,
    "program": ProgramJourney,
}

#: Workflows that serve journeys without being one (the seats of a fellowship cohort, of a
#: catalog program; the career that follows an employee across journeys).
HELPERS: Sequence[type] = (FellowshipCohort, ProgramSeats, CareerWorkflow)

WORKFLOWS: Sequence[type] = (*JOURNEYS.values(), *HELPERS)

missing = set(PATHWAYS) ^ set(JOURNEYS)
if missing:  # pragma: no cover - a registry entry without a workflow, or the reverse
    raise ImportError(f"pathways without a workflow or workflows without an entry: {missing}")
