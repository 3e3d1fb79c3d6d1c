"""KeyChecker: is this key good, and is it still good? For every listener, whatever its transport.

Lookups are cached for ``ttl`` seconds, keyed by a hash of the key, so the key itself is never held
longer than the request that carried it; a revoked key stops working within ``ttl``, on a
long-lived connection too (``recheck`` at every turn). A client address that keeps sending wrong
keys is refused (429) for a while before its keys are looked up at all (``FailedAuthThrottle``).
"""

from __future__ import annotations

import asyncio
import hashlib
import math
import time

from voicewire import metrics
from voicewire.auth.keys import ApiKey
from voicewire.auth.store import Store
from voicewire.auth.throttle import FailedAuthThrottle
from voicewire.exceptions import AuthenticationError, TooManyFailedAttempts

__all__ = ["INVALID", "MISSING", "REVOKED", "KeyChecker"]

MISSING = "Missing API key: send the header 'Authorization: Bearer <key>' (create a key with `voicewire keys create`)."
INVALID = "Invalid or revoked API key."
REVOKED = "The API key of this connection was revoked; connect again with an active key."
THROTTLED = "Too many wrong API keys from this address; every key is refused for {seconds} s."
_MAX_CACHED = 10_000


class KeyChecker:
    def __init__(self, store: Store, *, ttl: float = 5.0, failed_auth_limit: int = 10) -> None:
        self.store = store
        self.ttl = ttl
        self.throttle = FailedAuthThrottle(failed_auth_limit)
        self._by_token: dict[str, tuple[float, ApiKey]] = {}
        self._by_id: dict[str, tuple[float, bool]] = {}

    async def authenticate(self, token: str | None, client: str) -> ApiKey:
        """The key ``token`` names, presented from address ``client``.

        Raises:
            AuthenticationError: no key, or a wrong or revoked one (401).
            TooManyFailedAttempts: ``client`` sent too many wrong keys lately (429).
        """
        if token is None:
            metrics.AUTH_FAILURES.inc()
            raise AuthenticationError(MISSING)
        now = time.monotonic()
        wait = self.throttle.retry_after(client, now)
        if wait > 0:
            metrics.AUTH_FAILURES.inc()
            raise TooManyFailedAttempts(THROTTLED.format(seconds=math.ceil(wait)), retry_after=wait)
        ref = hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()
        hit = self._by_token.get(ref)
        if hit is not None and hit[0] > now:
            return hit[1]
        record = await asyncio.to_thread(self.store.verify, token)
        if record is None:
            self._by_token.pop(ref, None)
            self.throttle.failed(client, time.monotonic())
            metrics.AUTH_FAILURES.inc()
            raise AuthenticationError(INVALID)
        if len(self._by_token) > _MAX_CACHED:
            self._by_token.clear()
        self._by_token[ref] = (now + self.ttl, record)
        return record

    async def recheck(self, key: ApiKey) -> None:
        """Raises AuthenticationError if ``key`` was revoked (seen within ``ttl`` seconds)."""
        now = time.monotonic()
        hit = self._by_id.get(key.key_id)
        if hit is None or hit[0] <= now:
            record = await asyncio.to_thread(self.store.get, key.key_id)
            if len(self._by_id) > _MAX_CACHED:
                self._by_id.clear()
            hit = self._by_id[key.key_id] = (now + self.ttl, record is not None and record.active)
        if not hit[1]:
            raise AuthenticationError(REVOKED)
