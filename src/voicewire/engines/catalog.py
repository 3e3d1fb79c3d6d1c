"""The voice catalog: every engine's voices plus aliases, resolved by voice id.

The voice decides the engine, and the language a turn is read in must be one the voice speaks.
How a wire protocol lists voices (the Waves catalog JSON, Wyoming's ``info``) is the dialect's
business, built from ``voices()``.

Besides the engines' voices the catalog lists, as not installed, the voices a catalog offered this
machine (``listed``, read from a file ``voicewire voices available`` wrote; never the network) for
the engines this server has. ``refresh`` rebuilds every table from the engines' folders while
requests go on: readers see the old tables or the new, never a mix.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from voicewire.engines.base import Engine, VoiceInfo
from voicewire.engines.budget import VoiceBudget
from voicewire.exceptions import ConfigError, InvalidField, UnknownVoice, VoiceNotInstalled

logger = logging.getLogger("voicewire.engines")

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

    @property
    def multilingual(self) -> bool:
        """The voice speaks several languages: ``auto`` then detects each unit's language from its
        script (see ``voicewire.text.languages.detect``)."""
        return len(self.info.languages) > 1

    def language(self, requested: str, *, field: str = "language") -> str:
        """The BCP 47 tag a turn asking for ``requested`` is read in.

        ``auto`` is the voice's own language (a multilingual voice's turn detects each unit's
        language, starting from it); a code (``en``, ``en-us``, ``en_US``) names one of the voice's
        languages by its primary subtag or in full. ``field`` names the request field in errors
        (``number_pronunciation_language`` is checked the same way).

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
            field,
            requested,
            f"'auto' or {' or '.join(repr(c) for c in codes)} for voice {self.requested!r} "
            f"(it speaks {', '.join(self.info.languages)})",
        )


@dataclass(frozen=True)
class _Tables:
    voices: dict[str, tuple[Engine, VoiceInfo]]
    aliases: dict[str, str]


class Catalog:
    def __init__(
        self,
        engines: Sequence[Engine],
        aliases: Mapping[str, str],
        *,
        listed: Callable[[], Sequence[VoiceInfo]] | None = None,
        budget: VoiceBudget | None = None,
    ) -> None:
        """``listed``: voices offered but not installed (read from a local file, never fetched).
        ``budget``: the loaded-voice budget the engines share, trimmed by ``trim``.

        Raises:
            ConfigError: an alias points to a voice no engine has.
        """
        self.engines = {e.name: e for e in engines}
        self.budget = budget
        self._configured_aliases = dict(aliases)
        self._listed = listed
        self._refreshing = threading.Lock()
        self._tables = self._build(strict=True)

    @property
    def aliases(self) -> dict[str, str]:
        return self._tables.aliases

    def refresh(self) -> None:
        """Have every engine look at its voices folder again, then rebuild the tables. Blocking (it
        reads folders): call it on a worker thread. An alias whose voice is gone is left out (and
        logged) instead of failing, as the server is running."""
        with self._refreshing:
            for engine in self.engines.values():
                engine.rescan()
            self._tables = self._build(strict=False)

    def trim(self) -> list[str]:
        """Unload what the budget says must go (``engine:voice`` of each); see ``engines.budget``."""
        return self.budget.trim() if self.budget is not None else []

    def _build(self, *, strict: bool) -> _Tables:
        voices: dict[str, tuple[Engine, VoiceInfo]] = {}
        for engine in self.engines.values():
            for info in engine.voices():
                voices[info.voice_id.lower()] = (engine, info)
        for info in self._listed() if self._listed is not None else ():
            engine_of = self.engines.get(info.engine)
            if engine_of is not None and info.voice_id.lower() not in voices:
                voices[info.voice_id.lower()] = (engine_of, info)
        aliases: dict[str, str] = {}
        for alias, target in self._configured_aliases.items():
            if target.lower() not in voices:
                message = (f"Alias {alias!r} points to voice {target!r}, which no engine has "
                           f"(voices: {', '.join(sorted(voices))}).")  # fmt: skip
                if strict:
                    raise ConfigError(message)
                logger.warning("! %s", message)
                continue
            aliases[alias.lower()] = target.lower()
        return _Tables(voices, aliases)

    def lookup(self, voice_id: str) -> ResolvedVoice:
        """The voice behind ``voice_id`` (alias or local id, any letter case), installed or not.

        Raises:
            UnknownVoice: no voice and no alias has that id.
        """
        tables = self._tables
        key = voice_id.strip().lower()
        found = tables.voices.get(tables.aliases.get(key, key))
        if found is None:
            # voices that are here, in engine order (heart and joe first), then the Waves names of aliases
            here = [info.voice_id for _, info in tables.voices.values() if info.installed]
            raise UnknownVoice(voice_id, dict.fromkeys([*here, *sorted(tables.aliases)]))
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
        """(listed id, voice) pairs: every voice (installed ones first), then every alias."""
        tables = self._tables
        entries = sorted(((info.voice_id, info) for _, info in tables.voices.values()),
                         key=lambda pair: not pair[1].installed)  # fmt: skip
        entries += [(alias, tables.voices[target][1]) for alias, target in tables.aliases.items()]
        return entries
