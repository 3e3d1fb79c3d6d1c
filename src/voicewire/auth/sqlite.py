"""SqliteKeyStore: the embedded default, one file under ``VOICEWIRE_HOME``, safe across processes.

WAL mode lets readers (every request's key check) run while a writer (``voicewire keys create``)
works; ``busy_timeout`` makes a locked database wait instead of failing at once.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from pathlib import Path

from voicewire.auth.keys import ApiKey, generate_key, key_id_of, matches
from voicewire.auth.store import KeyStore, _find, check_new_key
from voicewire.exceptions import StoreError

__all__ = ["SqliteKeyStore"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS keys (
    key_id     TEXT PRIMARY KEY,
    name       TEXT NOT NULL,
    salt       BLOB NOT NULL,
    digest     TEXT NOT NULL,
    units      INTEGER NOT NULL,
    created_at REAL NOT NULL,
    revoked_at REAL
);
"""


class SqliteKeyStore(KeyStore):
    def __init__(self, path: Path, *, busy_timeout_ms: int = 5000) -> None:
        self.path = path
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
            self._db.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
            self._db.execute("PRAGMA journal_mode = WAL")
            self._db.executescript(_SCHEMA)
        except (sqlite3.Error, OSError) as exc:
            raise StoreError(f"Cannot open the key store {str(path)!r}: {exc}.") from None
        self._lock = threading.Lock()

    def _query(self, sql: str, args: tuple[object, ...] = ()) -> list[tuple[object, ...]]:
        try:
            with self._lock:
                return self._db.execute(sql, args).fetchall()
        except sqlite3.Error as exc:
            raise StoreError(f"Key store {str(self.path)!r} failed: {exc}.") from None

    def create(self, name: str = "default", units: int = 1) -> tuple[ApiKey, str]:
        check_new_key(name, units)
        key, key_id, salt, digest = generate_key()
        now = time.time()
        self._query(
            "INSERT INTO keys (key_id, name, salt, digest, units, created_at) VALUES (?, ?, ?, ?, ?, ?)",
            (key_id, name, salt, digest, units, now),
        )
        return ApiKey(key_id=key_id, name=name, units=units, created_at=now), key

    def verify(self, key: str) -> ApiKey | None:
        key_id = key_id_of(key)
        rows = self._query(_SELECT + " WHERE key_id = ?", (key_id,)) if key_id else []
        row = rows[0] if rows else None
        salt = row[6] if row else None
        stored = row[7] if row else None
        ok = matches(key, salt if isinstance(salt, bytes) else None, stored if isinstance(stored, str) else None)
        if row is None or not ok:
            return None
        record = _record(row)
        return record if record.active else None

    def list(self) -> list[ApiKey]:
        return [_record(r) for r in self._query(_SELECT + " ORDER BY created_at")]

    def revoke(self, ref: str) -> ApiKey:
        record = _find(self.list(), ref)
        now = time.time()
        self._query("UPDATE keys SET revoked_at = ? WHERE key_id = ? AND revoked_at IS NULL", (now, record.key_id))
        return ApiKey(
            key_id=record.key_id, name=record.name, units=record.units, created_at=record.created_at, revoked_at=now
        )

    def has_active_key(self) -> bool:
        return bool(self._query("SELECT 1 FROM keys WHERE revoked_at IS NULL LIMIT 1"))

    def close(self) -> None:
        with self._lock:
            self._db.close()


_SELECT = "SELECT key_id, name, units, created_at, revoked_at, 0, salt, digest FROM keys"


def _record(row: tuple[object, ...]) -> ApiKey:
    key_id, name, units, created_at, revoked_at = row[:5]
    return ApiKey(
        key_id=str(key_id),
        name=str(name),
        units=int(units),  # type: ignore[call-overload]
        created_at=float(created_at),  # type: ignore[arg-type]
        revoked_at=None if revoked_at is None else float(revoked_at),  # type: ignore[arg-type]
    )
