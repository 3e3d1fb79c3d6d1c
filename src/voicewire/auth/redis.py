"""RedisStore: keys, leases and usage shared by replicas on several hosts.

Layout (``vw:`` prefix): ``vw:keys`` (set of key ids), ``vw:key:<id>`` (hash), ``vw:lease:<id>:<pool>``
(sorted set: lease id -> expiry in ms), ``vw:usage:<id>`` (hash), ``vw:dict:<dict id>`` (hash: owner,
items as JSON, times), ``vw:dicts:<key id>`` (sorted set of the key's dictionary ids by creation time).
Dictionaries are made, changed and deleted by Lua scripts that check the owner (and, to make one, the
owner's count) in the same step. A lease is taken by a Lua script
that drops expired members, counts and adds in one step, on the Redis server's clock, so replicas
with drifting clocks still agree. An unreachable Redis is a ``StoreError`` within a second: the
server then fails closed (503) instead of admitting work it cannot count.
"""

from __future__ import annotations

import builtins
import time
from collections.abc import Sequence
from typing import Any
from urllib.parse import urlsplit

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

__all__ = ["RedisStore"]

_NOW_MS = "local t = redis.call('TIME') local now = t[1] * 1000 + math.floor(t[2] / 1000) "
_ACQUIRE = (
    _NOW_MS
    + """
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[1]) then return 0 end
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[3])
redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[2]) * 4)
return 1
"""
)
_RENEW = (
    _NOW_MS
    + """
for i = 1, #KEYS do
  redis.call('ZADD', KEYS[i], now + tonumber(ARGV[1]), ARGV[i + 1])
  redis.call('PEXPIRE', KEYS[i], tonumber(ARGV[1]) * 4)
end
return #KEYS
"""
)
_ACTIVE = _NOW_MS + "return redis.call('ZCOUNT', KEYS[1], now + 1, '+inf')"
_CREATE_DICT = """
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[1]) then return 0 end
redis.call('HSET', KEYS[2], 'owner', ARGV[2], 'items', ARGV[3], 'created_at', ARGV[4], 'updated_at', ARGV[4])
redis.call('ZADD', KEYS[1], ARGV[5], ARGV[6])
return 1
"""
_UPDATE_DICT = """
if redis.call('HGET', KEYS[1], 'owner') ~= ARGV[1] then return false end
redis.call('HSET', KEYS[1], 'items', ARGV[2], 'updated_at', ARGV[3])
return redis.call('HGET', KEYS[1], 'created_at')
"""
_DELETE_DICT = """
if redis.call('HGET', KEYS[1], 'owner') ~= ARGV[1] then return 0 end
redis.call('DEL', KEYS[1])
redis.call('ZREM', KEYS[2], ARGV[2])
return 1
"""


class RedisStore(Store):
    def __init__(self, url: str, *, timeout: float = 1.0, prefix: str = "vw:") -> None:
        import redis

        parts = urlsplit(url)
        self.where = f"{parts.hostname or 'localhost'}:{parts.port or 6379}"
        self._prefix = prefix
        self._errors: tuple[type[BaseException], ...] = (redis.exceptions.RedisError, OSError)
        self._redis = redis.Redis.from_url(
            url, socket_timeout=timeout, socket_connect_timeout=timeout, decode_responses=False
        )
        self._acquire = self._redis.register_script(_ACQUIRE)
        self._renew = self._redis.register_script(_RENEW)
        self._active = self._redis.register_script(_ACTIVE)
        self._create_dict = self._redis.register_script(_CREATE_DICT)
        self._update_dict = self._redis.register_script(_UPDATE_DICT)
        self._delete_dict = self._redis.register_script(_DELETE_DICT)
        self._call(self._redis.ping)

    def _call(self, fn: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except self._errors as exc:
            raise StoreError(
                f"The Redis store at {self.where} is unreachable ({type(exc).__name__}: {exc}); "
                "requests are refused until it is back."
            ) from None

    def _k(self, *parts: str) -> str:
        return self._prefix + ":".join(parts)

    # -- keys ------------------------------------------------------------------------------------
    def create(self, name: str = "default", units: int = 1) -> tuple[ApiKey, str]:
        check_new_key(name, units)
        key, key_id, salt, digest = generate_key()
        now = time.time()
        from redis.typing import EncodableT, FieldT

        fields: dict[FieldT, EncodableT] = {
            "name": name,
            "salt": salt,
            "digest": digest,
            "units": units,
            "created_at": repr(now),
        }
        pipe = self._redis.pipeline()
        pipe.hset(self._k("key", key_id), mapping=fields)
        pipe.sadd(self._k("keys"), key_id)
        self._call(pipe.execute)
        return ApiKey(key_id=key_id, name=name, units=units, created_at=now), key

    def verify(self, key: str) -> ApiKey | None:
        key_id = key_id_of(key)
        row = self._call(self._redis.hgetall, self._k("key", key_id)) if key_id else {}
        salt = row.get(b"salt") if row else None
        stored = row[b"digest"].decode() if row and b"digest" in row else None
        if not row or not matches(key, salt, stored) or key_id is None:
            return None
        record = _record(key_id, row)
        return record if record.active else None

    def get(self, key_id: str) -> ApiKey | None:
        row = self._call(self._redis.hgetall, self._k("key", key_id))
        return _record(key_id, row) if row else None

    def list(self) -> list[ApiKey]:
        ids = sorted(i.decode() for i in self._call(self._redis.smembers, self._k("keys")))
        pipe = self._redis.pipeline()
        for key_id in ids:
            pipe.hgetall(self._k("key", key_id))
        rows = self._call(pipe.execute) if ids else []
        return sorted((_record(i, r) for i, r in zip(ids, rows, strict=True) if r), key=lambda k: k.created_at)

    def revoke(self, ref: str) -> ApiKey:
        record = find_key(self.list(), ref)
        now = time.time()
        if record.active:
            self._call(self._redis.hset, self._k("key", record.key_id), "revoked_at", repr(now))
        return ApiKey(
            key_id=record.key_id, name=record.name, units=record.units, created_at=record.created_at, revoked_at=now
        )

    # -- leases ----------------------------------------------------------------------------------
    def acquire(self, key_id: str, pool: str, limit: int, ttl: float) -> str | None:
        lease = new_lease_id(key_id, pool)
        taken = self._call(self._acquire, keys=[self._k("lease", key_id, pool)], args=[limit, int(ttl * 1000), lease])
        return lease if taken else None

    def renew(self, lease_ids: Sequence[str], ttl: float) -> None:
        if lease_ids:
            keys = [self._k("lease", *lease_parts(lease)) for lease in lease_ids]
            self._call(self._renew, keys=keys, args=[int(ttl * 1000), *lease_ids])

    def release(self, lease_ids: Sequence[str]) -> None:
        if lease_ids:
            pipe = self._redis.pipeline()
            for lease in lease_ids:
                pipe.zrem(self._k("lease", *lease_parts(lease)), lease)
            self._call(pipe.execute)

    def active(self, key_id: str, pool: str) -> int:
        return int(self._call(self._active, keys=[self._k("lease", key_id, pool)]))

    # -- usage -----------------------------------------------------------------------------------
    def record_usage(self, key_id: str, characters: int, audio_seconds: float) -> None:
        pipe = self._redis.pipeline()
        pipe.hincrby(self._k("usage", key_id), "requests", 1)
        pipe.hincrby(self._k("usage", key_id), "characters", characters)
        pipe.hincrbyfloat(self._k("usage", key_id), "seconds", audio_seconds)
        pipe.sadd(self._k("usage-keys"), key_id)
        self._call(pipe.execute)

    def usage(self) -> builtins.list[Usage]:
        ids = sorted(i.decode() for i in self._call(self._redis.smembers, self._k("usage-keys")))
        pipe = self._redis.pipeline()
        for key_id in ids:
            pipe.hgetall(self._k("usage", key_id))
        rows = self._call(pipe.execute) if ids else []
        return [
            Usage(i, int(r.get(b"requests", 0)), int(r.get(b"characters", 0)), float(r.get(b"seconds", 0.0)))
            for i, r in zip(ids, rows, strict=True)
        ]

    # -- pronunciation dictionaries ---------------------------------------------------------------
    def create_dict(self, owner: str, items: Sequence[LexiconEntry], *, limit: int) -> PronunciationDict:
        now = time.time()
        made = PronunciationDict(dict_id=new_dict_id(), owner=owner, items=tuple(items), created_at=now, updated_at=now)
        keys = [self._k("dicts", owner), self._k("dict", made.dict_id)]
        args = [limit, owner, items_to_json(made.items), repr(now), int(now * 1_000_000), made.dict_id]
        if not self._call(self._create_dict, keys=keys, args=args):
            raise TooManyDictionaries(limit)
        return made

    def list_dicts(self, owner: str) -> builtins.list[PronunciationDict]:
        ids = [i.decode() for i in self._call(self._redis.zrange, self._k("dicts", owner), 0, -1)]
        return self.get_dicts(owner, ids)

    def get_dicts(self, owner: str | None, dict_ids: Sequence[str]) -> builtins.list[PronunciationDict]:
        ids = list(dict.fromkeys(dict_ids))
        if not ids:
            return []
        pipe = self._redis.pipeline()
        for dict_id in ids:
            pipe.hgetall(self._k("dict", dict_id))
        rows = self._call(pipe.execute)
        return [
            _dict(dict_id, row)
            for dict_id, row in zip(ids, rows, strict=True)
            if row and owner in (None, row.get(b"owner", b"").decode())
        ]

    def dict_stamps(self, owner: str | None, dict_ids: Sequence[str]) -> builtins.list[tuple[str, float]]:
        ids = list(dict.fromkeys(dict_ids))
        if not ids:
            return []
        pipe = self._redis.pipeline()
        for dict_id in ids:
            pipe.hmget(self._k("dict", dict_id), "owner", "updated_at")
        rows = self._call(pipe.execute)
        return [
            (dict_id, float(updated_at))
            for dict_id, (found_owner, updated_at) in zip(ids, rows, strict=True)
            if found_owner is not None and updated_at is not None and owner in (None, found_owner.decode())
        ]

    def update_dict(self, owner: str, dict_id: str, items: Sequence[LexiconEntry]) -> PronunciationDict:
        now = time.time()
        created = self._call(
            self._update_dict, keys=[self._k("dict", dict_id)], args=[owner, items_to_json(items), repr(now)]
        )
        if created is None:
            raise dict_not_found(dict_id)
        return PronunciationDict(dict_id=dict_id, owner=owner, items=tuple(items), created_at=float(created),
                                 updated_at=now)  # fmt: skip

    def delete_dict(self, owner: str, dict_id: str) -> None:
        keys = [self._k("dict", dict_id), self._k("dicts", owner)]
        if not self._call(self._delete_dict, keys=keys, args=[owner, dict_id]):
            raise dict_not_found(dict_id)

    def close(self) -> None:
        self._redis.close()


def _dict(dict_id: str, row: dict[bytes, bytes]) -> PronunciationDict:
    return PronunciationDict(dict_id=dict_id, owner=row[b"owner"].decode(), items=items_from_json(row[b"items"]),
                             created_at=float(row[b"created_at"]), updated_at=float(row[b"updated_at"]))  # fmt: skip


def _record(key_id: str, row: dict[bytes, bytes]) -> ApiKey:
    revoked = row.get(b"revoked_at")
    return ApiKey(
        key_id=key_id,
        name=row[b"name"].decode(),
        units=int(row[b"units"]),
        created_at=float(row[b"created_at"]),
        revoked_at=float(revoked) if revoked else None,
    )
