"""Enrollment rules: HR facts start, offer or require pathways, each once; nominations."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from temporalio.client import WorkflowUpdateFailedError
from temporalio.testing import WorkflowEnvironment

from activities.careers import answer_nomination, nominate, submit_hr_event
from activities.enrollment import start_journey
from activities.enrollment_rules import rule_book
from activities.eventstore import EventStore
from activities.local_systems import LocalHris
from domain.calendar import local_date
from domain.career import career as c
from domain.career import rules as r
from domain.career.events import CareerJourneyJoined
from domain.career.nominations import AnswerNomination, Nominate
from domain.catalog.definition import CATALOG, load_program
from domain.catalog.journey import WithdrawFromProgram
from domain.catalog.start import PROGRAM, ProgramEnrollment, ProgramInput
from domain.external import Employee, School
from domain.refusals import Refusal
from pathways.career_reports import career_states, nominations_graph, outstanding, rule_log
from pathways.refusals import refusal_of
from tests.journey_kit import services_for
from worker import build_worker, shipped_rules

NOW = datetime(2026, 10, 1, 17, tzinfo=UTC)
SHIPPED = shipped_rules()


def stamp() -> dict[str, Any]:
    return {"event_id": uuid.uuid4(), "occurred_at": NOW}


def hr(s: c.CareerState, kind: str, on: date, **fields: Any) -> r.RuleTrigger | None:
    event = c.HrEvent(
        event_id=f"hr-{uuid.uuid4().hex[:8]}", employee_id=s.employee_id,
        kind=c.HrEventKind(kind), effective_on=on, **fields,
    )  # fmt: skip
    was = c.role_held(s)
    for e in c.decide_hr_event(s, event, "hr", stamp()):
        c.fold_into(s, e)
    return c.hr_trigger(was, s, event)


def fire(s: c.CareerState, trigger: r.RuleTrigger | None, outcome: str = "") -> list[r.Decision]:
    """Read the shipped rules against `trigger` as the career does, recording each outcome
    (`outcome`, or what the decision says it would do)."""
    assert trigger is not None
    decided = []
    for rule in SHIPPED.rules.rules:
        d = r.decide_rule(s, rule, trigger)
        if d is None:
            continue
        done = (
            "skipped"
            if d.skip
            else outcome or {"start": "started", "offer": "offered"}.get(rule.action.value, "due")
        )
        c.fold_into(s, r.applied_event(d, done, d.skip, stamp()))
        decided.append(d)
    return decided


def join(s: c.CareerState, journey_id: str, pathway: str = "program") -> None:
    for e in c.decide_join(s, journey_id, pathway, "start", stamp()):
        c.fold_into(s, e)


def test_the_shipped_rules_name_only_what_the_catalog_has() -> None:
    assert {rule.id for rule in SHIPPED.rules.rules} >= {
        "new-administrator-induction",
        "administrator-evaluation-certification",
        "tier1-aspiring-principal",
        "teacher-leader-to-fellowship",
    }
    assert SHIPPED.title("program:induction") == "Induction"


def test_a_rules_file_that_cannot_work_names_each_problem(tmp_path: Path) -> None:
    bad = tmp_path / "rules.toml"
    bad.write_text(
        'district = "D"\nprogram_office_email = "o@d.example"\n'
        '[[rules]]\nid = "a"\nwhy = "why not"\nwhen = "role"\naction = "start"\n'
        'target = "fellowship"\n'
        '[[rules]]\nid = "b"\nwhy = "why not"\nwhen = "credential_earned"\n'
        'credential = "x"\naction = "require"\ntarget = "program:induction"\n'
    )
    with pytest.raises(r.RulesError) as invalid:
        rule_book(bad)
    words = str(invalid.value)
    assert "names the roles" in words and "starts only catalog programs" in words
    assert "due_within_days" in words and invalid.value.code == "definition.invalid"
    unknown = tmp_path / "unknown.toml"
    unknown.write_text(
        'district = "D"\nprogram_office_email = "o@d.example"\n'
        '[[rules]]\nid = "a"\nwhy = "why not"\nwhen = "role"\nroles = ["principal"]\n'
        'action = "start"\ntarget = "program:nonesuch"\n'
    )
    with pytest.raises(r.RulesError) as missing:
        rule_book(unknown)
    assert missing.value.code == "rules.unknown_program"


def test_becoming_an_administrator_starts_induction_and_makes_certification_due() -> None:
    s = c.CareerState(employee_id="e-1")
    assert fire(s, hr(s, "hire", date(2020, 8, 1), role="teacher")) == []
    decided = fire(s, hr(s, "role_change", date(2026, 8, 3), role="vice_principal"))
    assert [(d.rule.action.value, d.rule.target, d.skip) for d in decided] == [
        ("start", "program:induction", ""),
        ("require", "program:evaluation_certification", ""),
    ]
    assert decided[0].year_in_program == 1
    assert decided[1].due_on == date(2026, 11, 1)
    join(s, "program/induction/2026-27/e-1")
    # A principal's role after the vice principal's: still an administrator, nothing again.
    assert fire(s, hr(s, "role_change", date(2027, 1, 4), role="principal")) == []
    timeline = c.timeline_of(s)
    assert [(o.target, o.due_on) for o in timeline.obligations] == [
        ("program:evaluation_certification", date(2026, 11, 1))
    ]
    lines = outstanding({"e-1": s}, date(2026, 12, 1))
    assert [(d.target, d.overdue) for d in lines] == [("program:evaluation_certification", True)]
    join(s, "program/evaluation_certification/2026-27/e-1")
    assert c.timeline_of(s).obligations == []


def test_a_rule_never_acts_twice_on_one_target() -> None:
    s = c.CareerState(employee_id="e-1")
    hr(s, "hire", date(2022, 8, 1), role="teacher")
    fire(s, hr(s, "role_change", date(2023, 8, 1), role="assistant_principal"))
    join(s, "program/induction/2023-24/e-1")
    # Back to the classroom and up again while Induction is open: it is not started twice.
    hr(s, "role_change", date(2024, 8, 1), role="teacher")
    again = fire(s, hr(s, "role_change", date(2024, 10, 1), role="assistant_principal"))
    skips = {d.rule.target: d.skip for d in again}
    assert skips["program:induction"] == "already in program/induction/2023-24/e-1"
    assert skips["program:evaluation_certification"].startswith("already due by 2023-10-30")
    # Completed: a later administrator role does not start it again.
    s.journeys["program/induction/2023-24/e-1"].open = False
    s.journeys["program/induction/2023-24/e-1"].outcome = "completed"
    hr(s, "role_change", date(2027, 8, 1), role="teacher")
    later = fire(s, hr(s, "role_change", date(2027, 9, 1), role="principal"))
    assert later[0].skip == "already completed program/induction/2023-24/e-1 (completed)"


def test_the_same_trigger_sets_a_rule_off_once_and_years_in_role_count() -> None:
    s = c.CareerState(employee_id="e-1")
    trigger = hr(s, "hire", date(2024, 8, 1), role="principal")
    assert len(fire(s, trigger)) == 2
    assert fire(s, trigger) == []  # the same HR event read again
    # Read two years into the role (a rules file changed later), the year fits the role.
    late = r.RuleTrigger(when=r.When.ROLE, key="x", on=date(2026, 8, 15), role="principal")
    decision = r.decide_rule(s, SHIPPED.rules.rules[0], late)
    assert decision is not None and decision.year_in_program == 3


def test_a_tier1_credential_offers_aspiring_principals_unless_a_principal() -> None:
    s = c.CareerState(employee_id="e-1")
    hr(s, "hire", date(2020, 8, 1), role="teacher")
    tier1 = {"credential": "administrative_services_tier1"}
    offered = fire(s, hr(s, "credential_earned", date(2026, 6, 1), **tier1))
    assert [(d.rule.action.value, d.rule.target) for d in offered] == [
        ("offer", "aspiring_principal")
    ]
    p = c.CareerState(employee_id="p-1")
    hr(p, "hire", date(2020, 8, 1), role="principal")
    p.rules_applied.clear()
    assert fire(p, hr(p, "credential_earned", date(2026, 6, 1), **tier1)) == []


def test_finishing_a_teacher_leader_year_offers_the_fellowship_but_not_after_separation() -> None:
    s = c.CareerState(employee_id="e-1")
    hr(s, "hire", date(2020, 8, 1), role="teacher")
    join(s, "teacher_leader/2027-28/e-1", "teacher_leader")
    ended = c.JourneyEnded(journey_id="teacher_leader/2027-28/e-1", outcome="closed")
    offered = fire(s, c.end_trigger(s, ended, date(2028, 6, 20)))
    assert [(d.rule.target, d.skip) for d in offered] == [("fellowship", "")]
    lapsed = c.JourneyEnded(journey_id="teacher_leader/2027-28/e-1", outcome="lapsed")
    assert fire(s, c.end_trigger(s, lapsed, date(2028, 6, 20))) == []
    gone = c.CareerState(employee_id="e-2")
    hr(gone, "hire", date(2020, 8, 1), role="teacher")
    join(gone, "teacher_leader/2027-28/e-2", "teacher_leader")
    hr(gone, "separation", date(2028, 6, 1))
    ended = c.JourneyEnded(journey_id="teacher_leader/2027-28/e-2", outcome="closed")
    skipped = fire(gone, c.end_trigger(gone, ended, date(2028, 6, 20)))
    assert skipped[0].skip == "e-2 has separated from the district"


def test_nominations_are_answered_by_the_nominee_and_link_the_journey() -> None:
    from domain.career.nominations import decide_answer, decide_nominate

    s = c.CareerState(employee_id="e-2")
    hr(s, "hire", date(2020, 8, 1), role="teacher")
    cmd = Nominate(target="aspiring_principal", reason="leads our data team", nominated_by="e-1")
    for e in decide_nominate(s, cmd, "key", stamp()):
        c.fold_into(s, e)
    assert decide_nominate(s, cmd, "key", stamp()) == []  # the same again: nothing new
    with pytest.raises(Refusal) as own:
        decide_nominate(s, cmd.model_copy(update={"nominated_by": "e-2"}), "key", stamp())
    assert own.value.code == "nomination.self"
    with pytest.raises(Refusal) as unknown:
        decide_nominate(s, cmd.model_copy(update={"target": "astronaut"}), "key", stamp())
    assert unknown.value.code == "nomination.unknown_target"
    nid = "aspiring_principal/e-1"
    with pytest.raises(Refusal) as not_theirs:
        decide_answer(s, AnswerNomination(nomination_id=nid, accept=True, by="e-1"), stamp())
    assert not_theirs.value.code == "policy.not_permitted"
    for e in decide_answer(s, AnswerNomination(nomination_id=nid, accept=True, by="e-2"), stamp()):
        c.fold_into(s, e)
    join(s, "aspiring_principal/2027-28/e-2", "aspiring_principal")
    graph = nominations_graph({"e-2": s})
    assert graph["edges"] == [
        {
            "from": "e-1", "to": "e-2", "target": "aspiring_principal", "nomination_id": nid,
            "on": "2026-10-01", "answer": "accepted",
            "journey_id": "aspiring_principal/2027-28/e-2", "journey_outcome": "open",
        }
    ]  # fmt: skip
    assert [n["id"] for n in graph["nodes"]] == ["e-1", "e-2"]


# --- on the time-skipping server ------------------------------------------------------------


async def until(check: Callable[[], Any], *, tries: int = 300) -> Any:
    for _ in range(tries):
        result = await check()
        if result:
            return result
        await asyncio.sleep(0.05)
    raise AssertionError("the career did not get there")


async def test_a_role_change_starts_induction_once_and_the_program_office_sees_why(
    own_env: WorkflowEnvironment, pool: asyncpg.Pool
) -> None:
    client, task_queue = own_env.client, f"rules-{uuid.uuid4().hex[:6]}"
    who = f"ru-{uuid.uuid4().hex[:6]}"
    hris = LocalHris(pool)
    await hris.upsert_school(School(school_id="carver-ms", name="Carver Middle School"))
    today = local_date(await own_env.get_current_time(), "America/Los_Angeles")
    await hris.upsert_employee(
        Employee(employee_id=who, full_name="Ana Ruiz", email=f"{who}@district.example",
                 role="vice_principal", school_id="carver-ms", role_since=today)
    )  # fmt: skip

    def event(kind: str, event_id: str, **fields: Any) -> c.SubmitHrEvent:
        e = c.HrEvent(event_id=event_id, employee_id=who, kind=c.HrEventKind(kind),
                      effective_on=today, **fields)  # fmt: skip
        return c.SubmitHrEvent(event=e, source="test-hr")

    store = EventStore(pool)
    async with build_worker(client, services_for(pool), task_queue):
        await submit_hr_event(client, event("hire", f"{who}-h", role="teacher"), task_queue)
        promoted = event("role_change", f"{who}-vp", role="vice_principal")
        for _ in range(3):  # HR sends it three times: applied once, rules read once
            await submit_hr_event(client, promoted, task_queue)

        async def two_outcomes() -> list[Any] | None:
            lines = await rule_log(store, who)
            return lines if len(lines) >= 2 else None

        lines = await until(two_outcomes)
        await submit_hr_event(
            client, event("role_change", f"{who}-p", role="principal"), task_queue
        )
        career = client.get_workflow_handle(c.career_id(who))
        timeline = await career.query("timeline", result_type=c.CareerTimeline)
        joined = [e for e in await store.read_stream(c.career_id(who))
                  if e.event_type == CareerJourneyJoined.event_type]  # fmt: skip
        mail = await pool.fetch(
            "SELECT recipient, subject FROM email_outbox WHERE subject LIKE $1", f"%{who}%"
        )
        await career.terminate("test over")
        for j in timeline.journeys:
            await client.get_workflow_handle(j.journey_id).terminate("test over")
    induction = f"program/induction/2026-27/{who}"
    assert [(x.rule_id, x.outcome, x.journey_id) for x in lines] == [
        ("new-administrator-induction", "started", induction),
        ("administrator-evaluation-certification", "due", None),
    ]
    assert lines[1].due_on == today + timedelta(days=90)
    assert len(joined) == 1 and [j.journey_id for j in timeline.journeys] == [induction]
    assert [(o.target, o.due_on) for o in timeline.obligations] == [
        ("program:evaluation_certification", today + timedelta(days=90))
    ]
    assert [m["recipient"] for m in mail] == ["leadership@lbusd.example"]
    states = await career_states(store)
    assert states[who].rules_applied  # the event log folds to the same career


async def test_a_journey_that_ends_tells_its_career_and_nominations_round_trip(
    own_env: WorkflowEnvironment, pool: asyncpg.Pool, tmp_path: Path
) -> None:
    client, task_queue = own_env.client, f"ends-{uuid.uuid4().hex[:6]}"
    who, colleague = f"je-{uuid.uuid4().hex[:6]}", f"jc-{uuid.uuid4().hex[:6]}"
    hris = LocalHris(pool)
    for employee_id, role in ((who, "assistant_principal"), (colleague, "principal")):
        await hris.upsert_employee(
            Employee(employee_id=employee_id, full_name=f"Person {employee_id}",
                     email=f"{employee_id}@district.example", role=role, school_id="carver-ms")
        )  # fmt: skip
    d = load_program(CATALOG / "evaluation_certification.toml")
    today = local_date(await own_env.get_current_time(), d.time_zone)
    d = d.shifted((today - timedelta(days=1) - d.starts).days)
    book = rule_book(_rules_file(tmp_path, "program:evaluation_certification", "withdrawn"))
    services = services_for(pool)
    services.rules = book
    inp = ProgramInput(
        program=d, enrollment=ProgramEnrollment(employee_id=who, enrolled_by="office:ana")
    )
    async with build_worker(client, services, task_queue):
        started = await start_journey(client, hris, PROGRAM, inp, task_queue)
        await started.handle.execute_update(
            "withdraw", WithdrawFromProgram(reason="changed plans", withdrawn_by="office:ana")
        )
        await started.handle.result()

        async def offered() -> list[Any] | None:
            lines = await rule_log(EventStore(pool), who)
            return lines or None

        lines = await until(offered)
        nomination = Nominate(
            target="aspiring_principal", reason="she already leads our PLCs",
            nominated_by=colleague, nominator_title="principal",
        )  # fmt: skip
        await nominate(client, who, nomination, task_queue)
        again = await nominate(client, who, nomination, task_queue)
        with pytest.raises(WorkflowUpdateFailedError) as own:
            await nominate(client, who, nomination.model_copy(update={"nominated_by": who}),
                           task_queue)  # fmt: skip
        nid = again.nominations[0].nomination_id
        answered = await answer_nomination(
            client, who, AnswerNomination(nomination_id=nid, accept=True, by=who)
        )
        invitations = await pool.fetch(
            "SELECT recipient FROM email_outbox WHERE subject LIKE 'You are nominated%' "
            "AND recipient = $1", f"{who}@district.example"
        )  # fmt: skip
        await client.get_workflow_handle(c.career_id(who)).terminate("test over")
    assert [(x.rule_id, x.outcome, x.trigger) for x in lines] == [
        ("after-withdrawal", "offered", f"ended:{started.workflow_id}")
    ]
    assert len(again.nominations) == 1 and answered.nominations[0].answer == "accepted"
    refusal = refusal_of(own.value)
    assert refusal is not None and refusal.code == "nomination.self"
    assert len(invitations) == 1
    journeys = answered.journeys
    assert [(j.open, j.outcome) for j in journeys] == [(False, "withdrawn")]


def _rules_file(folder: Path, finished: str, outcome: str) -> Path:
    path = folder / "rules.toml"
    path.write_text(
        'district = "Test District"\nprogram_office_email = "office@district.example"\n'
        f'[[rules]]\nid = "after-withdrawal"\nwhy = "a withdrawn leader is offered another way"\n'
        f'when = "journey_finished"\nfinished = "{finished}"\noutcomes = ["{outcome}"]\n'
        'action = "offer"\ntarget = "aspiring_principal"\n'
    )
    return path
