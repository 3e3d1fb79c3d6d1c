"""RedisStore: keys, leases and usage shared by replicas on several hosts.

Layout (``vw:`` prefix): ``vw:keys`` (set of key ids), ``vw:key:<id>`` (hash), ``vw:lease:<id>:<pool>``
(sorted set: lease id -> expiry in ms), ``vw:usage:<id>`` (hash). A lease is taken by a Lua script
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
from voicewire.auth.store import Store, Usage, check_new_key, find_key, lease_parts, new_lease_id
from voicewire.exceptions import StoreError

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

    def close(self) -> None:
        self._redis.close()


def _record(key_id: str, row: dict[bytes, bytes]) -> ApiKey:
    revoked = row.get(b"revoked_at")
    return ApiKey(
        key_id=key_id,
        name=row[b"name"].decode(),
        units=int(row[b"units"]),
        created_at=float(row[b"created_at"]),
        revoked_at=float(revoked) if revoked else None,
    )
