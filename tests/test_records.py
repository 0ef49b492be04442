"""Training records (SB 513) from recorded journeys, and Open Badges 3.0 from their awards."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from temporalio.client import WorkflowHistory

from domain.catalog.definition import ProgramDefinition
from domain.catalog.events import CertificationExpired, ParticipantIdentified
from domain.catalog.records import RecordKind, TrainingRecord, total_hours, training_records
from domain.catalog.start import ProgramInput
from domain.events import DomainEvent, load_event
from domain.refusals import Refusal
from pathways import badges
from pathways.audit import appended_in_history, run_input
from pathways.config import Settings
from pathways.keys import KeyPair

HISTORIES = Path(__file__).parent / "histories"


async def recorded(name: str) -> tuple[list[DomainEvent], ProgramDefinition]:
    history = WorkflowHistory.from_json(name, (HISTORIES / f"{name}.json").read_text())
    appended = await appended_in_history(history)
    events = [load_event(e.event_type, e.schema_version, e.event_id, e.payload) for e in appended]
    definition = ProgramInput.model_validate((await run_input(history))["input"]).program
    return events, definition


def settings_in(tmp_path: Path) -> Settings:
    return Settings.model_validate({"PATHWAYS_DATA_DIR": tmp_path})


async def test_a_completed_certificate_lists_every_session_course_and_the_certificate() -> None:
    events, definition = await recorded("program_teacher_leader_certificate_completed")
    records = training_records("j", events, {definition.school_year: definition})
    kinds = [r.kind for r in records]
    assert kinds.count(RecordKind.SESSION) == 7  # two per course, one walkthroughs session
    assert kinds.count(RecordKind.PART) == 5
    assert kinds[-1] is RecordKind.CERTIFICATE
    certificate = records[-1]
    assert certificate.credential == "LBUSD Teacher Leader Certificate"
    assert certificate.provider == definition.provider
    assert certificate.full_name and certificate.employee_id
    assert certificate.hours == total_hours(records) == Decimal(21)
    assert "data analysis" in certificate.competencies
    sessions = {s.id: s for p in definition.parts for s in getattr(p, "sessions", ())}
    first = records[0]
    assert first.kind is RecordKind.SESSION
    assert (first.completed_on, first.hours) == (sessions["fm-1"].on, sessions["fm-1"].hours)
    assert all(r.competencies for r in records if r.kind is RecordKind.SESSION)


async def test_without_the_definition_the_courses_still_carry_date_and_hours() -> None:
    events, _ = await recorded("program_teacher_leader_certificate_completed")
    records = training_records("j", events)
    assert RecordKind.SESSION not in {r.kind for r in records}
    assert total_hours(records) == Decimal(21)
    assert all(r.completed_on and r.provider for r in records)


async def test_a_certification_is_valid_then_renewed_and_an_expiry_shows() -> None:
    certified, definition = await recorded("program_evaluation_certified_after_failing_twice")
    renewed, _ = await recorded("program_evaluation_renewed")
    (award,) = [r for r in training_records("j", certified) if r.kind is RecordKind.CERTIFICATION]
    assert (award.status, award.credential) == ("valid", "LBUSD Certified Evaluator")
    assert award.expires_on == date(
        award.completed_on.year + 4, *award.completed_on.timetuple()[1:3]
    )

    both = training_records("j", [*certified, *renewed])
    statuses = [(r.kind, r.status) for r in both if r.status]
    assert statuses == [(RecordKind.CERTIFICATION, "renewed"), (RecordKind.RENEWAL, "valid")]

    expired = CertificationExpired(
        event_id=uuid.uuid4(),
        occurred_at=datetime(2031, 2, 12, tzinfo=UTC),
        title=definition.title,
        expired_on=date(2031, 2, 12),
    )
    lapsed = training_records("j", [*certified, expired])
    assert [r.status for r in lapsed if r.status] == ["expired"]
    with pytest.raises(Refusal) as refused:
        badges.award_of(lapsed)
    assert refused.value.code == "badge.expired"


async def test_a_badge_verifies_offline_with_the_districts_public_key(tmp_path: Path) -> None:
    settings = settings_in(tmp_path)
    events, _ = await recorded("program_teacher_leader_certificate_completed")
    recorded_in_2045 = training_records("program/teacher_leader_certificate/2026-27/e-1001", events)
    records = [r.model_copy(update={"completed_on": date(2026, 6, 1)}) for r in recorded_in_2045]
    person = next(e for e in events if isinstance(e, ParticipantIdentified))
    badge = badges.issue(settings, records, person.email)
    again = badges.issue(settings, records, person.email)
    assert badge.credential_id == again.credential_id  # the same award, the same credential

    key = badges.badge_keys(settings).public_key()
    assert key is not None
    verified = badges.verify(badge.token, key)
    assert verified.holder == person.email
    assert verified.achievement == "LBUSD Teacher Leader Certificate"
    assert "LBUSD Office of Leadership Development" in verified.issuer
    assert verified.valid_until is None
    with pytest.raises(Refusal) as early:  # the history's clock ran two decades ahead
        badges.verify(badges.issue(settings, recorded_in_2045, person.email).token, key)
    assert early.value.code == "badge.not_yet_valid"

    # Another district's key, or a badge changed after signing, does not verify.
    other = KeyPair("X", "Y", tmp_path / "other" / "key.pem").signing_key().public_key()
    with pytest.raises(Refusal) as wrong_key:
        badges.verify(badge.token, other)
    assert wrong_key.value.code == "badge.invalid"
    head, body, signature = badge.token.split(".")
    tampered = ".".join([head, body[:-4] + ("AAAA" if body[-4:] != "AAAA" else "BBBB"), signature])
    with pytest.raises(Refusal) as changed:
        badges.verify(tampered, key)
    assert changed.value.code == "badge.invalid"


async def test_a_certification_badge_ends_when_the_certification_does(tmp_path: Path) -> None:
    settings = settings_in(tmp_path)
    events, _ = await recorded("program_evaluation_certified_after_failing_twice")
    (recorded_award,) = [
        r for r in training_records("j", events) if r.kind is RecordKind.CERTIFICATION
    ]
    today = date.today()
    award = recorded_award.model_copy(
        update={
            "completed_on": today - timedelta(days=30),
            "expires_on": today + timedelta(days=900),
        }
    )
    token = badges.issue(settings, [award], "a@district.example").token
    key = badges.badge_keys(settings).public_key()  # made with the first badge
    assert key is not None
    assert badges.verify(token, key).valid_until is not None

    old = award.model_copy(
        update={"completed_on": date(2016, 8, 1), "expires_on": date(2020, 8, 1)}
    )
    stale = badges.issue(settings, [old], "a@district.example")
    with pytest.raises(Refusal) as ended:
        badges.verify(stale.token, key)
    assert ended.value.code == "badge.expired"


def test_a_journey_without_an_award_has_no_badge() -> None:
    part = TrainingRecord(
        employee_id="e-1",
        full_name="A B",
        journey_id="program/x/2026-27/e-1",
        program_key="x",
        program_title="X",
        school_year="2026-27",
        kind=RecordKind.PART,
        title="Area 1",
        provider="LBUSD",
        completed_on=date(2026, 10, 1),
        hours=Decimal(0),
    )
    for records in ([], [part]):
        with pytest.raises(Refusal) as refused:
            badges.award_of(records)
        assert refused.value.code == "badge.not_awarded"


def test_the_issuer_is_configured_or_named_after_the_provider(tmp_path: Path) -> None:
    assert badges.issuer_id(settings_in(tmp_path), "LBUSD Office of Leadership") == (
        "urn:pathways:issuer:lbusd-office-of-leadership"
    )
    configured = Settings.model_validate(
        {"PATHWAYS_DATA_DIR": tmp_path, "BADGE_ISSUER_ID": "https://lbusd.example/issuer"}
    )
    assert badges.issuer_id(configured, "anything") == "https://lbusd.example/issuer"
