"""OpenAI's speech API (``POST /v1/audio/speech``) as a dialect: its body into a turn, its answers out.

Fields: ``model`` (any: the voice decides the engine), ``input``, ``voice`` (OpenAI's names map to
installed voices, and any voicewire voice id works too), ``instructions`` (ignored),
``response_format`` (mp3 by default, wav, flac, pcm: 24 kHz s16le; opus and aac are refused),
``speed`` (voicewire's 0.5-2.0, narrower than OpenAI's 0.25-4.0), ``stream_format`` (``audio``, or
``sse`` for ``speech.audio.delta`` events), and two fields of voicewire's own, as on the Waves
endpoints: ``pronunciation_dicts`` (ids) and ``markup`` (``"ssml"``). Errors come in OpenAI's shape.
Pure: no I/O.
"""

from __future__ import annotations

import base64
import json
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from voicewire.dialects.turn_fields import read_markup, read_pronunciation_dicts
from voicewire.dialects.waves.request import NOTHING_TO_SAY
from voicewire.exceptions import InvalidField, MalformedMessage, VoicewireError
from voicewire.protocol.turn import TurnOptions, TurnRequest
from voicewire.text.words import client_words

__all__ = ["FORMATS", "OPENAI_VOICES", "RATE", "OpenAIRequest", "delta_event", "done_event", "error_body", "parse"]

RATE = 24_000
"""OpenAI's audio is 24 kHz in every format."""
OPENAI_VOICES = {
    "alloy": "heart", "coral": "heart", "nova": "heart", "sage": "heart", "shimmer": "heart", "marin": "heart",
    "ash": "joe", "ballad": "joe", "echo": "joe", "fable": "joe", "onyx": "joe", "verse": "joe", "cedar": "joe",
}  # fmt: skip
"""OpenAI's voice names, mapped to installed voices of the same gender."""
FORMATS = ("mp3", "wav", "flac", "pcm")
_ALLOWED_FORMATS = "mp3, wav, flac or pcm (opus and aac are not made by this server)"


@dataclass(frozen=True)
class OpenAIRequest:
    request: TurnRequest
    response_format: str
    """mp3, wav, flac or pcm."""
    stream_format: str
    """``audio`` (the bytes) or ``sse`` (``speech.audio.delta`` events)."""
    model: str | None


def parse(body: Any, *, voice_exists: Callable[[str], bool]) -> OpenAIRequest:
    """Validate a body. ``voice_exists`` says whether a voicewire voice id (after OpenAI's names are
    mapped) is in the catalog.

    Raises:
        MalformedMessage: the body is not a JSON object.
        InvalidField: a field is missing, of the wrong type, or out of range.
    """
    if not isinstance(body, dict):
        raise MalformedMessage("Expected a JSON object with 'model', 'input' and 'voice'.")
    text = body.get("input")
    if not isinstance(text, str) or not text.strip():
        raise InvalidField("input", text, "a non-empty string with the text to speak")
    if not client_words(text):
        raise InvalidField("input", text, NOTHING_TO_SAY)
    voice = body.get("voice")
    if isinstance(voice, dict):  # OpenAI's custom-voice form
        voice = voice.get("id")
    if not isinstance(voice, str) or not voice.strip():
        raise InvalidField("voice", voice, f"one of {', '.join(OPENAI_VOICES)} or a voicewire voice id")
    local = OPENAI_VOICES.get(voice.strip().lower(), voice.strip())
    if not voice_exists(local):
        raise InvalidField(
            "voice", voice, f"one of {', '.join(OPENAI_VOICES)} or a voice of GET /waves/v1/lightning-v3.1/get_voices"
        )
    fmt = _or_default(body, "response_format", "mp3")
    if not isinstance(fmt, str) or fmt not in FORMATS:
        raise InvalidField("response_format", fmt, _ALLOWED_FORMATS)
    stream = _or_default(body, "stream_format", "audio")
    if stream not in ("audio", "sse"):
        raise InvalidField("stream_format", stream, "'audio' or 'sse'")
    if stream == "sse" and fmt in ("wav", "flac"):
        raise InvalidField("response_format", fmt, "mp3 or pcm with stream_format 'sse'")
    speed = body.get("speed", 1.0)
    if speed is None:
        speed = 1.0
    if isinstance(speed, bool) or not isinstance(speed, int | float) or not 0.5 <= speed <= 2.0:
        raise InvalidField("speed", speed, "a number from 0.5 to 2.0 (voicewire's range)")
    model = body.get("model")
    options = TurnOptions(
        voice_id=local,
        sample_rate=RATE,
        speed=float(speed),
        # Whole-file formats are assembled from PCM by the endpoint.
        output_format="pcm" if fmt in ("wav", "flac") else fmt,
        pronunciation_dicts=read_pronunciation_dicts(body.get("pronunciation_dicts")),
        markup=read_markup(body.get("markup")),
    )
    return OpenAIRequest(
        request=TurnRequest(text=text, options=options),
        response_format=fmt,
        stream_format=str(stream),
        model=model if isinstance(model, str) else None,
    )


def delta_event(audio: bytes) -> bytes:
    event = {"type": "speech.audio.delta", "audio": base64.b64encode(audio).decode("ascii")}
    return b"data: " + json.dumps(event, separators=(",", ":")).encode() + b"\n\n"


def done_event(text: str, seconds: float) -> bytes:
    """The closing event. voicewire counts no tokens: input_tokens are the input's words, output_tokens
    its seconds of audio (rounded up)."""
    words, audio = len(client_words(text)), math.ceil(seconds)
    usage = {"input_tokens": words, "output_tokens": audio, "total_tokens": words + audio}
    event = {"type": "speech.audio.done", "usage": usage}
    return b"data: " + json.dumps(event, separators=(",", ":")).encode() + b"\n\n"


def error_body(error: VoicewireError, status: int) -> dict[str, Any]:
    """``{"error": {"message", "type", "param", "code"}}``."""
    kind = "invalid_request_error" if status < 500 else "server_error"
    if status == 429:
        kind = "rate_limit_exceeded"
    return {
        "error": {"message": error.message, "type": kind, "param": getattr(error, "field", None), "code": error.code}
    }


def _or_default(body: dict[str, Any], name: str, default: str) -> object:
    """``body[name]``, or ``default`` when it is absent or null; ``""`` and ``false`` are values, refused
    by the check that follows, never taken for "absent"."""
    value = body.get(name)
    return default if value is None else value
