"""One Wyoming connection's TTS events, without I/O: client events in, sequencer calls, events out.

The listener (``voicewire.wyoming``) reads events (``framing``), feeds them to ``receive_event`` (a
framing error to ``receive_error``), runs ``sequencer``'s jobs and reports their results to it,
ticks it at its deadlines, and writes what ``outgoing`` gives. Once ``close`` is set it writes what
is left and closes the connection.

What a client gets (as the ``wyoming`` package and Home Assistant expect):

- ``describe``: ``info`` (``voicewire.dialects.wyoming.info``); ``ping``: ``pong``.
- ``synthesize {text, voice?}``: one turn; exactly one ``audio-start``, its ``audio-chunk``s and one
  ``audio-stop``. Inside a stream it is the compatibility copy of the streamed text, and ignored.
- ``synthesize-start {voice?}``, ``synthesize-chunk {text}`` as an LLM writes it, ``synthesize-stop``:
  one turn whose text arrives in pieces. Audio starts once the first sentence (a short first clause)
  is complete: one ``audio-start``, ``audio-chunk``s as each unit is synthesized, one ``audio-stop``
  (one group per response: every chunk of it in the one format ``audio-start`` announced), then
  ``synthesize-stopped``.
- ``error {text, code}`` for a bad voice, bad text, a limit, a failure. The connection stays open. A
  turn that fails after its ``audio-start`` gets its ``audio-stop`` after the ``error``; a stream that
  failed ignores its further chunks and still answers its ``synthesize-stop`` with
  ``synthesize-stopped``, so a client that waits for it is not left hanging.
- Other events (``audio-chunk`` from a client, newer event types) are ignored, as the protocol asks.
- ``text_format: "ssml"`` on ``synthesize`` or ``synthesize-start``: the text is speech markup (the
  subset of ``voicewire.text.ssml``), parsed whole; a markup stream is spoken after its
  ``synthesize-stop`` (a tag may span chunks). Malformed markup is an ``error`` naming where.

The audio is 16-bit mono PCM at the voice's own rate (no resampling).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from wyoming.audio import AudioChunk, AudioStart, AudioStop
from wyoming.error import Error
from wyoming.event import Event
from wyoming.ping import Pong
from wyoming.tts import SynthesizeStopped

from voicewire.dialects.wyoming.info import info_event
from voicewire.engines.base import VoiceInfo
from voicewire.exceptions import InvalidField, MalformedMessage, TextTooLong, UnknownVoice, VoicewireError
from voicewire.protocol.sequencer import Problem, TimedOut, Turn, TurnAudio, TurnComplete, TurnFailed, TurnSequencer
from voicewire.protocol.turn import TurnOptions
from voicewire.text.ssml import parse_ssml

__all__ = ["CHUNK_SAMPLES", "ListenerDefaults", "Resolve", "WyomingSession"]

CHUNK_SAMPLES = 1024
"""Samples per ``audio-chunk`` (wyoming-piper's default): ~43 ms at 24 kHz."""
WIDTH = 2
CHANNELS = 1
TEXT_FORMATS: Mapping[str, str | None] = {"text": None, "ssml": "ssml"}
"""``text_format`` values read, and the ``TurnOptions.markup`` each becomes. A markup text is parsed
whole (``voicewire.text.ssml``): a stream's chunks are held until ``synthesize-stop``."""

Resolve = Callable[[TurnOptions], VoiceInfo]
"""The local voice that speaks a turn with these options, checked against the catalog.

Raises UnknownVoice, VoiceNotInstalled, or InvalidField (``language``) for a language the voice does
not speak."""


@dataclass(frozen=True, kw_only=True)
class ListenerDefaults:
    """What the operator set for every Wyoming turn."""

    voice: str = "heart"
    """The voice of a turn that names none, and the first choice for a language."""
    pronunciation_dicts: tuple[str, ...] = ()
    """Dictionaries applied to every turn."""


@dataclass(eq=False)
class _Reply:
    """One response: a ``synthesize`` or a stream. Shared with the sequencer's turn through its meta."""

    stream: bool
    rate: int = 0
    started: bool = False
    """``audio-start`` went out and ``audio-stop`` not yet."""
    samples: int = 0
    stop_received: bool = False
    stopped_sent: bool = False
    failed: bool = False


@dataclass(eq=False)
class _Stream:
    reply: _Reply
    options: TurnOptions | None
    """None: the stream failed at its start (its voice), and its chunks are ignored."""
    held: list[str] | None = None
    """A markup stream's chunks, parsed and spoken at ``synthesize-stop``."""
    held_chars: int = 0


class WyomingSession:
    """One connection's Wyoming state. Every method is synchronous and does no I/O."""

    def __init__(
        self,
        *,
        now: float,
        resolve: Resolve,
        voices: Callable[[], Iterable[VoiceInfo]],
        version: str,
        defaults: ListenerDefaults | None = None,
        idle_timeout: float = 60.0,
        max_text_chars: int = 10_000,
    ) -> None:
        self.sequencer = TurnSequencer(now=now, idle_timeout=idle_timeout, max_turn_chars=max_text_chars)
        self.close = False
        """Set when the connection must close once what is queued has been written."""
        self.max_text_chars = max_text_chars
        self._resolve = resolve
        self._voices = voices
        self._version = version
        self._defaults = defaults or ListenerDefaults()
        self._stream: _Stream | None = None
        self._direct: list[Event] = []

    # -- client events -------------------------------------------------------------------------------
    def receive_event(self, event: Event, now: float) -> None:
        """An event from the client. After calling it, take ``outgoing`` and the sequencer's jobs."""
        self.sequencer.touch(now)
        handler = self._HANDLERS.get(event.type)
        if handler is None:
            return  # not ours: the protocol says to drop unknown events
        try:
            handler(self, event.data, now)
        except VoicewireError as exc:
            self.sequencer.problem(exc)

    def receive_error(self, error: VoicewireError, now: float, *, fatal: bool) -> None:
        """A framing error (``framing``): answered with ``error``; ``fatal`` closes the connection after it."""
        self.sequencer.touch(now)
        self.sequencer.problem(error)
        if fatal:
            self.close = True

    def _describe(self, data: Mapping[str, Any], now: float) -> None:
        self._direct.append(info_event(self._voices(), version=self._version))

    def _ping(self, data: Mapping[str, Any], now: float) -> None:
        text = data.get("text")
        self._direct.append(Pong(text=text if isinstance(text, str) else None).event())

    def _synthesize(self, data: Mapping[str, Any], now: float) -> None:
        if self._stream is not None:
            return  # the compatibility copy of the streamed text: the protocol says to ignore it
        text = _text(data, "text")
        options, rate = self._options(data)
        if not text.strip():
            raise InvalidField("text", text, "a text with something to say")
        if len(text) > self.max_text_chars:
            raise TextTooLong(len(text), self.max_text_chars, "'synthesize' event (stream longer texts)")
        reply = _Reply(stream=False, rate=rate)
        # Home Assistant reads a one-shot answer to its audio-stop and plays it as one file.
        meta: dict[str, object] = {"reply": reply, "whole_answer": True}
        if options.markup == "ssml":
            marked = parse_ssml(text)
            text, meta["marked"] = marked.text, marked
        self.sequencer.add_text(now, text, options=options, meta=meta, close=True)

    def _synthesize_start(self, data: Mapping[str, Any], now: float) -> None:
        if self._stream is not None:
            raise MalformedMessage(
                "A stream is already open: send 'synthesize-stop' before the next 'synthesize-start'."
            )
        reply = _Reply(stream=True)
        self._stream = _Stream(reply, None)
        try:
            options, reply.rate = self._options(data)
        except VoicewireError:
            reply.failed = True
            raise
        self._stream.options = options
        if options.markup == "ssml":
            self._stream.held = []

    def _synthesize_chunk(self, data: Mapping[str, Any], now: float) -> None:
        stream = self._stream
        if stream is None:
            raise MalformedMessage("'synthesize-chunk' outside a stream: send 'synthesize-start' first.")
        text = _text(data, "text")
        if stream.reply.failed or stream.options is None or not text:
            return
        if stream.held is not None:  # markup: parsed whole at the stop
            stream.held_chars += len(text)
            if stream.held_chars > self.max_text_chars:
                stream.reply.failed = True
                raise TextTooLong(stream.held_chars, self.max_text_chars, "speech markup stream")
            stream.held.append(text)
            return
        self.sequencer.add_text(now, text, options=stream.options, meta={"reply": stream.reply})
        if text.strip() and not self.sequencer.is_open():
            stream.reply.failed = True  # refused or failed (its error is queued): the rest is not spoken

    def _synthesize_stop(self, data: Mapping[str, Any], now: float) -> None:
        stream, self._stream = self._stream, None
        if stream is None:  # nothing was started: an empty stream, stopped
            stream = _Stream(_Reply(stream=True), None)
        stream.reply.stop_received = True
        text, meta = "", dict[str, object](reply=stream.reply)
        if stream.held and not stream.reply.failed:
            try:
                marked = parse_ssml("".join(stream.held))
                text, meta["marked"] = marked.text, marked
            except VoicewireError as exc:  # said, and the stream still ends with synthesize-stopped
                self.sequencer.problem(exc)
        # Closes the open turn, or (nothing open: no text, or the stream failed) ends an empty one, in order.
        self.sequencer.add_text(now, text, options=stream.options, meta=meta, close=True)

    _HANDLERS: Mapping[str, Callable[[WyomingSession, Mapping[str, Any], float], None]] = {
        "describe": _describe,
        "ping": _ping,
        "synthesize": _synthesize,
        "synthesize-start": _synthesize_start,
        "synthesize-chunk": _synthesize_chunk,
        "synthesize-stop": _synthesize_stop,
    }

    # -- events out ----------------------------------------------------------------------------------
    def outgoing(self) -> list[Event]:
        """The events to write, in order."""
        out: list[Event] = []
        for event in self.sequencer.events_to_send():
            if isinstance(event, TurnAudio):
                out.extend(self._audio(_reply(event.turn), event.audio))
            elif isinstance(event, TurnComplete):
                out.extend(self._complete(_reply(event.turn)))
            elif isinstance(event, TurnFailed):
                out.extend(self._failed(_reply(event.turn), event.error))
            elif isinstance(event, Problem):
                out.append(_error(event.error))
            elif isinstance(event, TimedOut):
                out.append(
                    Error(text=f"No event for {event.seconds:g} s; closing the connection.", code="timeout").event()
                )
                self.close = True
        out += self._direct
        self._direct = []
        return out

    def _audio(self, reply: _Reply, audio: bytes) -> list[Event]:
        out = [] if reply.started else [self._start(reply)]
        step = CHUNK_SAMPLES * WIDTH
        for at in range(0, len(audio), step):
            piece = audio[at : at + step]
            out.append(AudioChunk(rate=reply.rate, width=WIDTH, channels=CHANNELS, audio=piece,
                                  timestamp=reply.samples * 1000 // reply.rate).event())  # fmt: skip
            reply.samples += len(piece) // WIDTH
        return out

    def _start(self, reply: _Reply) -> Event:
        reply.started = True
        return AudioStart(rate=reply.rate, width=WIDTH, channels=CHANNELS, timestamp=0).event()

    def _stop(self, reply: _Reply) -> Event:
        reply.started = False
        return AudioStop(timestamp=reply.samples * 1000 // reply.rate if reply.rate else 0).event()

    def _complete(self, reply: _Reply) -> list[Event]:
        if not reply.stream:  # one group, even around no audio at all
            return [*([] if reply.started else [self._start(reply)]), self._stop(reply)]
        out = [self._stop(reply)] if reply.started else []
        return out + self._stopped(reply)

    def _failed(self, reply: _Reply, error: VoicewireError) -> list[Event]:
        reply.failed = True
        out = [_error(error)]
        if reply.started:
            out.append(self._stop(reply))
        if reply.stream and reply.stop_received:  # no turn will complete for this stream any more
            out += self._stopped(reply)
        return out

    def _stopped(self, reply: _Reply) -> list[Event]:
        if reply.stopped_sent:
            return []
        reply.stopped_sent = True
        return [SynthesizeStopped().event()]

    # -- voices --------------------------------------------------------------------------------------
    def _options(self, data: Mapping[str, Any]) -> tuple[TurnOptions, int]:
        """The turn options of a ``synthesize`` or ``synthesize-start``, and the audio's sample rate."""
        name, language, speaker = _voice_fields(data)
        text_format = data.get("text_format")
        if text_format is not None and text_format not in TEXT_FORMATS:
            raise InvalidField("text_format", text_format, " or ".join(repr(f) for f in TEXT_FORMATS))
        installed = [v for v in self._voices() if v.installed]
        if name is None:
            name = self._voice_for(language, installed) if language is not None else self._defaults.voice
        options = TurnOptions(
            voice_id=name,
            language=language or "auto",
            output_format="pcm",
            sample_rate=1,  # replaced below by the voice's own rate
            pronunciation_dicts=self._defaults.pronunciation_dicts,
            markup=TEXT_FORMATS.get(text_format or "text"),
        )
        try:
            info = self._resolve(options)
        except UnknownVoice as exc:
            listing = "The voices are listed in the 'info' answer to 'describe'."
            suggestions = [v.voice_id for v in installed]
            raise UnknownVoice(exc.voice_id, suggestions, field="voice.name", listing=listing) from None
        except InvalidField as exc:
            if exc.field != "language":
                raise
            raise InvalidField("voice.language", exc.value, exc.allowed) from None
        if speaker is not None:
            allowed = f"none: voice {name!r} has a single speaker (its 'info' entry lists no speakers)"
            raise InvalidField("voice.speaker", speaker, allowed)
        rate = info.sample_rate
        return TurnOptions(
            voice_id=options.voice_id,
            language=options.language,
            output_format="pcm",
            sample_rate=rate,
            pronunciation_dicts=options.pronunciation_dicts,
            markup=options.markup,
        ), rate

    def _voice_for(self, language: str, installed: list[VoiceInfo]) -> str:
        """The voice for a ``voice.language`` without a name: the default voice if it speaks it, else
        the first installed voice (by name) that does, matched in full, then by primary language."""
        wanted = language.replace("_", "-").lower()
        ordered = sorted(installed, key=lambda v: (v.voice_id != self._defaults.voice, v.voice_id))
        for match in (lambda tag: tag.lower() == wanted, lambda tag: _primary(tag) == _primary(wanted)):
            for info in ordered:
                if any(match(tag) for tag in info.languages):
                    return info.voice_id
        spoken = sorted({tag.replace("-", "_") for v in installed for tag in v.languages})
        raise InvalidField("voice.language", language, f"a language of an installed voice: {', '.join(spoken)}")


def _reply(turn: Turn) -> _Reply:
    reply = turn.meta.get("reply")
    if not isinstance(reply, _Reply):  # every turn is opened here, with its reply
        raise TypeError(f"Turn {turn.turn_id} has no Wyoming reply in its meta.")
    return reply


def _error(error: VoicewireError) -> Event:
    return Error(text=error.message, code=error.code).event()


def _text(data: Mapping[str, Any], field: str) -> str:
    text = data.get(field)
    if not isinstance(text, str):
        raise InvalidField(field, text, "a string")
    return text


def _voice_fields(data: Mapping[str, Any]) -> tuple[str | None, str | None, str | None]:
    """``voice``'s name, language and speaker; an empty string counts as absent (as in wyoming-piper)."""
    voice = data.get("voice")
    if voice is None:
        return None, None, None
    if not isinstance(voice, Mapping):
        raise InvalidField("voice", voice, "an object with 'name' (a voice from 'info'), 'language' or 'speaker'")
    out: list[str | None] = []
    for key in ("name", "language", "speaker"):
        value = voice.get(key)
        if value is not None and not isinstance(value, str):
            raise InvalidField(f"voice.{key}", value, "a string")
        out.append(value or None)
    return out[0], out[1], out[2]


def _primary(tag: str) -> str:
    return tag.replace("_", "-").split("-")[0].lower()
