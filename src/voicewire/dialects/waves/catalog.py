"""The Waves voice catalogs (``GET /waves/v1/{model}/get_voices``, ``GET /waves/v1/voice/get-all-models``),
built from the engines' voices.

Waves sorts voices into models; voicewire's engines know no models. The Piper voices are listed
under ``lightning_v3.1_pro`` and hibari's under ``lightning_v3.1``; ``lightning-v3.1`` lists
every voice, as the hosted API does. The voice decides the engine, not the ``model`` field: the Waves
API serves a voice from another model's catalog without complaint, and so does voicewire. The Kokoro
voices are listed under ``lightning_v3.1_pro`` too: Japanese and Mandarin are Pro languages on Waves.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from voicewire.engines.base import VoiceInfo

__all__ = ["all_models", "language_name", "model_of", "voices_body"]

_MODEL_OF_ENGINE = {"piper": "lightning_v3.1_pro", "kokoro": "lightning_v3.1_pro"}
_DEFAULT_MODEL = "lightning_v3.1"

_LANGUAGE_NAMES = {
    "ar": "arabic", "bn": "bengali", "ca": "catalan", "cs": "czech", "da": "danish", "de": "german",
    "el": "greek", "en": "english", "es": "spanish", "fa": "persian", "fi": "finnish", "fr": "french",
    "gu": "gujarati", "he": "hebrew", "hi": "hindi", "hu": "hungarian", "id": "indonesian", "is": "icelandic",
    "it": "italian", "ja": "japanese", "ka": "georgian", "kn": "kannada", "ko": "korean", "ml": "malayalam",
    "mr": "marathi", "nl": "dutch", "no": "norwegian", "pl": "polish", "pt": "portuguese", "ro": "romanian",
    "ru": "russian", "sk": "slovak", "sv": "swedish", "sw": "swahili", "ta": "tamil", "te": "telugu",
    "tr": "turkish", "uk": "ukrainian", "vi": "vietnamese", "zh": "chinese",
}  # fmt: skip


def language_name(tag: str) -> str:
    """``en-US`` -> ``english``: the Waves catalogs carry language names, not codes."""
    primary = tag.replace("_", "-").split("-")[0].lower()
    return _LANGUAGE_NAMES.get(primary, primary)


def model_of(info: VoiceInfo) -> str:
    """The Waves model whose catalog lists the voice."""
    return _MODEL_OF_ENGINE.get(info.engine, _DEFAULT_MODEL)


def voices_body(voices: Iterable[tuple[str, VoiceInfo]], model: str | None = None) -> dict[str, Any]:
    """``GET /waves/v1/{model}/get_voices``: (listed id, voice) pairs, of one model or (None) all."""
    return {"voices": [_entry(vid, info) for vid, info in voices if model is None or model_of(info) == model]}


def all_models(voices: Iterable[tuple[str, VoiceInfo]]) -> dict[str, Any]:
    """``GET /waves/v1/voice/get-all-models``."""
    out = []
    for vid, info in voices:
        out.append(
            {
                "_id": vid,
                "voiceId": vid,
                "displayName": _display(vid, info),
                "description": info.description,
                "audioPreview": "",
                "model": model_of(info),
                "installed": info.installed,
                "tags": {"age": info.age, "emotions": [], "language": _languages(info)},
            }
        )
    return {"voices": out}


def _languages(info: VoiceInfo) -> list[str]:
    return list(dict.fromkeys(language_name(tag) for tag in info.languages))


def _display(listed_id: str, info: VoiceInfo) -> str:
    if listed_id == info.voice_id:
        return info.display_name
    return f"{listed_id.capitalize()} ({info.display_name})"


def _entry(listed_id: str, info: VoiceInfo) -> dict[str, Any]:
    return {
        "voiceId": listed_id,
        "displayName": _display(listed_id, info),
        "model": model_of(info),
        "installed": info.installed,
        "tags": {
            "language": _languages(info),
            "accent": info.accent,
            "gender": info.gender,
            "age": info.age,
            "emotions": [],
            "usecases": ["conversational", "narration"],
        },
    }
