"""A long-lived connection's turns, for every listener: the live WebSocket and Wyoming alike.

A dialect session (``voicewire.dialects``) parses what its client sends into a ``TurnSequencer``
and turns the sequencer's events into its own frames. ``TurnConnection`` is everything between that
session and the transport that does not depend on either: four tasks on one connection,

- a reader (the listener's: it reads the transport and feeds the session),
- a synthesizer that runs the sequencer's jobs, each turn through its own admission grant and
  ``TurnPipeline`` (dictionaries read and markup applied as the turn opens),
- a writer that sends what the session says, in order (the listener's ``_send``),
- a timer that ticks the sequencer at its deadlines (pacing, flushes, the idle timeout).

Flow control: the reader stops reading while ``MAX_UNSENT`` bytes wait for the client, and the
synthesizer starts a job only below that too, so a client that does not read slows its own
synthesis down instead of growing a buffer. A turn holds its unit from its first synthesis until its
last frame goes out; a turn the sequencer drops (failed, cancelled) gives it back at once. When the
client leaves, every task is cancelled and ``release_all`` frees what is still held.

Each connection is registered in ``runtime.connections``: on SIGTERM, ``drain`` lets the running
turns finish, then the connection closes; ``close_now`` closes it at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from abc import ABC, abstractmethod
from collections import deque
from collections.abc import Callable
from typing import Any, ClassVar, Generic, TypeVar

from voicewire import metrics
from voicewire.auth.keys import ApiKey
from voicewire.errors import close_code, public_error
from voicewire.exceptions import VoicewireError
from voicewire.protocol.sequencer import EndTurn, Job, SpeakUnit, Turn, TurnSequencer
from voicewire.runtime.admission import Grant
from voicewire.runtime.runtime import Runtime
from voicewire.synthesis.pipeline import Pacing, TurnPipeline
from voicewire.synthesis.units import TurnReading

__all__ = ["GOING_AWAY", "MAX_UNSENT", "Closed", "TurnConnection", "TurnWork"]

MAX_UNSENT = 1 << 20
"""Bytes waiting for a slow client before reading and synthesis pause (the pacer holds at most a
few seconds of audio more)."""
GOING_AWAY = (1001, "server shutting down")
"""The close of a connection the server ends (drain, shutdown); a WebSocket sends it as is."""

Frame = TypeVar("Frame")
Finish = Callable[[], "asyncio.Task[None] | None"]
"""Run as a turn's last frame goes out; the task it starts, if any, is awaited before the frame."""


class Closed(Exception):
    """The connection is over: stop everything."""


class TurnWork:
    """A turn being spoken: its admission grant, its pipeline, the jobs fed to the pipeline."""

    def __init__(self, turn: Turn, grant: Grant, pipeline: TurnPipeline) -> None:
        self.turn = turn
        self.grant = grant
        self.pipeline = pipeline
        self.fed: set[int] = set()


class TurnConnection(ABC, Generic[Frame]):
    """One client connection's turns; a listener subclasses it with its transport and its session."""

    kind: ClassVar[str]
    """The label of this listener's turns in metrics (``websocket``, ``wyoming``)."""
    paced: ClassVar[bool] = True
    """Tell the sequencer each piece's length, so its pacer lets audio out about as it is heard."""
    gone: ClassVar[tuple[type[Exception], ...]] = (Closed, OSError)
    """What the tasks raise when the client has left (the transport's own disconnect errors too)."""

    def __init__(
        self,
        runtime: Runtime,
        sequencer: TurnSequencer,
        key: ApiKey,
        *,
        endpoint: str,
        dict_owner: str | None,
    ) -> None:
        """``dict_owner``: whose pronunciation dictionaries turns may name (the key's id), or None for
        any (a listener without keys, whose dictionaries the operator's settings name)."""
        self.runtime = runtime
        self.sequencer = sequencer
        self.key = key
        self.endpoint = endpoint
        self.dict_owner = dict_owner
        self.jobs: deque[Job] = deque()
        self.outbox: deque[tuple[Frame, int, Finish | None]] = deque()
        self.unsent = 0
        self.turns: dict[int, TurnWork] = {}
        self.changed = asyncio.Event()  # something for the tasks to look at
        self.closing: tuple[int, str] | None = None
        """Why the connection closes once the outbox is written (a WebSocket close code and reason)."""
        self.close_at_once = False
        self.draining = False
        self.releasing: set[asyncio.Task[None]] = set()  # kept referenced until done

    # -- what a listener provides ---------------------------------------------------------------------
    @abstractmethod
    def _outgoing(self) -> list[tuple[Frame, int]]:
        """What the session says now, each with its size in bytes (for flow control)."""

    @abstractmethod
    def _session_close(self) -> tuple[int, str] | None:
        """Why the session wants the connection closed once what it said is out, if it does."""

    @abstractmethod
    async def _read(self) -> None:
        """Read the client until it leaves (then raise ``Closed``), feeding the session and ``_pump``."""

    @abstractmethod
    async def _send(self, frame: Frame) -> None: ...

    @abstractmethod
    async def _close(self, why: tuple[int, str]) -> None:
        """Close the transport (the tasks stop right after)."""

    @abstractmethod
    def _turn_log(self, turn: Turn) -> dict[str, Any]:
        """The access-log fields of a turn (``event``, ``kind``, ``endpoint``, ...)."""

    def _error(self, exc: BaseException) -> VoicewireError:
        """The error a client of this listener sees for ``exc``."""
        return public_error(exc)

    # -- control from outside (the runtime's drain) -------------------------------------------------
    def drain(self) -> None:
        self.draining = True
        self.changed.set()

    def close_now(self) -> None:
        self.closing = GOING_AWAY
        self.close_at_once = True
        self.changed.set()

    async def release_all(self) -> None:
        """Once ``run`` is over: free what the turns still hold (turns cut short by a close)."""
        for task in list(self.releasing):
            await task
        for work in list(self.turns.values()):
            await self._release(work, "closed")
        self.turns.clear()

    # -- the tasks ------------------------------------------------------------------------------------
    async def run(self) -> None:
        self._pump()  # what the session says first (a greeting, or why it refuses the connection)
        try:
            async with asyncio.TaskGroup() as group:
                group.create_task(self._read())
                group.create_task(self._synthesize())
                group.create_task(self._write())
                group.create_task(self._timer())
        except* self.gone:
            pass

    def _pump(self, after_last: Finish | None = None) -> None:
        """Move the session's output into the outbox; ``after_last`` runs just before the last frame is
        sent, and that frame waits for what it started (the turn's unit is free when the client
        hears the turn is over, so its next turn, on any connection or replica, finds the unit free)."""
        frames = self._outgoing()
        for i, (frame, size) in enumerate(frames):
            self.outbox.append((frame, size, after_last if i == len(frames) - 1 else None))
            self.unsent += size
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
            self._pump(self._finish_turn(job.turn) if isinstance(job, EndTurn) else None)

    async def _start(self, turn: Turn) -> TurnWork:
        """A turn's first job: its dictionaries (read now: a change shows in the next turn), admission
        (key, drain, unit, capacity), then its pipeline."""
        voice = self.runtime.catalog.resolve(turn.options.voice_id)
        language = voice.language(turn.options.language)
        lexicon = await self.runtime.lexicons.resolve(self.dict_owner, turn.options.pronunciation_dicts)
        marked = turn.meta.get("marked")  # a dialect's parsed speech markup (voicewire.text.ssml.MarkedText)
        reading = None if lexicon is None and marked is None else TurnReading(lexicon=lexicon, marked=marked)
        # A client that keeps the whole answer before playing any of it (a Wyoming one-shot: Home
        # Assistant writes it into a WAV first) hears nothing in real time: as a sync request, it may
        # wait in line for capacity instead of being refused at once. Once in, its units are made as
        # a live turn's (its first audio early), as before.
        wait = self.runtime.settings.busy_wait if turn.meta.get("whole_answer") else 0.0
        grant = await self.runtime.admission.admit(self.key, voice, log=self._turn_log(turn), wait=wait)
        pipeline = TurnPipeline(self.runtime.pool, voice, turn.options, language=language, pacing=Pacing.LIVE,
                                endpoint=self.endpoint, opened_at=turn.opened_at or None, reading=reading)  # fmt: skip
        work = self.turns[turn.turn_id] = TurnWork(turn, grant, pipeline)
        return work

    async def _speak(self, work: TurnWork, job: SpeakUnit) -> None:
        """One unit, piece by piece as it is decoded; units queued behind it in the same turn are
        handed to the pipeline too, so it prepares the next one while this one plays."""
        for queued in (job, *self.jobs):
            if queued.turn is job.turn and isinstance(queued, SpeakUnit) and queued.job_id not in work.fed:
                work.pipeline.add(queued.text, queued.first_word)
                work.fed.add(queued.job_id)
        async for piece in work.pipeline.next_unit():
            if not self.sequencer.wants(job):  # the turn failed, was cancelled, or the connection is closing
                return
            if piece.audio or piece.words:
                seconds = piece.seconds if self.paced else 0.0
                self.sequencer.job_audio(job, piece.audio, piece.words, seconds, now=time.monotonic())
                self._pump()
        work.grant.characters += len(job.text)
        self.sequencer.job_done(job, now=time.monotonic())

    def _failed(self, job: Job, exc: BaseException) -> None:
        error = self._error(exc)
        self.sequencer.job_failed(job, error, now=time.monotonic())
        self._pump()
        code = close_code(error)
        if code is not None and self.closing is None:
            self.closing = code  # after the error frame: the writer closes once the outbox is empty

    def _finish_turn(self, turn: Turn) -> Finish:
        """Frees the turn's unit (and records its usage) as its last frame goes out."""

        def finish() -> asyncio.Task[None] | None:
            # Popped only now: if the client leaves first, release_all() frees the unit instead.
            work = self.turns.pop(turn.turn_id, None)
            return None if work is None else self._spawn_release(work, "complete")

        return finish

    def _spawn_release(self, work: TurnWork, outcome: str) -> asyncio.Task[None]:
        task = asyncio.ensure_future(self._release(work, outcome))
        self.releasing.add(task)
        task.add_done_callback(self.releasing.discard)
        return task

    async def _release(self, work: TurnWork, outcome: str) -> None:
        """The turn is over: stop its pipeline, free its unit, count it, log it, record its usage."""
        await work.pipeline.aclose()
        work.grant.seconds = work.pipeline.seconds
        work.grant.first_audio = work.pipeline.first_audio
        metrics.REQUESTS.labels(f"{self.kind} turn", outcome).inc()
        await work.grant.release(outcome)

    async def _write(self) -> None:
        while True:
            if self.close_at_once:  # close_now(): drop what is queued, close at once
                await self._close(self.closing or GOING_AWAY)
                raise Closed
            if not self.outbox:
                if self.closing is None:
                    self.closing = self._session_close()
                idle = not self.sequencer.busy and not self.sequencer.turn_open and not self.jobs
                if self.closing is None and self.draining and idle:
                    self.closing = GOING_AWAY
                if self.closing is not None:
                    await self._close(self.closing)
                    raise Closed
                await self._wait()
                continue
            frame, size, after = self.outbox.popleft()
            if after is not None:
                started = after()
                if started is not None:  # shielded: a disconnect now must not stop the release
                    await asyncio.shield(started)
            await self._send(frame)
            self.unsent -= size
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
        # Timed out: the session said so, and the writer closes once that is out.
