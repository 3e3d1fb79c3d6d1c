"""Bearer-key authentication for HTTP requests and WebSocket handshakes.

A browser cannot set headers on a WebSocket handshake, so there the key may instead travel as a
subprotocol: ``new WebSocket(url, ["voicewire", "authorization.bearer." + key])``. The server then
accepts with the ``voicewire`` subprotocol (browsers refuse a handshake that offered subprotocols
and got none back). Query strings are not accepted: they end up in proxies' access logs.
"""

from __future__ import annotations

import asyncio
import hashlib
import math
import time
from collections.abc import Mapping

from starlette.requests import HTTPConnection

from voicewire import metrics
from voicewire.auth.keys import ApiKey
from voicewire.auth.store import Store
from voicewire.auth.throttle import FailedAuthThrottle
from voicewire.exceptions import AuthenticationError, TooManyFailedAttempts

__all__ = ["SUBPROTOCOL", "Authenticator", "bearer_token", "offered_subprotocol"]

MISSING = "Missing API key: send the header 'Authorization: Bearer <key>' (create a key with `voicewire keys create`)."
INVALID = "Invalid or revoked API key."
THROTTLED = "Too many wrong API keys from this address; every key is refused for {seconds} s."

SUBPROTOCOL = "voicewire"
"""The subprotocol a browser offers next to its key; the server accepts with it."""
_KEY_SUBPROTOCOL = "authorization.bearer."


def bearer_token(headers: Mapping[str, str]) -> str | None:
    """The key from ``Authorization: Bearer``, else from a WebSocket subprotocol."""
    value = headers.get("authorization", "")
    scheme, _, token = value.strip().partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        return token.strip()
    for offered in headers.get("sec-websocket-protocol", "").split(","):
        offered = offered.strip()
        if offered.startswith(_KEY_SUBPROTOCOL) and len(offered) > len(_KEY_SUBPROTOCOL):
            return offered[len(_KEY_SUBPROTOCOL) :]
    return None


def offered_subprotocol(headers: Mapping[str, str]) -> str | None:
    """``voicewire`` when the client offered it (the handshake must then name it), else None."""
    offered = (p.strip() for p in headers.get("sec-websocket-protocol", "").split(","))
    return SUBPROTOCOL if SUBPROTOCOL in offered else None


class Authenticator:
    """Checks keys against the store, remembering good ones for ``ttl`` seconds.

    The cache keeps store lookups off the hot path; a revoked key stops working within ``ttl``.
    Cache entries are keyed by a hash of the key, so the key itself is never held in memory longer
    than the request that carried it. A client address that keeps sending wrong keys is refused
    (429) for a while before its keys are looked up at all (see ``FailedAuthThrottle``).
    """

    def __init__(self, store: Store, ttl: float = 5.0, failed_auth_limit: int = 10) -> None:
        self.store = store
        self.ttl = ttl
        self.throttle = FailedAuthThrottle(failed_auth_limit)
        self._cache: dict[str, tuple[float, ApiKey]] = {}

    async def check(self, conn: HTTPConnection) -> ApiKey:
        """The key of a request or WebSocket handshake, or AuthenticationError / TooManyFailedAttempts."""
        token = bearer_token(conn.headers)
        if token is None:
            metrics.AUTH_FAILURES.inc()
            raise AuthenticationError(MISSING)
        client = conn.client.host if conn.client is not None else "-"
        now = time.monotonic()
        wait = self.throttle.retry_after(client, now)
        if wait > 0:
            metrics.AUTH_FAILURES.inc()
            raise TooManyFailedAttempts(THROTTLED.format(seconds=math.ceil(wait)), retry_after=wait)
        ref = hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()
        hit = self._cache.get(ref)
        if hit is not None and hit[0] > now:
            return hit[1]
        record = await asyncio.to_thread(self.store.verify, token)
        if record is None:
            self._cache.pop(ref, None)
            self.throttle.failed(client, time.monotonic())
            metrics.AUTH_FAILURES.inc()
            raise AuthenticationError(INVALID)
        if len(self._cache) > 10_000:
            self._cache.clear()
        self._cache[ref] = (now + self.ttl, record)
        return record
