"""The enrollment rules' side of the world: the district's rules file as careers read it, and a
program started by a rule through the engine's one start path."""

from __future__ import annotations

import functools
from pathlib import Path

from temporalio import activity
from temporalio.client import Client

from activities.enrollment import start_journey
from activities.systems import EmployeeNotFound, ExternalDataInvalid, Hris
from domain.career.rules import (
    PATHWAY_TARGETS,
    PROGRAM_TARGET,
    RuleBook,
    RuleStart,
    RuleStartOutcome,
    load_rules,
)
from domain.catalog.definition import ProgramDefinition, catalog_programs
from domain.catalog.start import PROGRAM, ProgramEnrollment, ProgramInput, years_in_role
from domain.pathway import StartRefused
from domain.registry import by_key

#: The key a rule's start is recorded under in the journey (`enrolled ... by rule:<id>`).
RULE_ACTOR = "rule:"


@functools.cache
def shipped_programs() -> dict[str, ProgramDefinition]:
    """The catalog's programs, read once: they ship with the code and never change under it."""
    return catalog_programs()


def rule_book(path: Path) -> RuleBook:
    """The rules file checked against the catalog, with the titles of what it names. A file
    that cannot work stops the worker at start, with one line naming each problem."""
    rules = load_rules(path)
    programs = shipped_programs()
    rules.check_programs(set(programs))
    titles = {f"{PROGRAM_TARGET}{key}": d.title for key, d in programs.items()}
    titles |= {key: by_key(key).title for key in PATHWAY_TARGETS}
    return RuleBook(rules=rules, titles=titles)


class RuleActivities:
    def __init__(self, client: Client, hris: Hris, book: RuleBook) -> None:
        self.client = client
        self.hris = hris
        self.book = book
        self.programs = shipped_programs()

    @activity.defn(name="enrollment_rules")
    async def enrollment_rules(self) -> RuleBook:
        return self.book

    @activity.defn(name="start_by_rule")
    async def start_by_rule(self, start: RuleStart) -> RuleStartOutcome:
        """Start the program's journey for the school year `start.on` falls in; a refusal of
        the start path is an answer (with its code), not a failure to retry."""
        definition = self.programs[start.program_key].year_of(start.on)
        year = start.year_in_program
        try:  # HR's record of when the role began knows more than the career may
            served = years_in_role(await self.hris.employee(start.employee_id), start.on)
        except (EmployeeNotFound, ExternalDataInvalid):
            served = None  # the start path says why
        if served is not None:
            year = max(year, served + 1)
        if year > definition.years:
            return RuleStartOutcome(
                outcome="skipped",
                detail=f"{start.employee_id} has been in the role longer than the "
                f"{definition.years} year(s) of {definition.title}",
                code="rule.beyond_program",
            )
        inp = ProgramInput(
            program=definition,
            enrollment=ProgramEnrollment(
                employee_id=start.employee_id,
                enrolled_by=f"{RULE_ACTOR}{start.rule_id}",
                year_in_program=year,
            ),
        )
        try:
            started = await start_journey(
                self.client, self.hris, PROGRAM, inp, activity.info().task_queue
            )
        except StartRefused as refused:
            return RuleStartOutcome(outcome="refused", detail=refused.message, code=refused.code)
        return RuleStartOutcome(
            outcome="started" if started.created else "exists", journey_id=started.workflow_id
        )

    def activities(self) -> list[object]:
        return [self.enrollment_rules, self.start_by_rule]
