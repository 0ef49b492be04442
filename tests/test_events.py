"""Canonical serialisation of domain events, the store envelope, and schema upcasting."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest
from pydantic import ValidationError

from domain.events import (
    DomainEvent,
    EventSchemaTooNew,
    NewEvent,
    UnknownEventType,
    canonical_json,
    canonical_value,
    event_class,
    load_event,
    load_event_json,
    register_upcaster,
    registered_event_types,
    upcast,
)
from domain.program import Role
from domain.teacher_leader.events import (
    ApplicationDecided,
    CommitmentRequested,
    CommitmentSigned,
    DecisionOutcome,
    MakeUpRecorded,
    SelectionScores,
    Signer,
    StipendDecided,
    SubstituteReimbursementDecided,
)

LOS_ANGELES = timezone(timedelta(hours=-7))
ID = uuid.UUID(int=1)


# --- test-only event types ----------------------------------------------------------------


class ThingHappened(DomainEvent):
    """Version 2 renamed `name` to `thing_name`."""

    event_type = "test.ThingHappened"
    schema_version = 2

    thing_name: str
    count: int


@register_upcaster("test.ThingHappened", 1)
def _thing_v1_to_v2(payload: dict[str, Any]) -> dict[str, Any]:
    data = dict(payload)
    data["thing_name"] = data.pop("name")
    return data


class GadgetBuilt(DomainEvent):
    """Version 3, but only the step from 2 to 3 is known."""

    event_type = "test.GadgetBuilt"
    schema_version = 3

    size: int


@register_upcaster("test.GadgetBuilt", 2)
def _gadget_v2_to_v3(payload: dict[str, Any]) -> dict[str, Any]:
    return {**payload, "size": payload.get("size", 1)}


class Measured(DomainEvent):
    """An event that (wrongly) carries a float."""

    event_type = "test.Measured"

    value: float


def signed(occurred_at: datetime) -> CommitmentSigned:
    return CommitmentSigned(
        event_id=ID, occurred_at=occurred_at, signer=Signer.TEACHER, signer_id="e-1001"
    )


# --- canonical JSON ------------------------------------------------------------------------


def test_canonical_json_sorts_keys_and_has_no_spaces() -> None:
    text = canonical_json({"b": [1, {"z": 1, "a": "é"}], "a": "x y", "c": None, "d": True})

    assert text == '{"a":"x y","b":[1,{"a":"é","z":1}],"c":null,"d":true}'


def test_an_events_canonical_form_is_exact() -> None:
    event = signed(datetime(2027, 5, 14, 17, tzinfo=LOS_ANGELES))

    assert canonical_json(event) == (
        '{"event_id":"00000000-0000-0000-0000-000000000001",'
        '"occurred_at":"2027-05-15T00:00:00Z","signer":"teacher","signer_id":"e-1001"}'
    )
    assert event.payload() == {
        "occurred_at": "2027-05-15T00:00:00Z",
        "signer": "teacher",
        "signer_id": "e-1001",
    }


def test_datetimes_become_utc_with_a_trailing_z() -> None:
    request = CommitmentRequested(
        event_id=ID,
        occurred_at=datetime(2027, 5, 20, 9, 30, tzinfo=LOS_ANGELES),
        principal_id="e-9001",
        principal_name="Principal Rivera",
        principal_email="e-9001@district.example",
        deadline=datetime(2027, 6, 11, 17, 0, 0, 250000, tzinfo=LOS_ANGELES),
    )

    payload = request.payload()

    assert payload["occurred_at"] == "2027-05-20T16:30:00Z"
    assert payload["deadline"] == "2027-06-12T00:00:00.250000Z"
    assert canonical_value(datetime(2027, 1, 1, tzinfo=UTC)) == "2027-01-01T00:00:00Z"
    assert canonical_value(date(2027, 1, 1)) == "2027-01-01"


def test_decimals_become_strings_exactly_as_written() -> None:
    decided = SubstituteReimbursementDecided(
        event_id=ID,
        occurred_at=datetime(2028, 6, 30, tzinfo=UTC),
        school_id="grape-street-es",
        sessions=["seminar-1"],
        substitute_days=Decimal("1500.00"),
        daily_rate_cents=21500,
        partner_share=Decimal("0.80"),
        amount_cents=51_600,
    )

    payload = decided.payload()

    assert payload["substitute_days"] == "1500.00"
    assert payload["partner_share"] == "0.80"
    assert canonical_json({"x": Decimal("1E+3")}) == '{"x":"1000"}'
    assert canonical_json({"x": Decimal("0.000001")}) == '{"x":"0.000001"}'


def test_floats_are_refused() -> None:
    with pytest.raises(TypeError, match=r"^floats are not allowed in events; use Decimal"):
        canonical_json({"amount": 0.1})
    with pytest.raises(TypeError, match="floats are not allowed"):
        canonical_value([1, 2.5])
    with pytest.raises(TypeError, match="floats are not allowed"):
        Measured(event_id=ID, occurred_at=datetime(2027, 1, 1, tzinfo=UTC), value=1.5).payload()


def test_values_that_have_no_json_form_are_refused() -> None:
    with pytest.raises(TypeError, match=r"^cannot serialise bytes in an event$"):
        canonical_json({"blob": b"\x00"})


def test_naive_datetimes_are_refused() -> None:
    with pytest.raises(ValueError, match=r"^timestamps in events must carry a time zone$"):
        canonical_json({"at": datetime(2027, 1, 1, 8, 0)})
    with pytest.raises(ValidationError, match="timezone"):
        signed(datetime(2027, 1, 1, 8, 0))
    # Every timestamp field of an event is refused naive when the event is built.
    with pytest.raises(ValidationError, match="timezone"):
        CommitmentRequested(
            event_id=ID,
            occurred_at=datetime(2027, 5, 20, tzinfo=UTC),
            principal_id="e-9001",
            principal_name="Principal Rivera",
            principal_email="e-9001@district.example",
            deadline=datetime(2027, 6, 11, 17, 0),
        )


def test_the_same_event_always_gives_the_same_bytes() -> None:
    def decided(occurred_at: datetime) -> ApplicationDecided:
        return ApplicationDecided(
            event_id=ID,
            occurred_at=occurred_at,
            outcome=DecisionOutcome.ACCEPTED,
            scores=SelectionScores(time=4, mindset=3, skillset=2, experience=1),
            decided_by="office:ana",
            note="strong data work",
        )

    in_los_angeles = decided(datetime(2027, 5, 20, 10, tzinfo=LOS_ANGELES))
    in_utc = decided(datetime(2027, 5, 20, 17, tzinfo=UTC))

    assert canonical_json(in_los_angeles) == canonical_json(in_utc)
    assert canonical_json(in_los_angeles.payload()) == canonical_json(in_utc.payload())
    assert canonical_json(in_los_angeles.payload()) == (
        '{"decided_by":"office:ana","note":"strong data work","occurred_at":"2027-05-20T17:00:00Z",'
        '"outcome":"accepted","scores":{"experience":1,"mindset":3,"skillset":2,"time":4}}'
    )
    # A payload read back from JSON storage gives the same bytes again.
    stored = json.loads(json.dumps(in_los_angeles.payload()))
    assert canonical_json(stored) == canonical_json(in_utc.payload())


def test_sets_are_written_in_a_fixed_order() -> None:
    assert canonical_json({"x": {"b", "c", "a"}}) == '{"x":["a","b","c"]}'
    assert canonical_json({"x": frozenset({"c", "a"})}) == canonical_json({"x": ["a", "c"]})


# --- the envelope --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "event",
    [
        signed(datetime(2027, 5, 14, 17, tzinfo=LOS_ANGELES)),
        ApplicationDecided(
            event_id=uuid.UUID(int=2),
            occurred_at=datetime(2027, 5, 20, 17, tzinfo=UTC),
            outcome=DecisionOutcome.WAITLISTED,
            scores=SelectionScores(time=1, mindset=2, skillset=3, experience=4),
            decided_by="office:ana",
        ),
        SubstituteReimbursementDecided(
            event_id=uuid.UUID(int=3),
            occurred_at=datetime(2028, 6, 30, 17, tzinfo=LOS_ANGELES),
            school_id="grape-street-es",
            sessions=["seminar-1", "peer-coach-seminar"],
            substitute_days=Decimal("1.5"),
            daily_rate_cents=21500,
            partner_share=Decimal("0.80"),
            amount_cents=25_800,
        ),
        StipendDecided(
            event_id=uuid.UUID(int=4),
            occurred_at=datetime(2028, 6, 30, 17, tzinfo=UTC),
            paid=False,
            amount_cents=0,
            role=Role.PEER_COACH,
            rule="all sessions",
            reasons=["absent from seminar-1", "deliverable 'log' not submitted"],
        ),
        MakeUpRecorded(
            event_id=uuid.UUID(int=5),
            occurred_at=datetime(2027, 10, 1, 17, tzinfo=UTC),
            session_id="seminar-1",
            completed_on=date(2027, 9, 29),
            recorded_by="office:ana",
        ),
    ],
    ids=lambda e: e.event_type,
)
def test_new_event_round_trips_to_the_domain_event(event: DomainEvent) -> None:
    envelope = NewEvent.of(event, "office:ana", causation_id="update-7")

    assert envelope.event_id == event.event_id
    assert envelope.event_type == event.event_type
    assert envelope.schema_version == 1
    assert envelope.actor == "office:ana"
    assert envelope.causation_id == "update-7"
    assert envelope.payload == event.payload()
    assert envelope.to_domain() == event
    assert type(envelope.to_domain()) is type(event)
    # Through JSON, as the payload is stored, it still comes back the same.
    again = NewEvent.model_validate_json(envelope.model_dump_json())
    assert again.to_domain() == event
    assert canonical_json(again.to_domain()) == canonical_json(event)
    # From the stored JSON text (as PostgreSQL writes jsonb out, with spaces), parsed and
    # validated in one pass: the same event.
    text = json.dumps(event.payload()).encode()
    loaded = load_event_json(event.event_type, 1, str(event.event_id), text)
    assert loaded == event
    assert type(loaded) is type(event)
    assert canonical_json(loaded) == canonical_json(event)


def test_a_new_event_needs_an_actor() -> None:
    with pytest.raises(ValidationError, match="actor"):
        NewEvent.of(signed(datetime(2027, 5, 1, tzinfo=UTC)), "")


# --- versions and upcasting ----------------------------------------------------------------

V1_PAYLOAD = {"occurred_at": "2027-03-01T08:00:00Z", "name": "kettle", "count": 2}


def test_an_older_payload_is_upcast_to_the_current_model() -> None:
    event = load_event("test.ThingHappened", 1, "00000000-0000-0000-0000-000000000009", V1_PAYLOAD)

    assert event == ThingHappened(
        event_id=uuid.UUID(int=9),
        occurred_at=datetime(2027, 3, 1, 8, tzinfo=UTC),
        thing_name="kettle",
        count=2,
    )
    # The stored payload is not changed by reading it.
    assert V1_PAYLOAD == {"occurred_at": "2027-03-01T08:00:00Z", "name": "kettle", "count": 2}


def test_a_current_payload_is_loaded_as_is() -> None:
    payload = {"occurred_at": "2027-03-01T08:00:00Z", "thing_name": "kettle", "count": 2}

    event = load_event("test.ThingHappened", 2, uuid.UUID(int=9), payload)

    assert isinstance(event, ThingHappened)
    assert event.thing_name == "kettle"
    assert NewEvent.of(event, "tester").schema_version == 2


def test_loading_from_json_text_upcasts_and_refuses_as_load_event_does() -> None:
    older = load_event_json("test.ThingHappened", 1, str(uuid.UUID(int=9)), b' {"occurred_at": '
                            b'"2027-03-01T08:00:00Z", "name": "kettle", "count": 2} ')  # fmt: skip
    assert older == load_event("test.ThingHappened", 1, uuid.UUID(int=9), V1_PAYLOAD)
    # The envelope's event id wins over one in the payload, as in load_event.
    stray_id = {**V1_PAYLOAD, "thing_name": "kettle", "event_id": str(uuid.UUID(int=7))}
    del stray_id["name"]
    for load in (
        lambda: load_event("test.ThingHappened", 2, uuid.UUID(int=9), stray_id),
        lambda: load_event_json(
            "test.ThingHappened", 2, uuid.UUID(int=9), json.dumps(stray_id).encode()
        ),
    ):
        assert load().event_id == uuid.UUID(int=9)
    with pytest.raises(ValidationError, match="thing_name"):
        load_event_json("test.ThingHappened", 2, ID, json.dumps(V1_PAYLOAD).encode())
    with pytest.raises(ValidationError, match="occurred_at"):
        load_event_json("test.ThingHappened", 2, ID, b"{}")
    with pytest.raises(EventSchemaTooNew):
        load_event_json("test.ThingHappened", 3, ID, b"{}")
    with pytest.raises(UnknownEventType):
        load_event_json("test.NoSuchThing", 1, ID, b"{}")


def test_a_v1_payload_loaded_as_v2_without_upcasting_is_refused() -> None:
    with pytest.raises(ValidationError, match="thing_name"):
        load_event("test.ThingHappened", 2, uuid.UUID(int=9), V1_PAYLOAD)


def test_a_payload_from_a_newer_schema_is_refused() -> None:
    with pytest.raises(EventSchemaTooNew) as refused:
        load_event("test.ThingHappened", 3, uuid.UUID(int=9), V1_PAYLOAD)

    assert str(refused.value) == "test.ThingHappened v3 is newer than this code's v2"


def test_a_missing_step_in_the_upcaster_chain_is_refused() -> None:
    payload = {"occurred_at": "2027-03-01T08:00:00Z", "size": 4}

    with pytest.raises(EventSchemaTooNew) as refused:
        upcast("test.GadgetBuilt", 1, payload)

    assert str(refused.value) == "no upcaster from test.GadgetBuilt v1 to v2"
    assert upcast("test.GadgetBuilt", 2, payload) == payload


def test_an_unknown_event_type_is_refused() -> None:
    with pytest.raises(UnknownEventType) as refused:
        load_event("test.NeverHeardOf", 1, uuid.UUID(int=9), {})

    assert str(refused.value) == "unknown event type 'test.NeverHeardOf'"
    with pytest.raises(UnknownEventType):
        event_class("teacher_leader.Nope")


def test_registering_an_upcaster_twice_is_refused() -> None:
    with pytest.raises(TypeError, match=r"^an upcaster for test\.ThingHappened v1 is already"):
        register_upcaster("test.ThingHappened", 1)(lambda payload: payload)


def test_another_class_cannot_take_a_registered_event_type() -> None:
    with pytest.raises(TypeError, match=r"'test\.ThingHappened' is already registered by"):

        class Impostor(DomainEvent):
            event_type = "test.ThingHappened"

    assert event_class("test.ThingHappened") is ThingHappened


def test_the_registry_knows_the_teacher_leader_events() -> None:
    types = list(registered_event_types())

    assert types == sorted(types)
    assert "teacher_leader.CommitmentSigned" in types
    assert "test.ThingHappened" in types
    assert event_class("teacher_leader.CommitmentSigned") is CommitmentSigned


def test_events_are_immutable() -> None:
    event = signed(datetime(2027, 5, 1, tzinfo=UTC))

    with pytest.raises(ValidationError, match="frozen"):
        event.signer_id = "e-5555"  # type: ignore[misc]
