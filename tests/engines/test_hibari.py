from __future__ import annotations

import shutil
import socket
from pathlib import Path

import numpy as np
import pytest

from voicewire.engines.base import Utterance
from voicewire.engines.hibari import HibariEngine
from voicewire.exceptions import VoiceNotInstalled


def test_duration_output_leaves_the_audio_bit_identical(hibari_engine: HibariEngine) -> None:
    """The patched graph must compute exactly what hibari's own graph computes."""
    from hibari import Hibari

    reference = Hibari(voice="heart")
    loaded = hibari_engine._voice("heart")
    ids = hibari_engine._phonemize(loaded.g2p, ["Hello", "there,", "how", "are", "you?"]).ids
    feeds = {"ids": np.asarray([ids], np.int64), "speed": np.asarray([1.0], np.float32)}
    ours = loaded.session.run(None, feeds)
    theirs = reference.sess.run(None, feeds)
    assert len(ours) == len(theirs) + 1
    for a, b in zip(ours[:6], theirs, strict=True):
        np.testing.assert_array_equal(a, b)
    durations = ours[6]
    assert len(durations) == len(ids)
    assert int(durations.sum()) * 600 == ours[0].shape[-1] * 300  # frames of 300 samples


def test_word_spans_follow_durations(hibari_engine: HibariEngine) -> None:
    words = ["Hello", "there,", "how", "are", "you?"]
    audio = hibari_engine.synthesize("heart", Utterance.of(words))
    assert audio.lead == 14 * 600 or audio.lead > 0  # the start pad, from the model's own durations
    assert len(audio.samples) % 600 == 0
    # "there," ends before the comma pause; "how" starts after it
    assert audio.word_spans[2][0] - audio.word_spans[1][1] >= 600


@pytest.fixture
def offline_hibari_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> list[object]:
    """An empty hibari cache, and a guard that records (and refuses) every outbound connection."""
    monkeypatch.setenv("HIBARI_HOME", str(tmp_path))
    attempts: list[object] = []

    def refuse(self: socket.socket, address: object) -> None:
        attempts.append(address)
        raise OSError("no network in this test")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    return attempts


def test_a_voice_not_installed_is_refused_at_once_without_the_network(offline_hibari_home: list[object]) -> None:
    """Defect: a missing voice was downloaded on a synthesis worker, under the engine lock, with 60 s
    socket timeouts. Now it is refused before any connection is tried, naming the install command."""
    engine = HibariEngine()
    assert {v.voice_id: v.installed for v in engine.voices()}["fenrir"] is False
    with pytest.raises(VoiceNotInstalled) as info:
        engine.load("fenrir")
    assert offline_hibari_home == []  # no connection attempted (so no timeout to wait out either)
    message = str(info.value)
    assert "'fenrir'" in message and "voicewire voices install fenrir" in message
    assert info.value.code == "voice_not_installed"


def test_voice_installed_by_hand_is_used(offline_hibari_home: list[object], tmp_path: Path) -> None:
    """A file placed in voicewire's voices folder loads without a download."""
    from hibari.voices import VOICES, voice_path

    folder = tmp_path / "voices" / "hibari"
    folder.mkdir(parents=True)
    shutil.copyfile(voice_path("heart"), folder / VOICES["emma"]["file"])
    engine = HibariEngine(voices_dir=folder)
    assert {v.voice_id: v.installed for v in engine.voices()}["emma"] is True
    audio = engine.synthesize("emma", Utterance.of(["Good", "morning."]))
    assert audio.samples.size > 12_000


# -- voices installed, removed and unloaded while the engine runs ------------------------------------


def heart_file() -> Path:
    from hibari.voices import ASSETS

    return Path(ASSETS) / "hibari.onnx"


def sidecar(name: str) -> dict[str, object]:
    import hashlib

    data = heart_file().read_bytes()
    return {"kokoro": "af_heart", "language": "en-US", "accent": "American", "gender": "female",
            "file": f"{name}.int8.onnx", "bytes": len(data), "sha256": hashlib.sha256(data).hexdigest()}  # fmt: skip


def test_a_voice_from_another_registry_appears_on_rescan(offline_hibari_home: list[object], tmp_path: Path) -> None:
    import json

    folder = tmp_path / "voices" / "hibari"
    folder.mkdir(parents=True)
    engine = HibariEngine(voices_dir=folder)
    assert "testheart" not in {v.voice_id for v in engine.voices()}
    shutil.copyfile(heart_file(), folder / "testheart.int8.onnx")
    (folder / "testheart.voice.json").write_text(json.dumps(sidecar("testheart")), encoding="utf-8")
    (folder / "broken.voice.json").write_text("{not json", encoding="utf-8")
    (folder / "emma.voice.json").write_text(json.dumps(sidecar("emma")), encoding="utf-8")  # hibari's own name
    engine.rescan()
    voices = {v.voice_id: v for v in engine.voices()}
    assert voices["testheart"].installed and voices["testheart"].language == "en-US"
    assert "broken" not in voices and not voices["emma"].installed  # the package's entry for emma stands
    audio = engine.synthesize("testheart", Utterance.of(["Installed", "while", "running."]))
    assert audio.samples.size > 12_000


def test_the_budget_unloads_the_least_recently_used_voice(offline_hibari_home: list[object], tmp_path: Path) -> None:
    from hibari.voices import VOICES

    from voicewire.engines.budget import VoiceBudget

    folder = tmp_path / "voices" / "hibari"
    folder.mkdir(parents=True)
    shutil.copyfile(heart_file(), folder / VOICES["emma"]["file"])
    budget = VoiceBudget(1, busy_seconds=0)
    engine = HibariEngine(voices_dir=folder, budget=budget)
    engine.load("heart")
    engine.load("emma")
    assert set(engine._loaded) == {"emma"} and budget.loaded_voices() == ["hibari:emma"]
    assert engine.synthesize("heart", Utterance.of(["Back", "again."])).samples.size > 0  # loads it again
    assert set(engine._loaded) == {"heart"}


def test_a_removed_voice_speaks_until_the_budget_lets_it_go(offline_hibari_home: list[object],
                                                             tmp_path: Path) -> None:  # fmt: skip
    from hibari.voices import VOICES

    from voicewire.engines.budget import VoiceBudget

    folder = tmp_path / "voices" / "hibari"
    folder.mkdir(parents=True)
    shutil.copyfile(heart_file(), folder / VOICES["emma"]["file"])
    clock = [0.0]
    budget = VoiceBudget(None, retired_seconds=60, clock=lambda: clock[0])
    engine = HibariEngine(voices_dir=folder, budget=budget)
    engine.load("emma")
    (folder / VOICES["emma"]["file"]).unlink()
    engine.rescan()
    assert {v.voice_id: v.installed for v in engine.voices()}["emma"] is False
    assert engine.synthesize("emma", Utterance.of(["Still", "here."])).samples.size > 0  # the turn goes on
    clock[0] += 61
    assert budget.trim() == ["hibari:emma"]
    with pytest.raises(VoiceNotInstalled):
        engine.synthesize("emma", Utterance.of(["Gone."]))


def test_a_word_with_ipa_is_said_in_those_phonemes(hibari_engine: HibariEngine) -> None:
    words = ("Please", "pass", "the", "Qzvkt,", "Sam.")
    plain = hibari_engine.synthesize("heart", Utterance(words=words))
    said = hibari_engine.synthesize("heart", Utterance(words=words, phonemes=(None, None, None, "ˈmɑːɹməleɪd", None)))
    assert "mˈɑɹməlAd," in said.phonemes and "mˈɑɹməlAd" not in plain.phonemes
    assert said.phonemes.startswith("plˈiz pˈæs ðə") and said.phonemes.endswith("sˈæm.")
    assert len(said.word_spans) == len(words) and all(b > a for a, b in said.word_spans)
    for (_, end), (start, _) in zip(said.word_spans, said.word_spans[1:], strict=False):
        assert end <= start
