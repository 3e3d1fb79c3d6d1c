"""The Waves synthesis request: fields, defaults and ranges, shared by HTTP, SSE, the live socket and
the CLI.

Pure: takes the decoded JSON object, gives a validated ``WavesRequest`` (the turn's ``TurnOptions``
plus what only Waves knows: the model, the ids to echo) or raises ``InvalidField`` naming the field,
the value and what is allowed. ``null`` means absent; unknown fields are ignored (the official SDK
and third-party clients send extras such as ``similarity``). ``pronunciation_dicts`` and ``markup`` are
read as ``voicewire.dialects.turn_fields`` says.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from voicewire.audio.formats import (
    FORMATS,
    MAX_SAMPLE_RATE,
    MIN_SAMPLE_RATE,
    MP3_SAMPLE_RATES,
    canonical_format,
)
from voicewire.dialects.turn_fields import read_markup, read_pronunciation_dicts
from voicewire.exceptions import InvalidField, MalformedMessage
from voicewire.protocol.jsontext import MAX_NESTING, check_nesting
from voicewire.protocol.turn import TurnOptions, TurnRequest
from voicewire.text.words import client_words

__all__ = [
    "DEFAULT_MODEL",
    "MAX_NESTING",
    "MODELS",
    "NOTHING_TO_SAY",
    "VoiceSettings",
    "WavesRequest",
    "canonical_model",
    "check_nesting",
    "parse_request",
    "read_id",
    "read_settings",
    "retired_route",
]

MODELS = ("lightning_v3.1", "lightning_v3.1_pro")
DEFAULT_MODEL = "lightning_v3.1"
_MODEL_ALIASES = {"lightning-v3.1": "lightning_v3.1", "lightning-v3.1-pro": "lightning_v3.1_pro"}
_ID_RE = re.compile(r"[A-Za-z0-9._-]{1,128}")
RETIRED_MODELS = ("lightning", "lightning-large", "lightning-v2", "prof-voice-cloning")
"""Models whose routes the hosted API answers with 410 Gone (its changelog, 2026-05-19)."""


def retired_route(path: str) -> tuple[str, str] | None:
    """(model, the route that replaces it) for a path of a retired model, else None.

    ``/waves/v1/lightning-v2/get_speech`` -> ``("lightning-v2", "/waves/v1/lightning-v3.1/get_speech")``;
    the SSE and WebSocket routes map to their v3.1 twins.
    """
    parts = path.strip("/").split("/")
    if len(parts) < 4 or parts[:2] != ["waves", "v1"] or parts[2] not in RETIRED_MODELS:
        return None
    rest = parts[3:]
    if rest == ["stream"]:
        return parts[2], "/waves/v1/lightning-v3.1/stream"
    if rest == ["get_speech", "stream"]:
        return parts[2], "/waves/v1/lightning-v3.1/get_speech/stream"
    return parts[2], "/waves/v1/lightning-v3.1/get_speech"


NOTHING_TO_SAY = (
    "a string with something to speak: it has no letter or digit in any script, so nothing is left to say "
    "once punctuation, symbols and emoji are set aside"
)
"""Why a text with no word (no letter or digit) is refused: every word is read, so there is nothing else."""


@dataclass(frozen=True, kw_only=True)
class VoiceSettings:
    """The voice fields of one Waves request or live message: the turn's options, and the model."""

    options: TurnOptions
    model: str = DEFAULT_MODEL

    @property
    def voice_id(self) -> str:
        return self.options.voice_id


@dataclass(frozen=True, kw_only=True)
class WavesRequest:
    text: str
    settings: VoiceSettings
    request_id: str | None = None
    session_id: str | None = None

    @property
    def options(self) -> TurnOptions:
        return self.settings.options

    @property
    def turn(self) -> TurnRequest:
        return TurnRequest(text=self.text, options=self.options)


def canonical_model(name: str) -> str | None:
    """``lightning_v3.1`` for both spellings (the SDK uses ``-`` in paths, ``_`` in bodies)."""
    name = name.strip()
    name = _MODEL_ALIASES.get(name, name)
    return name if name in MODELS else None


def parse_request(body: object, *, allow_empty_text: bool = False) -> WavesRequest:
    """Validate a decoded JSON body.

    Raises:
        MalformedMessage: the body is not a JSON object.
        InvalidField: a field is missing, of the wrong type, or out of range.
    """
    if not isinstance(body, Mapping):
        raise MalformedMessage(f"Expected a JSON object with 'text' and 'voice_id', got {_kind(body)}.")
    text = body.get("text")
    if text is None:
        raise InvalidField("text", None, "a string with the text to speak (required)")
    if not isinstance(text, str):
        raise InvalidField("text", text, "a string")
    if not allow_empty_text and not text.strip():
        raise InvalidField("text", text, "a string with something to speak (it is empty)")
    if not allow_empty_text and not client_words(text):
        raise InvalidField("text", text, NOTHING_TO_SAY)
    return WavesRequest(
        text=text,
        settings=read_settings(body),
        request_id=read_id(body, "request_id"),
        session_id=read_id(body, "session_id"),
    )


def read_settings(body: Mapping[str, Any], *, require_voice: bool = True) -> VoiceSettings:
    """The voice settings of a body, every field validated; without ``require_voice`` a missing
    ``voice_id`` is ``""`` (a live message that continues a turn still has its fields checked)."""
    voice_id = body.get("voice_id")
    if voice_id is None and require_voice:
        raise InvalidField("voice_id", None, "a voice id string (required), e.g. 'magnus' or 'heart'")
    if voice_id is None:
        voice_id = ""
    elif not isinstance(voice_id, str) or not voice_id.strip():
        raise InvalidField("voice_id", voice_id, "a non-empty string, e.g. 'magnus' or 'heart'")

    model = _optional(body, "model", str, "one of " + ", ".join(MODELS))
    if model is None:
        model = DEFAULT_MODEL
    elif canonical_model(model) is None:
        raise InvalidField("model", model, "one of " + ", ".join(MODELS))
    else:
        model = canonical_model(model) or DEFAULT_MODEL

    fmt_raw = _optional(body, "output_format", str, "one of " + ", ".join(FORMATS) + " (or ulaw)")
    fmt = "pcm" if fmt_raw is None else canonical_format(fmt_raw)
    if fmt is None:
        raise InvalidField("output_format", fmt_raw, "one of " + ", ".join(FORMATS) + " (or ulaw)")

    rate = _read_sample_rate(body, fmt)
    speed = _read_speed(body)

    language = _optional(body, "language", str, "a language code such as 'auto' or 'en'")
    numbers = _optional(body, "number_pronunciation_language", str, "a language code such as 'en' or 'hi'")
    numbers = None if numbers is None or numbers.strip().lower() in ("", "auto") else numbers.strip().lower()
    if language is None and numbers is not None:
        language = numbers  # Waves: without 'language', the number language is the synthesis language too
    word_timestamps = _optional(body, "word_timestamps", bool, "true or false")
    math_notation = _optional(body, "math_notation", bool, "true or false")
    options = TurnOptions(
        voice_id=voice_id.strip(),
        sample_rate=rate,
        speed=speed,
        language="auto" if language is None else language.strip().lower(),
        output_format=fmt,
        word_timestamps=bool(word_timestamps),
        pronunciation_dicts=read_pronunciation_dicts(body.get("pronunciation_dicts")),
        markup=read_markup(body.get("markup")),
        number_language=numbers,
        math_notation=bool(math_notation),
    )
    return VoiceSettings(options=options, model=model)


def read_id(body: Mapping[str, Any], name: str) -> str | None:
    """``request_id`` / ``session_id``: up to 128 of ``[A-Za-z0-9._-]``."""
    value = body.get(name)
    if value is None:
        return None
    if not isinstance(value, str) or not _ID_RE.fullmatch(value):
        raise InvalidField(name, value, "1 to 128 characters of A-Z a-z 0-9 . _ -")
    return value


def _read_sample_rate(body: Mapping[str, Any], fmt: str) -> int:
    allowed = f"an integer from {MIN_SAMPLE_RATE} to {MAX_SAMPLE_RATE}"
    if fmt == "mp3":
        allowed = "for mp3 one of " + ", ".join(map(str, MP3_SAMPLE_RATES))
    value = body.get("sample_rate")
    if value is None:
        return 44100
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InvalidField("sample_rate", value, allowed)
    if isinstance(value, float) and not (math.isfinite(value) and value.is_integer()):
        raise InvalidField("sample_rate", value, allowed)
    rate = int(value)
    if not MIN_SAMPLE_RATE <= rate <= MAX_SAMPLE_RATE:
        raise InvalidField("sample_rate", value, allowed)
    if fmt == "mp3" and rate not in MP3_SAMPLE_RATES:
        raise InvalidField("sample_rate", value, allowed)
    return rate


def _read_speed(body: Mapping[str, Any]) -> float:
    value = body.get("speed")
    if value is None:
        return 1.0
    allowed = "a number from 0.5 to 2.0"
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InvalidField("speed", value, allowed)
    speed = float(value)
    if not (math.isfinite(speed) and 0.5 <= speed <= 2.0):
        raise InvalidField("speed", value, allowed)
    return speed


def _optional(body: Mapping[str, Any], name: str, kind: type, allowed: str) -> Any:
    value = body.get(name)
    if value is None:
        return None
    if not isinstance(value, kind) or (kind is not bool and isinstance(value, bool)):
        raise InvalidField(name, value, allowed)
    return value


def _kind(value: object) -> str:
    if isinstance(value, list):
        return "a JSON array"
    if isinstance(value, str):
        return "a JSON string"
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a JSON boolean"
    return "a JSON number" if isinstance(value, int | float) else type(value).__name__
