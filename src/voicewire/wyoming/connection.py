"""One Wyoming client connection: a thin shell that runs a ``WyomingSession`` on a TCP stream.

Four tasks share the connection, as on the live WebSocket (``server/live.py``): a reader feeds events
to the session, a synthesizer runs its sequencer's jobs through each turn's admission grant and
pipeline, a writer writes the session's events (the ``wyoming`` package's ``async_write_event``), a
timer ticks the sequencer at its deadlines.

Flow control: the reader stops reading while ``MAX_UNSENT`` bytes of events wait for the socket, and
the synthesizer starts a job only below that too, so a client that does not read slows its own
synthesis down instead of growing a buffer. When the client closes the connection (or it breaks),
every task is cancelled: the unit being synthesized is thrown away, the ones queued never run, and
the turn's unit is given back (access log: ``closed``).

Each connection is registered in ``runtime.connections``: on SIGTERM, ``drain`` lets the running
turn (or open stream) finish, then the connection closes; ``close_now`` closes it at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import deque
from collections.abc import Callable

from wyoming.event import Event, async_write_event

from voicewire import metrics
from voicewire.auth.keys import ApiKey
from voicewire.dialects.wyoming.framing import FrameLimits
from voicewire.dialects.wyoming.session import WyomingSession
from voicewire.errors import close_code, public_error
from voicewire.exceptions import LimitExceeded, VoicewireError
from voicewire.protocol.sequencer import EndTurn, Job, SpeakUnit, Turn
from voicewire.runtime.admission import Grant
from voicewire.runtime.runtime import Runtime
from voicewire.synthesis.pipeline import Pacing, TurnPipeline
from voicewire.wyoming.frames import FrameError, read_event

__all__ = ["ENDPOINT", "MAX_UNSENT", "WyomingConnection", "listener_error"]

logger = logging.getLogger("voicewire.wyoming")

ENDPOINT = "wyoming"
"""The ``endpoint`` of Wyoming turns in metrics and the access log."""
MAX_UNSENT = 1 << 20
"""Bytes of events waiting for a slow client before reading and synthesis pause."""
_Finish = Callable[[], "asyncio.Task[None] | None"]


def listener_error(exc: BaseException, units: int) -> VoicewireError:
    """The error a Wyoming client sees: the listener's units in the words of its settings, not a key's."""
    error = public_error(exc)
    if type(error) is LimitExceeded:  # a key's "use a key with more units" means nothing here
        return LimitExceeded(
            f"The Wyoming listener's {units} concurrency unit{'s' if units != 1 else ''} are all in use ({units} "
            f"turns at once, {5 * units} open connections). Retry shortly, or raise --wyoming-units "
            "(VOICEWIRE_WYOMING_UNITS).",
            error.retry_after,
        )
    return error


class _Closed(Exception):
    """The connection is over: stop everything."""


class _TurnWork:
    def __init__(self, turn: Turn, grant: Grant, pipeline: TurnPipeline) -> None:
        self.turn = turn
        self.grant = grant
        self.pipeline = pipeline
        self.fed: set[int] = set()


class WyomingConnection:
    """A client connection until it closes; ``run`` it once, then ``release_all``."""

    def __init__(
        self,
        runtime: Runtime,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        session: WyomingSession,
        owner: ApiKey,
        limits: FrameLimits,
        client: str,
    ) -> None:
        self.runtime = runtime
        self.reader = reader
        self.writer = writer
        self.session = session
        self.sequencer = session.sequencer
        self.owner = owner
        self.limits = limits
        self.client = client
        self.jobs: deque[Job] = deque()
        self.outbox: deque[tuple[Event, int, _Finish | None]] = deque()
        self.unsent = 0
        self.turns: dict[int, _TurnWork] = {}
        self.changed = asyncio.Event()
        self.closing = False
        self.close_at_once = False
        self.draining = False
        self.reading = True
        self.releasing: set[asyncio.Task[None]] = set()

    # -- control from outside (the runtime's drain) -------------------------------------------------
    def drain(self) -> None:
        self.draining = True
        self.changed.set()

    def close_now(self) -> None:
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
        try:
            async with asyncio.TaskGroup() as group:
                group.create_task(self._read())
                group.create_task(self._synthesize())
                group.create_task(self._write())
                group.create_task(self._timer())
        except* (_Closed, ConnectionError):
            pass

    def _pump(self, after_last: _Finish | None = None) -> None:
        """Move the session's events into the outbox; ``after_last`` runs just before the last one is
        written (a turn's unit is free when its client hears the turn is over)."""
        events = self.session.outgoing()
        for i, event in enumerate(events):
            size = len(event.payload or b"") + 256
            self.outbox.append((event, size, after_last if i == len(events) - 1 else None))
            self.unsent += size
        if after_last is not None and not events:
            after_last()
        self.jobs.extend(self.sequencer.jobs_to_run())
        for turn_id, work in list(self.turns.items()):  # turns the sequencer dropped (failed)
            if self.sequencer.dropped(work.turn):
                del self.turns[turn_id]
                self._spawn_release(work, "error")
        self.changed.set()

    async def _wait(self) -> None:
        self.changed.clear()
        await self.changed.wait()

    async def _read(self) -> None:
        while self.reading:
            while self.unsent >= MAX_UNSENT:  # the client is not reading: stop reading it too
                await self._wait()
            try:
                event = await read_event(self.reader, self.limits)
            except FrameError as exc:
                self.session.receive_error(exc.error, time.monotonic(), fatal=exc.fatal)
                self.reading = not exc.fatal  # after a broken header nothing more can be read
                self._pump()
                continue
            if event is None:
                raise _Closed  # the client left: cancel whatever it asked for
            self.session.receive_event(event, time.monotonic())
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
                    self.sequencer.job_done(job, await work.pipeline.finish())
            except Exception as exc:
                self._failed(job, exc)
                continue
            self._pump(self._finish_turn(job.turn) if isinstance(job, EndTurn) else None)

    async def _start(self, turn: Turn) -> _TurnWork:
        """A turn's first job: admission (drain, the listener's units, capacity), then its pipeline."""
        voice = self.runtime.catalog.resolve(turn.options.voice_id)
        language = voice.language(turn.options.language)
        log = {"event": "turn", "kind": ENDPOINT, "endpoint": ENDPOINT, "voice": turn.options.voice_id,
               "client": self.client}  # fmt: skip
        grant = await self.runtime.admission.admit(self.owner, voice, log=log)
        pipeline = TurnPipeline(self.runtime.pool, voice, turn.options, language=language, pacing=Pacing.LIVE,
                                endpoint=ENDPOINT, opened_at=turn.opened_at or None)  # fmt: skip
        work = self.turns[turn.turn_id] = _TurnWork(turn, grant, pipeline)
        return work

    async def _speak(self, work: _TurnWork, job: SpeakUnit) -> None:
        """One unit, piece by piece as it is decoded; the turn's units queued behind it go to the
        pipeline too, so it prepares the next while this one is heard."""
        for queued in (job, *self.jobs):
            if queued.turn is job.turn and isinstance(queued, SpeakUnit) and queued.job_id not in work.fed:
                work.pipeline.add(queued.text, queued.first_word)
                work.fed.add(queued.job_id)
        async for piece in work.pipeline.next_unit():
            if not self.sequencer.wants(job):
                return
            if piece.audio:
                self.sequencer.job_audio(job, piece.audio)
                self._pump()
        work.grant.characters += len(job.text)
        self.sequencer.job_done(job)

    def _failed(self, job: Job, exc: BaseException) -> None:
        error = listener_error(exc, self.owner.units)
        self.sequencer.job_failed(job, error)
        self._pump()
        if close_code(error) is not None:  # shutting down: close once the error is written
            self.closing = True

    def _finish_turn(self, turn: Turn) -> _Finish:
        def finish() -> asyncio.Task[None] | None:
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
        metrics.REQUESTS.labels("wyoming turn", outcome).inc()
        await work.grant.release(outcome)

    async def _write(self) -> None:
        while True:
            if self.close_at_once:
                raise _Closed
            if not self.outbox:
                idle = not self.sequencer.busy and not self.sequencer.turn_open and not self.jobs
                if self.closing or self.session.close or (self.draining and idle):
                    raise _Closed
                await self._wait()
                continue
            event, size, after = self.outbox.popleft()
            if after is not None:
                started = after()
                if started is not None:  # shielded: a disconnect now must not stop the release
                    await asyncio.shield(started)
            await async_write_event(event, self.writer)
            self.unsent -= size
            self.changed.set()

    async def _timer(self) -> None:
        while not self.sequencer.timed_out:
            deadline = self.sequencer.next_deadline()
            delay = None if deadline is None else max(0.0, deadline - time.monotonic())
            if delay is None or delay > 0:
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(delay):
                        await self._wait()
                continue
            while self.outbox:  # the idle timer never fires while events are still going out
                await self._wait()
            self.sequencer.tick(time.monotonic())
            self._pump()
        await asyncio.Event().wait()  # timed out: the writer closes once the error is out
