"""Every refusal has a documented code, and the code reaches the caller across Temporal."""

from __future__ import annotations

import ast
import re
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest
from temporalio import workflow
from temporalio.client import Client, WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError
from temporalio.worker import UnsandboxedWorkflowRunner, Worker

import domain.refusals
from domain.aspiring_principals.journey import AspiringRefusal
from domain.fellowship.cohort import CohortRefusal
from domain.fellowship.journey import FellowshipRefusal
from domain.refusals import Refusal
from domain.service_commitment.journey import CommitmentRefusal
from domain.teacher_leader.journey import JourneyRefusal
from pathways.refusals import refusal_of
from workflows import steps

ROOT = Path(__file__).resolve().parent.parent
CODE = re.compile(r"^[a-z_]+(\.[a-z_]+)+$")


def documented_codes() -> set[str]:
    doc = domain.refusals.__doc__ or ""
    return set(re.findall(r"^\| ([a-z_]+\.[a-z_.]+) \|", doc, flags=re.M))


def codes_in_source() -> set[str]:
    """Every string given as `code=` (or chosen for `code = ... if ... else ...`)."""
    found: set[str] = set()
    for folder in ("domain", "workflows", "pathways", "activities"):
        for path in (ROOT / folder).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text("utf-8"))):
                values: list[ast.expr] = []
                if isinstance(node, ast.keyword) and node.arg == "code":
                    values = [node.value]
                elif isinstance(node, ast.IfExp):
                    values = [node.body, node.orelse]
                found |= {
                    v.value
                    for v in values
                    if isinstance(v, ast.Constant)
                    and isinstance(v.value, str)
                    and CODE.match(v.value)
                }
    return found


def test_every_code_raised_is_documented_and_every_documented_code_is_raised() -> None:
    documented, raised = documented_codes(), codes_in_source()
    assert all(CODE.match(code) for code in documented)
    assert raised - documented == set(), "raised but not in domain/refusals.py"
    assert documented - raised == set(), "documented but never raised"


def test_every_update_validator_carries_the_refusal_code() -> None:
    for path in (ROOT / "workflows").glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            if not isinstance(node, ast.FunctionDef):
                continue
            names = [ast.unparse(d) for d in node.decorator_list]
            if any(name.endswith(".validator") for name in names):
                assert "steps.refuses" in names, f"{path.name}: {node.name}"


# A refusal of each pathway, raised in an update's validator or in its handler.
REFUSALS: dict[str, Callable[[], Refusal]] = {
    "teacher leader": lambda: JourneyRefusal("the journey is closed", code="journey.ended"),
    "fellowship": lambda: FellowshipRefusal("not enrolled", code="enrollment.required"),
    "cohort": lambda: CohortRefusal("the cohort is closed", code="cohort.closed"),
    "aspiring": lambda: AspiringRefusal("already shadowing", code="shadowing.already_placed"),
    "commitment": lambda: CommitmentRefusal("not on leave", code="hr.not_on_leave"),
}


@workflow.defn(name="RefusalProbe")
class RefusalProbe:
    """Refuses the way the journeys do: through `steps.refuses` and `steps.decide`."""

    def __init__(self) -> None:
        self.done = False

    @workflow.run
    async def run(self) -> None:
        await workflow.wait_condition(lambda: self.done)

    @workflow.update
    async def in_handler(self, pathway: str) -> None:
        refusal = REFUSALS[pathway]()

        def decision(_: object) -> list[object]:
            raise refusal

        steps.decide(decision, type(refusal))  # type: ignore[arg-type]

    @workflow.update
    async def in_validator(self, pathway: str) -> None:
        raise AssertionError("the validator refuses first")

    @in_validator.validator
    @steps.refuses
    def _refuse(self, pathway: str) -> None:
        raise REFUSALS[pathway]()

    @workflow.signal
    def finish(self) -> None:
        self.done = True


@pytest.mark.parametrize("where", ["in_validator", "in_handler"])
async def test_a_refusal_of_every_pathway_reaches_the_caller_with_its_code(
    client: Client, task_queue: str, where: str
) -> None:
    async with Worker(
        client,
        task_queue=task_queue,
        workflows=[RefusalProbe],
        workflow_runner=UnsandboxedWorkflowRunner(),
    ):
        handle = await client.start_workflow(
            RefusalProbe.run, id=f"refusal-probe-{uuid.uuid4()}", task_queue=task_queue
        )
        for pathway, make in REFUSALS.items():
            expected = make()
            with pytest.raises(WorkflowUpdateFailedError) as failed:
                await handle.execute_update(where, pathway)
            # What the caller sees: a "Refusal" ApplicationError, the code as its first detail.
            cause = failed.value.cause
            assert isinstance(cause, ApplicationError)
            assert (cause.type, cause.message, list(cause.details)) == (
                "Refusal",
                str(expected),
                [expected.code],
            )
            refusal = refusal_of(failed.value)
            assert refusal is not None
            assert (refusal.code, str(refusal)) == (expected.code, str(expected)), pathway
        await handle.signal(RefusalProbe.finish)
        await handle.result()


def test_a_refusal_raised_before_contacting_temporal_is_read_the_same_way() -> None:
    refusal = JourneyRefusal("applications closed", code="application.closed")
    assert refusal_of(refusal) is refusal
    assert refusal_of(ValueError("not a refusal")) is None
    assert refusal_of(ApplicationError("no code", type="JourneyRefusal")) is None
