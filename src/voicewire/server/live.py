"""The live WebSocket: a thin shell that runs a dialect session (Waves today) on a socket.

Four tasks share one connection: a reader feeds client frames to the session, a synthesizer runs
its sequencer's jobs through each turn's admission grant and pipeline, a writer sends the session's
frames, a timer ticks the sequencer at its deadlines.

Flow control: the reader stops reading while ``MAX_UNSENT`` bytes of frames wait for the socket (the
client's own TCP window then holds it back), and the synthesizer starts a job only below that too,
so a slow reader slows synthesis down instead of growing a buffer; nothing is dropped. The
sequencer bounds what one socket may queue (turns, characters not yet spoken): past it, a new turn
is refused with an ``error`` frame. When the client leaves, every task is cancelled: a unit still
queued for the workers never runs, one already running is discarded.

Limits: the connection holds one of its key's socket slots (five per unit) while it is open; a turn
holds a synthesis unit from its first synthesis until its last frame goes out, and its key is
checked again when it starts (a revoked key gets an ``error`` frame, then a 4401 close). A turn
refused for limits gets one ``error`` frame; the socket stays open.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import deque
from collections.abc import Callable
from typing import Protocol

from starlette.websockets import WebSocket, WebSocketDisconnect

from voicewire import metrics
from voicewire.auth.keys import ApiKey
from voicewire.dialects.waves.live import MAX_FRAME_BYTES, WavesLiveSession
from voicewire.dialects.waves.request import retired_route
from voicewire.dialects.waves.streaming import StreamingTtsSession
from voicewire.dialects.waves.v4 import LightningV4Session
from voicewire.errors import close_code, public_error
from voicewire.exceptions import InvalidField, ModelRetired, NotFound
from voicewire.protocol.sequencer import EndTurn, Job, SpeakUnit, Turn, TurnSequencer
from voicewire.protocol.turn import TurnOptions
from voicewire.runtime.admission import Grant
from voicewire.runtime.runtime import Runtime
from voicewire.server.auth import authenticate, offered_subprotocol
from voicewire.server.common import runtime_of
from voicewire.server.errors import error_response
from voicewire.synthesis.pipeline import Pacing, TurnPipeline
from voicewire.synthesis.units import TurnReading

__all__ = [
    "LiveSession",
    "lightning_v4_socket",
    "live_socket",
    "serve_socket",
    "streaming_tts_socket",
    "unknown_socket",
]

logger = logging.getLogger("voicewire.server")

MAX_UNSENT = 1 << 20
"""Bytes of frames waiting for a slow client before reading and synthesis pause (the pacer holds at
most a few seconds of audio more)."""
GOING_AWAY = (1001, "server shutting down")
_Finish = Callable[[], "asyncio.Task[None] | None"]
"""Run as a turn's last frame goes out; the task it starts, if any, is awaited before the frame."""


class LiveSession(Protocol):
    """What the adapter needs of a dialect's session (``WavesLiveSession`` is one)."""

    sequencer: TurnSequencer
    close: tuple[int, str] | None

    def receive_text(self, data: str, now: float) -> None: ...

    def receive_binary(self, data: bytes, now: float) -> None: ...

    def receive_oversized(self, size: int, now: float) -> None: ...

    def outgoing(self) -> list[str | bytes]: ...


class _Closed(Exception):
    """The connection is over: stop everything."""


async def live_socket(websocket: WebSocket) -> None:
    """``/waves/v1/tts/live`` and the legacy per-model URL: the Waves live protocol."""
    await _waves_socket(websocket, WavesLiveSession)


async def streaming_tts_socket(websocket: WebSocket) -> None:
    """``/waves/v1/streaming-tts/stream``: the SDK's older streaming socket (``is_streaming``/``is_final``)."""
    await _waves_socket(websocket, StreamingTtsSession)


async def lightning_v4_socket(websocket: WebSocket) -> None:
    """``/waves/v1/lightning-v4/live``: the v4 turn protocol (one voice per socket, from the query)."""
    runtime = runtime_of(websocket)

    def session(timeout: float) -> LiveSession:
        def check_voice(options: TurnOptions) -> None:
            runtime.catalog.resolve(options.voice_id).language(options.language)

        return LightningV4Session(websocket.query_params, now=time.monotonic(), idle_timeout=timeout,
                                  max_turn_chars=runtime.settings.max_text_chars, check_voice=check_voice)  # fmt: skip

    await serve_socket(websocket, runtime, session, endpoint="websocket v4")


async def _waves_socket(websocket: WebSocket, kind: type[WavesLiveSession]) -> None:
    runtime = runtime_of(websocket)

    def session(timeout: float) -> LiveSession:
        def check_voice(options: TurnOptions) -> None:
            runtime.catalog.resolve(options.voice_id).language(options.language)

        return kind(now=time.monotonic(), idle_timeout=timeout, max_turn_chars=runtime.settings.max_text_chars,
                    check_voice=check_voice)  # fmt: skip

    await serve_socket(websocket, runtime, session, endpoint="websocket")


async def serve_socket(
    websocket: WebSocket, runtime: Runtime, make_session: Callable[[float], LiveSession], *, endpoint: str
) -> None:
    """Run a dialect session on ``websocket``: handshake (key, socket slot), then the four tasks."""
    try:
        key = await authenticate(runtime, websocket)
        timeout = _timeout(websocket, runtime.settings.idle_timeout)
        slot = runtime.admission.connection(key)
        await slot.__aenter__()
    except Exception as exc:
        # Refused before accepting: the client sees an HTTP status (401 bad key, 429 too many sockets).
        response = error_response(exc)
        metrics.REQUESTS.labels("websocket", str(response.status_code)).inc()
        await websocket.send_denial_response(response)
        return
    metrics.REQUESTS.labels("websocket", "101").inc()
    metrics.ACTIVE.labels("websocket", "-").inc()
    connection: _Connection | None = None
    try:
        await websocket.accept(subprotocol=offered_subprotocol(websocket.headers))
        connection = _Connection(runtime, websocket, make_session(timeout), key, endpoint)
        runtime.connections.add(connection)
        with contextlib.suppress(_Closed, WebSocketDisconnect):
            await connection.run()
    finally:
        if connection is not None:
            runtime.connections.discard(connection)
            await connection.release_all()
        await slot.__aexit__(None, None, None)
        metrics.ACTIVE.labels("websocket", "-").dec()


async def unknown_socket(websocket: WebSocket) -> None:
    """A WebSocket handshake on a path with no socket: refused with the JSON 404 (or, for a retired
    model's route, 410) that an HTTP request there gets."""
    retired = retired_route(websocket.url.path)
    error = ModelRetired(*retired) if retired else NotFound(f"No WebSocket endpoint at {websocket.url.path}.")
    response = error_response(error)
    metrics.REQUESTS.labels("websocket", str(response.status_code)).inc()
    await websocket.send_denial_response(response)


def _timeout(websocket: WebSocket, default: float) -> float:
    raw = websocket.query_params.get("timeout")
    if raw is None:
        return default
    if not raw.isdigit() or int(raw) < 1:
        raise InvalidField("timeout", raw, "a positive integer number of seconds (query parameter)")
    return float(int(raw))


class _TurnWork:
    """A turn being spoken: its admission grant, its pipeline, the jobs fed to the pipeline."""

    def __init__(self, turn: Turn, grant: Grant, pipeline: TurnPipeline) -> None:
        self.turn = turn
        self.grant = grant
        self.pipeline = pipeline
        self.fed: set[int] = set()


class _Connection:
    def __init__(
        self, runtime: Runtime, websocket: WebSocket, session: LiveSession, key: ApiKey, endpoint: str
    ) -> None:
        self.runtime = runtime
        self.websocket = websocket
        self.session = session
        self.sequencer = session.sequencer
        self.key = key
        self.endpoint = endpoint
        self.jobs: deque[Job] = deque()
        self.outbox: deque[tuple[str | bytes, _Finish | None]] = deque()
        self.unsent = 0
        self.turns: dict[int, _TurnWork] = {}
        self.changed = asyncio.Event()  # something for the tasks to look at
        self.closing: tuple[int, str] | None = None
        self.close_at_once = False
        self.draining = False
        self.releasing: set[asyncio.Task[None]] = set()  # kept referenced until done

    # -- control from outside (the runtime's drain) -------------------------------------------------
    def drain(self) -> None:
        self.draining = True
        self.changed.set()

    def close_now(self) -> None:
        self.closing = GOING_AWAY
        self.close_at_once = True
        self.changed.set()

    async def release_all(self) -> None:
        for task in list(self.releasing):
            await task
        for work in list(self.turns.values()):  # turns cut short by a close
            await self._release(work, "closed")
        self.turns.clear()

    # -- the tasks ------------------------------------------------------------------------------------
    async def run(self) -> None:
        self._pump()  # what the session says first (a greeting, or why it refuses the socket)
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
        frames = self.session.outgoing()
        for i, frame in enumerate(frames):
            self.outbox.append((frame, after_last if i == len(frames) - 1 else None))
            self.unsent += len(frame)
        if after_last is not None and not frames:
            after_last()
        self.jobs.extend(self.sequencer.jobs_to_run())
        for turn_id, work in list(self.turns.items()):  # turns the sequencer dropped (failed, cancelled)
            if self.sequencer.dropped(work.turn):
                del self.turns[turn_id]
                self._spawn_release(work, "cancelled" if self.sequencer.cancelled(work.turn) else "error")
        self.changed.set()

    async def _wait(self) -> None:
        self.changed.clear()
        await self.changed.wait()

    async def _read(self) -> None:
        while True:
            while self.unsent >= MAX_UNSENT:  # the client is not reading: stop reading it too
                await self._wait()
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
            if not self.sequencer.wants(job):
                continue
            work = self.turns.get(job.turn.turn_id)
            if work is None:
                try:
                    work = await self._start(job.turn)
                except Exception as exc:
                    self._failed(job, exc)
                    continue
            try:
                if isinstance(job, SpeakUnit):
                    await self._speak(work, job)
                else:
                    self.sequencer.job_done(job, await work.pipeline.finish(), now=time.monotonic())
            except Exception as exc:
                self._failed(job, exc)
                continue
            over = isinstance(job, EndTurn)
            self._pump(self._finish_turn(job.turn) if over else None)

    async def _start(self, turn: Turn) -> _TurnWork:
        """A turn's first job: its dictionaries (read now: a change shows in the next turn), admission
        (key, drain, unit, capacity), then its pipeline."""
        voice = self.runtime.catalog.resolve(turn.options.voice_id)
        language = voice.language(turn.options.language)
        lexicon = await self.runtime.lexicons.resolve(self.key, turn.options.pronunciation_dicts)
        marked = turn.meta.get("marked")  # a dialect's parsed speech markup (voicewire.text.ssml.MarkedText)
        reading = None if lexicon is None and marked is None else TurnReading(lexicon=lexicon, marked=marked)
        log = {"event": "turn", "kind": "turn", "request_id": turn.meta.get("request_id"),
               "session_id": getattr(self.session, "session_id", None), "model": turn.meta.get("model"),
               "voice": turn.options.voice_id}  # fmt: skip
        grant = await self.runtime.admission.admit(self.key, voice, log=log)
        pipeline = TurnPipeline(self.runtime.pool, voice, turn.options, language=language, pacing=Pacing.LIVE,
                                endpoint=self.endpoint, opened_at=turn.opened_at or None, reading=reading)  # fmt: skip
        work = self.turns[turn.turn_id] = _TurnWork(turn, grant, pipeline)
        return work

    async def _speak(self, work: _TurnWork, job: SpeakUnit) -> None:
        """One unit, piece by piece as it is decoded; units queued behind it in the same turn are
        handed to the pipeline too, so it prepares the next one while this one plays."""
        for queued in (job, *self.jobs):
            if queued.turn is job.turn and isinstance(queued, SpeakUnit) and queued.job_id not in work.fed:
                work.pipeline.add(queued.text, queued.first_word)
                work.fed.add(queued.job_id)
        async for piece in work.pipeline.next_unit():
            if not self.sequencer.wants(job):  # the turn failed, was cancelled, or the socket is closing
                return
            if piece.audio or piece.words:
                self.sequencer.job_audio(job, piece.audio, piece.words, piece.seconds, now=time.monotonic())
                self._pump()
        work.grant.characters += len(job.text)
        self.sequencer.job_done(job, now=time.monotonic())

    def _failed(self, job: Job, exc: BaseException) -> None:
        error = public_error(exc)
        self.sequencer.job_failed(job, error, now=time.monotonic())
        self._pump()
        code = close_code(error)
        if code is not None and self.closing is None:
            self.closing = code  # after the error frame: the writer closes once the outbox is empty

    def _finish_turn(self, turn: Turn) -> _Finish:
        """Frees the turn's unit (and records its usage) as its last frame goes out."""

        def finish() -> asyncio.Task[None] | None:
            # Popped only now: if the client leaves first, release_all() frees the unit instead.
            work = self.turns.pop(turn.turn_id, None)
            return None if work is None else self._spawn_release(work, "complete")

        return finish

    def _spawn_release(self, work: _TurnWork, outcome: str) -> asyncio.Task[None]:
        task = asyncio.ensure_future(self._release(work, outcome))
        self.releasing.add(task)
        task.add_done_callback(self.releasing.discard)
        return task

    async def _release(self, work: _TurnWork, outcome: str) -> None:
        """The turn is over: stop its pipeline, free its unit, count it, log it, record its usage."""
        await work.pipeline.aclose()
        work.grant.seconds = work.pipeline.seconds
        work.grant.first_audio = work.pipeline.first_audio
        metrics.REQUESTS.labels("websocket turn", outcome).inc()
        await work.grant.release(outcome)

    async def _write(self) -> None:
        while True:
            if self.close_at_once:  # close_now(): drop what is queued, close at once
                await self.websocket.close(*GOING_AWAY)
                raise _Closed
            if not self.outbox:
                if self.closing is None and self.session.close is not None:
                    self.closing = self.session.close
                idle = not self.sequencer.busy and not self.sequencer.turn_open and not self.jobs
                if self.closing is None and self.draining and idle:
                    self.closing = GOING_AWAY
                if self.closing is not None:
                    await self.websocket.close(*self.closing)
                    raise _Closed
                await self._wait()
                continue
            frame, after = self.outbox.popleft()
            if after is not None:
                started = after()
                if started is not None:  # shielded: a disconnect now must not stop the release
                    await asyncio.shield(started)
            if isinstance(frame, bytes):
                await self.websocket.send_bytes(frame)
            else:
                await self.websocket.send_text(frame)
            self.unsent -= len(frame)
            self.changed.set()

    async def _timer(self) -> None:
        while not self.sequencer.timed_out:
            deadline = self.sequencer.next_deadline()
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
            self.sequencer.tick(time.monotonic())
            self._pump()
