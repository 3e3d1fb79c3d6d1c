"""ClosingStream, driven as an ASGI app with a recording ``send``: when ``on_close`` runs."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

from starlette.requests import ClientDisconnect

from voicewire.server.common import ClosingStream

SCOPE = {"type": "http", "method": "POST", "path": "/", "headers": [], "asgi": {"spec_version": "2.4"}}


class Recorder:
    def __init__(self) -> None:
        self.events: list[str] = []
        self.source_closed = False

    async def body(self) -> AsyncIterator[bytes]:
        try:
            yield b"one"
            yield b"two"
        finally:
            self.source_closed = True

    async def on_close(self) -> None:
        await asyncio.sleep(0)
        self.events.append("on_close")

    async def send(self, message: dict[str, Any]) -> None:
        if message["type"] == "http.response.body":
            self.events.append("last" if not message.get("more_body") else f"body {message['body'].decode()}")


async def never_disconnects() -> dict[str, Any]:
    await asyncio.Event().wait()
    return {"type": "http.disconnect"}


def test_a_body_that_ends_frees_its_resources_before_the_last_message() -> None:
    """A client that has the whole response may send its next request at once: its unit must be free."""
    rec = Recorder()
    asyncio.run(ClosingStream(rec.body(), on_close=rec.on_close)(SCOPE, never_disconnects, rec.send))
    assert rec.events == ["body one", "body two", "on_close", "last"]
    assert rec.source_closed


def test_a_client_that_leaves_still_gets_on_close_once() -> None:
    """With ASGI 2.4 a send to a client that left raises OSError (uvicorn's ClientDisconnected)."""
    rec = Recorder()

    async def send(message: dict[str, Any]) -> None:
        if rec.events == ["body one"]:
            raise OSError("the client is gone")
        await rec.send(message)

    with contextlib.suppress(ClientDisconnect):  # starlette's word for that OSError
        asyncio.run(ClosingStream(rec.body(), on_close=rec.on_close)(SCOPE, never_disconnects, send))
    assert rec.events == ["body one", "on_close"]
    assert rec.source_closed
