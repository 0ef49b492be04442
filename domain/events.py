"""Domain events: typed, versioned, immutable records of what happened.

Each concrete event class names itself (`event_type`) and its `schema_version`. Events are
stored as canonical JSON (sorted keys, UTC timestamps, decimals as strings) so that the same
event always produces the same bytes, which is what the event store's hash chain covers.
When an event's shape changes, bump `schema_version` and register an upcaster that turns the
older payload into the newer one; stored events are never rewritten.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from datetime import UTC, date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any, ClassVar
from uuid import UUID

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_serializer


class UnknownEventType(LookupError):
    """A stored event names a type this code base does not know."""


class EventSchemaTooNew(ValueError):
    """A stored event was written by newer code than this one."""


Upcaster = Callable[[dict[str, Any]], dict[str, Any]]

_REGISTRY: dict[str, type[DomainEvent]] = {}
_UPCASTERS: dict[tuple[str, int], Upcaster] = {}


class DomainEvent(BaseModel):
    """Base of every domain event. Subclasses set `event_type` and may set `schema_version`."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    event_type: ClassVar[str]
    schema_version: ClassVar[int] = 1

    event_id: UUID
    occurred_at: AwareDatetime = Field(description="when it happened, in workflow time")

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        name = cls.__dict__.get("event_type")
        if name is None:
            return  # an abstract intermediate class
        existing = _REGISTRY.get(name)
        if existing is not None and existing.__qualname__ != cls.__qualname__:
            raise TypeError(f"event type {name!r} is already registered by {existing.__name__}")
        _REGISTRY[name] = cls

    @field_serializer("occurred_at")
    def _utc(self, value: datetime) -> str:
        return to_utc_iso(value)

    def payload(self) -> dict[str, Any]:
        """The event's fields as canonical JSON-compatible values (no event_id)."""
        data = canonical_value(self.model_dump(mode="python", exclude={"event_id"}))
        assert isinstance(data, dict)
        return data


class Notice(DomainEvent):
    """A notice e-mailed once: to whom (a role in the journey), about what, and under which
    idempotency key. Each pathway names its own notice event on top of this."""

    recipient: str
    subject: str
    idempotency_key: str


def to_utc_iso(value: datetime) -> str:
    if value.tzinfo is None:
        raise ValueError("timestamps in events must carry a time zone")
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def canonical_value(value: Any) -> Any:
    """Turn a value into the JSON-compatible form the event store hashes.

    Decimals become strings (never floats), datetimes become UTC ISO strings, enums their value.
    Floats are refused: money and counts in events are exact.
    """
    if isinstance(value, BaseModel):
        return canonical_value(value.model_dump(mode="python"))
    if isinstance(value, dict):
        return {str(k): canonical_value(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        items = [canonical_value(v) for v in value]
        return sorted(items, key=_sort_key) if isinstance(value, set | frozenset) else items
    if isinstance(value, Enum):
        return canonical_value(value.value)
    if isinstance(value, bool) or value is None or isinstance(value, int | str):
        return value
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, datetime):
        return to_utc_iso(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, UUID):
        return str(value)
    if isinstance(value, float):
        raise TypeError("floats are not allowed in events; use Decimal or integer cents")
    raise TypeError(f"cannot serialise {type(value).__name__} in an event")


def _sort_key(value: Any) -> str:
    return canonical_json(value)


def canonical_json(value: Any) -> str:
    """Deterministic JSON text: sorted keys, no insignificant whitespace, UTF-8 as is."""
    return json.dumps(
        canonical_value(value), sort_keys=True, separators=(",", ":"), ensure_ascii=False
    )


def register_upcaster(event_type: str, from_version: int) -> Callable[[Upcaster], Upcaster]:
    """Register a function turning a payload of `from_version` into `from_version + 1`."""

    def decorate(fn: Upcaster) -> Upcaster:
        key = (event_type, from_version)
        if key in _UPCASTERS:
            raise TypeError(f"an upcaster for {event_type} v{from_version} is already registered")
        _UPCASTERS[key] = fn
        return fn

    return decorate


def event_class(event_type: str) -> type[DomainEvent]:
    try:
        return _REGISTRY[event_type]
    except KeyError:
        raise UnknownEventType(f"unknown event type {event_type!r}") from None


def upcast(event_type: str, schema_version: int, payload: dict[str, Any]) -> dict[str, Any]:
    cls = event_class(event_type)
    if schema_version > cls.schema_version:
        raise EventSchemaTooNew(
            f"{event_type} v{schema_version} is newer than this code's v{cls.schema_version}"
        )
    data = dict(payload)
    for version in range(schema_version, cls.schema_version):
        try:
            data = _UPCASTERS[(event_type, version)](data)
        except KeyError:
            raise EventSchemaTooNew(
                f"no upcaster from {event_type} v{version} to v{version + 1}"
            ) from None
    return data


def load_event(
    event_type: str, schema_version: int, event_id: UUID | str, payload: dict[str, Any]
) -> DomainEvent:
    """Rebuild a typed event from its stored form, upcasting older schema versions."""
    cls = event_class(event_type)
    data = upcast(event_type, schema_version, payload)
    return cls.model_validate({**data, "event_id": event_id})


def load_event_json(
    event_type: str, schema_version: int, event_id: UUID | str, payload: bytes
) -> DomainEvent:
    """`load_event` from the payload's stored JSON text (an object), which pydantic parses and
    validates in one pass, with no dict in between: the same event, by the same validation.
    A payload of an older schema version is decoded and upcast first, as `load_event` does."""
    cls = event_class(event_type)
    body = payload.strip()
    if schema_version != cls.schema_version or body[:1] != b"{" or body[-1:] != b"}":
        return load_event(event_type, schema_version, event_id, json.loads(payload))
    inner = body[1:-1].strip()
    # The envelope's event id is added last, so that it wins over any key of the payload, as
    # `load_event`'s `{**data, "event_id": event_id}` does (a JSON object's last key wins).
    event_key = b'"event_id": ' + json.dumps(str(event_id)).encode()
    return cls.model_validate_json(b"{" + inner + (b", " if inner else b"") + event_key + b"}")


class NewEvent(BaseModel):
    """An event on its way to the store: the envelope an activity receives from a workflow."""

    model_config = ConfigDict(frozen=True)

    event_id: UUID
    event_type: str
    schema_version: int
    payload: dict[str, Any]
    actor: str = Field(min_length=1, description="who did it: a person's id, 'hris', 'system'")
    causation_id: str | None = Field(None, description="the command, update or signal id")

    @classmethod
    def of(cls, event: DomainEvent, actor: str, causation_id: str | None = None) -> NewEvent:
        return cls(
            event_id=event.event_id,
            event_type=event.event_type,
            schema_version=event.schema_version,
            payload=event.payload(),
            actor=actor,
            causation_id=causation_id,
        )

    def to_domain(self) -> DomainEvent:
        return load_event(self.event_type, self.schema_version, self.event_id, self.payload)


def registered_event_types() -> Iterable[str]:
    return sorted(_REGISTRY)


class AppendEvents(BaseModel):
    """What a workflow asks the event store to append to its stream."""

    model_config = ConfigDict(frozen=True)

    stream_id: str = Field(min_length=1)
    expected_version: int = Field(ge=0)
    events: list[NewEvent] = Field(min_length=1)


class AppendOutcome(BaseModel):
    model_config = ConfigDict(frozen=True)

    stream_id: str
    version: int
    appended: int
    duplicates: int
