"""Server frames of the Waves live protocols (WebSocket and SSE), built in one place."""

from __future__ import annotations

import base64
import math
from collections.abc import Mapping
from typing import Any

from voicewire.protocol.turn import WordTiming

__all__ = [
    "CHUNK_BYTES",
    "Frame",
    "chunk_frames",
    "complete_frame",
    "error_frame",
    "timeout_message",
    "word_frame",
]

CHUNK_BYTES = 48_000
"""Raw audio bytes per chunk frame: 64,000 characters of base64, under the 64 KiB the contract allows.
Even, so 16-bit PCM never splits inside a sample."""

Frame = dict[str, Any]


def chunk_frames(request_id: str, audio: bytes, ids: Mapping[str, str]) -> list[Frame]:
    """``{"status": "chunk", ...}`` frames carrying ``audio``, each under 64 KiB of base64."""
    return [
        {
            "status": "chunk",
            "request_id": request_id,
            **ids,
            "data": {"audio": base64.b64encode(audio[i : i + CHUNK_BYTES]).decode("ascii")},
        }
        for i in range(0, len(audio), CHUNK_BYTES)
    ]


def word_frame(request_id: str, timing: WordTiming, ids: Mapping[str, str]) -> Frame:
    return {
        "status": "word_timestamp",
        "request_id": request_id,
        **ids,
        "data": {
            "id": timing.index,
            "word": timing.word,
            # Floored, not rounded: a word that ends with the audio must not end after it.
            "start": math.floor(timing.start * 1000) / 1000,
            "end": math.floor(timing.end * 1000) / 1000,
        },
    }


def complete_frame(request_id: str, ids: Mapping[str, str]) -> Frame:
    return {"status": "complete", "request_id": request_id, **ids, "message": "All chunks sent", "done": True}


def error_frame(message: str, code: str, request_id: str | None = None, ids: Mapping[str, str] | None = None) -> Frame:
    frame: Frame = {"status": "error", "message": message, "code": code}
    if request_id is not None:
        frame["request_id"] = request_id
    frame.update(ids or {})
    return frame


def timeout_message(seconds: float) -> str:
    """The exact text of the Waves idle timeout."""
    shown = int(seconds) if float(seconds).is_integer() else seconds
    return f"Connection timed out after {shown} seconds of inactivity"
