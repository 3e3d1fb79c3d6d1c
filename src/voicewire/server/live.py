"""The live WebSocket (``/waves/v1/tts/live`` and the legacy per-model URL): a thin shell around
LiveSession.

Four tasks share one session: a reader feeds client frames in, a synthesizer runs the session's
jobs one at a time, a writer sends its frames, a timer calls ``tick`` at the session's deadlines.
Backpressure: the synthesizer starts a job only while less than ``MAX_UNSENT`` bytes of frames wait
for the socket, and the writer waits for the socket to drain, so a slow reader slows synthesis
down instead of growing a buffer; nothing is dropped. When the client leaves, every task is
cancelled: a unit still queued for the worker pool never runs, one already running is discarded.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections import deque

from starlette.websockets import WebSocket, WebSocketDisconnect

from voicewire.exceptions import InvalidField
from voicewire.protocol.session import MAX_FRAME_BYTES, Job, LiveSession
from voicewire.server.errors import error_response
from voicewire.server.jobs import JobRunner, voice_checker
from voicewire.server.services import Services, services

__all__ = ["live_socket"]

logger = logging.getLogger("voicewire.server")

MAX_UNSENT = 1 << 20
"""Bytes of frames waiting for a slow client before synthesis pauses."""


class _Closed(Exception):
    """The client went away: stop everything."""


async def live_socket(websocket: WebSocket) -> None:
    svc = services(websocket)
    try:
        await svc.auth.check(websocket.headers)
        timeout = _timeout(websocket, svc.settings.idle_timeout)
    except Exception as exc:
        # Refused before accepting: the client sees an HTTP status (401 for a bad key) and a JSON body.
        await websocket.send_denial_response(error_response(exc))
        return
    await websocket.accept()
    session = LiveSession(
        now=time.monotonic(),
        idle_timeout=timeout,
        max_turn_chars=svc.settings.max_text_chars,
        check_voice=voice_checker(svc),
    )
    connection = _Connection(svc, websocket, session)
    with contextlib.suppress(_Closed, WebSocketDisconnect):
        await connection.run()


def _timeout(websocket: WebSocket, default: float) -> float:
    raw = websocket.query_params.get("timeout")
    if raw is None:
        return default
    if not raw.isdigit() or int(raw) < 1:
        raise InvalidField("timeout", raw, "a positive integer number of seconds (query parameter)")
    return float(int(raw))


class _Connection:
    def __init__(self, svc: Services, websocket: WebSocket, session: LiveSession) -> None:
        self.websocket = websocket
        self.session = session
        self.runner = JobRunner(svc, session)
        self.jobs: deque[Job] = deque()
        self.outbox: deque[str] = deque()
        self.unsent = 0
        self.changed = asyncio.Event()  # something for the synthesizer, writer or timer to look at

    async def run(self) -> None:
        try:
            async with asyncio.TaskGroup() as group:
                group.create_task(self._read())
                group.create_task(self._synthesize())
                group.create_task(self._write())
                group.create_task(self._timer())
        except* (_Closed, WebSocketDisconnect, OSError):
            pass

    def _pump(self) -> None:
        for frame in self.session.frames_to_send():
            text = json.dumps(frame, separators=(",", ":"), ensure_ascii=False)
            self.outbox.append(text)
            self.unsent += len(text)
        self.jobs.extend(self.session.jobs_to_run())
        self.changed.set()

    async def _wait(self) -> None:
        self.changed.clear()
        await self.changed.wait()

    async def _read(self) -> None:
        while True:
            message = await self.websocket.receive()
            now = time.monotonic()
            if message["type"] == "websocket.disconnect":
                raise _Closed
            text: str | None = message.get("text")
            data: bytes | None = message.get("bytes")
            if text is not None:
                if len(text) > MAX_FRAME_BYTES:
                    self.session.receive_oversized(len(text.encode("utf-8", "surrogatepass")), now)
                else:
                    self.session.receive_text(text, now)
            elif data is not None:
                self.session.receive_binary(data, now)
            self._pump()

    async def _synthesize(self) -> None:
        while True:
            while not self.jobs or self.unsent >= MAX_UNSENT:
                await self._wait()
            await self.runner.run(self.jobs.popleft())
            self._pump()

    async def _write(self) -> None:
        while True:
            while not self.outbox:
                if self.session.close is not None:
                    code, reason = self.session.close
                    await self.websocket.close(code, reason)
                    raise _Closed
                await self._wait()
            text = self.outbox.popleft()
            await self.websocket.send_text(text)
            self.unsent -= len(text)
            self.changed.set()

    async def _timer(self) -> None:
        while self.session.close is None:
            deadline = self.session.next_deadline()
            delay = None if deadline is None else max(0.0, deadline - time.monotonic())
            if delay is None or delay > 0:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wait(), delay)
                continue
            # The idle timer never fires while audio is still going out: wait for the outbox first.
            while self.outbox:
                await self._wait()
            self.session.tick(time.monotonic())
            self._pump()
