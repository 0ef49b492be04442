"""A person's career in the district, from aspiring to retirement: the facts HR reports about
them over the years and every journey they took.

HR sends events (a hire, a role change, a school transfer, a credential earned or expired, a
leave, a return, a separation), each with HR's own id. An event is applied once: the same id
again changes nothing, and the same id with other content is refused. Events are applied in
the order of their effective dates within what they change (the role, the school, the leave,
employment, one credential): one dated before the last applied for the same thing is refused
with the reason, so HR sends the correction in order rather than the career silently
reordering what it knows. What each open journey must hear of an applied event is the
pathway's own translation (the registry's `hears`).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from datetime import date
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from domain.calendar import DEFAULT_TIME_ZONE, local_date
from domain.career.events import (
    CareerHrApplied,
    CareerJourneyFinished,
    CareerJourneyJoined,
    CareerJourneyTold,
    CareerNominated,
    CareerNominationAnswered,
    CareerRuleApplied,
)
from domain.career.nominations import Nomination
from domain.career.rules import RuleTrigger, When, applied_key, target_of
from domain.events import DomainEvent
from domain.external import HrText
from domain.hr import HrChange, HrNews
from domain.refusals import Refusal

CAREER_PREFIX = "career/"


def career_id(employee_id: str) -> str:
    return f"{CAREER_PREFIX}{employee_id}"


class HrEventKind(StrEnum):
    HIRE = "hire"
    ROLE_CHANGE = "role_change"
    SCHOOL_TRANSFER = "school_transfer"
    CREDENTIAL_EARNED = "credential_earned"
    CREDENTIAL_EXPIRED = "credential_expired"
    LEAVE_START = "leave_start"
    LEAVE_END = "leave_end"
    RETURN = "return"
    """Back in the district after a separation, under the same employee id."""
    SEPARATION = "separation"


#: What each kind of event needs besides its id, employee and date.
REQUIRED: dict[HrEventKind, tuple[str, ...]] = {
    HrEventKind.HIRE: ("role",),
    HrEventKind.ROLE_CHANGE: ("role",),
    HrEventKind.SCHOOL_TRANSFER: ("school_id",),
    HrEventKind.CREDENTIAL_EARNED: ("credential",),
    HrEventKind.CREDENTIAL_EXPIRED: ("credential",),
    HrEventKind.LEAVE_START: ("reason",),
    HrEventKind.LEAVE_END: (),
    HrEventKind.RETURN: ("role",),
    HrEventKind.SEPARATION: (),
}

#: How the journeys hear each kind (None: no journey hears it).
AS_HR_CHANGE: dict[HrEventKind, HrChange | None] = {
    HrEventKind.HIRE: None,
    HrEventKind.ROLE_CHANGE: HrChange.ROLE_CHANGE,
    HrEventKind.SCHOOL_TRANSFER: HrChange.SCHOOL_TRANSFER,
    HrEventKind.CREDENTIAL_EARNED: None,
    HrEventKind.CREDENTIAL_EXPIRED: None,
    HrEventKind.LEAVE_START: HrChange.LEAVE_START,
    HrEventKind.LEAVE_END: HrChange.LEAVE_END,
    HrEventKind.RETURN: None,
    HrEventKind.SEPARATION: HrChange.SEPARATION,
}

ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._:/@-]*$"
"""HR's ids (events, employees): printable, no spaces, at most 128 characters."""
Id = Field(min_length=1, max_length=128, pattern=ID_PATTERN)


class HrEvent(BaseModel):
    """One event HR reports, as an HR system sends it (the API's body, a OneRoster diff)."""

    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)

    event_id: str = Id
    """HR's id for the event: the same id is applied once."""
    employee_id: str = Id
    kind: HrEventKind
    effective_on: date
    role: HrText | None = Field(None, min_length=1, max_length=100)
    school_id: HrText | None = Field(None, min_length=1, max_length=100)
    credential: HrText | None = Field(None, min_length=1, max_length=100)
    reason: HrText | None = Field(None, min_length=1, max_length=500)
    baseline: bool = Field(
        False,
        description="HR's record as it stood when the district began sending it (a first "
        "import): the career learns it, and enrollment rules, which read changes, do not fire",
    )

    @model_validator(mode="after")
    def _needs(self) -> HrEvent:
        missing = [name for name in REQUIRED[self.kind] if getattr(self, name) is None]
        if missing:
            raise ValueError(f"a {self.kind.value} needs {' and '.join(missing)}")
        return self

    def digest(self) -> str:
        """The event's content, to tell a repeat from another event under the same id."""
        body = self.model_dump(mode="json")
        if not self.baseline:  # events sent before baselines existed keep their digest
            del body["baseline"]
        return hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()[:32]

    def news(self) -> HrNews | None:
        change = AS_HR_CHANGE[self.kind]
        if change is None:
            return None
        return HrNews(
            employee_id=self.employee_id,
            change=change,
            effective_on=self.effective_on,
            role=self.role,
            school_id=self.school_id,
            reason=self.reason,
        )


class JourneyEntry(BaseModel):
    journey_id: str
    pathway: str
    joined_on: date
    open: bool = True
    outcome: str = ""
    refused: dict[str, str] = Field(default_factory=dict)
    """HR event id -> why the journey refused it (or could not be told it)."""


class TimelineEntry(BaseModel):
    on: date
    what: str


class Obligation(BaseModel):
    """An offer or a requirement an enrollment rule made, until a journey of it joins."""

    rule_id: str
    action: str
    target: str
    since: date
    due_on: date | None = None
    met_by: str | None = None


NEVER_STARTED = "never started"


class CareerState(BaseModel):
    """The fold of a career's events. Carried across continue-as-new whole."""

    employee_id: str
    time_zone: str = DEFAULT_TIME_ZONE
    """Where the district is: the day a journey began is that day there."""
    employed: bool | None = None
    """None until HR has said: a career may begin with any event."""
    role: str | None = None
    school_id: str | None = None
    on_leave: bool = False
    credentials: dict[str, date] = Field(default_factory=dict)
    applied: dict[str, str] = Field(default_factory=dict)
    """HR event id -> its content's digest."""
    latest: dict[str, tuple[date, str]] = Field(default_factory=dict)
    """What an event changes -> the effective date and id of the last applied."""
    journeys: dict[str, JourneyEntry] = Field(default_factory=dict)
    timeline: list[TimelineEntry] = Field(default_factory=list)
    last_news: dict[str, HrNews] = Field(default_factory=dict)
    """The separation or leave in force, for a journey that joins after it."""
    role_since: date | None = None
    """When the current role began, as HR's events dated it."""
    obligations: dict[str, Obligation] = Field(default_factory=dict)
    """Target -> the latest offer or requirement an enrollment rule made of it."""
    rules_applied: dict[str, str] = Field(default_factory=dict)
    """`rule|trigger` -> what the rule did, so one trigger sets a rule off once."""
    nominations: dict[str, Nomination] = Field(default_factory=dict)

    def open_journeys(self) -> list[str]:
        return [j for j, entry in self.journeys.items() if entry.open]


class CareerRefusal(Refusal):
    pass


def changes(event: HrEvent) -> list[str]:
    """What an event changes, each kept in effective-date order."""
    match event.kind:
        case HrEventKind.HIRE | HrEventKind.RETURN:
            return ["employment", "role"] + (["school"] if event.school_id else [])
        case HrEventKind.SEPARATION:
            return ["employment"]
        case HrEventKind.ROLE_CHANGE:
            return ["role"]
        case HrEventKind.SCHOOL_TRANSFER:
            return ["school"]
        case HrEventKind.LEAVE_START | HrEventKind.LEAVE_END:
            return ["leave"]
        case _:
            return [f"credential:{event.credential}"]


def decide_hr_event(
    s: CareerState, event: HrEvent, source: str, stamp: dict[str, Any]
) -> list[DomainEvent]:
    """The event to record for `event`, none when it was applied already; a `CareerRefusal`
    with its code when it cannot apply."""
    if event.employee_id != s.employee_id:
        raise CareerRefusal(
            f"HR event {event.event_id} is about {event.employee_id}, not {s.employee_id}",
            code="career.wrong_employee",
        )
    seen = s.applied.get(event.event_id)
    if seen is not None:
        if seen == event.digest():
            return []
        raise CareerRefusal(
            f"HR event id {event.event_id} was already applied with other content; give a "
            "correction its own id",
            code="career.event_id_reused",
        )
    for what in changes(event):
        last = s.latest.get(what)
        if last is not None and event.effective_on < last[0]:
            raise CareerRefusal(
                f"HR event {event.event_id} ({event.kind.value}, effective "
                f"{event.effective_on}) is dated before HR event {last[1]}, effective {last[0]}, "
                f"which already changed the {what.split(':')[0]}; send changes in the order they "
                "take effect",
                code="career.out_of_order",
            )
    _check_state(s, event)
    return [
        CareerHrApplied(
            **stamp,
            hr_event_id=event.event_id,
            kind=event.kind.value,
            effective_on=event.effective_on,
            role=event.role,
            school_id=event.school_id,
            credential=event.credential,
            reason=event.reason,
            source=source,
            baseline=event.baseline,
        )
    ]


def _check_state(s: CareerState, event: HrEvent) -> None:
    kind = event.kind
    if s.employed is False and kind not in (HrEventKind.HIRE, HrEventKind.RETURN):
        raise CareerRefusal(
            f"{s.employee_id} separated from the district; a {kind.value} cannot apply until HR "
            "reports their return",
            code="career.separated",
        )
    if s.employed is True and kind in (HrEventKind.HIRE, HrEventKind.RETURN):
        raise CareerRefusal(
            f"{s.employee_id} already works for the district; report a role change instead",
            code="career.already_employed",
        )
    if kind is HrEventKind.LEAVE_START and s.on_leave:
        raise CareerRefusal(f"{s.employee_id} is already on leave", code="career.already_on_leave")
    if kind is HrEventKind.LEAVE_END and not s.on_leave:
        raise CareerRefusal(f"{s.employee_id} is not on leave", code="career.not_on_leave")
    if kind is HrEventKind.CREDENTIAL_EXPIRED and event.credential not in s.credentials:
        raise CareerRefusal(
            f"the career holds no credential {event.credential!r} to expire",
            code="career.unknown_credential",
        )


def decide_join(
    s: CareerState, journey_id: str, pathway: str, by: str, stamp: dict[str, Any]
) -> list[DomainEvent]:
    """A journey of the employee started; joining twice records nothing (but a journey the
    career took for one that never started, told before its start went through, joins again)."""
    entry = s.journeys.get(journey_id)
    if entry is not None and (entry.open or entry.outcome != NEVER_STARTED):
        return []
    return [CareerJourneyJoined(**stamp, journey_id=journey_id, pathway=pathway, started_by=by)]


def fold_into(s: CareerState, event: DomainEvent) -> CareerState:
    on = local_date(event.occurred_at, s.time_zone)
    match event:
        case CareerHrApplied():
            _apply(s, event)
        case CareerJourneyJoined():
            s.journeys[event.journey_id] = JourneyEntry(
                journey_id=event.journey_id, pathway=event.pathway, joined_on=on
            )
            s.timeline.append(TimelineEntry(on=on, what=f"began {event.journey_id}"))
            _met(s, event.journey_id, target_of(event.journey_id, event.pathway))
        case CareerRuleApplied():
            s.rules_applied[applied_key(event.rule_id, event.trigger)] = event.outcome
            if event.outcome in ("offered", "due"):
                s.obligations[event.target] = Obligation(
                    rule_id=event.rule_id, action=event.action, target=event.target,
                    since=event.trigger_on, due_on=event.due_on,
                )  # fmt: skip
            s.timeline.append(TimelineEntry(on=on, what=_rule_sentence(event)))
        case CareerNominated():
            s.nominations[event.nomination_id] = Nomination(
                nomination_id=event.nomination_id, nominated_by=event.nominated_by,
                nominator_title=event.nominator_title, target=event.target,
                reason=event.reason, on=on,
            )  # fmt: skip
            title = f" ({event.nominator_title})" if event.nominator_title else ""
            s.timeline.append(
                TimelineEntry(
                    on=on, what=f"nominated for {event.target} by {event.nominated_by}{title}"
                )
            )
        case CareerNominationAnswered():
            nomination = s.nominations.get(event.nomination_id)
            if nomination is not None:
                nomination.answer = "accepted" if event.accepted else "declined"
                s.timeline.append(
                    TimelineEntry(
                        on=on, what=f"{nomination.answer} the nomination {event.nomination_id}"
                    )
                )
        case CareerJourneyTold():
            entry = s.journeys.get(event.journey_id)
            if entry is not None and event.outcome in ("refused", "failed"):
                could_not = "could not be told: " if event.outcome == "failed" else ""
                entry.refused[event.hr_event_id] = f"{could_not}{event.detail}"
        case CareerJourneyFinished():
            entry = s.journeys.get(event.journey_id)
            if entry is not None:
                entry.open, entry.outcome = False, event.outcome
            s.timeline.append(
                TimelineEntry(on=on, what=f"{event.journey_id} ended: {event.outcome}")
            )
        case _:
            pass
    return s


def _met(s: CareerState, journey_id: str, target: str) -> None:
    """A journey of `target` joined: the offer or requirement of it is met, and the open
    nominations for it led to the journey."""
    item = s.obligations.get(target)
    if item is not None and item.met_by is None:
        item.met_by = journey_id
    for nomination in s.nominations.values():
        if nomination.target == target and nomination.open:
            nomination.led_to = journey_id


def _rule_sentence(e: CareerRuleApplied) -> str:
    match e.outcome:
        case "started" | "exists":
            done = "started" if e.outcome == "started" else "found already started"
            return f"rule {e.rule_id} {done} {e.journey_id}"
        case "offered":
            return f"rule {e.rule_id} offered {e.target}"
        case "due":
            return f"rule {e.rule_id}: {e.target} due by {e.due_on}"
        case "skipped":
            return f"rule {e.rule_id} did not {e.action} {e.target}: {e.detail}"
        case _:
            return f"rule {e.rule_id} could not {e.action} {e.target}: {e.detail}"


def _apply(s: CareerState, e: CareerHrApplied) -> None:
    kind = HrEventKind(e.kind)
    event = HrEvent(
        event_id=e.hr_event_id, employee_id=s.employee_id, kind=kind, effective_on=e.effective_on,
        role=e.role, school_id=e.school_id, credential=e.credential, reason=e.reason,
        baseline=e.baseline,
    )  # fmt: skip
    s.applied[e.hr_event_id] = event.digest()
    for what in changes(event):
        s.latest[what] = (e.effective_on, e.hr_event_id)
    what = kind.value.replace("_", " ")
    match kind:
        case HrEventKind.HIRE | HrEventKind.RETURN:
            if e.role != s.role or not s.employed:
                s.role_since = e.effective_on
            s.employed, s.role, s.on_leave = True, e.role, False
            s.school_id = e.school_id or s.school_id
            s.last_news.clear()
            what = f"{what} as {e.role}" + (f" at {e.school_id}" if e.school_id else "")
        case HrEventKind.ROLE_CHANGE:
            what = f"role changed from {s.role} to {e.role}" if s.role else f"role: {e.role}"
            if e.role != s.role:
                s.role_since = e.effective_on
            s.role = e.role
        case HrEventKind.SCHOOL_TRANSFER:
            what = f"transferred from {s.school_id} to {e.school_id}"
            what = what if s.school_id else f"school: {e.school_id}"
            s.school_id = e.school_id
        case HrEventKind.CREDENTIAL_EARNED:
            assert e.credential is not None
            s.credentials[e.credential] = e.effective_on
            what = f"earned the credential {e.credential}"
        case HrEventKind.CREDENTIAL_EXPIRED:
            s.credentials.pop(e.credential or "", None)
            what = f"credential {e.credential} expired"
        case HrEventKind.LEAVE_START:
            s.on_leave, what = True, f"leave began: {e.reason}"
        case HrEventKind.LEAVE_END:
            s.on_leave, what = False, "leave ended"
            s.last_news.pop("leave", None)
        case HrEventKind.SEPARATION:
            s.employed, s.on_leave = False, False
            s.last_news.pop("leave", None)
            what = "separated from the district" + (f": {e.reason}" if e.reason else "")
    news = event.news()
    if kind is HrEventKind.SEPARATION and news is not None:
        s.last_news["separation"] = news
    if kind is HrEventKind.LEAVE_START and news is not None:
        s.last_news["leave"] = news
    s.timeline.append(TimelineEntry(on=e.effective_on, what=what))


class CareerTimeline(BaseModel):
    """What a career query answers: now, and everything that happened."""

    employee_id: str
    employed: bool | None
    role: str | None
    school_id: str | None
    on_leave: bool
    credentials: dict[str, date]
    journeys: list[JourneyEntry]
    timeline: list[TimelineEntry]
    hr_events_applied: int
    telling: int = 0
    """Journeys still to be told an applied change (0: every journey has answered)."""
    settling: bool = False
    """The career is still telling journeys, reading the enrollment rules or storing events."""
    obligations: list[Obligation] = Field(default_factory=list)
    """Offers and requirements the enrollment rules made that no journey has met yet."""
    nominations: list[Nomination] = Field(default_factory=list)


def timeline_of(s: CareerState) -> CareerTimeline:
    return CareerTimeline(
        employee_id=s.employee_id, employed=s.employed, role=s.role, school_id=s.school_id,
        on_leave=s.on_leave, credentials=dict(s.credentials), journeys=list(s.journeys.values()),
        timeline=sorted(s.timeline, key=lambda t: t.on), hr_events_applied=len(s.applied),
        obligations=[o for o in s.obligations.values() if o.met_by is None],
        nominations=list(s.nominations.values()),
    )  # fmt: skip


class HrEventAnswer(BaseModel):
    """What the career answers HR: the event applied now, or already."""

    career_id: str
    hr_event_id: str
    applied: bool
    """False when the same event was applied before: nothing changed."""
    journeys_told: list[str] = Field(default_factory=list)


class JoinJourney(BaseModel):
    model_config = ConfigDict(frozen=True)

    journey_id: str = Field(min_length=1)
    pathway: str = Field(min_length=1)
    started_by: str = Field(min_length=1)


class SubmitHrEvent(BaseModel):
    """The career's update: HR's event and who sent it."""

    model_config = ConfigDict(frozen=True)

    event: HrEvent
    source: str = Field(min_length=1)


class Tell(BaseModel):
    """A journey to be told an HR change (the career's queue, carried across continue-as-new)."""

    model_config = ConfigDict(frozen=True)

    journey_id: str
    hr_event_id: str
    news: HrNews


class JourneyEnded(BaseModel):
    """What a journey tells its career when it ends (the career's signal `journey_ended`)."""

    model_config = ConfigDict(frozen=True)

    journey_id: str
    employee_id: str = ""
    outcome: str


class CareerInput(BaseModel):
    model_config = ConfigDict(frozen=True)

    employee_id: str = Id
    time_zone: str = DEFAULT_TIME_ZONE
    carried: CareerState | None = None
    stream_version: int = 0
    pending: list[Tell] = Field(default_factory=list)
    rules_due: list[RuleTrigger] = Field(default_factory=list)
    """What is still to be read against the enrollment rules."""


#: The kinds of HR event enrollment rules read.
_RULE_WHEN = {
    HrEventKind.HIRE: When.ROLE,
    HrEventKind.RETURN: When.ROLE,
    HrEventKind.ROLE_CHANGE: When.ROLE,
    HrEventKind.CREDENTIAL_EARNED: When.CREDENTIAL_EARNED,
    HrEventKind.CREDENTIAL_EXPIRED: When.CREDENTIAL_EXPIRED,
}


def role_held(s: CareerState) -> str | None:
    """The role the career holds now (None: not employed), before an event changes it."""
    return s.role if s.employed else None


def hr_trigger(previous_role: str | None, after: CareerState, event: HrEvent) -> RuleTrigger | None:
    """What an applied HR event sets off in the enrollment rules (None: nothing they read)."""
    when = _RULE_WHEN.get(event.kind)
    if when is None or event.baseline:
        return None
    return RuleTrigger(
        when=when, key=event.event_id, on=event.effective_on, role=after.role,
        previous_role=previous_role if when is When.ROLE else None, credential=event.credential,
    )  # fmt: skip


def end_trigger(s: CareerState, ended: JourneyEnded, on: date) -> RuleTrigger | None:
    """What a journey's end sets off (None: a journey the career does not follow)."""
    entry = s.journeys.get(ended.journey_id)
    if entry is None:
        return None
    return RuleTrigger(
        when=When.JOURNEY_FINISHED, key=f"ended:{ended.journey_id}", on=on, role=role_held(s),
        target=target_of(ended.journey_id, entry.pathway), outcome=ended.outcome,
    )  # fmt: skip


class TellJourney(BaseModel):
    """What the career's activity sends one journey: the pathway's update and its argument."""

    model_config = ConfigDict(frozen=True)

    journey_id: str
    hr_event_id: str
    update: str
    argument: dict[str, Any]


class TellOutcome(BaseModel):
    outcome: str
    """heard, refused, ended, failed (Temporal kept failing to reach it) or not_told (the
    pathway does not hear this change)."""
    detail: str = ""
    code: str | None = None


def coded(detail: str, code: str | None) -> str:
    """A refusal's words with its code, as a career records what a journey or a start said."""
    return f"{detail} [{code}]" if code else detail


def told_events(
    s: CareerState, tell: Tell, outcome: TellOutcome, stamp: Callable[[], dict[str, Any]]
) -> list[DomainEvent]:
    """What the career records of one journey's answer."""
    if outcome.outcome == "not_told":
        return []
    detail = coded(outcome.detail, outcome.code)
    events: list[DomainEvent] = [
        CareerJourneyTold(
            **stamp(), journey_id=tell.journey_id, hr_event_id=tell.hr_event_id,
            outcome=outcome.outcome, detail=detail,
        )
    ]  # fmt: skip
    entry = s.journeys.get(tell.journey_id)
    if outcome.outcome == "ended" and entry is not None and entry.open:
        events.append(
            CareerJourneyFinished(
                **stamp(), journey_id=tell.journey_id, outcome=outcome.detail or "ended"
            )
        )
    return events
