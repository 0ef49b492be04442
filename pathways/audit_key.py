"""The key that signs the event log's checkpoints, kept outside the database.

`AUDIT_SIGNING_KEY` names the Ed25519 private key (PEM, PKCS#8). Left unset, the embedded
default is `<PATHWAYS_DATA_DIR>/audit/signing_key.pem`, made on first use with its public key
beside it (`signing_key.pub.pem`). Verifying needs only the public key: `AUDIT_PUBLIC_KEY`,
or `audit verify --public-key FILE`, or the default one in the data folder.
"""

from __future__ import annotations

import os
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    PublicFormat,
    load_pem_private_key,
    load_pem_public_key,
)

from pathways.config import ConfigError, Settings


def default_signing_key_path(settings: Settings) -> Path:
    return settings.data_dir / "audit" / "signing_key.pem"


def public_key_path_of(private_key_path: Path) -> Path:
    return private_key_path.with_name(private_key_path.stem + ".pub.pem")


def signing_key(settings: Settings) -> Ed25519PrivateKey:
    """The configured private key; the embedded default is made on first use."""
    path = settings.audit_signing_key
    if path is None:
        path = default_signing_key_path(settings)
        if not path.exists():
            return _create(path)
    return _private_key(path, "AUDIT_SIGNING_KEY")


def public_key(settings: Settings, given: Path | None = None) -> Ed25519PublicKey | None:
    """The key verify checks checkpoints with: the one given, AUDIT_PUBLIC_KEY, or the
    embedded default's public key; None when there is none."""
    for path, name in ((given, "--public-key"), (settings.audit_public_key, "AUDIT_PUBLIC_KEY")):
        if path is not None:
            return _public_key(path, name)
    private = settings.audit_signing_key or default_signing_key_path(settings)
    if public_key_path_of(private).exists():
        return _public_key(public_key_path_of(private), "the signing key's public key")
    if private.exists():
        return _private_key(private, "AUDIT_SIGNING_KEY").public_key()
    return None


def public_pem(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo)


def _create(path: Path) -> Ed25519PrivateKey:
    key = Ed25519PrivateKey.generate()
    path.parent.mkdir(parents=True, exist_ok=True)
    pem = key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption())
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as out:
        out.write(pem)
    public_key_path_of(path).write_bytes(public_pem(key.public_key()))
    return key


def _private_key(path: Path, name: str) -> Ed25519PrivateKey:
    try:
        key = load_pem_private_key(path.read_bytes(), password=None)
    except (OSError, ValueError, TypeError) as error:
        detail = f"cannot read an Ed25519 private key from {path}: {error}"
        raise ConfigError(f"{name}: {detail}") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise ConfigError(f"{name}: {path} is not an Ed25519 private key")
    return key


def _public_key(path: Path, name: str) -> Ed25519PublicKey:
    try:
        key = load_pem_public_key(path.read_bytes())
    except (OSError, ValueError) as error:
        detail = f"cannot read an Ed25519 public key from {path}: {error}"
        raise ConfigError(f"{name}: {detail}") from None
    if not isinstance(key, Ed25519PublicKey):
        raise ConfigError(f"{name}: {path} is not an Ed25519 public key")
    return key
