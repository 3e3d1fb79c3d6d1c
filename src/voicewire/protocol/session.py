"""LiveSession: the Waves live protocol of one connection, as a state machine without I/O.

The WebSocket and SSE adapters feed it what happens and carry out what it asks:

- ``receive_text(data, now)`` / ``receive_message(obj, now)``: a client frame. Also
  ``receive_binary`` and ``receive_oversized`` for frames the protocol does not accept.
- ``jobs_to_run()``: synthesis jobs, in order. A ``SpeakUnit`` asks for one unit of text to be
  spoken; an ``EndTurn`` asks for the turn's stream to be finished (resampler and encoder tails).
  The adapter reports each job with ``job_done(job, audio, words)`` or ``job_failed(job, error)``,
  in any order, after any number of partial results ``job_audio(job, audio, words)`` (a unit's
  audio as it is decoded); ``wants(job)`` says whether a job is still worth running.
- ``frames_to_send()``: JSON frames for the client, strictly in turn and job order: a job's partial
  results go out at once if every job before it is delivered, else when they are.
- ``tick(now)`` at ``next_deadline()``: the ``max_buffer_flush_ms`` flush and the idle timeout.
- ``close``: once set, send what ``frames_to_send`` holds, then close with this code and reason.

After every call, the adapter must take ``frames_to_send()`` and ``jobs_to_run()``.

Turns: text opens a turn when none is open and fixes its voice settings. ``continue: true`` text is
buffered in an incremental chunker that hands out speakable units as soon as sound allows; a message
with ``flush: true`` or without ``continue: true`` closes the turn. Exactly one ``complete`` follows
the last audio of every closed turn, never one for an open turn. An error in a turn (text over the
limit, an engine failure) ends it with one ``error`` frame and no ``complete``. A frame that is not
JSON or has invalid fields gets an ``error`` frame and changes nothing else.
"""

from __future__ import annotations

import json
import uuid
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from voicewire.exceptions import InvalidField, MalformedMessage, TextTooLong, VoicewireError
from voicewire.protocol.frames import (
    Frame,
    WordTiming,
    chunk_frames,
    complete_frame,
    error_frame,
    timeout_message,
    word_frame,
)
from voicewire.protocol.request import VoiceSettings, check_nesting, read_id, read_settings
from voicewire.text.chunker import Chunker
from voicewire.text.words import client_words

__all__ = ["MAX_FRAME_BYTES", "EndTurn", "Job", "LiveSession", "SpeakUnit", "Turn"]

MAX_FRAME_BYTES = 1 << 20
"""Largest client frame accepted (the official clients cap messages at 1 MiB too)."""


@dataclass(frozen=True)
class Turn:
    turn_id: int
    request_id: str
    settings: VoiceSettings
    ids: Mapping[str, str] = field(default_factory=dict)
    """Echoed client ids (``external_request_id``, ``external_session_id``) and the session id."""
    opened_at: float = 0.0
    """When the message that opened the turn arrived (the adapter's clock): first audio is timed from it."""


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


@dataclass
class _OpenTurn:
    turn: Turn
    chunker: Chunker
    flush_ms: int = 0
    pending_since: float | None = None
    words: int = 0


@dataclass
class _Result:
    """What a job reported and was not delivered yet."""

    audio: list[bytes] = field(default_factory=list)
    words: list[WordTiming] = field(default_factory=list)
    done: bool = False
    error: VoicewireError | None = None


class LiveSession:
    """One connection's protocol state. Every method is synchronous and does no I/O."""

    def __init__(
        self,
        *,
        now: float,
        idle_timeout: float = 60.0,
        max_turn_chars: int = 10_000,
        check_voice: Callable[[VoiceSettings], None] | None = None,
        session_id: str | None = None,
        new_request_id: Callable[[], str] | None = None,
    ) -> None:
        self.idle_timeout = idle_timeout
        self.max_turn_chars = max_turn_chars
        self.session_id = session_id or f"ws_{uuid.uuid4().hex[:16]}"
        self._check_voice = check_voice
        self._new_request_id = new_request_id or (lambda: f"task_{uuid.uuid4().hex}")
        self._last_activity = now
        self._open: _OpenTurn | None = None
        self._next_turn = 0
        self._next_job = 0
        self._issued: deque[Job] = deque()  # jobs handed out, not yet delivered to the client
        self._issued_ids: set[int] = set()
        self._results: dict[int, _Result] = {}
        self._jobs: list[Job] = []
        self._frames: list[Frame] = []
        self._failed_turns: set[int] = set()
        self.close: tuple[int, str] | None = None

    # -- inputs: the client ------------------------------------------------------------------
    def receive_text(self, data: str, now: float) -> None:
        """A text frame from the client."""
        self._last_activity = now
        if len(data.encode("utf-8", "surrogatepass")) > MAX_FRAME_BYTES:
            self.receive_oversized(len(data), now)
            return
        try:
            obj = json.loads(data)
        except (ValueError, RecursionError) as exc:
            self._error(MalformedMessage(f"Message is not valid JSON ({exc}); send one JSON object per frame."))
            return
        self.receive_message(obj, now)

    def receive_binary(self, data: bytes, now: float) -> None:
        self._last_activity = now
        self._error(MalformedMessage("Binary frames are not part of the protocol; send JSON text frames."))

    def receive_oversized(self, size: int, now: float) -> None:
        self._last_activity = now
        self._error(MalformedMessage(f"Frame of {size} bytes is over the limit of {MAX_FRAME_BYTES} bytes."))

    def receive_message(self, obj: Any, now: float) -> None:
        """A decoded JSON message: validate it fully, then apply it."""
        self._last_activity = now
        try:
            check_nesting(obj)
            message = _LiveMessage.parse(obj, needs_voice=self._open is None)
            if self._open is None and message.text.strip() and self._check_voice is not None:
                assert message.settings is not None
                self._check_voice(message.settings)
        except VoicewireError as exc:
            self._error(exc)
            return
        self._apply(message, now)

    # -- inputs: the adapter -----------------------------------------------------------------
    def wants(self, job: Job) -> bool:
        """False once a job's turn has failed: its result would be thrown away."""
        return job.turn.turn_id not in self._failed_turns and self.close is None

    def job_audio(self, job: Job, audio: bytes, words: Sequence[WordTiming] = ()) -> None:
        """Part of a job's result: the next audio of its unit, and the words whose timings are known.

        Each word should come before (or with) the audio in which it starts. Delivered at once if
        the job is the oldest not yet delivered; the job still ends with ``job_done``.
        """
        if job.job_id in self._issued_ids:  # else its turn failed meanwhile: nothing to deliver
            result = self._results.setdefault(job.job_id, _Result())
            result.audio.append(audio)
            result.words.extend(words)
            self._deliver()

    def job_done(self, job: Job, audio: bytes = b"", words: Sequence[WordTiming] = ()) -> None:
        """The end of a job's result (all of it, if there were no ``job_audio`` calls)."""
        if job.job_id in self._issued_ids:
            result = self._results.setdefault(job.job_id, _Result())
            result.audio.append(audio)
            result.words.extend(words)
            result.done = True
            self._deliver()

    def job_failed(self, job: Job, error: VoicewireError) -> None:
        if job.job_id in self._issued_ids:
            self._results[job.job_id] = _Result(error=error)
            self._deliver()

    def tick(self, now: float) -> None:
        """Timers: a due ``max_buffer_flush_ms`` flush, and the idle timeout."""
        flush_at = self._flush_deadline()
        if self._open is not None and flush_at is not None and now >= flush_at:
            self._open.pending_since = None
            self._issue(self._open, self._open.chunker.flush())
        if self.close is None and not self.busy and now >= self._last_activity + self.idle_timeout:
            self._frames.append(error_frame(timeout_message(self.idle_timeout), "timeout"))
            self.close = (1000, "idle timeout")

    # -- outputs -----------------------------------------------------------------------------
    def frames_to_send(self) -> list[Frame]:
        frames, self._frames = self._frames, []
        return frames

    def jobs_to_run(self) -> list[Job]:
        jobs, self._jobs = self._jobs, []
        return jobs

    @property
    def busy(self) -> bool:
        """True while some audio is still being made or delivered: the idle timer waits."""
        return bool(self._issued)

    @property
    def turn_open(self) -> bool:
        return self._open is not None

    def next_deadline(self) -> float | None:
        """When ``tick`` has something to do (None: nothing until the client or a job speaks)."""
        if self.close is not None:
            return None
        deadlines = []
        flush_at = self._flush_deadline()
        if flush_at is not None:
            deadlines.append(flush_at)
        if not self.busy:
            deadlines.append(self._last_activity + self.idle_timeout)
        return min(deadlines) if deadlines else None

    # -- internals ---------------------------------------------------------------------------
    def _flush_deadline(self) -> float | None:
        """When the open turn's ``max_buffer_flush_ms`` runs out for the text it holds."""
        current = self._open
        if current is None or current.pending_since is None or current.flush_ms <= 0:
            return None
        return current.pending_since + current.flush_ms / 1000

    def _apply(self, message: _LiveMessage, now: float) -> None:
        closes = message.flush or not message.continue_
        if self._open is None:
            if not message.text.strip():
                if message.flush:  # nothing open, nothing buffered: still answer, so a waiting client ends
                    self._settle(self._start_turn(message, now), _Result(done=True))
                return  # a keepalive
            assert message.settings is not None
            self._open = _OpenTurn(self._start_turn(message, now), Chunker(first_unit=True))
        current = self._open
        if message.max_buffer_flush_ms is not None:
            current.flush_ms = message.max_buffer_flush_ms
        if len(current.chunker.pending) + len(message.text) > self.max_turn_chars:
            self._fail_open_turn(TextTooLong(len(current.chunker.pending) + len(message.text), self.max_turn_chars,
                                             "turn (text not yet spoken)"))  # fmt: skip
            return
        units = current.chunker.add(message.text)
        if closes:
            units += current.chunker.flush()
        self._issue(current, units)
        if closes:
            self._open = None
            self._queue(EndTurn(self._job_id(), current.turn))
        elif current.chunker.pending.strip():
            if current.pending_since is None:
                current.pending_since = now
        else:
            current.pending_since = None

    def _start_turn(self, message: _LiveMessage, now: float) -> Turn:
        settings = message.settings
        assert settings is not None or not message.text.strip()
        ids = {"session_id": self.session_id}
        if message.request_id:
            ids["external_request_id"] = message.request_id
        if message.session_id:
            ids["external_session_id"] = message.session_id
        self._next_turn += 1
        fallback = VoiceSettings(voice_id="")
        return Turn(self._next_turn, self._new_request_id(), settings or fallback, ids, opened_at=now)

    def _issue(self, current: _OpenTurn, units: list[str]) -> None:
        for text in units:
            count = len(client_words(text))
            self._queue(SpeakUnit(self._job_id(), current.turn, text, current.words))
            current.words += count

    def _queue(self, job: Job) -> None:
        self._issued.append(job)
        self._issued_ids.add(job.job_id)
        self._jobs.append(job)

    def _job_id(self) -> int:
        self._next_job += 1
        return self._next_job

    def _deliver(self) -> None:
        """Frames for the results at the head of the queue, in order: all that finished jobs left,
        then what the first unfinished job has reported so far."""
        while self._issued and self._issued[0].job_id in self._results:
            job = self._issued[0]
            result = self._results[job.job_id]
            turn = job.turn
            if result.error is None:
                if turn.settings.word_timestamps:
                    self._frames.extend(word_frame(turn.request_id, w, turn.ids) for w in result.words)
                self._frames.extend(chunk_frames(turn.request_id, b"".join(result.audio), turn.ids))
                result.audio, result.words = [], []
                if not result.done:
                    return
            self._issued.popleft()
            self._issued_ids.discard(job.job_id)
            del self._results[job.job_id]
            if result.error is not None:
                if self._open is not None and self._open.turn.turn_id == turn.turn_id:
                    self._open = None
                self._fail(turn, result.error)
            elif isinstance(job, EndTurn):
                self._frames.append(complete_frame(turn.request_id, turn.ids))

    def _fail_open_turn(self, error: VoicewireError) -> None:
        """End the open turn with an error, in order: after any audio already queued before it."""
        assert self._open is not None
        turn, self._open = self._open.turn, None
        self._settle(turn, _Result(error=error))

    def _settle(self, turn: Turn, result: _Result) -> None:
        """End a turn the adapter has nothing to do for (an empty flush, a refused text) with ``result``,
        in order: its ``complete`` or ``error`` goes out after the audio of the turns before it."""
        marker = EndTurn(self._job_id(), turn)  # never handed to the adapter
        self._issued.append(marker)
        self._issued_ids.add(marker.job_id)
        self._results[marker.job_id] = result
        self._deliver()

    def _fail(self, turn: Turn, error: VoicewireError) -> None:
        """End a turn with one error frame; its queued jobs are dropped and their results ignored.

        The frame goes out after the turn's audio that was already delivered, never before it.
        """
        self._failed_turns.add(turn.turn_id)
        self._frames.append(_error_from(error, turn))
        kept = deque(job for job in self._issued if job.turn.turn_id != turn.turn_id)
        for job in self._issued:
            if job.turn.turn_id == turn.turn_id:
                self._issued_ids.discard(job.job_id)
                self._results.pop(job.job_id, None)
        self._issued = kept

    def _error(self, error: VoicewireError) -> None:
        self._frames.append(error_frame(error.message, error.code))


def _error_from(error: VoicewireError, turn: Turn) -> Frame:
    return error_frame(error.message, error.code, turn.request_id, turn.ids)


@dataclass(frozen=True)
class _LiveMessage:
    text: str
    settings: VoiceSettings | None
    continue_: bool
    flush: bool
    max_buffer_flush_ms: int | None
    request_id: str | None
    session_id: str | None

    @classmethod
    def parse(cls, obj: Any, *, needs_voice: bool) -> _LiveMessage:
        if not isinstance(obj, Mapping):
            raise MalformedMessage("Each message must be a JSON object with 'text' and 'voice_id'.")
        text = obj.get("text")
        if text is None:
            text = ""
        if not isinstance(text, str):
            raise InvalidField("text", text, "a string (may be empty for a flush or keepalive)")
        # Validated even when unused: a continuing message's settings are ignored, never unchecked.
        settings: VoiceSettings | None = read_settings(obj, require_voice=needs_voice and bool(text.strip()))
        if obj.get("voice_id") is None:
            settings = None
        flags = {}
        for name in ("continue", "flush"):
            value = obj.get(name)
            if value is not None and not isinstance(value, bool):
                raise InvalidField(name, value, "true or false")
            flags[name] = bool(value)
        flush_ms = obj.get("max_buffer_flush_ms")
        if flush_ms is not None and (
            isinstance(flush_ms, bool) or not isinstance(flush_ms, int | float) or not 0 <= flush_ms <= 600_000
        ):
            raise InvalidField("max_buffer_flush_ms", flush_ms, "a number of milliseconds from 0 to 600000")
        backoff = obj.get("complete_backoff_ms")
        if backoff is not None and (isinstance(backoff, bool) or not isinstance(backoff, int | float)):
            raise InvalidField("complete_backoff_ms", backoff, "a number of milliseconds (accepted and ignored)")
        return cls(
            text=text,
            settings=settings,
            continue_=flags["continue"],
            flush=flags["flush"],
            max_buffer_flush_ms=None if flush_ms is None else int(flush_ms),
            request_id=read_id(obj, "request_id"),
            session_id=read_id(obj, "session_id"),
        )
