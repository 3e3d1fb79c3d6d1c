"""The voice catalog: every engine's voices plus aliases, resolved by voice id.

The voice decides the engine, and the language a turn is read in must be one the voice speaks.
How a wire protocol lists voices (the Waves catalog JSON, Wyoming's ``info``) is the dialect's
business, built from ``voices()``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from voicewire.engines.base import Engine, VoiceInfo
from voicewire.exceptions import ConfigError, InvalidField, UnknownVoice, VoiceNotInstalled

__all__ = ["Catalog", "ResolvedVoice", "primary_subtag"]


def primary_subtag(tag: str) -> str:
    """``en-US`` -> ``en``, ``pt_BR`` -> ``pt``."""
    return tag.replace("_", "-").split("-")[0].strip().lower()


@dataclass(frozen=True)
class ResolvedVoice:
    requested: str
    """The id the client sent (``magnus``)."""
    info: VoiceInfo
    """The local voice that speaks (``joe``)."""
    engine: Engine

    def language(self, requested: str) -> str:
        """The BCP 47 tag a turn asking for ``requested`` is read in.

        ``auto`` is the voice's own language; a code (``en``, ``en-us``, ``en_US``) names one of the
        voice's languages by its primary subtag or in full.

        Raises:
            InvalidField: the voice does not speak that language (the message lists what it speaks).
        """
        wanted = requested.strip().replace("_", "-").lower()
        if wanted in ("", "auto"):
            return self.info.language
        for tag in self.info.languages:
            if wanted == tag.lower():
                return tag
        for tag in self.info.languages:  # en-GB asked of an en-US voice: read as its English
            if primary_subtag(wanted) == primary_subtag(tag):
                return tag
        codes = sorted({primary_subtag(t) for t in self.info.languages})
        raise InvalidField(
            "language",
            requested,
            f"'auto' or {' or '.join(repr(c) for c in codes)} for voice {self.requested!r} "
            f"(it speaks {', '.join(self.info.languages)})",
        )


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

    def lookup(self, voice_id: str) -> ResolvedVoice:
        """The voice behind ``voice_id`` (alias or local id, any letter case), installed or not.

        Raises:
            UnknownVoice: no voice and no alias has that id.
        """
        key = voice_id.strip().lower()
        found = self._voices.get(self.aliases.get(key, key))
        if found is None:
            raise UnknownVoice(voice_id, [*self.aliases, *self._voices])
        engine, info = found
        return ResolvedVoice(voice_id, info, engine)

    def resolve(self, voice_id: str) -> ResolvedVoice:
        """``lookup``, for speaking: a voice whose files are not here is refused at once.

        Raises:
            UnknownVoice: no voice and no alias has that id.
            VoiceNotInstalled: the catalog lists the voice but its files are not on this machine.
        """
        voice = self.lookup(voice_id)
        if not voice.info.installed:
            raise VoiceNotInstalled(voice.info.voice_id)
        return voice

    def voices(self) -> list[tuple[str, VoiceInfo]]:
        """(listed id, voice) pairs: every local voice, then every alias."""
        entries = [(info.voice_id, info) for _, info in self._voices.values()]
        entries += [(alias, self._voices[target][1]) for alias, target in self.aliases.items()]
        return entries
