"""Properties over many generated inputs (hypothesis): canonical JSON and hashing, money, and
the domain's definition and repayment decisions. Example counts are bounded so the whole file
runs in seconds."""

from __future__ import annotations

import json
import random
import tomllib
import uuid
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from activities.eventstore import _canonical_payload, chain_hash, event_bytes
from domain.aspiring_principals.program import AspiringDefinitionError, AspiringPrincipalsYear
from domain.definitions import parse
from domain.events import canonical_json
from domain.fellowship.program import FellowshipDefinitionError, FellowshipProgram
from domain.money import cents_from_dollars, dollars
from domain.program import ProgramDefinitionError, ProgramYear, parse_program_year
from domain.refusals import DefinitionError
from domain.service_commitment.rules import (
    RepaymentForm,
    ServiceRules,
    ServiceRulesDefinitionError,
    compute_repayment,
)

ROOT = Path(__file__).resolve().parent.parent
BOUNDED = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# JSON values as events carry them: no floats (refused), any text (NUL and astral included).
text = st.text(st.characters(codec="utf-8"), max_size=12)
scalars = st.none() | st.booleans() | st.integers(-(2**70), 2**70) | text
json_values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(text, inner, max_size=4),
    max_leaves=20,
)
payloads = st.dictionaries(text, json_values, max_size=6)


@BOUNDED
@given(json_values)
def test_canonical_json_round_trips(value: Any) -> None:
    assert json.loads(canonical_json(value)) == value


@BOUNDED
@given(payloads, st.randoms(use_true_random=False))
def test_key_order_does_not_change_the_canonical_form(payload: dict[str, Any], rnd: Any) -> None:
    items = list(payload.items())
    rnd.shuffle(items)
    assert canonical_json(dict(items)) == canonical_json(payload)


@BOUNDED
@given(payloads)
def test_the_append_path_serialises_exactly_as_canonical_json(payload: dict[str, Any]) -> None:
    assert _canonical_payload(payload) == canonical_json(payload).encode("utf-8")


@BOUNDED
@given(payloads, st.randoms(use_true_random=False))
def test_equal_events_hash_equal_and_a_change_changes_the_hash(
    payload: dict[str, Any], rnd: Any
) -> None:
    items = list(payload.items())
    rnd.shuffle(items)
    common: dict[str, Any] = dict(
        stream_id="s",
        stream_version=1,
        event_id=uuid.UUID(int=7),
        event_type="TestHappened",
        schema_version=1,
        metadata={"actor": "a"},
        recorded_at=datetime(2027, 1, 1, tzinfo=UTC),
    )
    one = chain_hash(bytes(32), event_bytes(payload=payload, **common))
    same = chain_hash(bytes(32), event_bytes(payload=dict(items), **common))
    assert one == same
    changed = chain_hash(bytes(32), event_bytes(payload={**payload, "\x00extra": 1}, **common))
    assert changed != one


@BOUNDED
@given(st.text(max_size=8))
def test_nul_and_control_characters_are_escaped_not_dropped(value: str) -> None:
    nul = "\x00" + value
    encoded = canonical_json({"v": nul})
    assert "\x00" not in encoded and "\\u0000" in encoded
    assert json.loads(encoded) == {"v": nul}


# --- money ----------------------------------------------------------------------------------


@BOUNDED
@given(st.integers(-(10**12), 10**12))
def test_dollars_show_every_cent_and_read_back(cents: int) -> None:
    shown = dollars(cents)
    assert shown.startswith("-$" if cents < 0 else "$")
    assert shown.endswith(f".{abs(cents) % 100:02d}")
    assert cents_from_dollars(shown) == cents


@BOUNDED
@given(st.text(max_size=16))
def test_any_text_is_an_amount_or_one_value_error(raw: str) -> None:
    try:
        cents = cents_from_dollars(raw)
    except ValueError as error:
        assert str(error)
    else:
        assert isinstance(cents, int)


@pytest.mark.parametrize("raw", ["Infinity", "-inf", "NaN", "sNaN", "1e400000000"])
def test_amounts_that_are_not_finite_or_absurd_are_refused(raw: str) -> None:
    with pytest.raises(ValueError, match="amount"):
        cents_from_dollars(raw)


# --- repayment --------------------------------------------------------------------------------


def service_rules(**changes: Any) -> ServiceRules:
    path = ROOT / "domain" / "programs" / "plf_service_commitment.toml"
    data = tomllib.loads(path.read_text("utf-8"))
    data.update(changes)
    data = {k: v for k, v in data.items() if v is not None}
    return ServiceRules.model_validate(data)


forms = st.sampled_from(
    [
        {"repayment": "pro_rata", "crediting": "pro_rata_months"},
        {"repayment": "pro_rata", "crediting": "whole_years"},
        {"repayment": "all_or_nothing", "crediting": "pro_rata_months"},
        {
            "repayment": "fixed_per_year",
            "crediting": "whole_years",
            "fixed_amount_per_year_cents": 1_000_000,
            "cap_cents": 3_500_000,
        },
    ]
)


@BOUNDED
@given(
    forms,
    st.integers(0, 10**9),
    st.integers(0, 200),
    st.integers(0, 200),
    st.sampled_from([None, {"annual_rate": "0.05"}]),
)
def test_repayment_is_whole_cents_never_more_than_owed_and_falls_as_service_grows(
    form: dict[str, Any], assistance: int, served: int, more: int, interest: Any
) -> None:
    rules = service_rules(**form, interest=interest)
    when = {"graduated_on": date(2027, 6, 1), "separated_on": date(2029, 6, 1)}
    first = compute_repayment(rules, assistance, served, **when)
    later = compute_repayment(rules, assistance, served + more, **when)
    for owed in (first, later):
        assert owed.principal_cents + owed.interest_cents == owed.owed_cents
        assert owed.principal_cents >= 0 and owed.interest_cents >= 0
        if rules.repayment is not RepaymentForm.FIXED_PER_YEAR:
            assert owed.principal_cents <= assistance
        elif rules.cap_cents is not None:
            assert owed.principal_cents <= rules.cap_cents
        if interest is None:
            assert owed.interest_cents == 0
    assert later.owed_cents <= first.owed_cents
    if served >= rules.obligation_months:
        assert first.owed_cents == 0


@BOUNDED
@given(st.integers(0, 10**9), st.integers(0, 48))
def test_pro_rata_shares_of_served_and_unserved_time_add_up_to_the_assistance(
    assistance: int, served: int
) -> None:
    rules = service_rules(repayment="pro_rata", crediting="pro_rata_months", interest=None)
    obligation = rules.obligation_months
    owed = compute_repayment(
        rules, assistance, served, graduated_on=date(2027, 6, 1), separated_on=date(2029, 6, 1)
    ).owed_cents
    exact = Decimal(assistance) * (obligation - min(served, obligation)) / obligation
    assert abs(owed - exact) <= Decimal("0.5")


# --- definitions: refused with a message, or accepted ------------------------------------------

field_values = (
    st.none()
    | st.booleans()
    | st.integers(-5, 10**6)
    | st.text(max_size=30)
    | st.dates().map(str)
    | st.lists(st.text(max_size=8), max_size=3)
    | st.dictionaries(st.text(max_size=8), st.integers(), max_size=2)
)


def _mutated(data: dict[str, Any], rnd: random.Random, value: Any, delete: bool) -> dict[str, Any]:
    """The definition with one field (top level or one level down) replaced or removed."""
    copy = json.loads(json.dumps(data, default=str))
    target = copy
    key = rnd.choice(sorted(target))
    if isinstance(target[key], list) and target[key] and isinstance(target[key][0], dict):
        target = rnd.choice(target[key])
        key = rnd.choice(sorted(target))
    if delete:
        del target[key]
    else:
        target[key] = value
    return copy


def _accepted_or_refused(model: type[Any], data: dict[str, Any], error: type[Any]) -> None:
    try:
        parse(model, data, "generated", error)
    except DefinitionError as refused:
        assert str(refused).startswith("generated is not valid: ")
        assert refused.code == "definition.invalid"


DEFINITIONS = [
    ("teacher_leader_2027_28.toml", ProgramYear, ProgramDefinitionError),
    ("plf_fellowship_2027.toml", FellowshipProgram, FellowshipDefinitionError),
    ("lbusd_aspiring_principals_2027_28.toml", AspiringPrincipalsYear, AspiringDefinitionError),
    ("plf_service_commitment.toml", ServiceRules, ServiceRulesDefinitionError),
]


@pytest.mark.parametrize(("sample", "model", "error"), DEFINITIONS)
@BOUNDED
@given(value=field_values, delete=st.booleans(), rnd=st.randoms(use_true_random=False))
def test_a_definition_with_any_field_changed_is_accepted_or_refused_with_a_message(
    sample: str, model: type[Any], error: type[Any], value: Any, delete: bool, rnd: random.Random
) -> None:
    path = ROOT / "domain" / "programs" / sample
    data = _mutated(tomllib.loads(path.read_text("utf-8")), rnd, value, delete)
    _accepted_or_refused(model, data, error)


def test_the_program_year_entry_point_refuses_as_the_parser_does() -> None:
    with pytest.raises(ProgramDefinitionError, match=r"^generated is not valid: ") as refused:
        parse_program_year({"program_year": None}, "generated")
    assert refused.value.code == "definition.invalid"


@BOUNDED
@given(st.text(max_size=40))
def test_any_time_zone_name_is_accepted_or_refused_with_a_message(name: str) -> None:
    _accepted_or_refused(
        ServiceRules,
        {**service_rules().model_dump(mode="json"), "time_zone": name},
        ServiceRulesDefinitionError,
    )
