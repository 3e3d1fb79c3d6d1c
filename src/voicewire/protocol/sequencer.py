"""TurnSequencer: the turns of one connection, without I/O and without any wire format.

A dialect (``voicewire.dialects``) parses its client's messages and calls ``add_text``, ``cancel``,
``touch`` or ``problem``; it turns the events that come out (``events_to_send``) into its frames.
The listener's adapter carries out the jobs (``jobs_to_run``) and reports their results:

- ``add_text(now, text, context=..., options=..., close=...)``: text for the open turn of
  ``context`` (None: the connection's one unnamed lane), opening a turn with ``options`` when none
  is open. Text is buffered in an incremental chunker that hands out speakable units as soon as
  sound allows; ``close`` ends the turn after this text. Each context is a lane: the turns of one
  lane are delivered strictly one after another, lanes independently of each other.
- ``cancel(now, context)``: drop the context's buffered text and undelivered work; nothing more is
  said for it (the adapter sees ``wants(job)`` turn false and stops within one unit).
- ``jobs_to_run()``: ``SpeakUnit`` (speak one unit) and ``EndTurn`` (finish the turn's stream),
  in order. Report each with ``job_audio`` (partial), then ``job_done`` or ``job_failed``.
- ``events_to_send()``: ``TurnAudio``, ``TurnComplete``, ``TurnFailed``, ``Problem``, ``TimedOut``,
  in order per lane: a job's results go out as soon as every job of its lane before it is
  delivered, at the pace of a listener (``protocol.pacing``: a turn's audio is let out evenly
  instead of in bursts, so a client that ends a turn on a pause hears all of it). Exactly one
  ``TurnComplete`` follows the last audio of every closed turn; never one
  for an open turn; an error ends a turn with one ``TurnFailed`` instead.
- ``tick(now)`` at ``next_deadline()``: a turn's ``flush_ms`` flush, and the idle timeout.

After every call, the adapter must take ``events_to_send()`` and ``jobs_to_run()``.

Bounds: a turn's unspoken text is capped (``max_turn_chars``: the turn fails), and so is what a
connection may have queued and not yet spoken (``max_queued_chars`` characters, ``max_queued_turns``
turns): past them a new turn is refused with a ``Problem`` and its text dropped, and an open turn
fails, so one socket cannot pile up unbounded work.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from voicewire.exceptions import QueueFull, TextTooLong, VoicewireError
from voicewire.protocol.pacing import Pacer
from voicewire.protocol.turn import TurnOptions, WordTiming
from voicewire.text.chunker import Chunker
from voicewire.text.words import client_words

__all__ = [
    "SOFT_LIMIT",
    "EndTurn",
    "Event",
    "Job",
    "Problem",
    "SpeakUnit",
    "TimedOut",
    "Turn",
    "TurnAudio",
    "TurnComplete",
    "TurnFailed",
    "TurnSequencer",
]


SOFT_LIMIT = 100
"""Characters past which a live turn's sentence is cut at its next clause: text may be arriving at an
LLM's pace, and a shorter unit is spoken sooner after the text that ends it (a whole 200-character
sentence was made only after all of it had arrived, and a listener could run dry meanwhile)."""


@dataclass(frozen=True, eq=False)
class Turn:
    turn_id: int
    options: TurnOptions
    context: str | None = None
    meta: Mapping[str, Any] = field(default_factory=dict)
    """The dialect's own data about the turn (ids to echo in its frames). Two keys are read by the
    runtime too: ``marked`` (the turn's parsed speech markup) and ``whole_answer`` (true when the client
    keeps the whole answer before it plays any of it: see ``runtime.connection``)."""
    opened_at: float = 0.0
    """When the text that opened the turn arrived (the adapter's clock): first audio is timed from it."""


@dataclass(frozen=True)
class SpeakUnit:
    job_id: int
    turn: Turn
    text: str
    first_word: int
    """How many client words of the turn came before this unit."""


@dataclass(frozen=True)
class EndTurn:
    job_id: int
    turn: Turn


Job = SpeakUnit | EndTurn


@dataclass(frozen=True)
class TurnAudio:
    """Audio of a turn (and the timings of the words that start in it), in order."""

    turn: Turn
    audio: bytes
    words: tuple[WordTiming, ...] = ()
    seconds: float = 0.0
    """Duration of ``audio``: what the pacer counts."""


@dataclass(frozen=True)
class TurnComplete:
    """All of a closed turn's audio is out."""

    turn: Turn


@dataclass(frozen=True)
class TurnFailed:
    """A turn ended with an error; nothing more comes for it."""

    turn: Turn
    error: VoicewireError


@dataclass(frozen=True)
class Problem:
    """An error that belongs to no turn (a malformed message, a refused new turn)."""

    error: VoicewireError


@dataclass(frozen=True)
class TimedOut:
    """The connection was idle for ``seconds``: close it."""

    seconds: float


Event = TurnAudio | TurnComplete | TurnFailed | Problem | TimedOut


@dataclass(eq=False)
class _OpenTurn:
    turn: Turn
    chunker: Chunker
    flush_ms: int = 0
    pending_since: float | None = None
    words: int = 0


@dataclass
class _Result:
    """What a job reported and was not delivered yet: pieces of audio (bytes, words, seconds)."""

    pieces: list[tuple[bytes, tuple[WordTiming, ...], float]] = field(default_factory=list)
    done: bool = False
    error: VoicewireError | None = None


class TurnSequencer:
    """One connection's turns. Every method is synchronous and does no I/O."""

    def __init__(
        self,
        *,
        now: float,
        idle_timeout: float = 60.0,
        max_turn_chars: int = 10_000,
        max_queued_chars: int | None = None,
        max_queued_turns: int = 16,
    ) -> None:
        self.idle_timeout = idle_timeout
        self.max_turn_chars = max_turn_chars
        self.max_queued_chars = 4 * max_turn_chars if max_queued_chars is None else max_queued_chars
        self.max_queued_turns = max_queued_turns
        self.timed_out = False
        self._last_activity = now
        self._open: dict[str | None, _OpenTurn] = {}
        self._next_turn = 0
        self._next_job = 0
        self._lanes: dict[str | None, deque[Job]] = {}  # jobs handed out, not yet delivered, per context
        self._issued: dict[int, Job] = {}
        self._results: dict[int, _Result] = {}
        self._jobs: list[Job] = []
        self._events: list[Event] = []
        self._failed_turns: set[int] = set()
        self._cancelled_turns: set[int] = set()
        self._issued_chars = 0  # text of units handed out and not yet delivered
        self._pacers: dict[str | None, Pacer[Event]] = {}
        self._now = now

    # -- inputs: the dialect -----------------------------------------------------------------------
    def touch(self, now: float) -> None:
        """The client is there (a keepalive, any message): the idle timer starts again."""
        self._last_activity = now
        self._now = max(self._now, now)

    def is_open(self, context: str | None = None) -> bool:
        return context in self._open

    def add_text(
        self,
        now: float,
        text: str,
        *,
        context: str | None = None,
        options: TurnOptions | None = None,
        meta: Mapping[str, Any] | None = None,
        close: bool = False,
        flush_ms: int | None = None,
    ) -> None:
        """Text for the open turn of ``context``; a turn opens (with ``options`` and ``meta``) when
        none is open. ``close`` ends the turn after this text. Closing when nothing is open and no
        text came still answers ``TurnComplete``, so a client waiting on it finishes."""
        self._last_activity = now
        self._clock(now)
        current = self._open.get(context)
        if current is None:
            if not text.strip():
                if close:
                    self._settle(self._new_turn(context, options, meta, now), _Result(done=True))
                return
            if options is None:
                raise ValueError("A turn opens with options; the dialect must give them.")
            refused = self._over_bounds(len(text), new_turn=True)
            if refused is not None:
                self._events.append(Problem(refused))
                return
            current = self._open[context] = _OpenTurn(
                self._new_turn(context, options, meta, now), Chunker(soft_limit=SOFT_LIMIT)
            )
        if flush_ms is not None:
            current.flush_ms = flush_ms
        buffered = len(current.chunker.pending) + len(text)
        if buffered > self.max_turn_chars:
            self._fail_open(context, TextTooLong(buffered, self.max_turn_chars, "turn (text not yet spoken)"))
            return
        refused = self._over_bounds(len(text), new_turn=False)
        if refused is not None:
            self._fail_open(context, refused)
            return
        units = current.chunker.add(text)
        if close:
            units += current.chunker.flush()
        self._issue(current, units)
        if close:
            del self._open[context]
            self._queue(EndTurn(self._job_id(), current.turn))
        elif current.chunker.pending.strip():
            if current.pending_since is None:
                current.pending_since = now
        else:
            current.pending_since = None

    def cancel(self, now: float, context: str | None = None) -> None:
        """Drop everything of ``context`` not yet sent: its open turn, its queued units, the audio the
        pacer holds. Silent."""
        self._last_activity = now
        self._now = max(self._now, now)
        pacer = self._pacers.pop(context, None)
        if pacer is not None:
            pacer.clear()
        current = self._open.pop(context, None)
        dropped = {job.turn.turn_id for job in self._lanes.get(context, ())}
        if current is not None:
            dropped.add(current.turn.turn_id)
        for job in self._lanes.pop(context, deque()):
            self._forget(job)
        self._failed_turns |= dropped
        self._cancelled_turns |= dropped

    def problem(self, error: VoicewireError) -> None:
        """An error that belongs to no turn, sent at once (ahead of audio still queued)."""
        self._events.append(Problem(error))

    # -- inputs: the adapter -----------------------------------------------------------------------
    def wants(self, job: Job) -> bool:
        """False once a job's turn failed or was cancelled: its result would be thrown away."""
        return not self.dropped(job.turn) and not self.timed_out

    def dropped(self, turn: Turn) -> bool:
        """True once ``turn`` failed or was cancelled (never for one that completed)."""
        return turn.turn_id in self._failed_turns

    def cancelled(self, turn: Turn) -> bool:
        """True once the client cancelled ``turn`` (``cancel``)."""
        return turn.turn_id in self._cancelled_turns

    def turn_over(self, turn: Turn) -> bool:
        """True once nothing more will be delivered for ``turn`` (completed, failed or cancelled)."""
        if turn.turn_id in self._failed_turns:
            return True
        lane = self._lanes.get(turn.context, ())
        open_turn = self._open.get(turn.context)
        return not any(j.turn is turn for j in lane) and not (open_turn is not None and open_turn.turn is turn)

    def job_audio(
        self,
        job: Job,
        audio: bytes,
        words: Sequence[WordTiming] = (),
        seconds: float = 0.0,
        *,
        now: float | None = None,
    ) -> None:
        """Part of a job's result: a piece of its unit's audio (``seconds`` long), and the words whose
        timings are known.

        Each word should come before (or with) the audio in which it starts. Delivered (to the pacer)
        at once if the job is the oldest not yet delivered of its lane; the job still ends with
        ``job_done``. ``now``: the adapter's clock (default: the latest time the sequencer was told).
        """
        self._clock(now)
        if job.job_id in self._issued:  # else its turn failed meanwhile: nothing to deliver
            self._results.setdefault(job.job_id, _Result()).pieces.append((audio, tuple(words), seconds))
            self._deliver(job.turn.context)

    def job_done(
        self,
        job: Job,
        audio: bytes = b"",
        words: Sequence[WordTiming] = (),
        seconds: float = 0.0,
        *,
        now: float | None = None,
    ) -> None:
        """The end of a job's result (all of it, if there were no ``job_audio`` calls)."""
        self._clock(now)
        if job.job_id in self._issued:
            result = self._results.setdefault(job.job_id, _Result())
            if audio or words:
                result.pieces.append((audio, tuple(words), seconds))
            result.done = True
            self._deliver(job.turn.context)

    def job_failed(self, job: Job, error: VoicewireError, *, now: float | None = None) -> None:
        self._clock(now)
        if job.job_id in self._issued:
            self._results[job.job_id] = _Result(error=error)
            self._deliver(job.turn.context)

    def tick(self, now: float) -> None:
        """Timers: held audio the pacer lets out, due ``flush_ms`` flushes, and the idle timeout."""
        self._clock(now)
        for pacer in self._pacers.values():
            self._events.extend(pacer.release(now))
        for current in list(self._open.values()):
            flush_at = _flush_deadline(current)
            if flush_at is not None and now >= flush_at:
                current.pending_since = None
                self._issue(current, current.chunker.flush())
        if not self.timed_out and not self.busy and now >= self._last_activity + self.idle_timeout:
            self._events.append(TimedOut(self.idle_timeout))
            self.timed_out = True

    # -- outputs -----------------------------------------------------------------------------------
    def events_to_send(self) -> list[Event]:
        events, self._events = self._events, []
        return events

    def jobs_to_run(self) -> list[Job]:
        jobs, self._jobs = self._jobs, []
        return jobs

    @property
    def busy(self) -> bool:
        """True while some audio is still being made or held: the idle timer waits."""
        return bool(self._issued) or any(p.holding for p in self._pacers.values())

    @property
    def turn_open(self) -> bool:
        return bool(self._open)

    def next_deadline(self) -> float | None:
        """When ``tick`` has something to do (None: nothing until the client or a job speaks)."""
        if self.timed_out:
            return None
        deadlines = [d for d in (_flush_deadline(t) for t in self._open.values()) if d is not None]
        deadlines += [max(d, self._now) for d in (p.next_release() for p in self._pacers.values()) if d is not None]
        if not self.busy:
            deadlines.append(self._last_activity + self.idle_timeout)
        return min(deadlines) if deadlines else None

    # -- internals ---------------------------------------------------------------------------------
    def _new_turn(
        self, context: str | None, options: TurnOptions | None, meta: Mapping[str, Any] | None, now: float
    ) -> Turn:
        self._next_turn += 1
        return Turn(self._next_turn, options or TurnOptions(voice_id=""), context, dict(meta or {}), now)

    def _over_bounds(self, chars: int, *, new_turn: bool) -> VoicewireError | None:
        if new_turn:
            turns = {job.turn.turn_id for lane in self._lanes.values() for job in lane}
            turns |= {t.turn.turn_id for t in self._open.values()}
            if len(turns) >= self.max_queued_turns:
                return QueueFull(
                    f"{len(turns)} turns are already queued on this connection (at most {self.max_queued_turns}); "
                    "wait for their 'complete' before sending more."
                )
        queued = self._issued_chars + sum(len(t.chunker.pending) for t in self._open.values())
        if queued + chars > self.max_queued_chars:
            return QueueFull(
                f"{queued} characters are already queued on this connection and not yet spoken (at most "
                f"{self.max_queued_chars}); wait for audio before sending more."
            )
        return None

    def _issue(self, current: _OpenTurn, units: list[str]) -> None:
        for text in units:
            count = len(client_words(text))
            self._queue(SpeakUnit(self._job_id(), current.turn, text, current.words))
            current.words += count

    def _queue(self, job: Job) -> None:
        self._lanes.setdefault(job.turn.context, deque()).append(job)
        self._issued[job.job_id] = job
        if isinstance(job, SpeakUnit):
            self._issued_chars += len(job.text)
        self._jobs.append(job)

    def _job_id(self) -> int:
        self._next_job += 1
        return self._next_job

    def _forget(self, job: Job) -> None:
        """A job leaves the books (delivered, failed or dropped): its text no longer counts as queued."""
        if self._issued.pop(job.job_id, None) is not None and isinstance(job, SpeakUnit):
            self._issued_chars -= len(job.text)
        self._results.pop(job.job_id, None)

    def _deliver(self, context: str | None) -> None:
        """Events for the results at the head of a lane, in order: all that finished jobs left, then
        what the first unfinished job has reported so far."""
        lane = self._lanes.get(context)
        while lane and lane[0].job_id in self._results:
            job = lane[0]
            result = self._results[job.job_id]
            if result.error is None:
                for audio, words, seconds in result.pieces:
                    self._paced(TurnAudio(job.turn, audio, words, seconds))
                result.pieces = []
                if not result.done:
                    return
            lane.popleft()
            self._forget(job)
            if result.error is not None:
                self._fail(job.turn, result.error)
            elif isinstance(job, EndTurn):
                self._paced(TurnComplete(job.turn))
        if lane is not None and not lane:
            del self._lanes[context]

    def _paced(self, event: TurnAudio | TurnComplete | TurnFailed) -> None:
        """Hand a turn's event to its lane's pacer; take what it lets out now."""
        pacer = self._pacers.get(event.turn.context)
        if pacer is None:
            pacer = self._pacers[event.turn.context] = Pacer(_turn_id, _audio_seconds)
        self._events.extend(pacer.push(event, self._now))

    def _clock(self, now: float | None) -> None:
        if now is not None:
            self._now = max(self._now, now)

    def _fail_open(self, context: str | None, error: VoicewireError) -> None:
        """End the open turn of ``context`` with an error, in order: after the audio queued before it."""
        current = self._open.pop(context)
        self._settle(current.turn, _Result(error=error))

    def _settle(self, turn: Turn, result: _Result) -> None:
        """End a turn the adapter has nothing to do for (an empty close, a refused text) with ``result``,
        in order: its ``TurnComplete`` or ``TurnFailed`` goes out after the audio of the lane before it."""
        marker = EndTurn(self._job_id(), turn)  # never handed to the adapter
        self._lanes.setdefault(turn.context, deque()).append(marker)
        self._issued[marker.job_id] = marker
        self._results[marker.job_id] = result
        self._deliver(turn.context)

    def _fail(self, turn: Turn, error: VoicewireError) -> None:
        """End a turn with one ``TurnFailed``; its queued jobs are dropped and their results ignored.

        The event goes out after the turn's audio that was already delivered, never before it.
        """
        self._failed_turns.add(turn.turn_id)
        if (current := self._open.get(turn.context)) is not None and current.turn is turn:
            del self._open[turn.context]
        self._paced(TurnFailed(turn, error))
        lane = self._lanes.get(turn.context)
        if lane is None:
            return
        for job in [j for j in lane if j.turn is turn]:
            lane.remove(job)
            self._forget(job)


def _turn_id(event: Event) -> int:
    assert isinstance(event, TurnAudio | TurnComplete | TurnFailed)
    return event.turn.turn_id


def _audio_seconds(event: Event) -> float | None:
    return event.seconds if isinstance(event, TurnAudio) else None


def _flush_deadline(current: _OpenTurn) -> float | None:
    """When an open turn's ``flush_ms`` runs out for the text it holds."""
    if current.pending_since is None or current.flush_ms <= 0:
        return None
    return current.pending_since + current.flush_ms / 1000
