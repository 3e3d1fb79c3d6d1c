from __future__ import annotations

import itertools
import shutil
from pathlib import Path

import numpy as np

from voicewire.engines.piper import PiperEngine, bundled_voices, voice_files_in


def test_durations_sum_to_the_audio(piper_engine: PiperEngine) -> None:
    loaded = piper_engine._voice("joe")
    words = ["Most", "of", "the", "time,", "it", "is", "in", "the", "house."]
    phonemes, _ = piper_engine._phonemize(loaded, words)
    from voicewire.engines.phoneme_align import assign_owners
    from voicewire.engines.piper import _ids

    ids, _, _ = _ids(phonemes, assign_owners(phonemes, [""] * len(words)), loaded.id_map)
    scales = np.asarray([0.667, 1.0, 0.8], np.float32)
    audio, frames = loaded.session.run(None, {"input": np.asarray([ids], np.int64),
                                              "input_lengths": np.asarray([len(ids)], np.int64),
                                              "scales": scales})[:2]  # fmt: skip
    assert int(np.asarray(frames).sum()) * 256 == np.asarray(audio).reshape(-1).size


def test_merged_function_words_get_their_own_spans(piper_engine: PiperEngine) -> None:
    """espeak reads "in the" and "of the" as one phoneme word; each text word still gets a span."""
    words = ["It", "is", "in", "the", "house", "of", "the", "people."]
    audio = piper_engine.synthesize(words, "joe")
    assert "ɪnðə" in audio.phonemes.replace("ˈ", "").replace("ˌ", "")
    spans = audio.word_spans
    for a, b in spans:
        assert b > a
    for (_, end), (start, _) in itertools.pairwise(spans):
        assert end <= start


def test_fixed_gain_not_per_sentence_normalization(piper_engine: PiperEngine) -> None:
    """piper's default rescales every sentence to peak 1.0; ours keeps the model's own dynamics."""
    peaks = [float(np.max(np.abs(piper_engine.synthesize(s.split(), "joe").samples)))
             for s in ("Yes.", "Glue the sheet to the dark blue background.", "Well, maybe later.")]  # fmt: skip
    assert all(0.2 < p < 0.999 for p in peaks), peaks
    assert max(peaks) - min(peaks) > 0.01


def test_thread_setting_reaches_the_session(engine_cache: Path) -> None:
    engine = PiperEngine(threads=2, cache_dir=engine_cache)
    engine.load("joe")
    assert engine._voice("joe").session.get_session_options().intra_op_num_threads == 2
    assert list((engine_cache / "piper").glob("joe-*.onnx"))  # the patched model is cached on disk


def test_a_voice_added_from_local_files(tmp_path: Path, engine_cache: Path) -> None:
    joe = bundled_voices()[0]
    folder = tmp_path / "piper"
    folder.mkdir()
    shutil.copyfile(joe.model, folder / "lessac.onnx")
    shutil.copyfile(joe.config, folder / "lessac.onnx.json")
    (folder / "orphan.onnx").write_bytes(b"no config beside me")
    added = voice_files_in(folder)
    assert [v.voice_id for v in added] == ["lessac"]
    engine = PiperEngine(voices=bundled_voices() + added, cache_dir=engine_cache)
    assert {v.voice_id for v in engine.voices()} == {"joe", "lessac"}
    audio = engine.synthesize(["Hello", "from", "an", "added", "voice."], "lessac")
    assert audio.samples.size > 10_000
