"""Server frames of the live protocols (WebSocket and SSE): the Waves shapes, built in one place."""

from __future__ import annotations

import base64
import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

__all__ = [
    "CHUNK_BYTES",
    "WordTiming",
    "chunk_frames",
    "complete_frame",
    "error_frame",
    "timeout_message",
    "to_json",
    "word_frame",
]

CHUNK_BYTES = 48_000
"""Raw audio bytes per chunk frame: 64,000 characters of base64, under the 64 KiB the contract allows.
Even, so 16-bit PCM never splits inside a sample."""

Frame = dict[str, Any]


def to_json(obj: object) -> str:
    """Compact JSON text for a frame or a log line that is always valid UTF-8.

    Non-ASCII text stays as it is (a word of Hebrew is not six times longer), except when it holds a
    lone surrogate: a client may send one as a JSON escape (``"\\ud800"``), it is echoed in word
    frames and error messages, and it cannot be encoded as UTF-8, so that text is written with ASCII
    escapes throughout, which every JSON parser reads back to the same string.
    """
    text = json.dumps(obj, separators=(",", ":"), ensure_ascii=False)
    if not text.isascii():
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            return json.dumps(obj, separators=(",", ":"))
    return text


@dataclass(frozen=True, slots=True)
class WordTiming:
    """When a word of the client's text is spoken, in seconds from the start of its turn's audio."""

    index: int
    """Position of the word in the turn, from 0."""
    word: str
    """The word as the client wrote it."""
    start: float
    end: float


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
