"""``POST /v1/audio/speech``: the OpenAI speech API on voicewire's engines, keys and limits.

Tools that speak OpenAI's API work with ``base_url="http://host:8000/v1"`` and a voicewire key.
Fields: ``model`` (any: the voice decides the engine), ``input``, ``voice`` (OpenAI's names map to
the installed voices, and any voicewire voice id works too), ``instructions`` (ignored),
``response_format`` (mp3 by default, wav, flac, pcm: 24 kHz s16le; opus and aac are refused),
``speed`` (voicewire's 0.5-2.0, narrower than OpenAI's 0.25-4.0), ``stream_format`` (``audio``, or
``sse`` for ``speech.audio.delta`` events). Errors come in OpenAI's shape.
"""

from __future__ import annotations

import base64
import io
import json
import math
from typing import Any

import numpy as np
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from voicewire.audio.encoders import wav_file
from voicewire.audio.formats import CONTENT_TYPES
from voicewire.exceptions import InvalidField, MalformedMessage, VoicewireError
from voicewire.protocol.request import SynthesisRequest, canonical_model
from voicewire.server.errors import error_body, error_response
from voicewire.server.http import Packaging, sync_response
from voicewire.server.services import services
from voicewire.text.words import client_words

__all__ = ["OPENAI_VOICES", "speech"]

RATE = 24_000
"""OpenAI's audio is 24 kHz in every format."""
OPENAI_VOICES = {
    "alloy": "heart", "coral": "heart", "nova": "heart", "sage": "heart", "shimmer": "heart", "marin": "heart",
    "ash": "joe", "ballad": "joe", "echo": "joe", "fable": "joe", "onyx": "joe", "verse": "joe", "cedar": "joe",
}  # fmt: skip
"""OpenAI's voice names, mapped to installed voices of the same gender."""
FORMATS = ("mp3", "wav", "flac", "pcm")
_ALLOWED_FORMATS = "mp3, wav, flac or pcm (opus and aac are not made by this server)"


async def speech(request: Request) -> Response:
    svc = services(request)
    choice: dict[str, str] = {}

    def translate(body: Any) -> dict[str, Any]:
        if not isinstance(body, dict):
            raise MalformedMessage("Expected a JSON object with 'model', 'input' and 'voice'.")
        text = body.get("input")
        if not isinstance(text, str) or not text.strip():
            raise InvalidField("input", text, "a non-empty string with the text to speak")
        voice = body.get("voice")
        if isinstance(voice, dict):  # OpenAI's custom-voice form
            voice = voice.get("id")
        if not isinstance(voice, str) or not voice.strip():
            raise InvalidField("voice", voice, f"one of {', '.join(OPENAI_VOICES)} or a voicewire voice id")
        local = OPENAI_VOICES.get(voice.strip().lower(), voice.strip())
        try:
            svc.catalog.resolve(local)
        except VoicewireError:
            raise InvalidField(
                "voice",
                voice,
                f"one of {', '.join(OPENAI_VOICES)} or a voice of GET /waves/v1/lightning-v3.1/get_voices",
            ) from None
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
        choice.update(format=fmt, stream=stream)
        return {
            "text": text,
            "voice_id": local,
            "model": canonical_model(model) if isinstance(model, str) and canonical_model(model) else None,
            "sample_rate": RATE,
            "speed": float(speed),
            "output_format": "wav" if fmt == "flac" else fmt,
        }

    def packaging(parsed: SynthesisRequest) -> Packaging:
        fmt = choice["format"]
        if choice["stream"] == "sse":
            return Packaging(fmt, "text/event-stream", event=_delta, last_event=_done)
        if fmt == "flac":
            return Packaging("pcm", "audio/flac", assemble=_flac)
        if fmt == "wav":
            return Packaging("pcm", CONTENT_TYPES["wav"], assemble=wav_file)
        return Packaging(fmt, CONTENT_TYPES[fmt])

    return await sync_response(
        request, endpoint="/v1/audio/speech", translate=translate, packaging=packaging, errors=openai_error
    )


def _flac(pcm: bytes, rate: int) -> bytes:
    import soundfile

    out = io.BytesIO()
    soundfile.write(out, np.frombuffer(pcm, "<i2"), rate, format="FLAC", subtype="PCM_16")
    return out.getvalue()


def _delta(audio: bytes) -> bytes:
    event = {"type": "speech.audio.delta", "audio": base64.b64encode(audio).decode("ascii")}
    return b"data: " + json.dumps(event, separators=(",", ":")).encode() + b"\n\n"


def _done(request: SynthesisRequest, seconds: float) -> bytes:
    """The closing event. voicewire counts no tokens: input_tokens are the input's words, output_tokens
    its seconds of audio (rounded up)."""
    words, audio = len(client_words(request.text)), math.ceil(seconds)
    usage = {"input_tokens": words, "output_tokens": audio, "total_tokens": words + audio}
    event = {"type": "speech.audio.done", "usage": usage}
    return b"data: " + json.dumps(event, separators=(",", ":")).encode() + b"\n\n"


def openai_error(exc: BaseException, headers: dict[str, str]) -> Response:
    """``{"error": {"message", "type", "param", "code"}}``, with voicewire's status and headers."""
    waves = error_response(exc, headers)
    body = error_body(exc)
    kind = "invalid_request_error" if waves.status_code < 500 else "server_error"
    if waves.status_code == 429:
        kind = "rate_limit_exceeded"
    error = {"message": body["error"], "type": kind, "param": getattr(exc, "field", None), "code": body["code"]}
    extra = {k: v for k, v in waves.headers.items() if k.lower() not in ("content-length", "content-type")}
    return JSONResponse({"error": error}, status_code=waves.status_code, headers=extra)


def _or_default(body: dict[str, Any], name: str, default: str) -> object:
    """``body[name]``, or ``default`` when it is absent or null; ``""`` and ``false`` are values, refused
    by the caller's check, never taken for "absent"."""
    value = body.get(name)
    return default if value is None else value
