"""API keys: how they look, how they are hashed, how they are checked.

A key is ``vw_`` + an 8-character key id + a 32-character secret (URL-safe base64, 192 bits). The
key id is stored in clear so a key can be found, listed and revoked by it; the whole key is stored
only as ``sha256(salt || key)`` with a random per-key salt, and compared in constant time. Keys are
high-entropy random strings, so a slow password hash would add latency and no security.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import string
from dataclasses import dataclass

__all__ = ["KEY_PREFIX", "ApiKey", "digest", "generate_key", "key_id_of", "matches"]

KEY_PREFIX = "vw_"
_ID_LEN = 8
_ID_ALPHABET = string.ascii_lowercase + string.digits
_DUMMY_SALT = bytes(16)


@dataclass(frozen=True, kw_only=True)
class ApiKey:
    """What the server knows about a key (never the key itself)."""

    key_id: str
    name: str
    units: int
    created_at: float
    revoked_at: float | None = None

    @property
    def active(self) -> bool:
        return self.revoked_at is None


def generate_key() -> tuple[str, str, bytes, str]:
    """A new key: ``(key, key_id, salt, digest)``."""
    key_id = "".join(secrets.choice(_ID_ALPHABET) for _ in range(_ID_LEN))
    key = KEY_PREFIX + key_id + secrets.token_urlsafe(24)
    salt = secrets.token_bytes(16)
    return key, key_id, salt, digest(salt, key)


def digest(salt: bytes, key: str) -> str:
    return hashlib.sha256(salt + key.encode("utf-8", "surrogatepass")).hexdigest()


def key_id_of(key: str) -> str | None:
    """The key id inside a presented key, or None when it cannot be one of ours."""
    if not key.startswith(KEY_PREFIX) or len(key) < len(KEY_PREFIX) + _ID_LEN + 1 or len(key) > 256:
        return None
    return key[len(KEY_PREFIX) : len(KEY_PREFIX) + _ID_LEN]


def matches(key: str, salt: bytes | None, stored: str | None) -> bool:
    """Constant-time check of a presented key against a stored digest.

    With no stored digest (unknown key id) it still hashes, so an unknown id takes as long as a
    wrong secret.
    """
    computed = digest(salt if salt is not None else _DUMMY_SALT, key)
    return hmac.compare_digest(computed, stored if stored is not None else "0" * len(computed))
