"""Enrollment rules: which HR facts start, offer or require which pathway.

The district keeps its rules in one definition file (`domain/programs/enrollment_rules.toml`,
or the file `ENROLLMENT_RULES` names). A rule is read when something happens to a career: HR
reports a role taken, a credential earned or expired, or one of the career's journeys ends. A
rule that matches does one of three things to its target (a catalog program, `program:<key>`,
or a pathway's key):

- **start**: the career starts the program's journey through the engine's one start path, at
  the year that fits the time already served in the role;
- **offer**: the leader becomes eligible, and the program office is told;
- **require**: the program is due within N days, and the program office is told.

A rule never acts twice on one target: a journey of the target still open, an offer or a
requirement still outstanding, or (for a start) the program already completed, and the rule
records that it did nothing and why. The career records every rule it applied, with the HR
event or journey that set it off, so the program office sees what the rules did and why.
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from domain import definitions
from domain.calendar import full_years
from domain.career.events import CareerRuleApplied
from domain.events import DomainEvent
from domain.refusals import DefinitionError

if TYPE_CHECKING:
    from domain.career.career import CareerState

SHIPPED_RULES = Path(__file__).resolve().parent.parent / "programs" / "enrollment_rules.toml"

PROGRAM_TARGET = "program:"
#: Pathways a rule may name besides the catalog's programs.
PATHWAY_TARGETS = frozenset({"teacher_leader", "fellowship", "aspiring_principal"})
#: Outcomes after which a program is not started again by a rule.
COMPLETED = frozenset({"completed", "certified", "renewed", "closed", "graduated"})
_RULE_ID = r"^[a-z0-9][a-z0-9-]*$"


class RulesError(DefinitionError):
    pass


class When(StrEnum):
    ROLE = "role"
    """The career takes one of `roles` (a hire, a return or a role change) from outside them."""
    CREDENTIAL_EARNED = "credential_earned"
    CREDENTIAL_EXPIRED = "credential_expired"
    JOURNEY_FINISHED = "journey_finished"
    """A journey of `finished` ends with one of `outcomes`."""


class Do(StrEnum):
    START = "start"
    OFFER = "offer"
    REQUIRE = "require"


class Rule(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str = Field(min_length=1, max_length=64, pattern=_RULE_ID)
    why: str = Field(min_length=3, max_length=300)
    """The district's reason, shown to the program office with what the rule did."""
    when: When
    roles: tuple[str, ...] = ()
    """For `role`: the roles that set it off; otherwise the roles the career must hold."""
    unless_roles: tuple[str, ...] = ()
    credential: str | None = None
    finished: str | None = None
    outcomes: tuple[str, ...] = ()
    action: Do
    target: str = Field(min_length=3)
    due_within_days: int | None = Field(None, ge=1, le=3650)

    @model_validator(mode="after")
    def _works(self) -> Rule:
        problems = []
        if self.when is When.ROLE and not self.roles:
            problems.append("a role rule names the roles that set it off")
        if self.when in (When.CREDENTIAL_EARNED, When.CREDENTIAL_EXPIRED) and not self.credential:
            problems.append(f"a {self.when.value} rule names the credential")
        if self.when is When.JOURNEY_FINISHED and not (self.finished and self.outcomes):
            problems.append("a journey_finished rule names the pathway finished and its outcomes")
        if self.action is Do.START and not self.target.startswith(PROGRAM_TARGET):
            problems.append("a rule starts only catalog programs (program:<key>)")
        if self.action is Do.REQUIRE and self.due_within_days is None:
            problems.append("a require rule says when it is due (due_within_days)")
        if self.action is not Do.REQUIRE and self.due_within_days is not None:
            problems.append("only a require rule has due_within_days")
        for name in ("target", "finished"):
            value = getattr(self, name)
            if value is not None and not is_target(value):
                problems.append(
                    f"{name} {value!r} is neither program:<key> nor one of "
                    f"{', '.join(sorted(PATHWAY_TARGETS))}"
                )
        if problems:
            raise ValueError("; ".join(problems))
        return self

    def matches(self, trigger: RuleTrigger) -> bool:
        if trigger.when is not self.when:
            return False
        if self.unless_roles and trigger.role in self.unless_roles:
            return False
        if self.when is When.ROLE:
            return trigger.role in self.roles and trigger.previous_role not in self.roles
        if self.roles and trigger.role not in self.roles:
            return False
        if self.when is When.JOURNEY_FINISHED:
            return trigger.target == self.finished and trigger.outcome in self.outcomes
        return trigger.credential == self.credential


class EnrollmentRules(BaseModel):
    """The district's rules file."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    district: str = Field(min_length=1)
    program_office_email: str = Field(min_length=3)
    rules: tuple[Rule, ...] = ()

    @model_validator(mode="after")
    def _unique(self) -> EnrollmentRules:
        ids = [r.id for r in self.rules]
        twice = sorted({i for i in ids if ids.count(i) > 1})
        if twice:
            raise ValueError(f"rule ids must be unique: {', '.join(twice)} given twice")
        return self

    def check_programs(self, keys: set[str]) -> None:
        """Every program a rule names is in the catalog (`keys`)."""
        unknown = sorted(
            {
                name
                for r in self.rules
                for name in (r.target, r.finished)
                if name
                and name.startswith(PROGRAM_TARGET)
                and name[len(PROGRAM_TARGET) :] not in keys
            }
        )
        if unknown:
            raise RulesError(
                f"the rules name programs the catalog does not have: {', '.join(unknown)} "
                f"(catalog: {', '.join(sorted(keys))})",
                code="rules.unknown_program",
            )


def load_rules(path: Path) -> EnrollmentRules:
    return definitions.load(EnrollmentRules, path, RulesError)


class RuleBook(BaseModel):
    """The rules as a career reads them (from the `enrollment_rules` activity): the file and
    the titles of the programs and pathways it names."""

    model_config = ConfigDict(frozen=True)

    rules: EnrollmentRules
    titles: dict[str, str] = Field(default_factory=dict)

    def title(self, target: str) -> str:
        return self.titles.get(target, target)


def applied_key(rule_id: str, trigger_key: str) -> str:
    return f"{rule_id}|{trigger_key}"


def is_target(name: str) -> bool:
    if name.startswith(PROGRAM_TARGET):
        return re.fullmatch(r"[a-z0-9_]+", name[len(PROGRAM_TARGET) :]) is not None
    return name in PATHWAY_TARGETS


def target_of(journey_id: str, pathway: str) -> str:
    """What a rule calls a journey's pathway: `program:<key>` for a catalog program."""
    if pathway == "program":
        parts = journey_id.split("/")
        return f"{PROGRAM_TARGET}{parts[1]}" if len(parts) > 1 else pathway
    return pathway


class RuleTrigger(BaseModel):
    """What set the rules off, with what the career was then."""

    model_config = ConfigDict(frozen=True)

    when: When
    key: str
    """The HR event's id, or `ended:<journey id>`."""
    on: date
    role: str | None = None
    previous_role: str | None = None
    credential: str | None = None
    target: str | None = None
    outcome: str | None = None


class RuleStart(BaseModel):
    """What the career asks the start path for when a rule starts a program."""

    model_config = ConfigDict(frozen=True)

    employee_id: str
    program_key: str
    on: date
    year_in_program: int = Field(ge=1)
    rule_id: str


class RuleStartOutcome(BaseModel):
    outcome: str
    """started, exists (the journey was already there) or refused."""
    journey_id: str = ""
    detail: str = ""
    code: str | None = None


class Decision(BaseModel):
    """One rule that matched, and what it is to do (`skip`: nothing, and why)."""

    model_config = ConfigDict(frozen=True)

    rule: Rule
    trigger: RuleTrigger
    skip: str = ""
    year_in_program: int = 1
    due_on: date | None = None


def decide_rule(s: CareerState, rule: Rule, trigger: RuleTrigger) -> Decision | None:
    """What `rule` is to do on the career as it is, if `trigger` sets it off (and has not
    before)."""
    if not rule.matches(trigger) or applied_key(rule.id, trigger.key) in s.rules_applied:
        return None
    due = trigger.on + timedelta(days=rule.due_within_days) if rule.due_within_days else None
    return Decision(
        rule=rule, trigger=trigger, skip=_why_not(s, rule),
        year_in_program=_year_in_role(s, trigger.on), due_on=due,
    )  # fmt: skip


def _why_not(s: CareerState, rule: Rule) -> str:
    if s.employed is False:
        return f"{s.employee_id} has separated from the district"
    for entry in s.journeys.values():
        if target_of(entry.journey_id, entry.pathway) != rule.target:
            continue
        if entry.open:
            return f"already in {entry.journey_id}"
        if rule.action is Do.START and entry.outcome in COMPLETED:
            return f"already completed {entry.journey_id} ({entry.outcome})"
    item = s.obligations.get(rule.target)
    if item is not None and item.met_by is None and rule.action is not Do.START:
        since = f"due by {item.due_on}" if item.due_on else f"offered on {item.since}"
        return f"already {since} (rule {item.rule_id})"
    return ""


def _year_in_role(s: CareerState, on: date) -> int:
    """The program year that fits the full years served in the current role on `on`."""
    return 1 if s.role_since is None else full_years(s.role_since, on) + 1


def applied_event(
    decision: Decision, outcome: str, detail: str, stamp: dict[str, Any], journey_id: str = ""
) -> DomainEvent:
    rule, trigger = decision.rule, decision.trigger
    return CareerRuleApplied(
        **stamp,
        rule_id=rule.id,
        why=rule.why,
        action=rule.action.value,
        target=rule.target,
        trigger=trigger.key,
        trigger_on=trigger.on,
        outcome=outcome,
        detail=detail,
        journey_id=journey_id or None,
        due_on=decision.due_on if outcome == "due" else None,
    )


def notice_for(decision: Decision, employee_id: str, book: RuleBook) -> tuple[str, str]:
    """The program office's e-mail for an offer or a requirement: subject and body."""
    rule, name = decision.rule, book.title(decision.rule.target)
    if rule.action is Do.OFFER:
        subject = f"{employee_id} is eligible for {name}"
        body = f"{employee_id} is now eligible for {name}: {rule.why} (rule {rule.id})."
    else:
        subject = f"{name} due for {employee_id} by {decision.due_on}"
        body = f"{employee_id} must take {name} by {decision.due_on}: {rule.why} (rule {rule.id})."
    return subject, body


def roles_of(rules: EnrollmentRules, action: Do, target: str) -> frozenset[str]:
    """The HR titles whose holders the district's rules `action` `target` for (the roles of its
    role-triggered rules): whom Evaluation Certification is required of, whom Induction is for."""
    return frozenset(
        role
        for r in rules.rules
        if r.action is action and r.when is When.ROLE and r.target == target
        for role in r.roles
    )
