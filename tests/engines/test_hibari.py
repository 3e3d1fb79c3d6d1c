from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from voicewire.engines import hibari as hibari_module
from voicewire.engines.hibari import HibariEngine
from voicewire.exceptions import VoiceUnavailable


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
    audio = hibari_engine.synthesize(words, "heart")
    assert audio.lead == 14 * 600 or audio.lead > 0  # the start pad, from the model's own durations
    assert len(audio.samples) % 600 == 0
    # "there," ends before the comma pause; "how" starts after it
    assert audio.word_spans[2][0] - audio.word_spans[1][1] >= 600


@pytest.fixture
def offline_hibari_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """hibari's real downloader, pointed at a dead proxy so the test is offline whatever the network."""
    monkeypatch.setenv("HIBARI_HOME", str(tmp_path))
    for var in ("https_proxy", "HTTPS_PROXY", "http_proxy", "HTTP_PROXY"):
        monkeypatch.setenv(var, "http://127.0.0.1:9")
    monkeypatch.delenv("no_proxy", raising=False)
    monkeypatch.delenv("NO_PROXY", raising=False)
    return tmp_path


def test_missing_voice_offline_says_what_to_do(offline_hibari_home: Path) -> None:
    engine = HibariEngine()
    assert {v.voice_id: v.installed for v in engine.voices()}["fenrir"] is False
    with pytest.raises(VoiceUnavailable) as info:
        engine.load("fenrir")
    message = str(info.value)
    assert "'fenrir'" in message
    assert "by hand" in message
    assert "am_fenrir_v2.int8.onnx" in message
    assert str(offline_hibari_home / "am_fenrir_v2.int8.onnx") in message
    assert "Traceback" not in message


def test_failed_download_is_not_retried_at_once(offline_hibari_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    engine = HibariEngine()
    with pytest.raises(VoiceUnavailable):
        engine.load("kore")
    calls = []
    monkeypatch.setattr("hibari.voices.voice_path", lambda *a, **k: calls.append(a))
    with pytest.raises(VoiceUnavailable, match="'kore'"):
        engine.load("kore")
    assert calls == []
    monkeypatch.setattr(hibari_module, "FAILED_DOWNLOAD_RETRY_S", 0.0)
    with pytest.raises(Exception):  # noqa: B017 - the patched voice_path returns None: any failure is fine
        engine.load("kore")
    assert len(calls) == 1


def test_voice_installed_by_hand_is_used(offline_hibari_home: Path) -> None:
    """The message's instructions work: a file placed under HIBARI_HOME loads without a download."""
    from hibari.voices import VOICES, voice_path

    shutil.copyfile(voice_path("heart"), offline_hibari_home / VOICES["emma"]["file"])
    engine = HibariEngine()
    assert {v.voice_id: v.installed for v in engine.voices()}["emma"] is True
    audio = engine.synthesize(["Good", "morning."], "emma")
    assert audio.samples.size > 12_000
