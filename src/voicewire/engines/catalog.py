"""The voice catalog: every engine's voices plus aliases, resolved by voice id.

The voice decides the engine, not the ``model`` field: the Waves API serves a voice from another
model's catalog without complaint, and so do we (``magnus`` on ``lightning_v3.1`` speaks with Piper).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from voicewire.engines.base import Engine, VoiceInfo
from voicewire.exceptions import ConfigError, InvalidField, UnknownVoice

__all__ = ["Catalog", "ResolvedVoice", "language_name"]

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


@dataclass(frozen=True)
class ResolvedVoice:
    requested: str
    """The id the client sent (``magnus``)."""
    info: VoiceInfo
    """The local voice that speaks (``joe``)."""
    engine: Engine


class Catalog:
    def __init__(self, engines: Sequence[Engine], aliases: Mapping[str, str]) -> None:
        self.engines = {e.name: e for e in engines}
        self._voices: dict[str, tuple[Engine, VoiceInfo]] = {}
        for engine in engines:
            for info in engine.voices():
                self._voices[info.voice_id.lower()] = (engine, info)
        self.aliases: dict[str, str] = {}
        for alias, target in aliases.items():
            if target.lower() not in self._voices:
                raise ConfigError(
                    f"Alias {alias!r} points to voice {target!r}, which no engine has "
                    f"(voices: {', '.join(sorted(self._voices))})."
                )
            self.aliases[alias.lower()] = target.lower()

    def resolve(self, voice_id: str) -> ResolvedVoice:
        """The voice behind ``voice_id`` (alias or local id, any letter case).

        Raises:
            UnknownVoice: no voice and no alias has that id.
        """
        key = voice_id.strip().lower()
        found = self._voices.get(self.aliases.get(key, key))
        if found is None:
            raise UnknownVoice(voice_id, [*self.aliases, *self._voices])
        engine, info = found
        return ResolvedVoice(voice_id, info, engine)

    @staticmethod
    def check_language(voice: ResolvedVoice, language: str) -> None:
        """Raises InvalidField unless ``language`` is one the voice speaks (or ``auto``)."""
        allowed = voice.info.language_codes
        if language.replace("_", "-").lower() not in allowed and language.split("-")[0] not in allowed:
            raise InvalidField(
                "language",
                language,
                f"{' or '.join(repr(a) for a in allowed)} for voice {voice.requested!r} ({voice.info.language})",
            )

    def voices(self, model: str | None = None) -> list[tuple[str, VoiceInfo]]:
        """(listed id, voice) pairs: every local voice, then every alias, optionally for one model."""
        entries = [(info.voice_id, info) for _, info in self._voices.values()]
        entries += [(alias, self._voices[target][1]) for alias, target in self.aliases.items()]
        return [(vid, info) for vid, info in entries if model is None or info.model == model]

    def waves_voices(self, model: str | None = None) -> dict[str, Any]:
        """``GET /waves/v1/{model}/get_voices`` body."""
        return {"voices": [_waves_entry(vid, info) for vid, info in self.voices(model)]}

    def waves_all_models(self) -> dict[str, Any]:
        """``GET /waves/v1/voice/get-all-models`` body."""
        out = []
        for vid, info in self.voices():
            out.append(
                {
                    "_id": vid,
                    "voiceId": vid,
                    "displayName": _display(vid, info),
                    "description": info.description,
                    "audioPreview": "",
                    "model": info.model,
                    "installed": info.installed,
                    "tags": {"age": info.age, "emotions": [], "language": [language_name(info.language)]},
                }
            )
        return {"voices": out}


def _display(listed_id: str, info: VoiceInfo) -> str:
    if listed_id == info.voice_id:
        return info.display_name
    return f"{listed_id.capitalize()} ({info.display_name})"


def _waves_entry(listed_id: str, info: VoiceInfo) -> dict[str, Any]:
    return {
        "voiceId": listed_id,
        "displayName": _display(listed_id, info),
        "model": info.model,
        "installed": info.installed,
        "tags": {
            "language": [language_name(info.language)],
            "accent": info.accent,
            "gender": info.gender,
            "age": info.age,
            "emotions": [],
            "usecases": ["conversational", "narration"],
        },
    }
