"""Personal data in the event log sealed with a key per person (wrapped by the district's key
ring), and a person erased by destroying their key: the chains still verify, money and dates
remain, and what the personal fields said reads "[erased]" in the log, the timeline and the
read model. Erasure is refused, with the rule that keeps the records, while one does."""

from __future__ import annotations

import asyncio
import subprocess
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from uuid import uuid4

import asyncpg
import pytest
from temporalio.client import Client

from activities.careers import readable_timeline
from activities.eventstore import EventStore
from activities.local_systems import LocalHris
from activities.logchain import verify_log
from activities.person_keys import PersonalDataSealed, PersonKeyError
from activities.readmodel import ReadModel
from domain.career.events import CareerHrApplied
from domain.events import DomainEvent, NewEvent
from domain.explain import explain
from domain.external import Employee, EmploymentStatus
from domain.policy import PolicyRefusal
from domain.privacy import (
    ERASED,
    PrivacyRecord,
    PrivacyRefusal,
    RetentionRules,
    decide_erasure,
    erased_status,
)
from domain.program import Role
from domain.teacher_leader.events import (
    ApplicantIdentified,
    ApplicationSubmitted,
    JourneyWithdrawn,
    StipendDecided,
)
from pathways.payload_codec import KeyRing, person_keys
from pathways.privacy import (
    erase_person,
    lift_hold,
    place_hold,
    plaintext_left,
    privacy_record,
)
from tests.test_cli import one_error_line, run

STREAM = "teacher-leader/2026-27/peer_coach/t-9"
NOW = datetime(2031, 3, 2, 17, 0, tzinfo=UTC)
TODAY = date(2031, 3, 2)
RULES = RetentionRules()


def stamp(minutes: int = 0) -> dict[str, object]:
    return {"event_id": uuid4(), "occurred_at": datetime(2026, 9, 1, tzinfo=UTC) + timedelta(
        minutes=minutes)}  # fmt: skip


def journey() -> list[DomainEvent]:
    return [
        ApplicationSubmitted(**stamp(0), employee_id="t-9", role=Role.PEER_COACH, cohort=None,
                             school_id="grape-street-es", program_year="2026-27",
                             submitted_by="t-9"),
        ApplicantIdentified(**stamp(1), full_name="Dana Whitfield", email="dana@district.example"),
        StipendDecided(**stamp(2), paid=False, amount_cents=250_000, role=Role.PEER_COACH,
                       rule="attendance", reasons=["attended 3 of 5 sessions"]),
        JourneyWithdrawn(**stamp(3), withdrawn_by="t-9", reason="family emergency"),
    ]  # fmt: skip


async def raw_payloads(pool: asyncpg.Pool) -> str:
    return str(await pool.fetchval("SELECT string_agg(payload::text, ' ') FROM events"))


async def test_personal_fields_are_stored_sealed_per_person_and_read_opened(
    pool: asyncpg.Pool, tmp_path: Path
) -> None:
    KeyRing.create(tmp_path / "keys.json")
    store = EventStore(pool, person_keys(tmp_path / "keys.json"))
    events = journey()
    appended = [NewEvent.of(e, "system") for e in events]
    await store.append(STREAM, appended)

    raw = await raw_payloads(pool)
    for personal in ("Dana Whitfield", "dana@district.example", "family emergency"):
        assert personal not in raw
    assert "250000" in raw and "attended 3 of 5 sessions" in raw  # money and the rule's words
    assert [e.to_domain() for e in await store.read_stream(STREAM)] == events
    # A retried append seals to the same bytes: it is a duplicate, not a conflict.
    again = await store.append(STREAM, appended)
    assert (again.appended, again.duplicates) == (0, 4)
    assert (await store.verify_stream(STREAM)).ok

    # Without the ring the chains verify (what is stored is what is hashed), and reading a
    # personal field refuses in words rather than showing ciphertext.
    plain = EventStore(pool)
    assert (await plain.verify_stream(STREAM)).ok
    stored = await plain.read_stream(STREAM)
    with pytest.raises(PersonalDataSealed, match="needs PAYLOAD_KEYS"):
        stored[1].to_domain()
    assert stored[2].to_domain() == events[2]  # nothing personal: read as it is
    # Another ring cannot open the keys.
    KeyRing.create(tmp_path / "other.json")
    with pytest.raises(PersonKeyError, match="does not open with master key"):
        await EventStore(pool, person_keys(tmp_path / "other.json")).read_stream(STREAM)


async def test_erasure_is_refused_while_a_rule_keeps_the_records_and_then_shreds_them(
    pool: asyncpg.Pool, client: Client, tmp_path: Path
) -> None:
    KeyRing.create(tmp_path / "keys.json")
    people = person_keys(tmp_path / "keys.json")
    store = EventStore(pool, people)
    await store.append(STREAM, [NewEvent.of(e, "system") for e in journey()])
    model = ReadModel(pool, people=people)
    await model.catch_up()
    [row] = await model.journeys()
    assert row["full_name"] == "Dana Whitfield"
    hr = Employee(employee_id="t-9", full_name="Dana Whitfield", email="dana@district.example",
                  role="teacher", school_id="grape-street-es")  # fmt: skip

    async def erase(by: str = "director:maya", employee: Employee = hr) -> str:
        done = await erase_person(store, "t-9", employee, by, RULES, NOW, TODAY, [model])
        return done.rule

    async def refused(code: str, employee: Employee = hr) -> None:
        with pytest.raises(PrivacyRefusal) as caught:
            await erase(employee=employee)
        assert caught.value.code == code, str(caught.value)

    await refused("privacy.employed")  # HR lists them as employed
    gone = hr.model_copy(update={"status": EmploymentStatus.SEPARATED})
    await refused("privacy.retention", gone)  # no separation date on record
    separation = CareerHrApplied(
        event_id=uuid4(), occurred_at=NOW - timedelta(days=365), hr_event_id="hr-77",
        kind="separation", effective_on=date(2028, 6, 30), reason="relocated", source="hris",
    )  # fmt: skip
    await store.append("career/t-9", [NewEvent.of(separation, "hris")])
    await refused("privacy.retention", gone)  # kept until 2031-06-30
    later = TODAY.replace(year=2032)
    # A legal hold, placed and lifted by named people, keeps them whatever the dates say.
    await place_hold(store, "t-9", "LH-7", "grievance 2031-14", "auditor:kay", NOW)
    with pytest.raises(PrivacyRefusal) as held:
        await erase_person(store, "t-9", gone, "director:maya", RULES, NOW, later, [model])
    assert held.value.code == "privacy.legal_hold" and "LH-7" in str(held.value)
    with pytest.raises(PolicyRefusal):  # a teacher cannot lift it
        await lift_hold(store, "t-9", "LH-7", "t-1", NOW)
    with pytest.raises(PolicyRefusal):  # nor can the person erase themselves
        await erase_person(store, "t-9", gone, "t-9", RULES, NOW, later, [model])
    await lift_hold(store, "t-9", "LH-7", "auditor:kay", NOW)

    before = await pool.fetch("SELECT hash FROM events ORDER BY global_position")
    done = await erase_person(store, "t-9", gone, "operator:jo", RULES, NOW, later, [model])
    assert "separated 2028-06-30" in done.rule

    # The log's rows are untouched (the erasure added one event to the privacy stream): every
    # chain verifies, the log's included.
    after = await pool.fetch("SELECT hash FROM events ORDER BY global_position")
    assert after[: len(before)] == before and len(after) == len(before) + 1
    assert all(v.ok for v in await store.verify_all())
    assert (await verify_log(pool, None)).ok
    # What the personal fields said reads "[erased]"; money, dates and the rule's words remain.
    read = await store.read_stream(STREAM)
    identified = read[1].to_domain()
    assert isinstance(identified, ApplicantIdentified) and identified.full_name == ERASED
    assert identified.email == ERASED and read[1].erased
    withdrawn = read[3].to_domain()
    assert isinstance(withdrawn, JourneyWithdrawn) and withdrawn.reason == ERASED
    decided = read[2].to_domain()
    assert isinstance(decided, StipendDecided) and decided.amount_cents == 250_000
    lines = explain((e.to_domain(), "system") for e in read)
    assert all("Dana" not in line.what for line in lines)
    [row] = await model.journeys()
    assert row["full_name"] == ERASED and row["end_reason"] == ERASED
    # Their career as every door shows it: from the log, HR's reason erased.
    career = await readable_timeline(client, store, "t-9")
    assert "relocated" not in career.model_dump_json() and career.employed is False
    assert [t.what for t in career.timeline] == [f"separated from the district: {ERASED}"]
    assert await plaintext_left(pool, "t-9") == 0
    with pytest.raises(PrivacyRefusal) as twice:
        await erase_person(store, "t-9", gone, "operator:jo", RULES, NOW, later, [model])
    assert twice.value.code == "privacy.erased"
    # What arrives for them afterwards is stored erased, never readable.
    late = ApplicantIdentified(**stamp(9), full_name="Dana Whitfield", email="d@x.example")
    await store.append(STREAM, [NewEvent.of(late, "system")])
    assert "Dana" not in await raw_payloads(pool)
    # The privacy stream holds who did what.
    record = await privacy_record(store, "t-9", gone)
    assert record.erased is not None and record.erased.erased_by == "operator:jo"
    assert record.holds == {}


def test_grant_funded_records_are_kept_three_years_after_the_final_report() -> None:
    record = PrivacyRecord("t-9", {}, None, False, date(2026, 6, 30), paid=True)
    with pytest.raises(PrivacyRefusal) as undated:
        decide_erasure(record, RULES, date(2031, 1, 1))
    assert undated.value.code == "privacy.grant_retention"
    filed = RetentionRules(grant_final_report_on=date(2028, 9, 30))
    with pytest.raises(PrivacyRefusal, match="until 2031-09-30"):
        decide_erasure(record, filed, date(2031, 9, 29))
    assert "report of 2028-09-30" in decide_erasure(record, filed, date(2031, 9, 30))
    leap = PrivacyRecord("t-9", {}, None, False, date(2028, 2, 29), paid=False)
    with pytest.raises(PrivacyRefusal, match="until 2031-03-01"):
        decide_erasure(leap, RULES, date(2031, 2, 28))  # three full years end with February
    assert decide_erasure(leap, RULES, date(2031, 3, 1))


def test_what_a_door_shows_of_an_erased_person_is_masked_at_any_depth() -> None:
    """A journey's answer comes from Temporal, whose copy is under the district's key: the web
    app, the API and the command line mask it for an erased person."""
    hr = Employee(employee_id="t-9", full_name="Dana Whitfield", email="dana@district.example",
                  role="teacher", school_id="grape-street-es")  # fmt: skip
    masked = erased_status(hr)
    assert (masked.full_name, masked.email) == (ERASED, ERASED)
    assert (masked.employee_id, masked.school_id) == ("t-9", "grape-street-es")


async def test_the_command_line_holds_and_erases_or_says_in_one_line_what_keeps_them(
    pool: asyncpg.Pool, database_url: str, tmp_path: Path
) -> None:
    keys = tmp_path / "keys.json"
    KeyRing.create(keys)
    store = EventStore(pool, person_keys(keys))
    await store.append(STREAM, [NewEvent.of(e, "system") for e in journey()])
    await LocalHris(pool).upsert_employee(
        Employee(employee_id="t-9", full_name="Dana Whitfield", email="dana@district.example",
                 role="teacher", school_id="grape-street-es")
    )  # fmt: skip
    env = {"DATABASE_URL": database_url, "PAYLOAD_KEYS": str(keys),
           "NON_HR_ACTORS": "hris,university,payroll,auditor:kay,operator:jo"}  # fmt: skip

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return run("privacy", *args, **env)

    status = await asyncio.to_thread(cli, "status", "t-9")
    assert status.returncode == 0, status.stderr
    assert "kept (privacy.employed)" in status.stdout
    held = await asyncio.to_thread(
        cli, "hold", "t-9", "--id", "LH-1", "--matter", "records request", "--by", "auditor:kay"
    )
    assert held.returncode == 0, held.stderr
    refused = await asyncio.to_thread(cli, "erase", "t-9", "--by", "operator:jo")
    assert refused.returncode != 0
    assert "under legal hold LH-1" in one_error_line(refused)
    stranger = await asyncio.to_thread(cli, "erase", "t-9", "--by", "operator:nobody")
    assert "operator:nobody is not an actor this district configured" in one_error_line(stranger)
    assert "Dana" not in await raw_payloads(pool)


async def test_events_stored_before_the_key_ring_are_counted_as_left_in_plain_text(
    pool: asyncpg.Pool,
) -> None:
    await EventStore(pool).append(STREAM, [NewEvent.of(e, "system") for e in journey()])
    assert await plaintext_left(pool, "t-9") == 2  # the name and e-mail; the reason given


async def test_a_rotated_key_ring_wraps_new_person_keys_and_opens_the_old(
    pool: asyncpg.Pool, tmp_path: Path
) -> None:
    keys = tmp_path / "keys.json"
    ring = KeyRing.create(keys)
    await EventStore(pool, person_keys(keys)).append(
        STREAM, [NewEvent.of(e, "system") for e in journey()]
    )
    added, kid = ring.with_new_key()
    added.using(kid).save(keys)
    store = EventStore(pool, person_keys(keys))
    other = "teacher-leader/2026-27/peer_coach/t-10"
    named = ApplicantIdentified(**stamp(5), full_name="Lee Park", email="lee@district.example")
    await store.append(other, [NewEvent.of(named, "system")])
    masters = dict(await pool.fetch("SELECT person_id, master_key FROM person_keys"))
    assert masters == {"t-9": "k1", "t-10": "k2"}
    assert [e.to_domain() for e in await store.read_stream(other)] == [named]
    old = (await store.read_stream(STREAM))[1].to_domain()  # sealed under k1's wrapping
    assert isinstance(old, ApplicantIdentified) and old.full_name == "Dana Whitfield"


async def test_an_append_retried_across_the_ring_or_an_erasure_is_a_duplicate(
    pool: asyncpg.Pool, tmp_path: Path
) -> None:
    """An activity that stored its events, then is retried after the district turned the key
    ring on (or after the person was erased), finds them stored: no conflict, nothing new."""
    KeyRing.create(tmp_path / "keys.json")
    people = person_keys(tmp_path / "keys.json")
    assert people is not None
    plain = [NewEvent.of(e, "system") for e in journey()]
    await EventStore(pool).append(STREAM, plain)
    again = await EventStore(pool, people).append(STREAM, plain, expected_version=0)
    assert (again.appended, again.duplicates) == (0, 4)
    other = "teacher-leader/2026-27/peer_coach/t-11"
    sealed = [NewEvent.of(e, "system") for e in journey()]
    store = EventStore(pool, people)
    await store.append(other, sealed)
    await people.erase(pool, "t-11", "operator:jo")
    again = await store.append(other, sealed, expected_version=0)
    assert (again.appended, again.duplicates) == (0, 4)
