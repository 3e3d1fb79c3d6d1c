"""The voice manager: what the catalogs offer, the copy kept for the server and for bad days, names."""

from __future__ import annotations

from pathlib import Path

import pytest

from support.voice_mirror import DEAD_URL, KOKORO_SERVED, PIPER_GOOD, Mirror
from voicewire.config import Settings
from voicewire.engines.listed import listed_voices
from voicewire.exceptions import VoicePackError
from voicewire.voices.catalog import read_cache
from voicewire.voices.manager import VoiceManager


def manager(home: Path, url: str) -> VoiceManager:
    return VoiceManager(Settings(home=home, voices_url=url))


def test_available_reads_every_catalog_and_keeps_a_copy_for_the_server(tmp_path: Path, mirror: Mirror) -> None:
    offer = manager(tmp_path, mirror.url).available()
    assert offer.problems == []
    engines = {e.engine for e in offer.entries}
    assert engines == {"piper", "kokoro", "hibari"}
    cached, written = read_cache(tmp_path / "voices")
    assert written and sorted(e.key for e in cached) == sorted(e.key for e in offer.entries)
    listed = {v.voice_id: v for v in listed_voices(tmp_path / "voices")}
    assert {"testjoe", "af_heart", "emma", "testheart"} <= set(listed)
    assert not any(v.installed for v in listed.values())


def test_an_unreachable_catalog_falls_back_on_its_last_copy(tmp_path: Path, mirror: Mirror) -> None:
    manager(tmp_path, mirror.url).available()
    offer = manager(tmp_path, DEAD_URL).available()
    assert {e.voice_id for e in offer.entries} >= {"testjoe", *KOKORO_SERVED}
    assert len(offer.problems) == 3
    piper = next(p for p in offer.problems if p.startswith("The piper catalog"))
    assert "http://127.0.0.1:9/rhasspy/piper-voices/resolve/main/voices.json" in piper and "Using the copy of" in piper
    assert {e.voice_id for e in read_cache(tmp_path / "voices")[0]} >= {"testjoe"}  # the copy is not overwritten


def test_with_no_network_and_no_copy_only_hibaris_own_voices_are_known(tmp_path: Path) -> None:
    from hibari.voices import VOICES

    offer = manager(tmp_path, DEAD_URL).available()
    assert {e.voice_id for e in offer.entries} == {n for n, e in VOICES.items() if not e.get("bundled")}
    assert all("Connection refused" in p for p in offer.problems)
    assert not (tmp_path / "voices" / "catalog.json").exists()


def test_names_find_their_entries(tmp_path: Path, mirror: Mirror) -> None:
    m = manager(tmp_path, mirror.url)
    assert m.find("testjoe").key == PIPER_GOOD  # a bare name: medium quality
    assert m.find("en_US-testjoe-low").quality == "low"
    assert m.find("TESTJOE").key == PIPER_GOOD
    assert m.find("mls_fr_fr").key == "fr_FR-mls-medium"
    assert m.find("af_heart").engine == "kokoro"
    assert m.find("testheart").engine == "hibari"
    assert m.find("kore").engine == "hibari"


def test_only_the_catalogs_a_name_needs_are_read(tmp_path: Path, mirror: Mirror) -> None:
    m = manager(tmp_path, mirror.url)
    m.find("emma")  # hibari's own voice
    assert [p for p, _ in mirror.requests] == ["/maureesewilliams/hibari/resolve/main/voices.json"]
    m.find("ef_dora")
    assert not any("piper" in p for p, _ in mirror.requests)


def test_an_unknown_name_says_where_to_look_and_what_failed(tmp_path: Path, mirror: Mirror) -> None:
    with pytest.raises(VoicePackError, match=r"No catalog offers a voice 'nobody'; `voicewire voices available`"):
        manager(tmp_path, mirror.url).find("nobody")
    with pytest.raises(VoicePackError) as offline:
        manager(tmp_path / "other", DEAD_URL).find("testjoe")
    assert "The piper catalog could not be read: Cannot download http://127.0.0.1:9/rhasspy" in str(offline.value)
