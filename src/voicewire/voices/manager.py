"""The voice manager behind ``voicewire voices``: what is offered, what is installed, and the steps
between (install, remove, add).

Catalogs are read when a command needs them, never by the server. What they offered is kept in
``<voices_dir>/catalog.json``: the server lists those voices as not installed, and when a catalog
cannot be reached the manager falls back on what it offered last time (and says so).
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from voicewire.config import Settings
from voicewire.exceptions import DownloadFailed, VoicePackError
from voicewire.voices.catalog import CatalogEntry, read_cache, write_cache
from voicewire.voices.install import Installer, ProgressFactory
from voicewire.voices.installed import InstalledVoice, installed_voices
from voicewire.voices.local import Added, add_files
from voicewire.voices.sources import (
    HibariSource,
    KokoroSource,
    PiperSource,
    Source,
    kokoro_language,
    preferred_quality,
)

__all__ = ["Offer", "VoiceManager"]


@dataclass
class Offer:
    """What the catalogs offer, as far as they could be read."""

    entries: list[CatalogEntry] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    """One line per catalog that could not be read (and whether an older copy stood in for it)."""


class VoiceManager:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.voices_dir = settings.voices_dir
        self.installer = Installer(settings.voices_dir, settings.cache_dir)
        self._loaded: dict[str, list[CatalogEntry]] = {}
        self._problems: dict[str, str] = {}

    def sources(self) -> list[Source]:
        from hibari.voices import VOICES

        base = self.settings.voices_url
        return [HibariSource(base), KokoroSource(base), PiperSource(base, reserved=set(VOICES))]

    # -- what is offered -------------------------------------------------------------------------------
    def available(self) -> Offer:
        """Every catalog's voices; a catalog that cannot be read is replaced by its last copy, if any."""
        offer = Offer()
        for source in self.sources():
            offer.entries += self._entries(source)
        offer.problems = list(self._problems.values())
        return offer

    def _entries(self, source: Source) -> list[CatalogEntry]:
        if source.engine in self._loaded:
            return self._loaded[source.engine]
        cached, written = read_cache(self.voices_dir)
        try:
            entries = source.entries()
        except DownloadFailed as exc:
            old = [e for e in cached if e.engine == source.engine]
            if isinstance(source, HibariSource):
                old = old or source.local_entries()
            note = f" Using the copy of {written}." if old and written else ""
            self._problems[source.engine] = f"The {source.engine} catalog could not be read: {exc}{note}"
            entries = old
        else:
            others = [e for e in cached if e.engine != source.engine]
            with contextlib.suppress(OSError):  # listing still works; the server just will not list these
                write_cache(self.voices_dir, [*others, *entries], self.settings.voices_url)
        self._loaded[source.engine] = entries
        return entries

    def find(self, name: str) -> CatalogEntry:
        """The entry ``name`` means: a voice id, a Piper key (``en_US-lessac-high``) or a Kokoro or hibari
        name. Catalogs are read only as far as needed (hibari's own voices need none).

        Raises:
            VoicePackError: no catalog has it (the message says which catalogs could not be read).
        """
        wanted = name.strip()
        sources = {s.engine: s for s in self.sources()}
        order = ["hibari", "kokoro", "piper"] if kokoro_language(wanted.lower()) else ["hibari", "piper", "kokoro"]
        for engine in order:
            entries = self._entries(sources[engine])
            exact = [e for e in entries if e.key == wanted]
            if exact:
                return exact[0]
            same = [e for e in entries if e.voice_id == wanted.lower()]
            if same:
                return preferred_quality(same) if engine == "piper" else same[0]
        problems = " ".join(self._problems.values())
        raise VoicePackError(f"No catalog offers a voice {name!r}; `voicewire voices available` lists what they "
                             "offer." + (f" {problems}" if problems else ""))  # fmt: skip

    # -- changes --------------------------------------------------------------------------------------
    def install(self, entry: CatalogEntry, progress: ProgressFactory | None = None) -> None:
        """Download, verify and place ``entry`` (see ``voices.install``)."""
        self.installer.install(entry, progress)

    def is_installed(self, entry: CatalogEntry) -> bool:
        return any(v.voice_id == entry.voice_id for v in self.installed()) or self.installer.is_installed(entry)

    def installed(self) -> list[InstalledVoice]:
        return installed_voices(self.voices_dir)

    def remove(self, name: str) -> InstalledVoice:
        """Remove the installed voice ``name`` (its id, any case).

        Raises:
            VoicePackError: no such installed voice, or one that cannot be removed.
        """
        voices = self.installed()
        found = next((v for v in voices if v.voice_id == name.strip().lower()), None)
        if found is None:
            ids = ", ".join(v.voice_id for v in voices)
            raise VoicePackError(f"No installed voice {name!r} (installed: {ids}).")
        self.installer.remove(found)
        return found

    def add(self, paths: Sequence[Path], name: str | None) -> list[Added]:
        """Add local voice files (see ``voices.local``)."""
        cache = self.settings.cache_dir
        return add_files(list(paths), self.voices_dir, name=name, taken=self._taken(), cache_dir=cache)

    def _taken(self) -> set[str]:
        """Ids a new voice may not take: installed voices, aliases, and hibari's registry names."""
        from voicewire.engines.hibari import registry

        taken = {v.voice_id for v in self.installed()} | {a.lower() for a in self.settings.aliases}
        return taken | set(registry(self.voices_dir / "hibari"))
