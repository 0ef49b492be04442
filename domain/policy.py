"""Who may do what: the engine's one policy over actors.

An actor is written the same way everywhere it is recorded (commands, events, the log):

- `e-1001`: a person acting for themselves (the participant, or the principal of the
  participant's school);
- `office:ana`: program office staff (HR title `program_office`);
- `director:maya`: a program director (HR title `program_director`), also program office;
- `coach:lee`: a coach (HR title `coach`);
- `hris`, `university`, `payroll`: the district's systems, as integrations;
- `auditor:x`, `operator:x`: they read and run; they take no action on a journey's course
  (an operator may tell a journey waiting on a district record that it was fixed).

Interfaces resolve who is acting from HR before sending a command (`resolve_actor` below,
with HR's record from `activities.actors`), so an actor HR does not know, or a title that
does not fit the claim, never reaches a journey; systems, auditors and operators, whom HR
does not list, act only when the configuration (`NON_HR_ACTORS`) names them;
authentication (that the actor is who they say) comes with the API and the web app. The table
below is checked in each journey's update validators, so a refused action never enters a
history, and recorded journeys replay whatever the table said when they ran.

Rules that hold for every action: nobody decides, reviews, records, coaches or waives their own
case (program office, directors and coaches acting on a journey whose participant they are);
once the program office assigns a journey its coach (`domain.coaching`), no other coach acts
on it.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from enum import StrEnum

from domain.external import Employee, EmploymentStatus
from domain.refusals import Refusal


class ActorRole(StrEnum):
    PARTICIPANT = "participant"
    PRINCIPAL = "principal"
    PROGRAM_OFFICE = "program_office"
    PROGRAM_DIRECTOR = "program_director"
    COACH = "coach"
    UNIVERSITY = "university"
    HRIS = "hris"
    PAYROLL = "payroll"
    AUDITOR = "auditor"
    OPERATOR = "operator"
    OTHER_PERSON = "other_person"
    """An employee who is neither the participant nor the participant's principal."""


PREFIXES = {
    "office": ActorRole.PROGRAM_OFFICE,
    "director": ActorRole.PROGRAM_DIRECTOR,
    "coach": ActorRole.COACH,
    "auditor": ActorRole.AUDITOR,
    "operator": ActorRole.OPERATOR,
}
SYSTEMS = {"hris": ActorRole.HRIS, "university": ActorRole.UNIVERSITY, "payroll": ActorRole.PAYROLL}


class PolicyRefusal(Refusal):
    """An actor who may not take this action, in words they can act on."""


@dataclass(frozen=True)
class Case:
    """Whose journey it is, as the journey knows it from HR."""

    employee_id: str
    principal_id: str | None = None
    coach_id: str | None = None
    """The coach the program office assigned (`domain.coaching`); None: any coach may coach."""


@dataclass(frozen=True)
class Actor:
    text: str
    role: ActorRole
    person_id: str | None

    @property
    def is_staff(self) -> bool:
        return self.role in (ActorRole.PROGRAM_OFFICE, ActorRole.PROGRAM_DIRECTOR)


def actor_of(text: str, case: Case) -> Actor:
    """Read an actor as recorded, in relation to the case."""
    if text in SYSTEMS:
        return Actor(text, SYSTEMS[text], None)
    prefix, sep, rest = text.partition(":")
    if sep:
        role = PREFIXES.get(prefix)
        if role is None or not rest:
            known = ", ".join(f"{p}:<id>" for p in PREFIXES)
            raise PolicyRefusal(
                code="policy.unknown_actor",
                message=f"{text!r} is not an actor: use an employee id, {known}, or one of "
                f"{', '.join(SYSTEMS)}",
            )
        return Actor(text, role, rest)
    if text == case.employee_id:
        return Actor(text, ActorRole.PARTICIPANT, text)
    if case.principal_id is not None and text == case.principal_id:
        return Actor(text, ActorRole.PRINCIPAL, text)
    return Actor(text, ActorRole.OTHER_PERSON, text)


class Action(StrEnum):
    DECIDE_APPLICATION = "decide an application"
    SIGN_COMMITMENT = "sign the joint commitment"
    RECORD_ATTENDANCE = "record attendance"
    RECORD_MAKE_UP = "record a make-up"
    RECORD_COACHING = "record coaching"
    SUBMIT_DELIVERABLE = "submit a deliverable"
    REVIEW_DELIVERABLE = "review a deliverable"
    CLOSE_YEAR = "close the year"
    WITHDRAW = "withdraw the journey"
    RECORD_SEPARATION = "record a separation"
    REPORT_ENROLLMENT = "report enrollment"
    REPORT_MILESTONE = "report a milestone"
    LEAVE_PROGRAM = "record leaving the program"
    WAIVE_REPAYMENT = "waive a repayment"
    REPORT_HR_CHANGE = "report an HR change"
    OFFER_SHADOWING = "offer a shadowing placement"
    LOG_SHADOWING = "log shadowing"
    KEEP_LOG = "keep a program log"
    RECORD_SCORE = "record an assessment score"
    MANAGE_COUNCIL = "seat or unseat a council member"
    NOMINATE = "nominate a colleague"
    ANSWER_NOMINATION = "answer a nomination"
    ASSIGN_COACH = "assign a coach"
    HOLD_RECORDS = "place or lift a legal hold on a person's records"
    ERASE_PERSON = "erase a person's personal data"
    RETRY_AFTER_FIX = "retry a journey after a district record was fixed"
    MANAGE_API_KEYS = "make or revoke an API key"


STAFF = frozenset({ActorRole.PROGRAM_OFFICE, ActorRole.PROGRAM_DIRECTOR})
R = ActorRole

#: Who may take each action. The participant is the employee whose journey it is.
MAY: Mapping[Action, frozenset[ActorRole]] = {
    Action.DECIDE_APPLICATION: STAFF,
    Action.SIGN_COMMITMENT: frozenset({R.PARTICIPANT, R.PRINCIPAL}),
    Action.RECORD_ATTENDANCE: STAFF,
    Action.RECORD_MAKE_UP: STAFF,
    Action.RECORD_COACHING: STAFF | {R.COACH},
    Action.SUBMIT_DELIVERABLE: frozenset({R.PARTICIPANT}),
    Action.REVIEW_DELIVERABLE: STAFF,
    Action.CLOSE_YEAR: STAFF,
    Action.WITHDRAW: STAFF | {R.PARTICIPANT, R.HRIS},
    Action.RECORD_SEPARATION: STAFF | {R.HRIS},
    Action.REPORT_ENROLLMENT: STAFF | {R.UNIVERSITY},
    Action.REPORT_MILESTONE: STAFF | {R.UNIVERSITY, R.HRIS},
    Action.LEAVE_PROGRAM: STAFF | {R.PARTICIPANT, R.HRIS},
    Action.WAIVE_REPAYMENT: frozenset({R.PROGRAM_DIRECTOR}),
    Action.REPORT_HR_CHANGE: STAFF | {R.HRIS},
    Action.OFFER_SHADOWING: STAFF,
    Action.LOG_SHADOWING: STAFF | {R.PARTICIPANT},
    Action.KEEP_LOG: STAFF | {R.PARTICIPANT, R.COACH},
    Action.RECORD_SCORE: STAFF,
    Action.MANAGE_COUNCIL: STAFF | {R.PARTICIPANT},
    # Anyone in the district brings a colleague along, with or without a title.
    Action.NOMINATE: STAFF | {R.PRINCIPAL, R.OTHER_PERSON, R.COACH},
    Action.ANSWER_NOMINATION: frozenset({R.PARTICIPANT}),
    Action.ASSIGN_COACH: STAFF,
    # Records: a hold by a director or an auditor; an erasure, once no rule keeps the records,
    # by a director or the operator who runs the district's systems.
    Action.HOLD_RECORDS: frozenset({R.PROGRAM_DIRECTOR, R.AUDITOR}),
    Action.ERASE_PERSON: frozenset({R.PROGRAM_DIRECTOR, R.OPERATOR}),
    # A journey waiting on a district record's correction asks again: told by whoever fixed it.
    Action.RETRY_AFTER_FIX: STAFF | {R.OPERATOR, R.HRIS},
    # A key lets a system write HR's events: the operators who run the district's systems.
    Action.MANAGE_API_KEYS: frozenset({R.OPERATOR}),
}

_WHO = {
    R.PARTICIPANT: "the participant",
    R.PRINCIPAL: "the principal of the participant's school",
    R.PROGRAM_OFFICE: "program office staff (office:<id>)",
    R.PROGRAM_DIRECTOR: "a program director (director:<id>)",
    R.COACH: "a coach (coach:<id>)",
    R.UNIVERSITY: "the university",
    R.HRIS: "HR (hris)",
    R.PAYROLL: "payroll",
    R.AUDITOR: "an auditor (auditor:<id>)",
    R.OPERATOR: "an operator (operator:<id>)",
    R.OTHER_PERSON: "another employee",
}


def authorize(action: Action, actor_text: str, case: Case) -> Actor:
    """The actor, if they may take `action` on `case`; otherwise `PolicyRefusal`."""
    actor = actor_of(actor_text, case)
    if actor.role is not R.PARTICIPANT and actor.person_id == case.employee_id:
        raise PolicyRefusal(
            code="policy.own_case",
            message=f"{actor_text} cannot {action.value} on their own journey; someone else in the "
            "program office must",
        )
    allowed = MAY[action]
    if actor.role not in allowed:
        who = " or ".join(_WHO[r] for r in R if r in allowed)
        raise PolicyRefusal(
            code="policy.not_permitted",
            message=f"{actor_text} cannot {action.value}: only {who} can",
        )
    if actor.role is R.COACH and case.coach_id is not None and actor.person_id != case.coach_id:
        raise PolicyRefusal(
            code="policy.not_their_coachee",
            message=f"{actor_text} cannot {action.value}: the journey's coach is "
            f"coach:{case.coach_id} (the program office assigns coaches)",
        )
    return actor


# --- who an actor is, as HR and configuration know them ------------------------------------

#: The HR titles behind each staff claim (a program director is program office staff too).
STAFF_TITLES = {
    R.PROGRAM_OFFICE: frozenset({"program_office", "program_director"}),
    R.PROGRAM_DIRECTOR: frozenset({"program_director"}),
    R.COACH: frozenset({"coach"}),
}
#: An employee acting under their bare id whose HR title makes them staff acts as that staff.
_AS_STAFF = {"program_director": "director", "program_office": "office", "coach": "coach"}
#: Actors that HR does not list: the district's systems, auditors and operators. Only those the
#: configuration names may act.
NOT_IN_HR = frozenset({R.HRIS, R.UNIVERSITY, R.PAYROLL, R.AUDITOR, R.OPERATOR})
DEFAULT_NON_HR_ACTORS = ("hris", "university", "payroll")


def hr_id_of(text: str) -> str | None:
    """The employee id an actor claims to be in HR; None for an actor HR does not list."""
    actor = actor_of(text, Case(employee_id=""))
    return None if actor.role in NOT_IN_HR else actor.person_id


def resolve_actor(text: str, employee: Employee | None, non_hr_actors: Collection[str]) -> str:
    """The actor as journeys record it, once HR (or, for systems, auditors and operators, the
    configuration) vouches for the claim; otherwise `PolicyRefusal`.

    `employee` is HR's record of `hr_id_of(text)` (None: HR has none). A bare employee id whose
    HR title is program office, program director or coach becomes `office:`, `director:` or
    `coach:`; a teacher or principal stays their id (the journey knows whose principal is whose).
    """
    actor = actor_of(text, Case(employee_id=""))
    if actor.role in NOT_IN_HR:
        if text not in non_hr_actors:
            raise PolicyRefusal(
                code="actor.not_configured",
                message=f"{text} is not an actor this district configured (NON_HR_ACTORS: "
                f"{', '.join(non_hr_actors) or 'none'})",
            )
        return text
    if employee is None:
        raise PolicyRefusal(
            code="actor.unknown",
            message=f"HR has no employee {actor.person_id!r}, so {text} cannot act; check the id",
        )
    if employee.status is EmploymentStatus.SEPARATED:
        raise PolicyRefusal(
            code="actor.separated",
            message=f"HR lists {employee.employee_id} ({employee.full_name}) as separated from the "
            "district; they can no longer act on journeys",
        )
    titles = STAFF_TITLES.get(actor.role)
    if titles is not None and employee.role not in titles:
        raise PolicyRefusal(
            code="actor.title_mismatch",
            message=f"{text} claims to be {_WHO[actor.role]}, but HR lists "
            f"{employee.employee_id} ({employee.full_name}) as {employee.role!r}",
        )
    if titles is None and employee.role in _AS_STAFF:
        return f"{_AS_STAFF[employee.role]}:{employee.employee_id}"
    return text


# --- what a signed-in person sees ------------------------------------------------------------


class Standing(StrEnum):
    """How the web app treats a signed-in person, from their actor and HR title."""

    PROGRAM_OFFICE = "program office"
    PROGRAM_DIRECTOR = "program director"
    PRINCIPAL = "principal"
    COACH = "coach"
    TEACHER = "teacher"
    AUDITOR = "auditor"


#: HR titles that make an employee the principal of their school for the app.
PRINCIPAL_TITLES = frozenset({"principal"})


@dataclass(frozen=True)
class Viewer:
    """A signed-in person: the actor every action of theirs records (as `resolve_actor` made
    it), their name, and HR's title and school for them (None for an auditor)."""

    actor: str
    name: str
    title: str | None = None
    school_id: str | None = None

    @property
    def standing(self) -> Standing:
        role = actor_of(self.actor, Case(employee_id="")).role
        if role is R.PROGRAM_DIRECTOR:
            return Standing.PROGRAM_DIRECTOR
        if role is R.PROGRAM_OFFICE:
            return Standing.PROGRAM_OFFICE
        if role is R.COACH:
            return Standing.COACH
        if role in (R.AUDITOR, R.OPERATOR):
            return Standing.AUDITOR
        if self.title in PRINCIPAL_TITLES:
            return Standing.PRINCIPAL
        return Standing.TEACHER

    @property
    def person_id(self) -> str:
        found = actor_of(self.actor, Case(employee_id="")).person_id
        return found or self.actor

    @property
    def reads_reports(self) -> bool:
        """Program office, directors and auditors read the district's reports and queues."""
        return self.standing in (
            Standing.PROGRAM_OFFICE, Standing.PROGRAM_DIRECTOR, Standing.AUDITOR
        )  # fmt: skip

    @property
    def sees_everyone(self) -> bool:
        """Program office, directors and auditors see every journey; coaches see every journey
        too, as the district does not yet record who coaches whom."""
        return self.standing in (
            Standing.PROGRAM_OFFICE, Standing.PROGRAM_DIRECTOR, Standing.AUDITOR, Standing.COACH
        )  # fmt: skip


def sees(viewer: Viewer, employee_id: str, school_id: str | None, principal_id: str | None) -> bool:
    """Whether `viewer` may see the journey (or career) of `employee_id`: their own; a
    principal their school's people (or those whose principal they are); staff, coaches and
    auditors everyone."""
    if viewer.sees_everyone or viewer.person_id == employee_id:
        return True
    if viewer.standing is Standing.PRINCIPAL:
        return principal_id == viewer.person_id or (
            viewer.school_id is not None and school_id == viewer.school_id
        )
    return False


def may(action: Action, viewer: Viewer, case: Case) -> bool:
    """Whether the policy lets `viewer` take `action` on `case` (what the page offers; the
    journey checks again when the action arrives). Auditors take none."""
    if viewer.standing is Standing.AUDITOR:
        return False
    try:
        authorize(action, viewer.actor, case)
    except PolicyRefusal:
        return False
    return True
