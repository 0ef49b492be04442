"""Ed25519 key pairs kept outside the database: the event log's checkpoint key and the key
that signs the district's badges.

Each pair has a setting that names its private key (PEM, PKCS#8) and one that names its public
key. Left unset, the embedded default lives in the data folder, is made on first use with its
public key beside it (`<name>.pub.pem`), and is readable by its owner only. Verifying needs only
the public key.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
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

from pathways.config import ConfigError


@dataclass(frozen=True)
class KeyPair:
    """Where one key pair is configured: the settings' names and the embedded default."""

    private_setting: str
    public_setting: str
    default: Path
    private: Path | None = None
    public: Path | None = None

    def signing_key(self) -> Ed25519PrivateKey:
        """The configured private key; the embedded default is made on first use."""
        if self.private is None:
            if not self.default.exists():
                return _create(self.default)
            return _private_key(self.default, self.private_setting)
        return _private_key(self.private, self.private_setting)

    def public_key(
        self, given: Path | None = None, flag: str = "--public-key"
    ) -> Ed25519PublicKey | None:
        """The key to verify with: the one given, the public key setting, or the private key's
        public half; None when there is none."""
        for path, name in ((given, flag), (self.public, self.public_setting)):
            if path is not None:
                return _public_key(path, name)
        private = self.private or self.default
        if public_key_path_of(private).exists():
            return _public_key(public_key_path_of(private), "the signing key's public key")
        if private.exists():
            return _private_key(private, self.private_setting).public_key()
        return None


def public_key_path_of(private_key_path: Path) -> Path:
    return private_key_path.with_name(private_key_path.stem + ".pub.pem")


def public_pem(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo)


def private_pem(key: Ed25519PrivateKey) -> bytes:
    return key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption())


def _create(path: Path) -> Ed25519PrivateKey:
    key = Ed25519PrivateKey.generate()
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as out:
        out.write(private_pem(key))
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
