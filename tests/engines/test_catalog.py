"""The catalog: engine voices, voices listed but not installed, aliases, and refresh while it is read."""

from __future__ import annotations

import threading
from collections.abc import Sequence

import pytest

from voicewire.engines.base import Engine, EngineAudio, Utterance, VoiceInfo
from voicewire.engines.budget import VoiceBudget
from voicewire.engines.catalog import Catalog
from voicewire.exceptions import ConfigError, UnknownVoice, VoiceNotInstalled


def info(voice_id: str, engine: str = "fake", installed: bool = True) -> VoiceInfo:
    return VoiceInfo(voice_id=voice_id, engine=engine, display_name=voice_id, languages=("en-US",),
                     sample_rate=22050, installed=installed)  # fmt: skip


class FolderEngine(Engine):
    """A fake engine whose 'folder' is a list the test changes; rescan looks at it again."""

    name = "fake"
    sample_rate = 22050

    def __init__(self, voices: list[str]) -> None:
        self.folder = list(voices)
        self._seen = list(voices)
        self.rescans = 0

    def voices(self) -> Sequence[VoiceInfo]:
        return [info(v) for v in self._seen]

    def rescan(self) -> None:
        self.rescans += 1
        self._seen = list(self.folder)

    def load(self, voice_id: str) -> None:
        pass

    def synthesize(self, voice_id: str, utterance: Utterance) -> EngineAudio:
        raise NotImplementedError


def test_refresh_shows_installed_and_removed_voices() -> None:
    engine = FolderEngine(["joe"])
    catalog = Catalog([engine], {"magnus": "joe"})
    with pytest.raises(UnknownVoice):
        catalog.resolve("lessac")
    engine.folder.append("lessac")
    catalog.refresh()
    assert catalog.resolve("LESSAC").info.voice_id == "lessac"
    engine.folder.remove("lessac")
    catalog.refresh()
    with pytest.raises(UnknownVoice):
        catalog.resolve("lessac")
    assert engine.rescans == 2


def test_listed_voices_are_offered_as_not_installed_for_engines_present() -> None:
    listed = [info("amy", installed=False), info("joe", installed=False), info("af_heart", "kokoro", False)]
    catalog = Catalog([FolderEngine(["joe"])], {}, listed=lambda: listed)
    with pytest.raises(VoiceNotInstalled) as refused:
        catalog.resolve("amy")
    assert "voicewire voices install amy" in str(refused.value)
    assert catalog.resolve("joe").info.installed  # the installed voice wins over its listing
    with pytest.raises(UnknownVoice):  # no kokoro engine in this server: not listed at all
        catalog.lookup("af_heart")
    assert [(vid, i.installed) for vid, i in catalog.voices()] == [("joe", True), ("amy", False)]


def test_an_unknown_voice_suggests_installed_voices_only() -> None:
    listed = [info(f"listed{n}", installed=False) for n in range(20)]
    catalog = Catalog([FolderEngine(["joe"])], {"magnus": "joe"}, listed=lambda: listed)
    with pytest.raises(UnknownVoice) as refused:
        catalog.resolve("nobody")
    assert "joe, magnus" in str(refused.value) and "listed0" not in str(refused.value)


def test_an_alias_to_a_missing_voice_fails_at_start_but_is_dropped_on_refresh() -> None:
    with pytest.raises(ConfigError, match="'narrator' points to voice 'lessac'"):
        Catalog([FolderEngine(["joe"])], {"narrator": "lessac"})
    engine = FolderEngine(["joe", "lessac"])
    catalog = Catalog([engine], {"narrator": "lessac"})
    assert catalog.resolve("narrator").info.voice_id == "lessac"
    engine.folder.remove("lessac")
    catalog.refresh()  # a running server must not fail: the alias goes with its voice
    assert catalog.aliases == {}
    with pytest.raises(UnknownVoice):
        catalog.resolve("narrator")


def test_readers_never_see_a_half_built_table() -> None:
    """Voices and aliases are swapped together: a reader resolving the alias never finds it without
    its voice, while another thread refreshes over and over."""
    engine = FolderEngine(["joe", "lessac"])
    catalog = Catalog([engine], {"narrator": "lessac"})
    stop = threading.Event()
    errors: list[BaseException] = []

    def refresh() -> None:
        while not stop.is_set():
            engine.folder = ["joe"] if "lessac" in engine.folder else ["joe", "lessac"]
            catalog.refresh()

    thread = threading.Thread(target=refresh)
    thread.start()
    try:
        for _ in range(20_000):
            try:
                catalog.resolve("narrator")
            except UnknownVoice:
                pass  # the alias is gone with its voice: fine
            except BaseException as exc:  # a KeyError would mean an alias without its voice
                errors.append(exc)
                break
    finally:
        stop.set()
        thread.join()
    assert errors == []


def test_trim_asks_the_budget() -> None:
    class Owner:
        name = "fake"

        def unload(self, voice_id: str) -> None:
            pass

    budget = VoiceBudget(1, busy_seconds=0)
    owner = Owner()
    budget.used(owner, "a")
    budget.used(owner, "b")
    assert Catalog([FolderEngine(["joe"])], {}, budget=budget).trim() == ["fake:a"]
    assert Catalog([FolderEngine(["joe"])], {}).trim() == []
