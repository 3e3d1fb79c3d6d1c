"""The Waves v4 turn protocol (``/waves/v1/lightning-v4/live``), as Pipecat's
``SmallestLightningV4TTSService`` speaks it. No I/O.

The socket is one voice, fixed by the query (``voice_id``, ``language``, ``sample_rate``,
``output_format=pcm``, ``speed``). The server greets with two ``{"event": "ready"}`` frames (the
session admitted, with its ``session_id``; the voice attached, with the ``sample_rate`` it speaks at).
Client frames:

- ``{"event": "speak", "turn_id", "text"}``: a turn, spoken whole, after the turns before it;
- ``{"event": "interrupt"}``: stop at once; every turn not yet over is dropped, each answered with
  ``interrupted``. Beyond the hosted API, ``interrupted`` says what of the turn was spoken: the words
  whose audio had been sent (``sent``) and, when the client says how much it had played
  (``"played_ms"`` on the interrupt), the words heard (``heard``), so an agent knows what the user
  actually heard;
- ``{"event": "end"}``: no more turns; the socket closes (1000) once the queued ones are spoken;
- ``{"event": "user_audio", ...}``: context for the hosted model; accepted and ignored.

Server frames: ``{"event": "turn_start", "turn_id"}``, then the turn's audio as binary frames (PCM
s16le mono), then ``{"event": "turn_end", "turn_id"}``; ``{"event": "interrupted", "turn_id", ...}``;
``{"event": "error", "code", "message"}`` (``turn_id`` too when it is a turn's), with the codes
``invalid_query``, ``invalid_voice``, ``bad_frame``, ``queue_full``, ``timeout`` and the Waves codes
of a failed turn (``engine_error``, ...). An error in a turn ends it with ``error`` then
``turn_end``; the socket stays open. A bad query is an ``error`` and a close (1008).
"""

from __future__ import annotations

import json
import math
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from voicewire.exceptions import InvalidField, MalformedMessage, UnknownVoice, VoiceNotInstalled, VoicewireError
from voicewire.protocol.jsontext import check_nesting, to_json
from voicewire.protocol.sequencer import (
    Problem,
    TimedOut,
    Turn,
    TurnAudio,
    TurnComplete,
    TurnFailed,
    TurnSequencer,
)
from voicewire.protocol.turn import TurnOptions, WordTiming

__all__ = ["SAMPLE_RATES", "LightningV4Session"]

SAMPLE_RATES = (8000, 16000, 22050, 24000, 44100, 48000)
MAX_FRAME_BYTES = 1 << 20


@dataclass
class _Spoken:
    """What of a turn went out: its audio's length and the timings of its words."""

    seconds: float = 0.0
    words: list[WordTiming] = field(default_factory=list)
    started: bool = False


class LightningV4Session:
    """One v4 connection. Every method is synchronous and does no I/O; see the module docstring."""

    def __init__(
        self,
        query: Mapping[str, str],
        *,
        now: float,
        idle_timeout: float = 60.0,
        max_turn_chars: int = 10_000,
        check_voice: Callable[[TurnOptions], None] | None = None,
        session_id: str | None = None,
    ) -> None:
        self.sequencer = TurnSequencer(now=now, idle_timeout=idle_timeout, max_turn_chars=max_turn_chars)
        self.session_id = session_id or f"v4_{uuid.uuid4().hex[:16]}"
        self.close: tuple[int, str] | None = None
        self._out: list[str | bytes] = []
        self._spoken: dict[int, _Spoken] = {}  # turns started and not over, by the sequencer's turn id
        self._turn_ids: dict[int, str] = {}  # the client's turn ids of those turns
        self._ending = False
        try:
            self.options = _read_query(query)
            if check_voice is not None:
                check_voice(self.options)
        except VoicewireError as exc:
            self._error(_code_of(exc), exc.message)
            self.close = (1008, "rejected")
            return
        self._send({"event": "ready", "session_id": self.session_id})
        self._send({"event": "ready", "session_id": self.session_id, "voice_id": self.options.voice_id,
                    "sample_rate": self.options.sample_rate})  # fmt: skip

    # -- client frames -------------------------------------------------------------------------------
    def receive_text(self, data: str, now: float) -> None:
        self.sequencer.touch(now)
        if self.close is not None:
            return
        try:
            obj = json.loads(data)
            check_nesting(obj)
        except (ValueError, RecursionError, MalformedMessage) as exc:
            self._error("bad_frame", f"A frame is one JSON object with an 'event' ({exc}).")
            return
        event = obj.get("event") if isinstance(obj, dict) else None
        if event == "speak":
            self._speak(obj, now)
        elif event == "interrupt":
            self._interrupt(obj, now)
        elif event == "end":
            self._ending = True
        elif event != "user_audio":
            self._bad("event", event, "speak, interrupt, end or user_audio")

    def receive_binary(self, data: bytes, now: float) -> None:
        self.sequencer.touch(now)
        self._error("bad_frame", "Binary frames are not part of the protocol; send JSON text frames.")

    def receive_oversized(self, size: int, now: float) -> None:
        self.sequencer.touch(now)
        self._error("bad_frame", f"Frame of {size} bytes is over the limit of {MAX_FRAME_BYTES} bytes.")

    # -- frames out ----------------------------------------------------------------------------------
    def outgoing(self) -> list[str | bytes]:
        self._take_events()
        if self._ending and self.close is None and not self.sequencer.busy and not self.sequencer.turn_open:
            self.close = (1000, "session ended")
        out, self._out = self._out, []
        return out

    # -- internals -----------------------------------------------------------------------------------
    def _take_events(self) -> None:
        """The sequencer's events, as frames in ``_out``."""
        for event in self.sequencer.events_to_send():
            if isinstance(event, TurnAudio):
                spoken = self._start(event.turn)
                spoken.seconds += event.seconds
                spoken.words += event.words
                if event.audio:
                    self._out.append(event.audio)
            elif isinstance(event, TurnComplete):
                self._start(event.turn)
                self._end(event.turn)
            elif isinstance(event, TurnFailed):
                self._start(event.turn)
                self._error(event.error.code, event.error.message, event.turn)
                self._end(event.turn)
            elif isinstance(event, Problem):
                self._error(_code_of(event.error), event.error.message)
            elif isinstance(event, TimedOut):
                self._error("timeout", f"Connection timed out after {event.seconds:g} seconds of inactivity")
                self.close = (1000, "idle timeout")

    def _speak(self, obj: dict[str, Any], now: float) -> None:
        turn_id, text = obj.get("turn_id"), obj.get("text")
        if not isinstance(turn_id, str) or not 0 < len(turn_id) <= 128:
            self._bad("turn_id", turn_id, "a string of 1 to 128 characters")
            return
        if not isinstance(text, str):
            self._bad("text", text, "a string")
            return
        if self._ending:
            self._error("bad_frame", "The client sent 'end': no more turns on this socket.")
            return
        self.sequencer.add_text(now, text, options=self.options, meta={"turn_id": turn_id}, close=True)

    def _interrupt(self, obj: dict[str, Any], now: float) -> None:
        played = obj.get("played_ms")
        if played is not None and (isinstance(played, bool) or not isinstance(played, int | float) or played < 0):
            self._bad("played_ms", played, "milliseconds of the turn's audio the client played, 0 or more")
            return
        self._take_events()  # what the sequencer let out before the cut counts as sent
        for turn_id, spoken in list(self._spoken.items()):
            self._send(_interrupted(self._turn_ids[turn_id], spoken, played))
        self._spoken.clear()
        self._turn_ids.clear()
        self.sequencer.cancel(now)

    def _start(self, turn: Turn) -> _Spoken:
        spoken = self._spoken.get(turn.turn_id)
        if spoken is None:
            spoken = self._spoken[turn.turn_id] = _Spoken()
            self._turn_ids[turn.turn_id] = str(turn.meta["turn_id"])
            self._send({"event": "turn_start", "turn_id": turn.meta["turn_id"]})
        return spoken

    def _end(self, turn: Turn) -> None:
        self._spoken.pop(turn.turn_id, None)
        self._turn_ids.pop(turn.turn_id, None)
        self._send({"event": "turn_end", "turn_id": turn.meta["turn_id"]})

    def _bad(self, name: str, value: object, allowed: str) -> None:
        self._error("bad_frame", InvalidField(name, value, allowed).message)

    def _error(self, code: str, message: str, turn: Turn | None = None) -> None:
        frame: dict[str, Any] = {"event": "error", "code": code, "message": message}
        if turn is not None:
            frame["turn_id"] = turn.meta["turn_id"]
        self._send(frame)

    def _send(self, frame: dict[str, Any]) -> None:
        self._out.append(to_json(frame))


def _interrupted(turn_id: str, spoken: _Spoken, played_ms: float | None) -> dict[str, Any]:
    frame: dict[str, Any] = {"event": "interrupted", "turn_id": turn_id, "sent": _upto(spoken, spoken.seconds)}
    if played_ms is not None:
        frame["heard"] = _upto(spoken, min(spoken.seconds, played_ms / 1000))
    return frame


def _upto(spoken: _Spoken, seconds: float) -> dict[str, Any]:
    """The words wholly within the first ``seconds`` of the turn's audio."""
    words = [w.word for w in spoken.words if w.end <= seconds + 1e-6]
    return {"seconds": math.floor(seconds * 1000) / 1000, "words": len(words), "text": " ".join(words)}


def _code_of(error: VoicewireError) -> str:
    if isinstance(error, UnknownVoice | VoiceNotInstalled):
        return "invalid_voice"
    if isinstance(error, InvalidField | MalformedMessage):
        return "bad_frame" if error.code == "malformed_message" else error.code
    return error.code


def _read_query(query: Mapping[str, str]) -> TurnOptions:
    """The socket's voice settings, from the handshake's query string.

    Raises:
        InvalidField: a parameter is missing or out of range (code ``invalid_query``).
    """
    voice = query.get("voice_id", "").strip()
    if not voice:
        raise _QueryError("voice_id", query.get("voice_id"), "a voice id, e.g. 'brannock' or 'heart' (required)")
    rate_raw = query.get("sample_rate", "24000")
    if not rate_raw.isdigit() or int(rate_raw) not in SAMPLE_RATES:
        raise _QueryError("sample_rate", rate_raw, "one of " + ", ".join(map(str, SAMPLE_RATES)))
    fmt = query.get("output_format", "pcm")
    if fmt != "pcm":
        raise _QueryError("output_format", fmt, "'pcm' (s16le mono, in binary frames)")
    speed_raw = query.get("speed", "1.0")
    try:
        speed = float(speed_raw)
    except ValueError:
        speed = math.nan
    if not (math.isfinite(speed) and 0.5 <= speed <= 2.0):
        raise _QueryError("speed", speed_raw, "a number from 0.5 to 2.0")
    language = query.get("language", "auto").strip().lower() or "auto"
    # Word timings are kept (not sent) so an interruption can say which words went out.
    return TurnOptions(voice_id=voice, language=language, speed=speed, sample_rate=int(rate_raw), word_timestamps=True)


class _QueryError(InvalidField):
    code = "invalid_query"
