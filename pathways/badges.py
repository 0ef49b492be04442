"""A certificate or certification as an Open Badges 3.0 credential (a VC-JWT, EdDSA).

The district signs with its badge key (`BADGE_SIGNING_KEY`; the embedded default is
`<PATHWAYS_DATA_DIR>/badges/signing_key.pem`, made on first use with its public key beside it).
Anyone holding the public key verifies a badge offline: the signature, the dates it is valid
between, and the achievement it names. The credential's id is derived from the journey's
certificate id, so exporting the same award twice gives the same credential id.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from openbadgeslib.ob3 import (
    Achievement,
    Issuer,
    OB3Signer,
    OB3VerificationError,
    OB3Verifier,
    OpenBadgeCredential,
)

from domain.catalog.records import RecordKind, TrainingRecord
from domain.refusals import Refusal
from pathways.config import Settings
from pathways.keys import KeyPair, private_pem, public_pem

_NAMESPACE = uuid.UUID("6c1c3e4e-6a51-4f64-9d0b-1c6f1b1d2a77")
AWARDS = (RecordKind.CERTIFICATE, RecordKind.CERTIFICATION, RecordKind.RENEWAL)


def badge_keys(settings: Settings) -> KeyPair:
    return KeyPair(
        "BADGE_SIGNING_KEY",
        "BADGE_PUBLIC_KEY",
        settings.data_dir / "badges" / "signing_key.pem",
        settings.badge_signing_key,
        settings.badge_public_key,
    )


def issuer_id(settings: Settings, provider: str) -> str:
    """BADGE_ISSUER_ID, or a stable URN made from the provider's name."""
    if settings.badge_issuer_id:
        return settings.badge_issuer_id
    return "urn:pathways:issuer:" + re.sub(r"[^a-z0-9]+", "-", provider.lower()).strip("-")


def award_of(records: list[TrainingRecord]) -> TrainingRecord:
    """The journey's award as it stands now: the latest certificate, certification or renewal.
    Refused when the journey has none, or when its certification has expired."""
    awards = [r for r in records if r.kind in AWARDS]
    if not awards:
        journey = records[0].journey_id if records else "the journey"
        raise Refusal(
            f"{journey} has awarded no certificate or certification yet: there is nothing to "
            "export",
            code="badge.not_awarded",
        )
    award = awards[-1]
    if award.status == "expired":
        raise Refusal(
            f"{award.credential} of {award.full_name} expired on {award.expires_on}: renew it "
            "before a badge is exported",
            code="badge.expired",
        )
    return award


@dataclass(frozen=True)
class Badge:
    token: str
    credential_id: str


def issue(settings: Settings, records: list[TrainingRecord], email: str) -> Badge:
    """Sign the journey's award for the person with `email`."""
    award = award_of(records)
    parts = [r.title for r in records if r.kind is RecordKind.PART]
    issuer = issuer_id(settings, award.provider)
    kind = "Certification" if award.kind is not RecordKind.CERTIFICATE else "Certificate"
    achievement = Achievement(
        id=f"{issuer}/achievements/{award.program_key}",
        name=award.credential or award.title,
        description=(
            f"{award.program_title}, {award.school_year}: {award.hours} hours of professional "
            f"learning provided by {award.provider}."
        ),
        criteria_narrative=(
            "Completed every required part of the program: " + "; ".join(parts)
            if parts
            else f"Completed {award.program_title}."
        ),
        tags=list(award.competencies),
        achievement_type=kind,
    )
    key = award.credential_id or f"{award.journey_id}/{award.completed_on}"
    credential = OpenBadgeCredential(
        issuer=Issuer(id=issuer, name=award.provider),
        recipient_id=f"mailto:{email}",
        achievement=achievement,
        id=f"urn:uuid:{uuid.uuid5(_NAMESPACE, f'{key}/{award.completed_on}')}",
        name=f"{award.credential or award.title}: {award.full_name}",
        issuance_date=_midnight(award.completed_on),
        expiration_date=_midnight(award.expires_on) if award.expires_on else None,
    )
    signer = OB3Signer(private_pem(badge_keys(settings).signing_key()), algorithm="EdDSA")
    return Badge(token=signer.sign(credential), credential_id=str(credential.id))


@dataclass(frozen=True)
class Verified:
    holder: str
    achievement: str
    issuer: str
    valid_from: str
    valid_until: str | None
    credential_id: str

    def line(self) -> str:
        until = f" until {self.valid_until}" if self.valid_until else ""
        return (
            f"valid: {self.achievement} for {self.holder}, issued by {self.issuer}, "
            f"from {self.valid_from}{until} ({self.credential_id})"
        )


def verify(token: str, key: Ed25519PublicKey) -> Verified:
    """Check a badge offline with the district's public key; a Refusal says why it fails."""
    try:
        credential = OB3Verifier(public_pem(key)).verify(token.strip())
    except OB3VerificationError as error:
        cause = error.__cause__
        code = (
            "badge.expired"
            if isinstance(cause, jwt.ExpiredSignatureError)
            else "badge.not_yet_valid"
            if isinstance(cause, jwt.ImmatureSignatureError)
            else "badge.invalid"
        )
        raise Refusal(f"the badge does not verify: {error}", code=code) from None
    raw: dict[str, Any] = credential.raw or {}
    return Verified(
        holder=str(credential.recipient_id or "-").removeprefix("mailto:"),
        achievement=credential.achievement.name,
        issuer=f"{credential.issuer.name} ({credential.issuer.id})",
        valid_from=str(raw.get("validFrom", credential.issuance_date)),
        valid_until=raw.get("validUntil"),
        credential_id=str(credential.id),
    )


def write(badge: Badge, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(badge.token + "\n", encoding="utf-8")


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=UTC)
