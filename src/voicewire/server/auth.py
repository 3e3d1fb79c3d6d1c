"""Bearer-key authentication for HTTP requests and WebSocket handshakes.

A browser cannot set headers on a WebSocket handshake, so there the key may instead travel as a
subprotocol: ``new WebSocket(url, ["voicewire", "authorization.bearer." + key])``. The server then
accepts with the ``voicewire`` subprotocol (browsers refuse a handshake that offered subprotocols
and got none back). Query strings are not accepted: they end up in proxies' access logs.
"""

from __future__ import annotations

import asyncio
import hashlib
import time
from collections.abc import Mapping

from voicewire import metrics
from voicewire.auth.keys import ApiKey
from voicewire.auth.store import Store
from voicewire.exceptions import AuthenticationError

__all__ = ["SUBPROTOCOL", "Authenticator", "bearer_token", "offered_subprotocol"]

MISSING = "Missing API key: send the header 'Authorization: Bearer <key>' (create a key with `voicewire keys create`)."
INVALID = "Invalid or revoked API key."

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
    than the request that carried it.
    """

    def __init__(self, store: Store, ttl: float = 5.0) -> None:
        self.store = store
        self.ttl = ttl
        self._cache: dict[str, tuple[float, ApiKey]] = {}

    async def check(self, headers: Mapping[str, str]) -> ApiKey:
        token = bearer_token(headers)
        if token is None:
            metrics.AUTH_FAILURES.inc()
            raise AuthenticationError(MISSING)
        ref = hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()
        hit = self._cache.get(ref)
        now = time.monotonic()
        if hit is not None and hit[0] > now:
            return hit[1]
        record = await asyncio.to_thread(self.store.verify, token)
        if record is None:
            self._cache.pop(ref, None)
            metrics.AUTH_FAILURES.inc()
            raise AuthenticationError(INVALID)
        if len(self._cache) > 10_000:
            self._cache.clear()
        self._cache[ref] = (now + self.ttl, record)
        return record
