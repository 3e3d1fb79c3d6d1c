"""Where a key rides on HTTP: ``Authorization: Bearer`` on requests and WebSocket handshakes.

A browser cannot set headers on a WebSocket handshake, so there the key may instead travel as a
subprotocol: ``new WebSocket(url, ["voicewire", "authorization.bearer." + key])``. The server then
accepts with the ``voicewire`` subprotocol (browsers refuse a handshake that offered subprotocols
and got none back). Query strings are not accepted: they end up in proxies' access logs. Checking
the key is the runtime's (``voicewire.runtime.keys``).
"""

from __future__ import annotations

from collections.abc import Mapping

from starlette.requests import HTTPConnection

from voicewire.auth.keys import ApiKey
from voicewire.runtime.runtime import Runtime

__all__ = ["SUBPROTOCOL", "authenticate", "bearer_token", "offered_subprotocol"]

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


async def authenticate(runtime: Runtime, conn: HTTPConnection) -> ApiKey:
    """The key of a request or handshake (the client's address, as the proxy reports it, feeds the
    wrong-key brake).

    Raises:
        AuthenticationError, TooManyFailedAttempts: see ``KeyChecker.authenticate``.
    """
    client = conn.client.host if conn.client is not None else "-"
    return await runtime.keys.authenticate(bearer_token(conn.headers), client)
