"""The key that signs the event log's checkpoints, kept outside the database.

`AUDIT_SIGNING_KEY` names the Ed25519 private key (PEM, PKCS#8). Left unset, the embedded
default is `<PATHWAYS_DATA_DIR>/audit/signing_key.pem`, made on first use with its public key
beside it (`signing_key.pub.pem`). Verifying needs only the public key: `AUDIT_PUBLIC_KEY`,
or `audit verify --public-key FILE`, or the default one in the data folder.
"""

from __future__ import annotations

from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from pathways.config import Settings
from pathways.keys import KeyPair, public_key_path_of, public_pem

__all__ = ["public_key_path_of", "public_pem"]


def default_signing_key_path(settings: Settings) -> Path:
    return settings.data_dir / "audit" / "signing_key.pem"


def _pair(settings: Settings) -> KeyPair:
    return KeyPair(
        "AUDIT_SIGNING_KEY",
        "AUDIT_PUBLIC_KEY",
        default_signing_key_path(settings),
        settings.audit_signing_key,
        settings.audit_public_key,
    )


def signing_key(settings: Settings) -> Ed25519PrivateKey:
    """The configured private key; the embedded default is made on first use."""
    return _pair(settings).signing_key()


def public_key(settings: Settings, given: Path | None = None) -> Ed25519PublicKey | None:
    """The key verify checks checkpoints with: the one given, AUDIT_PUBLIC_KEY, or the
    embedded default's public key; None when there is none."""
    return _pair(settings).public_key(given)
