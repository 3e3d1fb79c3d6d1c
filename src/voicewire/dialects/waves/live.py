"""The Waves live protocol of one connection (the WebSocket, and SSE as one closing message): client
messages in, Waves frames out, turns kept by a ``TurnSequencer``. No I/O.

The adapter feeds client frames to ``receive_text`` (or ``receive_message`` with a decoded object,
``receive_binary``, ``receive_oversized``), carries out ``sequencer``'s jobs and reports their
results to it, ticks it at its deadlines, and sends what ``frames_to_send`` gives. Once ``close`` is
set, it sends what is left and closes with that code and reason.

Turns: text opens a turn when none is open and fixes its voice settings. ``continue: true`` text is
buffered; a message with ``flush: true`` or without ``continue: true`` closes the turn. Exactly one
``complete`` follows the last audio of every closed turn, never one for an open turn. An error in a
turn (text over the limit, an engine failure) ends it with one ``error`` frame and no ``complete``.
A frame that is not JSON or has invalid fields gets an ``error`` frame and changes nothing else.

Keepalives: text that is only whitespace (and not empty) with no ``flush`` never opens, splits,
closes or completes a turn; it only tells the idle timer the client is there (Pipecat sends
``{"text": " "}`` every 30 s, in the middle of turns too).

Continuations (``context_id``, as the LiveKit and Pipecat plugins send it): each context is a lane
of its own, with its own open turn; its frames carry its ``context_id``; ``max_buffer_delay_ms``
speaks what a context buffered that long ago; ``{"context_id": ..., "cancel_request": true}`` drops
the context's buffered text and unsent audio, stops its synthesis and sends nothing more for it.
Pipecat sends each sentence of a context without the space before it, so when a fragment of a
context starts with a capital right after a sentence's final mark, a space joins them (LLM tokens
carry their own spaces and are joined as they come). Messages without
``context_id`` behave as they always did.

A turn opened with ``"markup": "ssml"`` is held until it closes, then parsed whole (markup cut into
pieces cannot be read piece by piece) and spoken; malformed markup gets one ``error`` frame.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from voicewire.dialects.waves.frames import (
    Frame,
    chunk_frames,
    complete_frame,
    error_frame,
    timeout_message,
    word_frame,
)
from voicewire.dialects.waves.request import VoiceSettings, check_nesting, read_id, read_settings
from voicewire.exceptions import InvalidField, MalformedMessage, TextTooLong, VoicewireError
from voicewire.protocol.jsontext import to_json
from voicewire.protocol.sequencer import (
    Event,
    Problem,
    Turn,
    TurnAudio,
    TurnComplete,
    TurnFailed,
    TurnSequencer,
)
from voicewire.protocol.turn import TurnOptions
from voicewire.text.ssml import parse_ssml

__all__ = ["MAX_FRAME_BYTES", "WavesLiveSession"]

MAX_FRAME_BYTES = 1 << 20
"""Largest client frame accepted (the official clients cap messages at 1 MiB too)."""


class WavesLiveSession:
    """One connection's Waves protocol state. Every method is synchronous and does no I/O."""

    def __init__(
        self,
        *,
        now: float,
        idle_timeout: float = 60.0,
        max_turn_chars: int = 10_000,
        check_voice: Callable[[TurnOptions], None] | None = None,
        session_id: str | None = None,
        new_request_id: Callable[[], str] | None = None,
    ) -> None:
        self.sequencer = TurnSequencer(now=now, idle_timeout=idle_timeout, max_turn_chars=max_turn_chars)
        self.session_id = session_id or f"ws_{uuid.uuid4().hex[:16]}"
        self.close: tuple[int, str] | None = None
        self._check_voice = check_voice
        self._new_request_id = new_request_id or (lambda: f"task_{uuid.uuid4().hex}")
        self._ended: dict[str | None, bool] = {}  # per context: its last fragment ended a sentence
        self._markup: dict[str | None, _MarkupTurn] = {}  # per context: a markup turn held until it closes

    # -- client frames -------------------------------------------------------------------------------
    def receive_text(self, data: str, now: float) -> None:
        """A text frame from the client."""
        self.sequencer.touch(now)
        if len(data.encode("utf-8", "surrogatepass")) > MAX_FRAME_BYTES:
            self.receive_oversized(len(data), now)
            return
        try:
            obj = json.loads(data)
        except (ValueError, RecursionError) as exc:
            self._problem(MalformedMessage(f"Message is not valid JSON ({exc}); send one JSON object per frame."))
            return
        self.receive_message(obj, now)

    def receive_binary(self, data: bytes, now: float) -> None:
        self.sequencer.touch(now)
        self._problem(MalformedMessage("Binary frames are not part of the protocol; send JSON text frames."))

    def receive_oversized(self, size: int, now: float) -> None:
        self.sequencer.touch(now)
        self._problem(MalformedMessage(f"Frame of {size} bytes is over the limit of {MAX_FRAME_BYTES} bytes."))

    def receive_message(self, obj: Any, now: float) -> None:
        """A decoded JSON message: validate it fully, then apply it."""
        self.sequencer.touch(now)
        try:
            check_nesting(obj)
            context = _context_id(obj)
            if _cancels(obj):
                self.sequencer.cancel(now, context)
                self._ended.pop(context, None)
                self._markup.pop(context, None)
                return
            opening = not self.sequencer.is_open(context) and context not in self._markup
            message = _LiveMessage.parse(obj, needs_voice=opening)
            if opening and message.text.strip() and self._check_voice is not None:
                assert message.settings is not None
                self._check_voice(message.settings.options)
        except VoicewireError as exc:
            self._problem(exc)
            return
        text = message.text
        if text and not text.strip() and not message.flush:
            return  # a keepalive (the idle timer was reset above)
        if opening and not text.strip() and not message.flush:
            return  # nothing to open a turn with; a flush with nothing open still answers complete
        if context in self._markup or (opening and message.settings is not None and message.settings.options.markup):
            self._hold_markup(message, context, now)
            return
        if context is not None:
            text = self._joined(context, text)
        self.sequencer.add_text(
            now,
            text,
            context=context,
            options=None if message.settings is None else message.settings.options,
            meta=self._meta(message, context) if opening else None,
            close=message.closes,
            flush_ms=message.max_buffer_flush_ms,
        )
        if message.closes:
            self._ended.pop(context, None)

    def _joined(self, context: str, text: str) -> str:
        """``text`` with a space before it if it starts a sentence (a capital) right after one ended."""
        ended = self._ended.get(context, False)
        if text.strip():
            self._ended[context] = _SENTENCE_END.search(text) is not None
        return " " + text if ended and text[:1].isupper() else text

    # -- frames out ----------------------------------------------------------------------------------
    def outgoing(self) -> list[str | bytes]:
        """``frames_to_send``, as the JSON text of each frame."""
        return [to_json(frame) for frame in self.frames_to_send()]

    def frames_to_send(self) -> list[Frame]:
        frames: list[Frame] = []
        for event in _coalesced(self.sequencer.events_to_send()):
            frames.extend(self.frames_of(event))
        return frames

    def frames_of(self, event: Event) -> list[Frame]:
        """The Waves frames of one sequencer event."""
        if isinstance(event, TurnAudio):
            request_id, ids = _ids(event.turn)
            words = [word_frame(request_id, w, ids) for w in event.words] if event.turn.options.word_timestamps else []
            return words + chunk_frames(request_id, event.audio, ids)
        if isinstance(event, TurnComplete):
            return [complete_frame(*_ids(event.turn))]
        if isinstance(event, TurnFailed):
            request_id, ids = _ids(event.turn)
            return [error_frame(event.error.message, event.error.code, request_id, ids)]
        if isinstance(event, Problem):
            return [error_frame(event.error.message, event.error.code)]
        self.close = (1000, "idle timeout")
        return [error_frame(timeout_message(event.seconds), "timeout")]

    # -- internals -----------------------------------------------------------------------------------
    def _hold_markup(self, message: _LiveMessage, context: str | None, now: float) -> None:
        """Text of a markup turn: kept until the turn closes, then parsed and spoken as one text."""
        held = self._markup.setdefault(context, _MarkupTurn(message))
        held.parts.append(message.text)
        held.size += len(message.text)
        if held.size > self.sequencer.max_turn_chars:
            del self._markup[context]
            self._problem(TextTooLong(held.size, self.sequencer.max_turn_chars, "turn"))
            return
        if not message.closes:
            return
        del self._markup[context]
        try:
            marked = parse_ssml("".join(held.parts))
        except VoicewireError as exc:
            self._problem(exc)
            return
        assert held.opening.settings is not None
        self.sequencer.add_text(now, marked.text, context=context, options=held.opening.settings.options,
                                meta={**self._meta(held.opening, context), "marked": marked}, close=True)  # fmt: skip

    def _problem(self, error: VoicewireError) -> None:
        self.sequencer.problem(error)

    def _meta(self, message: _LiveMessage, context: str | None) -> dict[str, Any]:
        ids = {"session_id": self.session_id}
        if context is not None:
            ids["context_id"] = context
        if message.request_id:
            ids["external_request_id"] = message.request_id
        if message.session_id:
            ids["external_session_id"] = message.session_id
        model = None if message.settings is None else message.settings.model
        return {"request_id": self._new_request_id(), "ids": ids, "model": model}


_SENTENCE_END = re.compile(r"[.!?…][\"')\]}”’»]*\s*$")


def _coalesced(events: list[Event]) -> list[Event]:
    """Audio of one turn that goes out at once, as one event: fewer, fuller frames (a turn's words
    still come before the audio they start in)."""
    out: list[Event] = []
    for event in events:
        last = out[-1] if out else None
        if isinstance(event, TurnAudio) and isinstance(last, TurnAudio) and last.turn is event.turn:
            out[-1] = TurnAudio(event.turn, last.audio + event.audio, last.words + event.words,
                                last.seconds + event.seconds)  # fmt: skip
        else:
            out.append(event)
    return out


def _context_id(obj: Any) -> str | None:
    return read_id(obj, "context_id") if isinstance(obj, Mapping) else None


def _cancels(obj: Any) -> bool:
    """``cancel_request: true`` (LiveKit's barge-in; it carries no ``text``)."""
    if not isinstance(obj, Mapping) or obj.get("cancel_request") is None:
        return False
    value = obj["cancel_request"]
    if not isinstance(value, bool):
        raise InvalidField("cancel_request", value, "true or false")
    return value


def _ids(turn: Turn) -> tuple[str, Mapping[str, str]]:
    return str(turn.meta.get("request_id", "")), turn.meta.get("ids", {})


@dataclass
class _MarkupTurn:
    opening: _LiveMessage
    parts: list[str] = field(default_factory=list)
    size: int = 0


@dataclass(frozen=True)
class _LiveMessage:
    text: str
    settings: VoiceSettings | None
    continue_: bool
    flush: bool
    max_buffer_flush_ms: int | None
    request_id: str | None
    session_id: str | None

    @property
    def closes(self) -> bool:
        return self.flush or not self.continue_

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
        flush_ms = None
        for name in ("max_buffer_delay_ms", "max_buffer_flush_ms"):  # the continuations name, the legacy one
            value = obj.get(name)
            if value is not None and (
                isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 600_000
            ):
                raise InvalidField(name, value, "a number of milliseconds from 0 to 600000")
            flush_ms = value if value is not None else flush_ms
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
