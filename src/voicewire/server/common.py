"""Pieces the HTTP endpoints share: the runtime of a request, reading the body, id headers, and a
streamed body that releases its work however it ends."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

from starlette.requests import HTTPConnection, Request
from starlette.responses import StreamingResponse
from starlette.types import Receive, Scope, Send

from voicewire.exceptions import BodyTooLarge, MalformedMessage
from voicewire.protocol.jsontext import check_nesting
from voicewire.runtime.runtime import Runtime

__all__ = ["MAX_BODY", "ClosingStream", "id_headers", "read_json", "runtime_of"]

MAX_BODY = 1 << 20

logger = logging.getLogger("voicewire.server")


async def read_json(request: Request, *, expect: str = "a JSON object with 'text' and 'voice_id'") -> Any:
    """The request body as JSON, refusing bodies over 1 MiB without reading them whole (``expect``:
    what an empty body is told to send)."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_BODY:
        raise BodyTooLarge(MAX_BODY)
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY:
            raise BodyTooLarge(MAX_BODY)
        chunks.append(chunk)
    raw = b"".join(chunks)
    if not raw.strip():
        raise MalformedMessage(f"Request body is empty; send {expect}.")
    try:
        body = json.loads(raw)
    except (ValueError, RecursionError) as exc:
        raise MalformedMessage(f"Request body is not valid JSON: {exc}.") from None
    check_nesting(body)
    return body


def runtime_of(conn: HTTPConnection) -> Runtime:
    found: Runtime = conn.app.state.runtime
    return found


def id_headers(request_id: str | None, session_id: str | None) -> dict[str, str]:
    """The client's ids, echoed (``X-External-Request-Id``, ``X-External-Session-Id``)."""
    headers = {}
    if request_id:
        headers["X-External-Request-Id"] = request_id
    if session_id:
        headers["X-External-Session-Id"] = session_id
    return headers


class ClosingStream(StreamingResponse):
    """A StreamingResponse that closes its body iterator when it ends, however it ends, then runs
    ``on_close`` once.

    Starlette cancels the sending task when the client disconnects but leaves the iterator
    suspended; closing it runs its ``finally`` now, which cancels synthesis queued for the stream.
    ``on_close`` (freeing the request's unit, recording usage) runs here, outside the cancelled
    scope: an ``await`` inside the iterator's own ``finally`` would be cancelled again.

    A body that runs to its end runs ``on_close`` before the response's last message: a client
    that has read the whole response may send its next request at once, with a key of one unit,
    and must find the unit free (it raced the release, and lost, in a scale-out test).
    """

    def __init__(
        self, content: AsyncIterator[bytes], *, on_close: Callable[[], Awaitable[None]] | None = None, **kwargs: Any
    ) -> None:
        super().__init__(self._then_close(content), **kwargs)
        self._source = content
        self._on_close = on_close
        self._closing: asyncio.Future[None] | None = None

    async def _then_close(self, content: AsyncIterator[bytes]) -> AsyncIterator[bytes]:
        async for chunk in content:
            yield chunk
        # Shielded: a disconnect now cancels this task, not the release (``__call__`` awaits it).
        await asyncio.shield(self._close_once())

    def _close_once(self) -> asyncio.Future[None]:
        if self._closing is None:
            self._closing = asyncio.ensure_future(self._close())
        return self._closing

    async def _close(self) -> None:
        aclose = getattr(self._source, "aclose", None)
        if aclose is not None:
            await aclose()
        if self._on_close is not None:
            await self._on_close()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await super().__call__(scope, receive, send)
        finally:
            await self._close_once()
