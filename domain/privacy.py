"""What in the event log is personal, how long it must be kept, and when it may be erased.

**Personal fields.** An event's personal fields are its free-text fields named in `PERSONAL`
(names, e-mail addresses, notes, comments, the reasons a person gave): each is stored sealed
with the key of the person whose record the event is (`owner_of`), and shows `ERASED` once that
key is destroyed. A field of one of those names that holds a code (an enum) is not personal: it
is how the rules decided, and auditors keep it; so are the reasons the rules give for a
withheld stipend (`reasons`). Ids, amounts and dates are never personal here; they are what an
auditor verifies why money moved with.

**Retention.** A person's records may be erased only when no rule holds them:

- personnel records three years after the person separated from the district (California Labor
  Code 1198.5 and its record-keeping rule), counted from the separation date HR reported;
- grant-funded records, for anyone paid a stipend, assistance or reimbursement, three years
  after the grant's final report (2 CFR 200.334), which the configuration dates;
- no legal hold in force: a hold is placed and lifted by a named person, each an event in the
  person's `privacy/<employee>` stream, and erasure is one too.
"""

from __future__ import annotations

import types
import typing
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from functools import cache
from typing import Any, ClassVar, TypeVar

from pydantic import BaseModel, Field

from domain.events import DomainEvent, event_class
from domain.pathway import person_named
from domain.refusals import Refusal

#: What a personal field shows once its person's key is destroyed.
ERASED = "[erased]"
#: The stream of a person's holds and erasure.
PRIVACY_PREFIX = "privacy/"

#: Field names that hold personal data when they hold free text.
PERSONAL = frozenset(
    {
        "full_name", "email", "principal_name", "principal_email", "mentor_name",
        "mentor_email", "note", "comment", "reflection", "statement", "focus", "reason",
        "correction_reason", "end_reason", "paused_reason", "separation_reason", "needs_note",
        "subject", "attendees",
    }
)  # fmt: skip


def _free_text(annotation: Any) -> str | None:
    """ "text" for `str` (or `str | None`), "list" for a list or tuple of `str`, else None."""
    origin = typing.get_origin(annotation)
    if annotation is str:
        return "text"
    if origin in (typing.Union, types.UnionType):
        kinds = {_free_text(a) for a in typing.get_args(annotation) if a is not type(None)}
        return kinds.pop() if len(kinds) == 1 else None
    if origin is typing.Annotated:
        return _free_text(typing.get_args(annotation)[0])
    if origin in (list, tuple):
        args = [a for a in typing.get_args(annotation) if a is not Ellipsis]
        return "list" if args and all(_free_text(a) == "text" for a in args) else None
    return None


@cache
def personal_fields(event_type: str) -> Mapping[str, str]:
    """The event type's personal fields, each "text" or "list" (what `ERASED` replaces)."""
    cls = event_class(event_type)
    found = {}
    for name, info in cls.model_fields.items():
        kind = _free_text(info.annotation) if name in PERSONAL else None
        if kind is not None:
            found[name] = kind
    return found


def personal_part(event_type: str, payload: Mapping[str, Any]) -> dict[str, Any]:
    """The personal fields of a payload that hold something (an empty text holds nothing)."""
    fields = personal_fields(event_type)
    return {name: payload[name] for name in fields if payload.get(name)}


def erased(event_type: str, names: Sequence[str]) -> dict[str, Any]:
    """What the fields `names` show once erased."""
    fields = personal_fields(event_type)
    return {name: [ERASED] if fields.get(name) == "list" else ERASED for name in names}


StatusT = TypeVar("StatusT", bound=BaseModel)


def masked(value: Any, personal: bool = False) -> Any:
    """JSON-like `value` with every personal field, at any depth, `ERASED`."""
    if isinstance(value, dict):
        return {k: masked(v, k in PERSONAL) for k, v in value.items()}
    if isinstance(value, list):
        if personal and value and all(isinstance(v, str) for v in value):
            return [ERASED]
        return [masked(v) for v in value]
    if personal and isinstance(value, str) and value:
        return ERASED
    return value


def erased_status(status: StatusT) -> StatusT:
    """A journey's answer (its `status`) as an erased person's may be shown: every personal
    field, at any depth, `ERASED`. Temporal's own copy of a journey (its history, which the
    query reads) is under the district's key, not the person's, so every door masks it."""
    return type(status).model_validate(masked(status.model_dump(mode="json")))


def owner_of(stream_id: str, payload: Mapping[str, Any]) -> str:
    """Whose record an event is: the person it names (a journey's participant, a commitment's
    fellow, a council's member), or else the person its stream is of (its id's last part)."""
    named = person_named(payload)
    if named is None:
        member = payload.get("member_id")
        named = member if isinstance(member, str) and member else None
    return named or stream_id.rsplit("/", 1)[-1]


# --- holds and erasure ------------------------------------------------------------------------


class LegalHoldPlaced(DomainEvent):
    event_type: ClassVar[str] = "privacy.LegalHoldPlaced"

    employee_id: str
    hold_id: str = Field(min_length=1)
    matter: str = Field(min_length=1, description="the case or request the hold is for")
    placed_by: str


class LegalHoldLifted(DomainEvent):
    event_type: ClassVar[str] = "privacy.LegalHoldLifted"

    employee_id: str
    hold_id: str
    lifted_by: str


class PersonErased(DomainEvent):
    event_type: ClassVar[str] = "privacy.PersonErased"

    employee_id: str
    erased_by: str
    separated_on: date | None = None
    rule: str = Field(description="why no rule held the records any longer, in words")


SENTENCES: dict[type[DomainEvent], Callable[[Any], str]] = {
    LegalHoldPlaced: lambda e: f"legal hold {e.hold_id} placed ({e.matter})",
    LegalHoldLifted: lambda e: f"legal hold {e.hold_id} lifted",
    PersonErased: lambda e: f"personal data erased: {e.rule}",
}


class PrivacyRefusal(Refusal):
    pass


class RetentionRules(BaseModel):
    """How long records are kept (the configuration's `RETENTION_*`)."""

    personnel_years: int = Field(3, ge=0, le=100)
    grant_years: int = Field(3, ge=0, le=100)
    grant_final_report_on: date | None = None
    """The grant's final report; None: not filed yet, so grant-funded records are kept."""


@dataclass(frozen=True)
class PrivacyRecord:
    """What decides whether a person may be erased: their holds, HR's word and the money."""

    employee_id: str
    holds: Mapping[str, LegalHoldPlaced]
    """The holds in force, by id."""
    erased: PersonErased | None
    employed: bool | None
    """What HR and the career say now (None: nothing on record)."""
    separated_on: date | None
    paid: bool
    """Whether any payment moved for the person (grant-funded records)."""
    version: int = 0
    """How many events the person's `privacy/` stream holds (what a new one must follow)."""


def fold_privacy(
    events: Sequence[DomainEvent],
) -> tuple[dict[str, LegalHoldPlaced], PersonErased | None]:
    """The holds in force and the erasure, from the person's `privacy/` stream."""
    holds: dict[str, LegalHoldPlaced] = {}
    done: PersonErased | None = None
    for event in events:
        if isinstance(event, LegalHoldPlaced):
            holds[event.hold_id] = event
        elif isinstance(event, LegalHoldLifted):
            holds.pop(event.hold_id, None)
        elif isinstance(event, PersonErased):
            done = event
    return holds, done


def _years_after(day: date, years: int) -> date:
    """The day `years` full years after `day` (29 February: 1 March, not a day short)."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February in a year that has none
        return date(day.year + years, 3, 1)


def check_no_hold(record: PrivacyRecord) -> None:
    """`PrivacyRefusal` naming the legal hold in force, if one is."""
    if record.holds:
        hold = next(iter(record.holds.values()))
        raise PrivacyRefusal(
            f"{record.employee_id} is under legal hold {hold.hold_id} ({hold.matter}), placed "
            f"by {hold.placed_by}: it must be lifted before erasure",
            code="privacy.legal_hold",
        )


def decide_erasure(record: PrivacyRecord, rules: RetentionRules, today: date) -> str:
    """Why the person's records may be erased today (the rule, in words), or `PrivacyRefusal`
    naming the rule that holds them."""
    who = record.employee_id
    if record.erased is not None:
        raise PrivacyRefusal(f"{who}'s personal data is already erased", code="privacy.erased")
    check_no_hold(record)
    if record.employed is not False:
        raise PrivacyRefusal(
            f"{who} is not separated from the district as far as HR reports: personnel records "
            "are kept while employed and for years after",
            code="privacy.employed",
        )
    if record.separated_on is None:
        raise PrivacyRefusal(
            f"no separation date is on record for {who}: personnel records are kept "
            f"{rules.personnel_years} years after it, so HR's separation event is needed",
            code="privacy.retention",
        )
    until = _years_after(record.separated_on, rules.personnel_years)
    if today < until:
        raise PrivacyRefusal(
            f"{who}'s personnel records are kept until {until} ({rules.personnel_years} years "
            f"after the separation on {record.separated_on})",
            code="privacy.retention",
        )
    reason = f"separated {record.separated_on}, kept {rules.personnel_years} years"
    if record.paid:
        report = rules.grant_final_report_on
        if report is None:
            raise PrivacyRefusal(
                f"{who} was paid from grant funds: the records are kept {rules.grant_years} years "
                "after the grant's final report, which is not dated yet "
                "(RETENTION_GRANT_FINAL_REPORT_ON)",
                code="privacy.grant_retention",
            )
        grant_until = _years_after(report, rules.grant_years)
        if today < grant_until:
            raise PrivacyRefusal(
                f"{who} was paid from grant funds: the records are kept until {grant_until} "
                f"({rules.grant_years} years after the final report of {report})",
                code="privacy.grant_retention",
            )
        reason += f"; grant records kept {rules.grant_years} years after the report of {report}"
    return reason
