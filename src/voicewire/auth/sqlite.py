"""SqliteStore: the embedded default, one file under ``VOICEWIRE_HOME``, shared by the processes of a host.

WAL mode lets key checks read while another process writes; ``busy_timeout`` makes a locked
database wait instead of failing at once. Commits do not wait for the disk (``synchronous =
NORMAL``: 80 instead of 410 us per admission; a power cut may lose the last leases or usage
records, never the file), except those that make or revoke a key, which must outlive a power cut.

A lease is taken inside ``BEGIN IMMEDIATE``, which holds the database's write lock across "count the
live leases, insert one": two processes cannot both see the last free slot. A pronunciation dictionary
is made the same way ("count the owner's dictionaries, insert one"); its items are one JSON column.
"""

from __future__ import annotations

import builtins
import sqlite3
import threading
import time
from collections.abc import Sequence
from pathlib import Path

from voicewire.auth.keys import ApiKey, generate_key, key_id_of, matches
from voicewire.auth.store import (
    PronunciationDict,
    Store,
    Usage,
    check_new_key,
    dict_not_found,
    find_key,
    items_from_json,
    items_to_json,
    lease_parts,
    new_dict_id,
    new_lease_id,
)
from voicewire.exceptions import StoreError, TooManyDictionaries
from voicewire.text.lexicon import LexiconEntry

__all__ = ["SqliteStore"]

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
CREATE TABLE IF NOT EXISTS leases (
    lease_id   TEXT PRIMARY KEY,
    key_id     TEXT NOT NULL,
    pool       TEXT NOT NULL,
    expires_at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS leases_by_pool ON leases (key_id, pool);
CREATE TABLE IF NOT EXISTS usage (
    key_id     TEXT PRIMARY KEY,
    requests   INTEGER NOT NULL,
    characters INTEGER NOT NULL,
    seconds    REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS pronunciation_dicts (
    dict_id    TEXT PRIMARY KEY,
    owner      TEXT NOT NULL,
    items      TEXT NOT NULL,
    created_at REAL NOT NULL,
    updated_at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS dicts_by_owner ON pronunciation_dicts (owner, created_at);
"""
_SELECT_DICT = "SELECT dict_id, owner, items, created_at, updated_at FROM pronunciation_dicts"

_SELECT_KEY = "SELECT key_id, name, units, created_at, revoked_at, salt, digest FROM keys"


class SqliteStore(Store):
    def __init__(self, path: Path, *, busy_timeout_ms: int = 5000, mode: str = "rwc") -> None:
        """``mode`` is SQLite's: ``rwc`` (create if missing), ``rw``, or ``ro`` (read keys and usage
        from a read-only home; every write is then a StoreError)."""
        self.path = path
        self._lock = threading.Lock()
        try:
            if mode == "rwc":
                path.parent.mkdir(parents=True, exist_ok=True)
            uri = f"file:{path}?mode={mode}"
            self._db = sqlite3.connect(uri, uri=True, check_same_thread=False, isolation_level=None)
            self._db.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
            if mode != "ro":
                self._db.execute("PRAGMA journal_mode = WAL")
                self._db.execute("PRAGMA synchronous = NORMAL")
                self._db.executescript(_SCHEMA)
        except (sqlite3.Error, OSError) as exc:
            raise StoreError(f"Cannot open the key store {str(path)!r}: {exc}.") from None

    def _run(self, sql: str, args: Sequence[object] = ()) -> list[tuple[object, ...]]:
        try:
            with self._lock:
                return self._db.execute(sql, tuple(args)).fetchall()
        except sqlite3.Error as exc:
            raise StoreError(f"Key store {str(self.path)!r} failed: {exc}.") from None

    def _durably(self, sql: str, args: Sequence[object]) -> None:
        """One write that waits for the disk: a printed key must not vanish in a power cut."""
        self._run("PRAGMA synchronous = FULL")
        try:
            self._run(sql, args)
        finally:
            self._run("PRAGMA synchronous = NORMAL")

    # -- keys ------------------------------------------------------------------------------------
    def create(self, name: str = "default", units: int = 1) -> tuple[ApiKey, str]:
        check_new_key(name, units)
        key, key_id, salt, digest = generate_key()
        now = time.time()
        self._durably(
            "INSERT INTO keys (key_id, name, salt, digest, units, created_at) VALUES (?, ?, ?, ?, ?, ?)",
            (key_id, name, salt, digest, units, now),
        )
        return ApiKey(key_id=key_id, name=name, units=units, created_at=now), key

    def verify(self, key: str) -> ApiKey | None:
        key_id = key_id_of(key)
        rows = self._run(_SELECT_KEY + " WHERE key_id = ?", (key_id,)) if key_id else []
        row = rows[0] if rows else None
        salt, stored = (row[5], row[6]) if row else (None, None)
        ok = matches(key, salt if isinstance(salt, bytes) else None, stored if isinstance(stored, str) else None)
        if row is None or not ok:
            return None
        record = _record(row)
        return record if record.active else None

    def get(self, key_id: str) -> ApiKey | None:
        rows = self._run(_SELECT_KEY + " WHERE key_id = ?", (key_id,))
        return _record(rows[0]) if rows else None

    def list(self) -> list[ApiKey]:
        return [_record(r) for r in self._run(_SELECT_KEY + " ORDER BY created_at")]

    def revoke(self, ref: str) -> ApiKey:
        record = find_key(self.list(), ref)
        now = time.time()
        self._durably("UPDATE keys SET revoked_at = ? WHERE key_id = ? AND revoked_at IS NULL", (now, record.key_id))
        return ApiKey(
            key_id=record.key_id, name=record.name, units=record.units, created_at=record.created_at, revoked_at=now
        )

    def has_active_key(self) -> bool:
        return bool(self._run("SELECT 1 FROM keys WHERE revoked_at IS NULL LIMIT 1"))

    # -- leases ----------------------------------------------------------------------------------
    def acquire(self, key_id: str, pool: str, limit: int, ttl: float) -> str | None:
        now = time.time()
        lease = new_lease_id(key_id, pool)
        try:
            with self._lock:
                db = self._db
                db.execute("BEGIN IMMEDIATE")
                try:
                    db.execute("DELETE FROM leases WHERE expires_at <= ?", (now,))
                    (held,) = db.execute(
                        "SELECT COUNT(*) FROM leases WHERE key_id = ? AND pool = ?", (key_id, pool)
                    ).fetchone()
                    if held >= limit:
                        db.execute("COMMIT")
                        return None
                    db.execute(
                        "INSERT INTO leases (lease_id, key_id, pool, expires_at) VALUES (?, ?, ?, ?)",
                        (lease, key_id, pool, now + ttl),
                    )
                    db.execute("COMMIT")
                except BaseException:
                    db.execute("ROLLBACK")
                    raise
        except sqlite3.Error as exc:
            raise StoreError(f"Key store {str(self.path)!r} failed: {exc}.") from None
        return lease

    def renew(self, lease_ids: Sequence[str], ttl: float) -> None:
        if not lease_ids:
            return
        expires = time.time() + ttl
        rows = [(lease, *lease_parts(lease), expires) for lease in lease_ids]
        try:
            with self._lock:
                self._db.executemany(
                    "INSERT INTO leases (lease_id, key_id, pool, expires_at) VALUES (?, ?, ?, ?) "
                    "ON CONFLICT (lease_id) DO UPDATE SET expires_at = excluded.expires_at",
                    rows,
                )
        except sqlite3.Error as exc:
            raise StoreError(f"Key store {str(self.path)!r} failed: {exc}.") from None

    def release(self, lease_ids: Sequence[str]) -> None:
        if lease_ids:
            marks = ",".join("?" * len(lease_ids))
            self._run(f"DELETE FROM leases WHERE lease_id IN ({marks})", list(lease_ids))

    def active(self, key_id: str, pool: str) -> int:
        rows = self._run(
            "SELECT COUNT(*) FROM leases WHERE key_id = ? AND pool = ? AND expires_at > ?", (key_id, pool, time.time())
        )
        return _int(rows[0][0])

    # -- usage -----------------------------------------------------------------------------------
    def record_usage(self, key_id: str, characters: int, audio_seconds: float) -> None:
        self._run(
            "INSERT INTO usage (key_id, requests, characters, seconds) VALUES (?, 1, ?, ?) "
            "ON CONFLICT (key_id) DO UPDATE SET requests = requests + 1, characters = characters + excluded.characters,"
            " seconds = seconds + excluded.seconds",
            (key_id, characters, audio_seconds),
        )

    def usage(self) -> builtins.list[Usage]:
        rows = self._run("SELECT key_id, requests, characters, seconds FROM usage ORDER BY key_id")
        return [Usage(str(r[0]), _int(r[1]), _int(r[2]), _float(r[3])) for r in rows]

    # -- pronunciation dictionaries ---------------------------------------------------------------
    def create_dict(self, owner: str, items: Sequence[LexiconEntry], *, limit: int) -> PronunciationDict:
        now = time.time()
        made = PronunciationDict(dict_id=new_dict_id(), owner=owner, items=tuple(items), created_at=now, updated_at=now)
        try:
            with self._lock:
                db = self._db
                db.execute("BEGIN IMMEDIATE")
                try:
                    count = "SELECT COUNT(*) FROM pronunciation_dicts WHERE owner = ?"
                    (held,) = db.execute(count, (owner,)).fetchone()
                    if held >= limit:
                        db.execute("COMMIT")
                        raise TooManyDictionaries(limit)
                    db.execute(
                        "INSERT INTO pronunciation_dicts (dict_id, owner, items, created_at, updated_at) "
                        "VALUES (?, ?, ?, ?, ?)",
                        (made.dict_id, owner, items_to_json(made.items), now, now),
                    )
                    db.execute("COMMIT")
                except TooManyDictionaries:
                    raise
                except BaseException:
                    db.execute("ROLLBACK")
                    raise
        except sqlite3.Error as exc:
            raise StoreError(f"Key store {str(self.path)!r} failed: {exc}.") from None
        return made

    def list_dicts(self, owner: str) -> builtins.list[PronunciationDict]:
        rows = self._run(_SELECT_DICT + " WHERE owner = ? ORDER BY created_at, dict_id", (owner,))
        return [_dict(r) for r in rows]

    def get_dicts(self, owner: str | None, dict_ids: Sequence[str]) -> builtins.list[PronunciationDict]:
        if not dict_ids:
            return []
        marks = ",".join("?" * len(dict_ids))
        rows = self._run(_SELECT_DICT + f" WHERE (? IS NULL OR owner = ?) AND dict_id IN ({marks})",
                         (owner, owner, *dict_ids))  # fmt: skip
        found = {d.dict_id: d for d in map(_dict, rows)}
        return [found[i] for i in dict.fromkeys(dict_ids) if i in found]

    def dict_stamps(self, owner: str | None, dict_ids: Sequence[str]) -> builtins.list[tuple[str, float]]:
        if not dict_ids:
            return []
        marks = ",".join("?" * len(dict_ids))
        where = f"WHERE (? IS NULL OR owner = ?) AND dict_id IN ({marks})"
        rows = self._run(f"SELECT dict_id, updated_at FROM pronunciation_dicts {where}", (owner, owner, *dict_ids))
        found = {str(dict_id): float(updated_at) for dict_id, updated_at in rows}  # type: ignore[arg-type]
        return [(i, found[i]) for i in dict.fromkeys(dict_ids) if i in found]

    def update_dict(self, owner: str, dict_id: str, items: Sequence[LexiconEntry]) -> PronunciationDict:
        now = time.time()
        rows = self._run(
            "UPDATE pronunciation_dicts SET items = ?, updated_at = ? WHERE dict_id = ? AND owner = ? "
            "RETURNING dict_id, owner, items, created_at, updated_at",
            (items_to_json(items), now, dict_id, owner),
        )
        if not rows:
            raise dict_not_found(dict_id)
        return _dict(rows[0])

    def delete_dict(self, owner: str, dict_id: str) -> None:
        rows = self._run("DELETE FROM pronunciation_dicts WHERE dict_id = ? AND owner = ? RETURNING dict_id",
                         (dict_id, owner))  # fmt: skip
        if not rows:
            raise dict_not_found(dict_id)

    def close(self) -> None:
        with self._lock:
            self._db.close()


def _record(row: tuple[object, ...]) -> ApiKey:
    key_id, name, units, created_at, revoked_at = row[:5]
    return ApiKey(
        key_id=str(key_id),
        name=str(name),
        units=_int(units),
        created_at=_float(created_at),
        revoked_at=None if revoked_at is None else _float(revoked_at),
    )


def _dict(row: tuple[object, ...]) -> PronunciationDict:
    dict_id, owner, items, created_at, updated_at = row
    if not isinstance(items, str):
        raise StoreError(f"Key store holds {items!r} where a dictionary's items belong.")
    return PronunciationDict(dict_id=str(dict_id), owner=str(owner), items=items_from_json(items),
                             created_at=_float(created_at), updated_at=_float(updated_at))  # fmt: skip


def _int(value: object) -> int:
    if not isinstance(value, int):
        raise StoreError(f"Key store holds {value!r} where a whole number belongs.")
    return value


def _float(value: object) -> float:
    if not isinstance(value, int | float):
        raise StoreError(f"Key store holds {value!r} where a number belongs.")
    return float(value)
