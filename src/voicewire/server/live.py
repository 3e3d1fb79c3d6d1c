"""The live WebSocket (``/waves/v1/tts/live`` and the legacy per-model URL): a thin shell around
LiveSession.

Four tasks share one session: a reader feeds client frames in, a synthesizer runs the session's
jobs one at a time, a writer sends its frames, a timer calls ``tick`` at the session's deadlines.
Backpressure: the synthesizer starts a job only while less than ``MAX_UNSENT`` bytes of frames wait
for the socket, and the writer waits for the socket to drain, so a slow reader slows synthesis
down instead of growing a buffer; nothing is dropped. When the client leaves, every task is
cancelled: a unit still queued for the worker pool never runs, one already running is discarded.

Limits: the connection holds one of its key's socket slots (five per unit) while it is open; a turn
holds a synthesis unit from its first synthesis until its last frame is on the wire. A turn refused
for limits gets one ``error`` frame; the socket stays open.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import deque
from collections.abc import Callable

from starlette.websockets import WebSocket, WebSocketDisconnect

from voicewire import metrics
from voicewire.auth.keys import ApiKey
from voicewire.auth.limits import Lease
from voicewire.exceptions import InvalidField, ShuttingDown, VoicewireError
from voicewire.protocol.frames import to_json
from voicewire.protocol.session import MAX_FRAME_BYTES, EndTurn, Job, LiveSession, SpeakUnit, Turn
from voicewire.server.auth import offered_subprotocol
from voicewire.server.common import admit, record_usage, refuse_while_draining
from voicewire.server.errors import error_response
from voicewire.server.jobs import JobRunner, voice_checker
from voicewire.server.services import Services, services
from voicewire.synthesis.capacity import Ticket

__all__ = ["live_socket"]

logger = logging.getLogger("voicewire.server")

MAX_UNSENT = 1 << 20
"""Bytes of frames waiting for a slow client before synthesis pauses."""
GOING_AWAY = (1001, "server shutting down")
_Finish = Callable[[], "asyncio.Task[None] | None"]
"""Run as a turn's last frame goes out; the task it starts, if any, is awaited before the frame."""


class _Closed(Exception):
    """The connection is over: stop everything."""


async def live_socket(websocket: WebSocket) -> None:
    svc = services(websocket)
    socket_lease: Lease | None = None
    try:
        key = await svc.auth.check(websocket)
        timeout = _timeout(websocket, svc.settings.idle_timeout)
        refuse_while_draining(svc)
        socket_lease = await svc.limiter.acquire(key, "socket")
    except Exception as exc:
        # Refused before accepting: the client sees an HTTP status (401 bad key, 429 too many sockets).
        response = error_response(exc)
        metrics.REQUESTS.labels("websocket", str(response.status_code)).inc()
        await websocket.send_denial_response(response)
        return
    connection: _Connection | None = None
    metrics.REQUESTS.labels("websocket", "101").inc()
    metrics.ACTIVE.labels("websocket", "-").inc()
    try:
        await websocket.accept(subprotocol=offered_subprotocol(websocket.headers))
        session = LiveSession(
            now=time.monotonic(),
            idle_timeout=timeout,
            max_turn_chars=svc.settings.max_text_chars,
            check_voice=voice_checker(svc),
        )
        connection = _Connection(svc, websocket, session, key)
        svc.connections.add(connection)
        with contextlib.suppress(_Closed, WebSocketDisconnect):
            await connection.run()
    finally:
        if connection is not None:
            svc.connections.discard(connection)
            await connection.release_all()
        await svc.limiter.release(socket_lease)
        metrics.ACTIVE.labels("websocket", "-").dec()


def _timeout(websocket: WebSocket, default: float) -> float:
    raw = websocket.query_params.get("timeout")
    if raw is None:
        return default
    if not raw.isdigit() or int(raw) < 1:
        raise InvalidField("timeout", raw, "a positive integer number of seconds (query parameter)")
    return float(int(raw))


class _TurnUse:
    """A turn's synthesis unit and what it has spoken, for usage."""

    def __init__(self, lease: Lease, turn: Turn, ticket: Ticket | None) -> None:
        self.lease = lease
        self.turn = turn
        self.ticket = ticket
        self.characters = 0
        self.started = time.monotonic()


class _Connection:
    def __init__(self, svc: Services, websocket: WebSocket, session: LiveSession, key: ApiKey) -> None:
        self.svc = svc
        self.websocket = websocket
        self.session = session
        self.key = key
        self.runner = JobRunner(svc, session, on_progress=self._pump)
        self.jobs: deque[Job] = deque()
        self.outbox: deque[tuple[str, _Finish | None]] = deque()
        self.unsent = 0
        self.turns: dict[int, _TurnUse] = {}
        self.changed = asyncio.Event()  # something for the synthesizer, writer or timer to look at
        self.closing: tuple[int, str] | None = None
        self.draining = False
        self.releasing: set[asyncio.Task[None]] = set()  # kept referenced until done

    # -- control from outside (drain) -------------------------------------------------------------
    def drain(self) -> None:
        self.draining = True
        self.changed.set()

    def close_now(self) -> None:
        self.closing = GOING_AWAY
        self.outbox.clear()
        self.changed.set()

    async def release_all(self) -> None:
        for task in list(self.releasing):
            await task
        for use in list(self.turns.values()):  # turns cut short by a close
            await self._release(use, "closed")
        self.turns.clear()

    # -- the tasks ------------------------------------------------------------------------------------
    async def run(self) -> None:
        try:
            async with asyncio.TaskGroup() as group:
                group.create_task(self._read())
                group.create_task(self._synthesize())
                group.create_task(self._write())
                group.create_task(self._timer())
        except* (_Closed, WebSocketDisconnect, OSError):
            pass

    def _pump(self, after_last: _Finish | None = None) -> None:
        """Move the session's output into the outbox; ``after_last`` runs just before the last frame is
        sent, and that frame waits for what it started (the turn's unit is free when the client
        hears the turn is over, so its next turn, on any socket or replica, finds the unit free)."""
        frames = self.session.frames_to_send()
        for i, frame in enumerate(frames):
            text = to_json(frame)
            self.outbox.append((text, after_last if i == len(frames) - 1 else None))
            self.unsent += len(text)
        if after_last is not None and not frames:
            after_last()
        self.jobs.extend(self.session.jobs_to_run())
        for turn_id, use in list(self.turns.items()):  # a turn the session ended itself (text over the limit)
            if not self.session.wants(EndTurn(-1, use.turn)):
                del self.turns[turn_id]
                self._spawn_release(use, "error")
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
            job = self.jobs.popleft()
            if self.session.wants(job) and job.turn.turn_id not in self.turns:
                refused = await self._admit(job)
                if refused is not None:
                    self.session.job_failed(job, refused)
                    self._pump()
                    continue
            await self.runner.run(job)
            use = self.turns.get(job.turn.turn_id)
            if use is not None and isinstance(job, SpeakUnit):
                use.characters += len(job.text)
            self._pump(self._finish_turn(job) if self._turn_over(job) else None)

    async def _admit(self, job: Job) -> VoicewireError | None:
        """Take a synthesis unit for the turn of ``job`` (its first), or say why not."""
        if self.draining:
            return ShuttingDown("The server is shutting down; this turn was not started. Reconnect to go on.")
        try:
            lease = await self.svc.limiter.acquire(self.key, "synthesis")
        except VoicewireError as exc:
            return exc
        try:
            ticket = admit(self.svc, self.svc.catalog.resolve(job.turn.settings.voice_id))
        except VoicewireError as exc:
            await self.svc.limiter.release(lease)
            return exc
        self.turns[job.turn.turn_id] = _TurnUse(lease, job.turn, ticket)
        metrics.ACTIVE.labels("turn", job.turn.settings.model).inc()
        return None

    def _turn_over(self, job: Job) -> bool:
        return isinstance(job, EndTurn) or not self.session.wants(job)

    def _finish_turn(self, job: Job) -> _Finish:
        """Frees the turn's unit (and records its usage) as its last frame goes out."""
        turn: Turn = job.turn

        def finish() -> asyncio.Task[None] | None:
            # Popped only now: if the client leaves first, release_all() frees the unit instead.
            use = self.turns.pop(turn.turn_id, None)
            if use is None:
                return None
            return self._spawn_release(use, "complete" if isinstance(job, EndTurn) else "error")

        return finish

    def _spawn_release(self, use: _TurnUse, outcome: str) -> asyncio.Task[None]:
        task = asyncio.ensure_future(self._release(use, outcome))
        self.releasing.add(task)
        task.add_done_callback(self.releasing.discard)
        return task

    async def _release(self, use: _TurnUse, outcome: str) -> None:
        """The turn is over: free its unit, count it, log it, record its usage."""
        self.svc.pool.capacity.release(use.ticket)
        await self.svc.limiter.release(use.lease)
        seconds, first = self.runner.take_stats(use.turn.turn_id)
        settings = use.turn.settings
        metrics.ACTIVE.labels("turn", settings.model).dec()
        metrics.REQUESTS.labels("websocket turn", outcome).inc()
        metrics.access_log(
            event="turn",
            request_id=use.turn.request_id,
            session_id=self.session.session_id,
            key=self.key.name,
            key_id=self.key.key_id,
            model=settings.model,
            voice=settings.voice_id,
            characters=use.characters,
            audio_seconds=round(seconds, 3),
            first_audio_ms=None if first is None else round(first * 1000, 1),
            status=outcome,
        )
        await record_usage(self.svc, self.key, use.characters, seconds)

    async def _write(self) -> None:
        while True:
            while not self.outbox:
                if self.closing is None and self.session.close is not None:
                    self.closing = self.session.close
                idle = not self.session.busy and not self.session.turn_open and not self.jobs
                if self.closing is None and self.draining and idle:
                    self.closing = GOING_AWAY
                if self.closing is not None:
                    await self.websocket.close(*self.closing)
                    raise _Closed
                await self._wait()
            if self.closing == GOING_AWAY:
                continue  # close_now(): drop what is queued, close at once
            text, after = self.outbox.popleft()
            if after is not None:
                started = after()
                if started is not None:  # shielded: a disconnect now must not stop the release
                    await asyncio.shield(started)
            await self.websocket.send_text(text)
            self.unsent -= len(text)
            self.changed.set()

    async def _timer(self) -> None:
        while self.session.close is None:
            deadline = self.session.next_deadline()
            delay = None if deadline is None else max(0.0, deadline - time.monotonic())
            if delay is None or delay > 0:
                # asyncio.timeout, not wait_for: wait_for runs the wait as an inner task, and a
                # cancellation arriving then could leave this task hanging through shutdown.
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(delay):
                        await self._wait()
                continue
            # The idle timer never fires while audio is still going out: wait for the outbox first.
            while self.outbox:
                await self._wait()
            self.session.tick(time.monotonic())
            self._pump()
