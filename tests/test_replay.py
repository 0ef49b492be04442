"""Every recorded history still replays with the current workflow code.

A change to a released workflow that would break a running journey fails here. Record new
golden histories with `RECORD_HISTORIES=1 make test` (see the README).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from temporalio.client import WorkflowHistory
from temporalio.worker import Replayer

from pathways.temporal import DATA_CONVERTER
from worker import WORKFLOWS

HISTORIES = sorted((Path(__file__).parent / "histories").glob("*.json"))


def test_there_are_golden_histories() -> None:
    names = {path.stem for path in HISTORIES}
    assert {
        "teacher_leader_paid",
        "teacher_leader_withheld",
        "teacher_leader_withheld_before_office_notice",
        "teacher_leader_lapsed",
        "teacher_leader_withdrawn",
        "teacher_leader_waited_on_principal_fix",
        "teacher_leader_withdrawn_while_waiting_on_principal_fix",
        "teacher_leader_waited_on_principal_fix_searchable",
        "teacher_leader_withdrawn_before_hr_answered",
        "service_commitment_completed",
        "service_commitment_completed_with_stage",
        "service_commitment_breached",
        "service_commitment_breached_with_stage",
        "service_commitment_separation_answered_as_settled",
        "service_commitment_held_hr_changes_while_starting",
        "service_commitment_waived",
        "service_commitment_continued_as_new_before_versioning",
        "service_commitment_continued_as_new_onto_current_build",
        "fellowship_graduated",
        "fellowship_left",
        "fellowship_left_waived",
        "fellowship_did_not_complete",
        "fellowship_cohort_closed",
        "aspiring_principal_completed",
        "program_evaluation_certified_after_failing_twice",
        "program_evaluation_renewed",
        "program_evaluation_expired",
        "program_induction_year_closed_incomplete",
        "program_teacher_leader_certificate_completed",
        "program_teacher_leader_certificate_incomplete",
        "program_site_council_short_at_review",
        "program_classified_separated_paid_sessions",
        "program_seats_gave_seat_back",
        "program_seats_never_seated",
        "career_separated",
    } <= names


@pytest.mark.parametrize("path", HISTORIES, ids=[p.stem for p in HISTORIES])
async def test_history_replays_deterministically(path: Path) -> None:
    history = WorkflowHistory.from_json(path.stem, _read(path))
    replayer = Replayer(workflows=list(WORKFLOWS), data_converter=DATA_CONVERTER)
    result = await replayer.replay_workflow(history, raise_on_replay_failure=False)
    assert result.replay_failure is None, f"{path.name}: {result.replay_failure}"


def _read(path: Path) -> str:
    return path.read_text()
