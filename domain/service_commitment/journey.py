"""A fellow's service commitment: its events, the fold that rebuilds it, and its decisions.

Served time accrues only while the fellow is in a qualifying role at a qualifying school and
not on leave; a deferment (a leave whose reason is in the rules' deferment reasons) pauses the
completion deadline as well. HR events carry their effective date and must arrive in order.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import date, datetime, timedelta
from enum import StrEnum
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from domain import separation, waivers
from domain.calendar import not_yet
from domain.commands import Command
from domain.events import DomainEvent, Notice
from domain.hr import HrChange as HrChange
from domain.payments import PaymentSent
from domain.refusals import Refusal
from domain.service_commitment.rules import (
    RepaymentComputation,
    ServiceRules,
    add_months,
    compute_repayment,
    served_months,
)
from domain.waivers import RepaymentWaiver, WaiveRepayment


class CommitmentRefusal(Refusal):
    """An HR event or office decision the commitment cannot take, in words to act on."""


# --- events --------------------------------------------------------------------------------


class CommitmentStarted(DomainEvent):
    event_type = "service_commitment.CommitmentStarted"

    fellow_id: str
    full_name: str
    email: str
    program: str
    graduated_on: date
    assistance_cents: int
    role: str
    school_id: str | None
    obligation_years: int
    deadline: date


class RoleChanged(DomainEvent):
    event_type = "service_commitment.RoleChanged"

    role: str
    effective_on: date
    recorded_by: str


class SchoolTransferred(DomainEvent):
    event_type = "service_commitment.SchoolTransferred"

    school_id: str
    effective_on: date
    recorded_by: str


class LeaveStarted(DomainEvent):
    event_type = "service_commitment.LeaveStarted"

    reason: str
    defers: bool
    effective_on: date
    recorded_by: str


class LeaveEnded(DomainEvent):
    event_type = "service_commitment.LeaveEnded"

    effective_on: date
    recorded_by: str


class SeparationRecorded(separation.SeparationRecorded):
    event_type = "service_commitment.SeparationRecorded"


class ServiceVerified(DomainEvent):
    """The annual check with HR: what HR says, and whether it matches the commitment's record."""

    event_type = "service_commitment.ServiceVerified"

    anniversary: int
    hr_role: str
    hr_school_id: str | None
    hr_status: str
    qualifying: bool
    matches: bool
    served_months: int


class ObligationCompleted(DomainEvent):
    event_type = "service_commitment.ObligationCompleted"

    completed_on: date
    served_months: int


class ObligationBreached(DomainEvent):
    event_type = "service_commitment.ObligationBreached"

    breached_on: date
    reason: str
    served_months: int


class RepaymentDetermined(DomainEvent):
    event_type = "service_commitment.RepaymentDetermined"

    computation: RepaymentComputation


class RepaymentWaived(RepaymentWaiver):
    event_type = "service_commitment.RepaymentWaived"


class RepaymentRequested(PaymentSent):
    event_type = "service_commitment.RepaymentRequested"


class CommitmentNoticeSent(Notice):
    event_type = "service_commitment.NoticeSent"


class CommitmentEnded(DomainEvent):
    event_type = "service_commitment.CommitmentEnded"

    outcome: str


# --- state ---------------------------------------------------------------------------------


class Standing(StrEnum):
    SERVING = "serving"
    COMPLETED = "completed"
    BREACHED = "breached"


class Commitment(BaseModel):
    model_config = ConfigDict(frozen=False)

    fellow_id: str = ""
    full_name: str = ""
    email: str = ""
    program: str = ""
    graduated_on: date | None = None
    assistance_cents: int = 0
    role: str | None = None
    school_id: str | None = None
    base_deadline: date | None = None
    paused_days: int = 0
    on_leave: bool = False
    leave_defers: bool = False
    leave_since: date | None = None
    periods: list[tuple[date, date]] = Field(default_factory=list)
    open_since: date | None = None
    last_effective: date | None = None
    separated_on: date | None = None
    separation_reason: str | None = None
    standing: Standing = Standing.SERVING
    verifications: int = 0
    repayment: RepaymentComputation | None = None
    owed_cents: int = 0
    waivers: list[str] = Field(default_factory=list)
    repayment_reference: str | None = None
    ended: bool = False
    version: int = 0

    @property
    def deadline(self) -> date | None:
        if self.base_deadline is None:
            return None
        return self.base_deadline + timedelta(days=self.paused_days)

    def served_as_of(self, today: date) -> int:
        open_period = [(self.open_since, today)] if self.open_since else []
        return served_months([*self.periods, *open_period])


def _close(c: Commitment, on: date) -> None:
    if c.open_since is not None:
        c.periods.append((c.open_since, max(on, c.open_since)))
        c.open_since = None


def _reopen(c: Commitment, on: date, rules: ServiceRules) -> None:
    if c.separated_on is None and not c.on_leave and rules.qualifies(c.role, c.school_id):
        c.open_since = on


def evolve(c: Commitment, event: DomainEvent, rules: ServiceRules) -> Commitment:
    """Apply one event; returns a new Commitment."""
    n = c.model_copy(deep=True)
    n.version += 1
    match event:
        case CommitmentStarted():
            n.fellow_id, n.full_name, n.email = event.fellow_id, event.full_name, event.email
            n.program, n.graduated_on = event.program, event.graduated_on
            n.assistance_cents, n.role, n.school_id = (
                event.assistance_cents,
                event.role,
                event.school_id,
            )
            n.base_deadline, n.last_effective = event.deadline, event.graduated_on
            _reopen(n, event.graduated_on, rules)
        case RoleChanged() | SchoolTransferred():
            if isinstance(event, RoleChanged):
                n.role = event.role
            else:
                n.school_id = event.school_id
            n.last_effective = event.effective_on
            # A move between qualifying posts continues the same period of service.
            if n.open_since is None or not rules.qualifies(n.role, n.school_id):
                _close(n, event.effective_on)
                _reopen(n, event.effective_on, rules)
        case LeaveStarted():
            _close(n, event.effective_on)
            n.on_leave, n.leave_defers, n.leave_since = True, event.defers, event.effective_on
            n.last_effective = event.effective_on
        case LeaveEnded():
            if n.leave_defers and n.leave_since is not None:
                n.paused_days += (event.effective_on - n.leave_since).days
            n.on_leave, n.leave_defers, n.leave_since = False, False, None
            n.last_effective = event.effective_on
            _reopen(n, event.effective_on, rules)
        case SeparationRecorded():
            _close(n, event.effective_on)
            if n.on_leave and n.leave_defers and n.leave_since is not None:
                n.paused_days += (event.effective_on - n.leave_since).days
            n.on_leave = False
            n.separated_on, n.separation_reason = event.effective_on, event.reason
            n.last_effective = event.effective_on
        case ServiceVerified():
            n.verifications = max(n.verifications, event.anniversary)
        case ObligationCompleted():
            _close(n, event.completed_on)
            n.standing = Standing.COMPLETED
        case ObligationBreached():
            _close(n, event.breached_on)
            n.standing = Standing.BREACHED
        case RepaymentDetermined():
            n.repayment, n.owed_cents = event.computation, event.computation.owed_cents
        case RepaymentWaived():
            n.owed_cents = event.remaining_cents
            n.waivers.append(event.reason)
        case RepaymentRequested():
            n.repayment_reference = event.payroll_reference
        case CommitmentNoticeSent():
            pass
        case CommitmentEnded():
            n.ended = True
        case _:
            raise TypeError(f"a service commitment has no event {event.event_type}")
    return n


def fold(events: Iterable[DomainEvent], rules: ServiceRules) -> Commitment:
    state = Commitment()
    for event in events:
        state = evolve(state, event, rules)
    return state


# --- HR events and office decisions -------------------------------------------------------

NewId = Callable[[], UUID]


class HrEvent(Command):
    """What the HR system reports about a fellow."""

    change: HrChange
    effective_on: date
    role: str | None = None
    school_id: str | None = None
    reason: str | None = None
    recorded_by: str = Field("hris", min_length=1)


Waive = WaiveRepayment


def before_start(
    fellow_id: str, program: str, graduated_on: date, assistance_cents: int, deadline: date
) -> Commitment:
    """The commitment as its start states it, before HR's record of the fellow is read (which
    can wait days on a fix of that record). An HR change arriving meanwhile is decided against
    this and, accepted, held: decided again once the commitment has started, so it is not lost."""
    return Commitment(
        fellow_id=fellow_id, program=program, graduated_on=graduated_on,
        assistance_cents=assistance_cents, base_deadline=deadline, last_effective=graduated_on,
    )  # fmt: skip


def unknown_before(c: Commitment, held: Sequence[HrEvent]) -> list[str]:
    """What the office should review once a commitment starts with HR changes held: HR's record,
    read at the start, gives the fellow's post now, not at graduation, so when a role change or
    a transfer after graduation was held, the post before the first of each is not known (the
    commitment counts the one HR's record gave from graduation)."""
    if c.graduated_on is None:
        return []
    notes = []
    for change, what, now in (
        (HrChange.ROLE_CHANGE, "role", c.role),
        (HrChange.SCHOOL_TRANSFER, "school", c.school_id),
    ):
        first = next(
            (cmd for cmd in held if cmd.change is change and cmd.effective_on > c.graduated_on),
            None,
        )
        if first is not None:
            notes.append(
                f"HR reported a {change.value.replace('_', ' ')} effective {first.effective_on} "
                f"while the commitment started; its record, read then, gave the {what} "
                f"{now or '-'}, which is counted from graduation ({c.graduated_on}). If the "
                f"fellow served in another {what} before {first.effective_on}, review the "
                "months credited before then."
            )
    return notes


def decide_hr_event(
    c: Commitment, rules: ServiceRules, cmd: HrEvent, now: datetime, new_id: NewId
) -> list[DomainEvent]:
    """The events an HR report causes; [] when it repeats what is already recorded."""
    if c.graduated_on is None:
        raise CommitmentRefusal(
            "the commitment is still starting; send the change again shortly",
            code="journey.starting",
        )
    if c.separated_on is not None:
        if cmd.change is HrChange.SEPARATION and cmd.effective_on == c.separated_on:
            return []  # HR sent the same separation again
        raise CommitmentRefusal(
            f"{c.fellow_id} separated on {c.separated_on}; no further HR changes apply",
            code="hr.after_separation",
        )
    if c.standing is not Standing.SERVING:
        raise CommitmentRefusal(
            f"the commitment is already {c.standing.value}", code="journey.ended"
        )
    what = f"the {cmd.change.value.replace('_', ' ')} effective on"
    if problem := not_yet(what, cmd.effective_on, now, rules.time_zone):
        raise CommitmentRefusal(problem, code="date.in_future")
    if c.last_effective is not None and cmd.effective_on < c.last_effective:
        raise CommitmentRefusal(
            f"HR changes must arrive in order: the last one was effective on {c.last_effective}",
            code="hr.out_of_order",
        )
    at, by, ids = now, cmd.recorded_by, new_id
    match cmd.change:
        case HrChange.ROLE_CHANGE:
            if not cmd.role:
                raise CommitmentRefusal("a role change needs the new role", code="hr.role_required")
            if cmd.role == c.role:
                return []
            return [RoleChanged(event_id=ids(), occurred_at=at, role=cmd.role,
                                effective_on=cmd.effective_on, recorded_by=by)]  # fmt: skip
        case HrChange.SCHOOL_TRANSFER:
            if not cmd.school_id:
                raise CommitmentRefusal(
                    "a school transfer needs the new school id", code="hr.school_required"
                )
            if cmd.school_id == c.school_id:
                return []
            return [SchoolTransferred(event_id=ids(), occurred_at=at, school_id=cmd.school_id,
                                      effective_on=cmd.effective_on, recorded_by=by)]  # fmt: skip
        case HrChange.LEAVE_START:
            if not cmd.reason:
                raise CommitmentRefusal(
                    "a leave needs its reason, e.g. leave or full_time_study",
                    code="hr.reason_required",
                )
            if c.on_leave:
                return []
            return [LeaveStarted(event_id=ids(), occurred_at=at, reason=cmd.reason,
                                 defers=cmd.reason in rules.deferment_reasons,
                                 effective_on=cmd.effective_on, recorded_by=by)]  # fmt: skip
        case HrChange.LEAVE_END:
            if not c.on_leave:
                raise CommitmentRefusal(f"{c.fellow_id} is not on leave", code="hr.not_on_leave")
            return [LeaveEnded(event_id=ids(), occurred_at=at, effective_on=cmd.effective_on,
                               recorded_by=by)]  # fmt: skip
        case HrChange.SEPARATION:
            return [SeparationRecorded(event_id=ids(), occurred_at=at,
                                       effective_on=cmd.effective_on,
                                       reason=cmd.reason or "separated",
                                       recorded_by=by)]  # fmt: skip
    raise CommitmentRefusal(f"unknown HR change {cmd.change}", code="hr.unknown_change")


def decide_waiver(c: Commitment, cmd: Waive, now: datetime, new_id: NewId) -> list[DomainEvent]:
    return [
        waivers.decide_waiver(
            RepaymentWaived,
            cmd,
            owed_cents=c.owed_cents,
            determined=c.repayment is not None,
            sent_to_payroll=c.repayment_reference is not None,
            refusal=CommitmentRefusal,
            now=now,
            new_id=new_id,
        )
    ]


def repayment_for(c: Commitment, rules: ServiceRules, on: date) -> RepaymentComputation:
    assert c.graduated_on is not None
    return compute_repayment(
        rules,
        c.assistance_cents,
        c.served_as_of(on),
        graduated_on=c.graduated_on,
        separated_on=on,
    )


def completion_date(c: Commitment, rules: ServiceRules, today: date) -> date | None:
    """The day the obligation completes if nothing changes, or None while not accruing."""
    if c.open_since is None:
        return None
    remaining = rules.obligation_months - c.served_as_of(today)
    if remaining <= 0:
        return today
    low, high = today, add_months(today, remaining)
    while c.served_as_of(high) < rules.obligation_months:  # month-end clamping can fall short
        high += timedelta(days=31)
    while low < high:  # the first day on which the served months reach the obligation
        middle = low + timedelta(days=(high - low).days // 2)
        if c.served_as_of(middle) >= rules.obligation_months:
            high = middle
        else:
            low = middle + timedelta(days=1)
    return low


class CommitmentStatus(BaseModel):
    """The query's answer: served, remaining, paused, deadline, and what leaving would cost,
    as of `as_of` (a workflow's clock moves when it last acted: a timer, an HR event)."""

    as_of: date
    fellow_id: str
    standing: Standing
    role: str | None
    school_id: str | None
    qualifying_now: bool
    on_leave: bool
    served_months: int
    remaining_months: int
    paused_days: int
    deadline: date | None
    separated_on: date | None
    owed_if_left_today_cents: int
    repayment: RepaymentComputation | None
    owed_cents: int
    waivers: list[str]
    ended: bool
    #: Still reading HR's record of the fellow: the figures are the start's alone.
    starting: bool = False
    #: HR changes taken while the commitment was starting, applied once it has started.
    held_hr_changes: int = 0


def deadline_as_of(c: Commitment, today: date) -> date | None:
    """The date the obligation must be completed by, as it stands today: a leave that defers
    the obligation pauses the clock, so each day of it moves the deadline a day later."""
    if c.deadline is None:
        return None
    if c.on_leave and c.leave_defers and c.leave_since is not None:
        return c.deadline + (today - c.leave_since)
    return c.deadline


def service_check(
    c: Commitment, rules: ServiceRules, hr_role: str, hr_school_id: str | None, hr_status: str
) -> tuple[bool, bool]:
    """What an anniversary's look at HR shows: whether the fellow serves in a qualifying role
    and school, and whether HR matches the commitment's record (else HR missed a change)."""
    qualifying = hr_status == "active" and rules.qualifies(hr_role, hr_school_id)
    matches = (hr_role, hr_school_id) == (c.role, c.school_id) and hr_status != "separated"
    return qualifying, matches


def status(
    c: Commitment, rules: ServiceRules, today: date, held: int = 0, starting: bool = False
) -> CommitmentStatus:
    served = c.served_as_of(today)
    if_left = (
        repayment_for(c, rules, today).owed_cents
        if c.standing is Standing.SERVING and c.graduated_on is not None
        else 0
    )
    return CommitmentStatus(
        as_of=today,
        fellow_id=c.fellow_id,
        standing=c.standing,
        role=c.role,
        school_id=c.school_id,
        qualifying_now=c.open_since is not None,
        on_leave=c.on_leave,
        served_months=min(served, rules.obligation_months),
        remaining_months=max(rules.obligation_months - served, 0),
        paused_days=c.paused_days
        + ((today - c.leave_since).days if c.on_leave and c.leave_defers and c.leave_since else 0),
        deadline=c.deadline,
        separated_on=c.separated_on,
        owed_if_left_today_cents=if_left,
        repayment=c.repayment,
        owed_cents=c.owed_cents,
        waivers=c.waivers,
        ended=c.ended,
        starting=starting,
        held_hr_changes=held,
    )


def risks(c: CommitmentStatus) -> list[str]:
    """Why a commitment still being served is at risk of ending in repayment, in words (empty:
    on track): not in a qualifying role now, on leave, or more months left to serve than months
    left before the deadline."""
    if c.standing is not Standing.SERVING:
        return []
    found = []
    if not c.qualifying_now:
        found.append("not in a qualifying role now")
    if c.on_leave:
        found.append("on leave")
    if c.deadline is not None:
        left = (c.deadline.year - c.as_of.year) * 12 + c.deadline.month - c.as_of.month
        if c.remaining_months > left:
            found.append(
                f"not enough months before the deadline ({c.remaining_months} still to serve, "
                f"{max(0, left)} left)"
            )
    return found
