"""``POST /v1/audio/speech``: the OpenAI speech API on voicewire's engines, keys and limits.

Tools that speak OpenAI's API work with ``base_url="http://host:8000/v1"`` and a voicewire key. The
dialect (``voicewire.dialects.openai``) reads the body and shapes the answers; this is the endpoint.
"""

from __future__ import annotations

import io
from typing import Any

import numpy as np
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from voicewire.audio.encoders import wav_file, wav_file_header
from voicewire.audio.formats import CONTENT_TYPES
from voicewire.dialects import openai as dialect
from voicewire.errors import http_status, public_error
from voicewire.exceptions import VoicewireError
from voicewire.runtime.runtime import Runtime
from voicewire.server.errors import error_response
from voicewire.server.oneshot import OneShot, Packaging, speak_once

__all__ = ["openai_error", "speech"]


async def speech(request: Request) -> Response:
    def parse(body: Any, runtime: Runtime) -> OneShot:
        def exists(voice_id: str) -> bool:
            try:
                runtime.catalog.lookup(voice_id)
            except VoicewireError:
                return False
            return True

        parsed = dialect.parse(body, voice_exists=exists)
        fmt, text = parsed.response_format, parsed.request.text
        if parsed.stream_format == "sse":
            pack = Packaging("text/event-stream", event=lambda piece: dialect.delta_event(piece.audio),
                             last_event=lambda seconds: dialect.done_event(text, seconds))  # fmt: skip
        elif fmt == "flac":
            pack = Packaging("audio/flac", assemble=_flac)
        elif fmt == "wav":
            pack = Packaging(CONTENT_TYPES["wav"], assemble=wav_file, file_header=wav_file_header)
        else:
            pack = Packaging(CONTENT_TYPES[fmt])
        return OneShot(parsed.request, pack, log={"model": parsed.model, "voice": parsed.request.options.voice_id})

    return await speak_once(request, endpoint="/v1/audio/speech", kind="sync", parse=parse, errors=openai_error)


def _flac(pcm: bytes, rate: int) -> bytes:
    import soundfile

    out = io.BytesIO()
    soundfile.write(out, np.frombuffer(pcm, "<i2"), rate, format="FLAC", subtype="PCM_16")
    return out.getvalue()


def openai_error(exc: BaseException, headers: dict[str, str]) -> Response:
    """OpenAI's error shape, with voicewire's status and headers."""
    public = public_error(exc)  # once: an unexpected error is logged with its reference here
    status = http_status(public)
    waves = error_response(public, headers)
    extra = {k: v for k, v in waves.headers.items() if k.lower() not in ("content-length", "content-type")}
    return JSONResponse(dialect.error_body(public, status), status_code=status, headers=extra)
