"""The store: API keys, concurrency leases, usage and pronunciation dictionaries, behind one interface.

Three implementations pass one contract suite (``tests/auth/test_store_contract.py``):

- ``SqliteStore`` (``voicewire.auth.sqlite``): the embedded default, one file under
  ``VOICEWIRE_HOME``; shared by the worker processes of one host.
- ``RedisStore`` (``voicewire.auth.redis``): shared by replicas on several hosts.
- ``MemoryStore`` (here): one process; the fake for unit tests of other layers.

A lease is one slot of a key's pool (``synthesis``: one per unit; ``socket``: five per unit). It
expires ``ttl`` seconds after it was taken or last renewed, so a crashed process frees its slots.
A pronunciation dictionary belongs to the key that made it (its ``owner``, the key id): every
dictionary call names the owner, and a dictionary of another key is, to it, one that does not exist.

Calls are blocking: the server runs them off the event loop.
"""

from __future__ import annotations

import builtins
import json
import secrets
import threading
import time
import uuid
from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass

from voicewire.auth.keys import ApiKey, generate_key, key_id_of, matches
from voicewire.exceptions import InvalidField, NotFound, StoreError, TooManyDictionaries
from voicewire.text.lexicon import LexiconEntry

__all__ = [
    "MemoryStore",
    "PronunciationDict",
    "Store",
    "Usage",
    "check_new_key",
    "dict_not_found",
    "find_key",
    "items_from_json",
    "items_to_json",
    "lease_parts",
    "new_dict_id",
    "new_lease_id",
]


@dataclass(frozen=True)
class Usage:
    """What a key has used, summed over every process."""

    key_id: str
    requests: int = 0
    characters: int = 0
    audio_seconds: float = 0.0


@dataclass(frozen=True, kw_only=True)
class PronunciationDict:
    """A pronunciation dictionary, as stored."""

    dict_id: str
    """24 lowercase hex digits, like the hosted service's ids."""
    owner: str
    """The key id of the key that made it."""
    items: tuple[LexiconEntry, ...]
    created_at: float
    updated_at: float


def new_dict_id() -> str:
    return secrets.token_hex(12)


def dict_not_found(dict_id: str) -> NotFound:
    return NotFound(f"Pronunciation dictionary {dict_id!r} not found (GET /waves/v1/pronunciation-dicts lists yours).")


def items_to_json(items: Sequence[LexiconEntry]) -> str:
    """The stored form of a dictionary's items (compact JSON)."""
    return json.dumps(
        [[i.word, i.pronunciation, 1] if i.case_sensitive else [i.word, i.pronunciation] for i in items],
        ensure_ascii=False,
        separators=(",", ":"),
    )


def items_from_json(raw: str | bytes) -> tuple[LexiconEntry, ...]:
    try:
        rows = json.loads(raw)
        return tuple(LexiconEntry(str(r[0]), str(r[1]), len(r) > 2 and bool(r[2])) for r in rows)
    except (ValueError, TypeError, IndexError) as exc:
        raise StoreError(f"The store holds a pronunciation dictionary it cannot read: {exc}.") from None


def check_new_key(name: str, units: int) -> None:
    if not name or len(name) > 64 or not name.isprintable():
        raise InvalidField("name", name, "1 to 64 printable characters")
    if isinstance(units, bool) or not isinstance(units, int) or not 1 <= units <= 10_000:
        raise InvalidField("units", units, "an integer from 1 to 10000")


def new_lease_id(key_id: str, pool: str) -> str:
    """Lease ids carry their key and pool, so a renewal can re-assert a lease that expired meanwhile."""
    return f"{key_id}|{pool}|{uuid.uuid4().hex}"


def lease_parts(lease_id: str) -> tuple[str, str]:
    key_id, pool, _ = lease_id.split("|", 2)
    return key_id, pool


class Store(ABC):
    """Keys, leases and usage. Every method may raise ``StoreError`` when the backend is unreachable."""

    # -- keys ------------------------------------------------------------------------------------
    @abstractmethod
    def create(self, name: str = "default", units: int = 1) -> tuple[ApiKey, str]:
        """Make a key; returns its record and the key itself, which is never retrievable again."""
        raise NotImplementedError("The 'create' method must be implemented.")

    @abstractmethod
    def verify(self, key: str) -> ApiKey | None:
        """The record of an active key, or None for an unknown, wrong or revoked key."""
        raise NotImplementedError("The 'verify' method must be implemented.")

    @abstractmethod
    def get(self, key_id: str) -> ApiKey | None:
        """The record of the key with ``key_id``, active or revoked; None if there is none.

        Lets a long-lived connection check that its key still stands without holding the key itself.
        """
        raise NotImplementedError("The 'get' method must be implemented.")

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

    # -- leases ----------------------------------------------------------------------------------
    @abstractmethod
    def acquire(self, key_id: str, pool: str, limit: int, ttl: float) -> str | None:
        """Take a slot of ``pool`` for ``key_id`` if fewer than ``limit`` are held; atomically.

        Expired leases do not count. Returns the lease id, or None when the pool is full.
        """
        raise NotImplementedError("The 'acquire' method must be implemented.")

    @abstractmethod
    def renew(self, lease_ids: Sequence[str], ttl: float) -> None:
        """Push the expiry of held leases ``ttl`` seconds out.

        A lease that expired meanwhile (the store was unreachable for longer than its ttl) is put
        back: its work is still running, so it still holds the slot.
        """
        raise NotImplementedError("The 'renew' method must be implemented.")

    @abstractmethod
    def release(self, lease_ids: Sequence[str]) -> None:
        """Give slots back at once. Unknown ids are ignored."""
        raise NotImplementedError("The 'release' method must be implemented.")

    @abstractmethod
    def active(self, key_id: str, pool: str) -> int:
        """Unexpired leases of a key's pool."""
        raise NotImplementedError("The 'active' method must be implemented.")

    # -- usage -----------------------------------------------------------------------------------
    @abstractmethod
    def record_usage(self, key_id: str, characters: int, audio_seconds: float) -> None:
        """Add one request or turn to a key's usage."""
        raise NotImplementedError("The 'record_usage' method must be implemented.")

    @abstractmethod
    def usage(self) -> builtins.list[Usage]:
        """Usage of every key that has any."""
        raise NotImplementedError("The 'usage' method must be implemented.")

    # -- pronunciation dictionaries ---------------------------------------------------------------
    @abstractmethod
    def create_dict(self, owner: str, items: Sequence[LexiconEntry], *, limit: int) -> PronunciationDict:
        """Store a new dictionary of key ``owner``, unless it already has ``limit`` of them (atomically:
        two replicas cannot both make the last one).

        Raises:
            TooManyDictionaries: the owner has ``limit`` dictionaries.
        """
        raise NotImplementedError("The 'create_dict' method must be implemented.")

    @abstractmethod
    def list_dicts(self, owner: str) -> builtins.list[PronunciationDict]:
        """The owner's dictionaries, oldest first."""
        raise NotImplementedError("The 'list_dicts' method must be implemented.")

    @abstractmethod
    def get_dicts(self, owner: str | None, dict_ids: Sequence[str]) -> builtins.list[PronunciationDict]:
        """The owner's dictionaries among ``dict_ids``, in that order, each once; ids that are unknown or
        another key's are left out (the caller says which). ``owner`` None: any key's (for what the
        operator's settings name, never for what a client asks)."""
        raise NotImplementedError("The 'get_dicts' method must be implemented.")

    @abstractmethod
    def dict_stamps(self, owner: str | None, dict_ids: Sequence[str]) -> builtins.list[tuple[str, float]]:
        """``(dict_id, updated_at)`` of what ``get_dicts`` would return, without the items: a cheap
        check that a dictionary read before is still the same (every write sets a new ``updated_at``)."""
        raise NotImplementedError("The 'dict_stamps' method must be implemented.")

    @abstractmethod
    def update_dict(self, owner: str, dict_id: str, items: Sequence[LexiconEntry]) -> PronunciationDict:
        """Replace the items of the owner's dictionary ``dict_id``.

        Raises:
            NotFound: the owner has no such dictionary.
        """
        raise NotImplementedError("The 'update_dict' method must be implemented.")

    @abstractmethod
    def delete_dict(self, owner: str, dict_id: str) -> None:
        """Delete the owner's dictionary ``dict_id``.

        Raises:
            NotFound: the owner has no such dictionary.
        """
        raise NotImplementedError("The 'delete_dict' method must be implemented.")

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release connections."""


def find_key(keys: list[ApiKey], ref: str) -> ApiKey:
    by_id = [k for k in keys if k.key_id == ref]
    if by_id:
        return by_id[0]
    by_name = [k for k in keys if k.name == ref and k.active]
    if len(by_name) == 1:
        return by_name[0]
    if len(by_name) > 1:
        raise NotFound(f"Several active keys are named {ref!r}; revoke by key id (see `voicewire keys list`).")
    raise NotFound(f"No key has id or name {ref!r} (see `voicewire keys list`).")


class MemoryStore(Store):
    def __init__(self) -> None:
        self._keys: dict[str, tuple[ApiKey, bytes, str]] = {}
        self._leases: dict[str, float] = {}  # lease id -> expiry (monotonic)
        self._usage: dict[str, Usage] = {}
        self._dicts: dict[str, PronunciationDict] = {}
        self._lock = threading.Lock()

    def create(self, name: str = "default", units: int = 1) -> tuple[ApiKey, str]:
        check_new_key(name, units)
        key, key_id, salt, digest = generate_key()
        record = ApiKey(key_id=key_id, name=name, units=units, created_at=time.time())
        with self._lock:
            self._keys[key_id] = (record, salt, digest)
        return record, key

    def verify(self, key: str) -> ApiKey | None:
        key_id = key_id_of(key)
        row = self._keys.get(key_id) if key_id else None
        ok = matches(key, row[1] if row else None, row[2] if row else None)
        return row[0] if row and ok and row[0].active else None

    def get(self, key_id: str) -> ApiKey | None:
        row = self._keys.get(key_id)
        return row[0] if row else None

    def list(self) -> list[ApiKey]:
        return sorted((r[0] for r in self._keys.values()), key=lambda k: k.created_at)

    def revoke(self, ref: str) -> ApiKey:
        with self._lock:
            record = find_key(self.list(), ref)
            revoked = ApiKey(
                key_id=record.key_id,
                name=record.name,
                units=record.units,
                created_at=record.created_at,
                revoked_at=time.time(),
            )
            _, salt, digest = self._keys[record.key_id]
            self._keys[record.key_id] = (revoked, salt, digest)
        return revoked

    def acquire(self, key_id: str, pool: str, limit: int, ttl: float) -> str | None:
        with self._lock:
            if self._count(key_id, pool) >= limit:
                return None
            lease = new_lease_id(key_id, pool)
            self._leases[lease] = time.monotonic() + ttl
            return lease

    def renew(self, lease_ids: Sequence[str], ttl: float) -> None:
        with self._lock:
            for lease in lease_ids:
                self._leases[lease] = time.monotonic() + ttl

    def release(self, lease_ids: Sequence[str]) -> None:
        with self._lock:
            for lease in lease_ids:
                self._leases.pop(lease, None)

    def active(self, key_id: str, pool: str) -> int:
        with self._lock:
            return self._count(key_id, pool)

    def _count(self, key_id: str, pool: str) -> int:
        now = time.monotonic()
        for lease in [lease for lease, expiry in self._leases.items() if expiry <= now]:
            del self._leases[lease]
        return sum(1 for lease in self._leases if lease_parts(lease) == (key_id, pool))

    def record_usage(self, key_id: str, characters: int, audio_seconds: float) -> None:
        with self._lock:
            old = self._usage.get(key_id, Usage(key_id))
            self._usage[key_id] = Usage(
                key_id, old.requests + 1, old.characters + characters, old.audio_seconds + audio_seconds
            )

    def usage(self) -> builtins.list[Usage]:
        return sorted(self._usage.values(), key=lambda u: u.key_id)

    def create_dict(self, owner: str, items: Sequence[LexiconEntry], *, limit: int) -> PronunciationDict:
        with self._lock:
            if sum(1 for d in self._dicts.values() if d.owner == owner) >= limit:
                raise TooManyDictionaries(limit)
            now = time.time()
            made = PronunciationDict(dict_id=new_dict_id(), owner=owner, items=tuple(items), created_at=now,
                                     updated_at=now)  # fmt: skip
            self._dicts[made.dict_id] = made
            return made

    def list_dicts(self, owner: str) -> builtins.list[PronunciationDict]:
        with self._lock:
            return sorted((d for d in self._dicts.values() if d.owner == owner), key=lambda d: d.created_at)

    def get_dicts(self, owner: str | None, dict_ids: Sequence[str]) -> builtins.list[PronunciationDict]:
        with self._lock:
            found = (self._dicts.get(i) for i in dict.fromkeys(dict_ids))
            return [d for d in found if d is not None and owner in (None, d.owner)]

    def dict_stamps(self, owner: str | None, dict_ids: Sequence[str]) -> builtins.list[tuple[str, float]]:
        with self._lock:
            found = (self._dicts.get(i) for i in dict.fromkeys(dict_ids))
            return [(d.dict_id, d.updated_at) for d in found if d is not None and owner in (None, d.owner)]

    def update_dict(self, owner: str, dict_id: str, items: Sequence[LexiconEntry]) -> PronunciationDict:
        with self._lock:
            old = self._dicts.get(dict_id)
            if old is None or old.owner != owner:
                raise dict_not_found(dict_id)
            new = PronunciationDict(dict_id=dict_id, owner=owner, items=tuple(items), created_at=old.created_at,
                                    updated_at=time.time())  # fmt: skip
            self._dicts[dict_id] = new
            return new

    def delete_dict(self, owner: str, dict_id: str) -> None:
        with self._lock:
            old = self._dicts.get(dict_id)
            if old is None or old.owner != owner:
                raise dict_not_found(dict_id)
            del self._dicts[dict_id]
