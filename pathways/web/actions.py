"""The actions a journey's page offers, declared once per pathway.

Each entry names the journey's update (a contract with recorded histories), the policy action
the signed-in person must be allowed, the command it sends, which of the command's fields
records the actor (filled from the sign-in, never from the form), and the inputs the form asks
for. Choices (sessions, deliverables, parts) come from the definition the journey runs on, read
from its own history, so a form never offers what the journey does not know. The journey's
update validator checks everything again when the command arrives.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from pydantic import BaseModel, ValidationError
from starlette.datastructures import FormData

from domain.aspiring_principals import journey as ap
from domain.attendance import AttendanceStatus
from domain.catalog import definition as cd
from domain.catalog import journey as cj
from domain.coaching import AssignCoach
from domain.councils import StakeholderGroup
from domain.definitions import problems
from domain.fellowship import journey as fj
from domain.fellowship.program import Milestone as FellowshipMilestone
from domain.money import cents_from_dollars
from domain.pathway import person_named
from domain.policy import Action, Case, Viewer, may
from domain.service_commitment import journey as sc
from domain.teacher_leader import journey as tl
from domain.teacher_leader.events import CoachingStep, DecisionOutcome, Signer

#: (value, label) pairs a select offers; computed from the journey's status and definition.
Choices = Callable[[Any, Any], list[tuple[str, str]]]
#: Several command fields chosen at once (a part and one of its sessions) are joined by it.
JOIN = "|"


@dataclass(frozen=True)
class Input:
    """One control of an action's form. `name` is the command's field (dotted for a nested one,
    `a|b` for two fields chosen together); `kind` is text, note, date, number, dollars, select
    or radio."""

    name: str
    label: str
    kind: str = "text"
    choices: Choices | None = None
    required: bool = True
    hint: str = ""

    def options(self, status: Any, definition: Any) -> list[tuple[str, str]]:
        return self.choices(status, definition) if self.choices else []


@dataclass(frozen=True)
class ActionForm:
    key: str
    pathway: str
    update: str
    action: Action
    label: str
    command: type[BaseModel]
    by: str
    """The command's field that records who acts."""
    inputs: tuple[Input, ...] = ()
    open: Callable[[Any], bool] = lambda status: True
    """Whether the journey, as it stands, has this action at all (its stage, what is owed)."""
    fixed: dict[str, Any] = field(default_factory=dict)
    vouch: tuple[str, str] | None = None
    """(field, actor prefix): a person the command names whom HR must list in that standing
    before it is sent (a coach assigned must be a coach)."""

    def build(self, form: FormData, actor: str) -> BaseModel:
        """The command from the form's values, with the signed-in actor; `ValidationError`
        (in words through `problems`) when a value is wrong."""
        fields: dict[str, Any] = dict(self.fixed)
        for i in self.inputs:
            raw = form.get(i.name)
            text = raw.strip() if isinstance(raw, str) else ""
            if not text:
                continue
            if i.kind == "dollars":
                try:
                    fields[i.name] = cents_from_dollars(text)
                except ValueError as error:
                    raise _invalid(self.command, i.name, text, str(error)) from None
                continue
            names = i.name.split(JOIN)
            values = text.split(JOIN, len(names) - 1)
            if len(values) != len(names):
                raise _invalid(self.command, i.name, text, f"choose one of the {i.label} offered")
            for name, value in zip(names, values, strict=True):
                _put(fields, name, value)
        fields[self.by] = actor
        return self.command.model_validate(fields)


def _put(fields: dict[str, Any], dotted: str, value: str) -> None:
    head, _, rest = dotted.partition(".")
    if rest:
        _put(fields.setdefault(head, {}), rest, value)
    else:
        fields[head] = value


def _invalid(command: type[BaseModel], name: str, value: str, why: str) -> ValidationError:
    return ValidationError.from_exception_data(
        command.__name__,
        [{"type": "value_error", "loc": (name,), "input": value, "ctx": {"error": why}}],
    )


def in_words(error: ValidationError) -> str:
    return f"Nothing was sent: {problems(error)}"


# --- choices ----------------------------------------------------------------------------------


def _enum(kind: type[Enum]) -> Choices:
    return lambda status, definition: [(str(m.value), str(m.value).replace("_", " ")) for m in kind]


def _yes_no(yes: str, no: str) -> Choices:
    return lambda status, definition: [("true", yes), ("false", no)]


SCORES = tuple(
    Input(f"scores.{s}", f"{s} (1–4)", "number")
    for s in ("time", "mindset", "skillset", "experience")
)


def _tl_sessions(status: tl.JourneyStatus, program: Any) -> list[tuple[str, str]]:
    if program is None or status.role is None:
        return []
    return [(s.session_id, f"{s.title} ({s.on})") for s in program.sessions_for(status.role)]


def _tl_deliverables(status: tl.JourneyStatus, program: Any) -> list[tuple[str, str]]:
    if program is None or status.role is None:
        return []
    return [(d.deliverable_id, d.title) for d in program.deliverables_for(status.role)]


def _tl_submitted(status: tl.JourneyStatus, program: Any) -> list[tuple[str, str]]:
    return [
        (k, title)
        for k, title in _tl_deliverables(status, program)
        if status.deliverables.get(k) == "submitted"
    ]


def _tl_cycles(status: tl.JourneyStatus, program: Any) -> list[tuple[str, str]]:
    return [(c.cycle_id, c.cycle_id) for c in status.coaching if not c.complete]


def _sessions(pick: Callable[[Any], Iterable[Any]]) -> Choices:
    def choices(status: Any, definition: Any) -> list[tuple[str, str]]:
        if definition is None:
            return []
        return [(s.session_id, f"{s.title} ({s.on})") for s in pick(definition)]

    return choices


def _parts(kind: type[cd.PartBase]) -> Choices:
    """The journey's parts of one kind (as its status lists them for its role and year)."""

    def choices(status: cj.ProgramStatus, definition: Any) -> list[tuple[str, str]]:
        found = {p.id: p for p in getattr(definition, "parts", ()) if isinstance(p, kind)}
        return [(p.part_id, p.title) for p in status.parts if p.part_id in found]

    return choices


def _part_items(
    kind: type[cd.PartBase], items: Callable[[Any], Iterable[tuple[str, str]]]
) -> Choices:
    """Each (part, item) of the journey's parts of one kind: a course's sessions, a steps
    part's steps, a council's training topics."""

    def choices(status: cj.ProgramStatus, definition: Any) -> list[tuple[str, str]]:
        found = {p.id: p for p in getattr(definition, "parts", ()) if isinstance(p, kind)}
        return [
            (f"{p.part_id}{JOIN}{value}", f"{p.title}: {label}")
            for p in status.parts
            if p.part_id in found
            for value, label in items(found[p.part_id])
        ]

    return choices


def _course_sessions(part: cd.Course) -> Iterable[tuple[str, str]]:
    return ((s.id, f"{s.title or s.id} ({s.on})") for s in part.sessions)


def _steps(part: cd.Steps) -> Iterable[tuple[str, str]]:
    return ((s, s.replace("-", " ")) for s in part.steps)


def _topics(part: cd.Council) -> Iterable[tuple[str, str]]:
    return ((t, t.replace("-", " ")) for t in part.topics)


NOTE = Input("note", "Note", "note", required=False)
_CATALOG_SESSION = Input(
    f"part_id{JOIN}session_id", "Session", "select", _part_items(cd.Course, _course_sessions)
)


def _marking(session: Input) -> tuple[Input, ...]:
    """A session's mark: which session, present or absent, and a correction's reason."""
    return (
        session,
        Input("status", "Attendance", "radio", _enum(AttendanceStatus)),
        Input("correction_reason", "Correction reason", "note", required=False,
              hint="only when changing a recorded mark"),
    )  # fmt: skip


REASON = Input("reason", "Reason", "note")


def _stage(*stages: Enum) -> Callable[[Any], bool]:
    wanted = frozenset(stages)
    return lambda status: getattr(status, "stage", None) in wanted


def _assign_coach(pathway: str, open: Callable[[Any], bool]) -> ActionForm:
    return ActionForm(
        "assign_coach", pathway, "assign_coach", Action.ASSIGN_COACH, "Assign the coach",
        AssignCoach, "assigned_by", (Input("coach_id", "Coach's employee id"),), open,
        vouch=("coach_id", "coach:"),
    )  # fmt: skip


# --- the table ----------------------------------------------------------------------------------

TL, FELLOWSHIP, ASPIRING, COMMITMENT, PROGRAM = (
    "teacher_leader", "fellowship", "aspiring_principal", "service_commitment", "program"
)  # fmt: skip
_CATALOG_OPEN = _stage(*cj.OPEN)
_ASPIRING_OPEN = _stage(ap.Stage.JOINED, ap.Stage.ACTIVE)

ACTIONS: tuple[ActionForm, ...] = (
    # a teacher leader's year
    ActionForm(
        "decide", TL, "decide", Action.DECIDE_APPLICATION, "Decide the application",
        tl.DecideApplication, "decided_by",
        (Input("outcome", "Outcome", "select", _enum(DecisionOutcome)), *SCORES, NOTE),
        _stage(tl.Stage.APPLIED, tl.Stage.WAITLISTED),
    ),
    ActionForm(
        "sign", TL, "sign_commitment", Action.SIGN_COMMITMENT, "Sign the joint commitment",
        tl.SignCommitment, "signer_id", (), _stage(tl.Stage.COMMITMENT_PENDING),
    ),
    ActionForm(
        "submit", TL, "submit_deliverable", Action.SUBMIT_DELIVERABLE, "Submit a deliverable",
        tl.SubmitDeliverable, "submitted_by",
        (Input("deliverable_id", "Deliverable", "select", _tl_deliverables), NOTE),
        _stage(tl.Stage.ACTIVE),
    ),
    ActionForm(
        "review", TL, "review_deliverable", Action.REVIEW_DELIVERABLE, "Review a deliverable",
        tl.ReviewDeliverable, "reviewed_by",
        (
            Input("deliverable_id", "Deliverable", "select", _tl_submitted),
            Input("accepted", "Verdict", "radio", _yes_no("accept", "return for changes")),
            Input("comment", "Comment", "note", required=False),
        ),
        _stage(tl.Stage.ACTIVE),
    ),
    ActionForm(
        "coaching", TL, "record_coaching_step", Action.RECORD_COACHING, "Record a coaching step",
        tl.RecordCoachingStep, "recorded_by",
        (
            Input("cycle_id", "Cycle", "select", _tl_cycles),
            Input("step", "Step", "select", _enum(CoachingStep)),
            NOTE,
        ),
        _stage(tl.Stage.ACTIVE),
    ),
    ActionForm(
        "make_up", TL, "record_make_up", Action.RECORD_MAKE_UP, "Record a make-up",
        tl.RecordMakeUp, "recorded_by",
        (
            Input("session_id", "Session", "select", _tl_sessions),
            Input("completed_on", "Made up on", "date"),
            NOTE,
        ),
        _stage(tl.Stage.ACTIVE),
    ),
    ActionForm(
        "close", TL, "close_year", Action.CLOSE_YEAR, "Close the year", tl.CloseYear,
        "closed_by", (), _stage(tl.Stage.ACTIVE),
    ),
    _assign_coach(TL, _stage(tl.Stage.COMMITMENT_PENDING, tl.Stage.ACTIVE)),
    ActionForm(
        "withdraw", TL, "withdraw", Action.WITHDRAW, "Withdraw from the program", tl.Withdraw,
        "withdrawn_by", (REASON,), _stage(*tl.OPEN_STAGES),
    ),
    # a fellowship
    ActionForm(
        "decide", FELLOWSHIP, "decide", Action.DECIDE_APPLICATION, "Decide the selection",
        fj.DecideSelection, "decided_by",
        (Input("selected", "Decision", "radio", _yes_no("select", "do not select")), *SCORES,
         NOTE),
        _stage(fj.Stage.APPLIED),
    ),
    ActionForm(
        "enroll", FELLOWSHIP, "enroll", Action.REPORT_ENROLLMENT, "Record the enrollment",
        fj.RecordEnrollment, "reported_by",
        (Input("university_student_id", "University student id"),
         Input("enrolled_on", "Enrolled on", "date")),
        _stage(fj.Stage.ADMITTED),
    ),
    ActionForm(
        "pd", FELLOWSHIP, "record_pd", Action.RECORD_ATTENDANCE,
        "Record supplemental PD attendance", fj.RecordSupplementalPD, "recorded_by",
        _marking(Input("session_id", "Session", "select", _sessions(lambda d: d.supplemental_pd))),
        _stage(fj.Stage.ADMITTED, fj.Stage.ENROLLED),
    ),
    ActionForm(
        "milestone", FELLOWSHIP, "report_milestone", Action.REPORT_MILESTONE,
        "Report a milestone", fj.ReportMilestone, "reported_by",
        (
            Input("milestone", "Milestone", "select", _enum(FellowshipMilestone)),
            Input("achieved_on", "Achieved on", "date"),
            Input("reference", "Reference", required=False),
        ),
        _stage(fj.Stage.ENROLLED),
    ),
    ActionForm(
        "leave", FELLOWSHIP, "leave", Action.LEAVE_PROGRAM, "Record leaving the fellowship",
        fj.LeaveFellowship, "recorded_by",
        (
            Input("kind", "How", "select", _enum(fj.LeaveKind)),
            Input("effective_on", "Effective on", "date"),
            REASON,
        ),
        _stage(fj.Stage.ADMITTED, fj.Stage.ENROLLED),
    ),
    ActionForm(
        "waive", FELLOWSHIP, "waive", Action.WAIVE_REPAYMENT, "Waive the repayment",
        fj.WaiveEarlyExit, "decided_by",
        (REASON, Input("amount_cents", "Amount to waive in dollars", "dollars", required=False,
                       hint="empty: all that is owed")),
        lambda s: s.owed_cents > 0 and not s.repayment_reference,
    ),
    # a service commitment
    ActionForm(
        "waive", COMMITMENT, "waive", Action.WAIVE_REPAYMENT, "Waive the repayment",
        sc.Waive, "decided_by",
        (REASON, Input("amount_cents", "Amount to waive in dollars", "dollars", required=False,
                       hint="empty: all that is owed")),
        lambda s: s.owed_cents > 0 and s.repayment is not None,
    ),
    # an aspiring principal's year
    ActionForm(
        "shadowing", ASPIRING, "offer_shadowing", Action.OFFER_SHADOWING,
        "Place with a mentor principal", ap.OfferShadowing, "offered_by",
        (Input("mentor_id", "Mentor's employee id"),),
        lambda s: s.stage in (ap.Stage.JOINED, ap.Stage.ACTIVE) and s.mentor is None,
    ),
    ActionForm(
        "institute", ASPIRING, "record_institute_day", Action.RECORD_ATTENDANCE,
        "Record a summer institute day", ap.RecordInstituteDay, "recorded_by",
        _marking(Input("session_id", "Day", "select", _sessions(lambda d: d.summer_institute))),
        _ASPIRING_OPEN,
    ),
    ActionForm(
        "shadow", ASPIRING, "log_shadow", Action.LOG_SHADOWING, "Log shadowing",
        ap.LogShadow, "logged_by",
        (
            Input("on", "On", "date"), Input("hours", "Hours", "number"),
            Input("focus", "Focus"), Input("reflection", "Reflection", "note", required=False),
        ),
        lambda s: s.stage in (ap.Stage.JOINED, ap.Stage.ACTIVE) and s.mentor is not None,
    ),
    ActionForm(
        "vp_training", ASPIRING, "record_vp_training", Action.RECORD_ATTENDANCE,
        "Record VP/AP training", ap.RecordVpTraining, "recorded_by",
        _marking(Input("session_id", "Session", "select", _sessions(lambda d: d.vp_training))),
        _ASPIRING_OPEN,
    ),
    ActionForm(
        "coaching", ASPIRING, "record_coaching", Action.RECORD_COACHING,
        "Record a coaching session", ap.RecordCoaching, "coach",
        (Input("on", "On", "date"), Input("focus", "Focus")),
        _ASPIRING_OPEN,
    ),
    _assign_coach(ASPIRING, _ASPIRING_OPEN),
    ActionForm(
        "withdraw", ASPIRING, "withdraw", Action.WITHDRAW, "Withdraw from the program",
        ap.WithdrawAspiring, "withdrawn_by", (REASON,), _ASPIRING_OPEN,
    ),
    # a catalog program's year
    ActionForm(
        "attendance", PROGRAM, "record_attendance", Action.RECORD_ATTENDANCE,
        "Record attendance", cj.MarkSession, "recorded_by",
        _marking(_CATALOG_SESSION),
        _CATALOG_OPEN,
    ),
    ActionForm(
        "make_up", PROGRAM, "record_make_up", Action.RECORD_MAKE_UP, "Record a make-up",
        cj.MakeUpSession, "recorded_by",
        (
            _CATALOG_SESSION, Input("made_up_on", "Made up on", "date"), NOTE,
        ),
        _CATALOG_OPEN,
    ),
    ActionForm(
        "log", PROGRAM, "log_entry", Action.KEEP_LOG, "Add a log entry", cj.RecordLogEntry,
        "logged_by",
        (
            Input("part_id", "Log", "select", _parts(cd.Log)), Input("on", "On", "date"),
            Input("amount", "Amount (hours, where the log counts them)", "number",
                  required=False),
            NOTE,
        ),
        _CATALOG_OPEN,
    ),
    ActionForm(
        "submit", PROGRAM, "submit_work", Action.SUBMIT_DELIVERABLE, "Submit work",
        cj.SubmitWork, "submitted_by",
        (Input("deliverable_id", "Deliverable", "select", _parts(cd.Deliverable)), NOTE),
        _CATALOG_OPEN,
    ),
    ActionForm(
        "review", PROGRAM, "review_work", Action.REVIEW_DELIVERABLE, "Review work",
        cj.ReviewWork, "reviewed_by",
        (
            Input("deliverable_id", "Deliverable", "select", _parts(cd.Deliverable)),
            Input("accepted", "Verdict", "radio", _yes_no("accept", "return for changes")),
            Input("comment", "Comment", "note", required=False),
        ),
        _CATALOG_OPEN,
    ),
    ActionForm(
        "step", PROGRAM, "record_step", Action.RECORD_COACHING, "Record a step", cj.TakeStep,
        "recorded_by",
        (Input(f"part_id{JOIN}step", "Step", "select", _part_items(cd.Steps, _steps)), NOTE),
        _CATALOG_OPEN,
    ),
    ActionForm(
        "score", PROGRAM, "record_score", Action.RECORD_SCORE, "Record an assessment score",
        cj.ScoreAssessment, "recorded_by",
        (
            Input("part_id", "Assessment", "select", _parts(cd.Assessment)),
            Input("taken_on", "Taken on", "date"), Input("score", "Score", "number"),
        ),
        _CATALOG_OPEN,
    ),
    ActionForm(
        "milestone", PROGRAM, "report_milestone", Action.REPORT_MILESTONE,
        "Report a milestone", cj.ReportMilestone, "reported_by",
        (
            Input("part_id", "Milestone", "select", _parts(cd.Milestone)),
            Input("achieved_on", "Achieved on", "date"),
            Input("reference", "Reference", required=False),
        ),
        _CATALOG_OPEN,
    ),
    ActionForm(
        "seat", PROGRAM, "seat_member", Action.MANAGE_COUNCIL, "Seat a council member",
        cj.SeatMember, "seated_by",
        (
            Input("part_id", "Council", "select", _parts(cd.Council)),
            Input("member_id", "Member's id"), Input("full_name", "Member's name"),
            Input("group", "Stakeholder group", "select", _enum(StakeholderGroup)),
        ),
        _CATALOG_OPEN,
    ),
    ActionForm(
        "unseat", PROGRAM, "member_leaves", Action.MANAGE_COUNCIL,
        "Record a council member leaving", cj.MemberLeaves, "recorded_by",
        (
            Input("part_id", "Council", "select", _parts(cd.Council)),
            Input("member_id", "Member's id"), REASON,
        ),
        _CATALOG_OPEN,
    ),
    ActionForm(
        "member_training", PROGRAM, "record_member_training", Action.RECORD_ATTENDANCE,
        "Record a council member's training", cj.RecordMemberTraining, "recorded_by",
        (
            Input(f"part_id{JOIN}topic", "Topic", "select", _part_items(cd.Council, _topics)),
            Input("member_id", "Member's id"), Input("on", "On", "date"),
        ),
        _CATALOG_OPEN,
    ),
    _assign_coach(PROGRAM, _CATALOG_OPEN),
    ActionForm(
        "withdraw", PROGRAM, "withdraw", Action.WITHDRAW, "Withdraw from the program",
        cj.WithdrawFromProgram, "withdrawn_by", (REASON,), _CATALOG_OPEN,
    ),
)  # fmt: skip

BY_KEY: dict[tuple[str, str], ActionForm] = {(a.pathway, a.key): a for a in ACTIONS}


def case_of(status: BaseModel) -> Case:
    """Whose journey it is, as its status says (a service commitment names its fellow)."""
    return Case(
        employee_id=person_named(dict(status)) or "",
        principal_id=getattr(status, "principal_id", None),
        coach_id=getattr(status, "coach_id", None),
    )


def offered(viewer: Viewer, pathway: str, status: BaseModel, definition: Any) -> list[ActionForm]:
    """The actions the page shows this person on this journey: the journey has them now, the
    policy allows them, and every choice they need has something to choose. (A signer who has
    signed is not offered signing again.)"""
    case = case_of(status)
    found = []
    for a in ACTIONS:
        if a.pathway != pathway or not a.open(status) or not may(a.action, viewer, case):
            continue
        if any(i.kind == "select" and not i.options(status, definition) for i in a.inputs):
            continue
        if isinstance(status, tl.JourneyStatus) and a.update == "sign_commitment":
            signer = Signer.TEACHER if viewer.person_id == status.employee_id else Signer.PRINCIPAL
            if signer not in status.awaiting_signatures:
                continue
        found.append(a)
    return found
