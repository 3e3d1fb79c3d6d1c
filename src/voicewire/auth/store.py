"""The KeyStore interface, and MemoryKeyStore: the fake for unit tests of other layers.

Stores are chosen by URL (``open_store``): the embedded SQLite file under ``VOICEWIRE_HOME`` by
default. Every implementation passes ``tests/auth/test_store_contract.py``.
"""

from __future__ import annotations

import threading
import time
from abc import ABC, abstractmethod

from voicewire.auth.keys import ApiKey, generate_key, key_id_of, matches
from voicewire.exceptions import InvalidField, NotFound

__all__ = ["KeyStore", "MemoryKeyStore", "check_new_key"]


def check_new_key(name: str, units: int) -> None:
    if not name or len(name) > 64 or not name.isprintable():
        raise InvalidField("name", name, "1 to 64 printable characters")
    if isinstance(units, bool) or not isinstance(units, int) or not 1 <= units <= 10_000:
        raise InvalidField("units", units, "an integer from 1 to 10000")


class KeyStore(ABC):
    """Where API keys live. Blocking calls: the server runs them off the event loop."""

    @abstractmethod
    def create(self, name: str = "default", units: int = 1) -> tuple[ApiKey, str]:
        """Make a key; returns its record and the key itself, which is never retrievable again."""
        raise NotImplementedError("The 'create' method must be implemented.")

    @abstractmethod
    def verify(self, key: str) -> ApiKey | None:
        """The record of an active key, or None for an unknown, wrong or revoked key."""
        raise NotImplementedError("The 'verify' method must be implemented.")

    @abstractmethod
    def list(self) -> list[ApiKey]:
        """Every key, revoked ones too, oldest first."""
        raise NotImplementedError("The 'list' method must be implemented.")

    @abstractmethod
    def revoke(self, ref: str) -> ApiKey:
        """Revoke the key with key id or name ``ref``.

        Raises:
            NotFound: no key has that id or name (or a name matches several keys).
        """
        raise NotImplementedError("The 'revoke' method must be implemented.")

    def has_active_key(self) -> bool:
        return any(k.active for k in self.list())

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release connections."""


class MemoryKeyStore(KeyStore):
    def __init__(self) -> None:
        self._rows: dict[str, tuple[ApiKey, bytes, str]] = {}
        self._lock = threading.Lock()

    def create(self, name: str = "default", units: int = 1) -> tuple[ApiKey, str]:
        check_new_key(name, units)
        key, key_id, salt, digest = generate_key()
        record = ApiKey(key_id=key_id, name=name, units=units, created_at=time.time())
        with self._lock:
            self._rows[key_id] = (record, salt, digest)
        return record, key

    def verify(self, key: str) -> ApiKey | None:
        key_id = key_id_of(key)
        row = self._rows.get(key_id) if key_id else None
        ok = matches(key, row[1] if row else None, row[2] if row else None)
        return row[0] if row and ok and row[0].active else None

    def list(self) -> list[ApiKey]:
        return sorted((r[0] for r in self._rows.values()), key=lambda k: k.created_at)

    def revoke(self, ref: str) -> ApiKey:
        with self._lock:
            record = _find(self.list(), ref)
            revoked = ApiKey(
                key_id=record.key_id,
                name=record.name,
                units=record.units,
                created_at=record.created_at,
                revoked_at=time.time(),
            )
            _, salt, digest = self._rows[record.key_id]
            self._rows[record.key_id] = (revoked, salt, digest)
        return revoked


def _find(keys: list[ApiKey], ref: str) -> ApiKey:
    by_id = [k for k in keys if k.key_id == ref]
    if by_id:
        return by_id[0]
    by_name = [k for k in keys if k.name == ref and k.active]
    if len(by_name) == 1:
        return by_name[0]
    if len(by_name) > 1:
        raise NotFound(f"Several active keys are named {ref!r}; revoke by key id (see `voicewire keys list`).")
    raise NotFound(f"No key has id or name {ref!r} (see `voicewire keys list`).")
