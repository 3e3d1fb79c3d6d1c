from __future__ import annotations

import itertools
import shutil
import threading
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from voicewire.engines import piper_graph
from voicewire.engines.base import Utterance
from voicewire.engines.phoneme_align import assign_owners
from voicewire.engines.piper import GAIN, PiperEngine, PiperVoiceFiles, _ids, bundled_voices, voice_files_in
from voicewire.exceptions import UnknownVoice

LONG = "The birch canoe slid on the smooth planks, and the crowd on the shore cheered loudly for a while.".split()


def model_inputs(
    engine: PiperEngine, words: list[str], noise: float = 0.667, noise_w: float = 0.8
) -> dict[str, np.ndarray]:
    loaded = engine._voice("joe")
    phonemes, alone = engine._phonemize(loaded, words)
    ids, _, _ = _ids(phonemes, assign_owners(phonemes, alone), loaded.id_map)
    return {"input": np.asarray([ids], np.int64), "input_lengths": np.asarray([len(ids)], np.int64),
            "scales": np.asarray([noise, 1.0, noise_w], np.float32)}  # fmt: skip


def test_durations_sum_to_the_audio(piper_engine: PiperEngine) -> None:
    loaded = piper_engine._voice("joe")
    latent, frames = loaded.front.run(None, model_inputs(piper_engine, "Most of the time, it is in the house.".split()))
    assert int(np.asarray(frames).sum()) == latent.shape[2]
    assert loaded.decoder is not None
    audio = loaded.decoder.run(None, {loaded.decoder.inputs[0]: latent})[0]
    assert latent.shape[2] * 256 == np.asarray(audio).reshape(-1).size


def test_the_cut_graph_makes_the_samples_of_the_whole_graph(piper_engine: PiperEngine, quiet_piper: PiperEngine,
                                                            tmp_path: Path) -> None:  # fmt: skip
    import onnx
    import onnxruntime as ort
    from piper.patch_voice_with_alignment import add_alignment_output

    model = onnx.load(str(bundled_voices()[0].model))
    add_alignment_output(model)
    onnx.save(model, str(tmp_path / "whole.onnx"))
    whole = ort.InferenceSession(str(tmp_path / "whole.onnx"), providers=["CPUExecutionProvider"])
    audio = np.asarray(whole.run(None, model_inputs(piper_engine, LONG, noise=0.0, noise_w=0.0))[0]).reshape(-1)
    ours = quiet_piper.synthesize("joe", Utterance.of(LONG)).samples
    assert ours.shape == audio.shape
    assert np.max(np.abs(ours - np.clip(audio * GAIN, -1, 1))) < 1e-5


@pytest.mark.parametrize("batch", [False, True], ids=["stream", "batch"])
@pytest.mark.parametrize("words", [LONG, LONG[:4], ["Yes."]], ids=["three-windows", "two-windows", "one-window"])
def test_windowed_decoding_equals_whole_decoding(quiet_piper: PiperEngine, words: list[str], batch: bool) -> None:
    whole = quiet_piper.synthesize("joe", Utterance.of(words))
    stream = quiet_piper.synthesize_blocks("joe", Utterance.of(words), batch=batch)
    assert (stream.word_spans, stream.lead, stream.tail) == (whole.word_spans, whole.lead, whole.tail)
    blocks = [make() for make in stream.blocks]
    frames = stream.length // 256
    if batch:  # a first window just past the onset, then as few as the largest windows allow
        first = max(piper_graph.BATCH_FIRST_FRAMES, stream.lead // 256 + piper_graph.ONSET_FRAMES)
        plan = piper_graph.windows(frames, first=first, rest=piper_graph.MAX_FRAMES)
        assert len(blocks) <= 1 + -(-(frames - first) // piper_graph.MAX_FRAMES)
        assert np.max(np.abs(blocks[0])) > 10 ** (-40 / 20)  # the first block holds audible speech
    else:
        plan = piper_graph.windows(frames)
    assert [len(b) for b in blocks] == [(w.end - w.start) * 256 for w in plan]
    if frames > piper_graph.FIRST_FRAMES + piper_graph.CONTEXT * 2 and not batch:
        assert len(blocks[0]) == piper_graph.FIRST_FRAMES * 256  # about 0.37 s: out before the rest is decoded
    joined = np.concatenate(blocks)
    assert joined.shape == whole.samples.shape == (stream.length,)
    assert np.max(np.abs(joined - whole.samples)) < 1e-5


def test_a_voice_whose_windows_do_not_match_is_decoded_whole(engine_cache: Path,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    monkeypatch.setattr(piper_graph, "CONTEXT", 2)  # far less than the decoder's reach: windows would click
    engine = PiperEngine(cache_dir=engine_cache)
    engine.load("joe")
    assert not engine._voice("joe").windowed
    stream = engine.synthesize_blocks("joe", Utterance.of(LONG))
    assert [len(make()) for make in stream.blocks] == [stream.length]


def test_merged_function_words_get_their_own_spans(piper_engine: PiperEngine) -> None:
    """espeak reads "in the" and "of the" as one phoneme word; each text word still gets a span."""
    words = ["It", "is", "in", "the", "house", "of", "the", "people."]
    audio = piper_engine.synthesize("joe", Utterance.of(words))
    assert "ɪnðə" in audio.phonemes.replace("ˈ", "").replace("ˌ", "")
    spans = audio.word_spans
    for a, b in spans:
        assert b > a
    for (_, end), (start, _) in itertools.pairwise(spans):
        assert end <= start


def test_fixed_gain_not_per_sentence_normalization(piper_engine: PiperEngine) -> None:
    """piper's default rescales every sentence to peak 1.0; ours keeps the model's own dynamics."""
    peaks = [float(np.max(np.abs(piper_engine.synthesize("joe", Utterance.of(s.split())).samples)))
             for s in ("Yes.", "Glue the sheet to the dark blue background.", "Well, maybe later.")]  # fmt: skip
    assert all(0.2 < p < 0.999 for p in peaks), peaks
    assert max(peaks) - min(peaks) > 0.01


def test_thread_setting_reaches_the_sessions(engine_cache: Path) -> None:
    engine = PiperEngine(threads=2, cache_dir=engine_cache)
    engine.load("joe")
    loaded = engine._voice("joe")
    assert loaded.decoder is not None and loaded.windowed
    for session in (*loaded.front.sessions, *loaded.decoder.sessions):
        options = session.get_session_options()
        assert options.intra_op_num_threads == 2
        assert options.get_session_config_entry("session.intra_op.allow_spinning") == "0"
    cached = sorted(p.name.split(".", 1)[1] for p in (engine_cache / "piper").glob("joe-*.onnx"))
    assert cached == ["decoder.onnx", "front.onnx"]  # the cut graphs are cached on disk


def widened(engine: PiperEngine, voice_id: str) -> Any:
    """The loaded voice once the thread that opens its sessions for lone calls (beside its load, not
    before) has ended."""
    for thread in threading.enumerate():
        if thread.name == f"voicewire-piper-widen-{voice_id}":
            thread.join(60)
    return engine._voice(voice_id)


def test_a_call_alone_runs_on_the_wide_sessions_and_makes_the_same_audio(engine_cache: Path) -> None:
    from voicewire.engines.onnx import with_all_cores

    engine = PiperEngine(threads=1, lone_threads=2, cache_dir=engine_cache, noise=False)
    engine.load("joe")
    loaded = widened(engine, "joe")
    assert loaded.wide is not None
    for graph in loaded.wide:
        assert all(s.get_session_options().intra_op_num_threads == 2 for s in graph.sessions)
    assert loaded.front_session() is loaded.front  # not alone: one thread
    with with_all_cores(True):
        assert loaded.front_session() is loaded.wide[0] and loaded.decoder_session() is loaded.wide[1]
        wide = engine.synthesize("joe", Utterance.of(LONG)).samples
    narrow = engine.synthesize("joe", Utterance.of(LONG)).samples
    assert wide.shape == narrow.shape and np.max(np.abs(wide - narrow)) < 1e-4
    assert PiperEngine(threads=2, lone_threads=2, cache_dir=engine_cache)._voice("joe").wide is None


def test_a_voice_first_loaded_by_a_request_builds_no_sessions_for_lone_calls(engine_cache: Path) -> None:
    """Only preloaded voices (``load``) build the sessions for lone calls: building one takes seconds of
    a core that the voice's first request needs."""
    engine = PiperEngine(threads=1, lone_threads=2, cache_dir=engine_cache)
    engine.synthesize("joe", Utterance.of(["Hello", "there."]))
    assert not any(t.name.startswith("voicewire-piper-widen") for t in threading.enumerate())
    assert engine._voice("joe").wide is None


def other_voice(folder: Path) -> PiperVoiceFiles:
    """joe's model with other weights (one attention layer's values scaled): the same graph structure."""
    import onnx
    from onnx import numpy_helper

    joe = bundled_voices()[0]
    model = onnx.load(str(joe.model))
    (tensor,) = [t for t in model.graph.initializer if t.name == "enc_p.encoder.attn_layers.0.conv_v.weight"]
    tensor.CopyFrom(numpy_helper.from_array(numpy_helper.to_array(tensor) * 1.3, tensor.name))
    folder.mkdir()
    onnx.save(model, str(folder / "other.onnx"))
    shutil.copyfile(joe.config, folder / "other.onnx.json")
    return PiperVoiceFiles("other", folder / "other.onnx", folder / "other.onnx.json")


def test_a_voice_of_a_structure_already_open_shares_its_sessions_and_speaks_with_its_own_weights(
    tmp_path: Path, engine_cache: Path
) -> None:
    other = other_voice(tmp_path / "voices")
    engine = PiperEngine(voices=[*bundled_voices(), other], threads=1, lone_threads=2, cache_dir=engine_cache,
                         noise=False)  # fmt: skip
    engine.load("joe")
    joe = widened(engine, "joe")
    loaded = engine._voice("other")  # by a request: nothing to build, so its lone-call sessions come at once
    assert loaded.wide is not None and joe.wide is not None
    assert loaded.front.sessions is joe.front.sessions and loaded.wide[0].sessions is joe.wide[0].sessions
    assert loaded.front.weights is not joe.front.weights
    ours = engine.synthesize("other", Utterance.of(LONG)).samples
    alone = PiperEngine(voices=[other], cache_dir=engine_cache, noise=False).synthesize("other", Utterance.of(LONG))
    assert ours.shape == alone.samples.shape and np.max(np.abs(ours - alone.samples)) < 1e-5
    said_by_joe = engine.synthesize("joe", Utterance.of(LONG)).samples
    assert ours.shape != said_by_joe.shape or np.max(np.abs(ours - said_by_joe)) > 0.1


def test_without_a_cache_the_graphs_are_built_in_memory() -> None:
    engine = PiperEngine()
    graphs = engine._graphs(bundled_voices()[0])
    assert len(graphs) == 2 and all(isinstance(g, bytes) for g in graphs)


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
    audio = engine.synthesize("lessac", Utterance.of(["Hello", "from", "an", "added", "voice."]))
    assert audio.samples.size > 10_000


def test_a_graph_that_cannot_be_cut_runs_whole(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(piper_graph, "split", lambda model: None)  # as for a voice without a /dec/ scope
    engine = PiperEngine(cache_dir=tmp_path)
    engine.load("joe")
    loaded = engine._voice("joe")
    assert loaded.decoder is None and not loaded.windowed
    assert [p.name.split(".", 1)[1] for p in (tmp_path / "piper").glob("joe-*.onnx")] == ["whole.onnx"]
    audio = engine.synthesize("joe", Utterance.of(LONG))
    assert len(audio.word_spans) == len(LONG) and audio.samples.size > 3 * 22050
    stream = engine.synthesize_blocks("joe", Utterance.of(LONG[:5]))
    assert [len(make()) for make in stream.blocks] == [stream.length]
    engine.close()


# -- the voices folder while the engine runs -------------------------------------------------------------


def test_rescan_sees_voices_installed_and_removed(tmp_path: Path, piper_engine: PiperEngine) -> None:
    """No load here: a voice that was speaking is stood in for by joe's loaded model."""
    from voicewire.engines.budget import VoiceBudget

    joe = bundled_voices()[0]
    folder = tmp_path / "piper"
    folder.mkdir()
    clock = [0.0]
    budget = VoiceBudget(None, retired_seconds=60, clock=lambda: clock[0])
    engine = PiperEngine(voices_dir=folder, budget=budget)
    assert [v.voice_id for v in engine.voices()] == ["joe"]
    shutil.copyfile(joe.config, folder / "lessac.onnx.json")
    (folder / ".amy.onnx.part").write_bytes(b"a download in progress")
    engine.rescan()
    assert [v.voice_id for v in engine.voices()] == ["joe"]  # a config without its model is no voice yet
    shutil.copyfile(joe.model, folder / "lessac.onnx")
    engine.rescan()
    assert [v.voice_id for v in engine.voices()] == ["joe", "lessac"]
    engine._loaded["lessac"] = piper_engine._voice("joe")  # as if a turn had loaded it
    engine._loaded_from["lessac"] = ((folder / "lessac.onnx").stat().st_size,
                                     (folder / "lessac.onnx").stat().st_mtime_ns)  # fmt: skip
    budget.used(engine, "lessac")
    (folder / "lessac.onnx").unlink()
    engine.rescan()
    assert [v.voice_id for v in engine.voices()] == ["joe"]
    assert engine.synthesize("lessac", Utterance.of(["Still", "speaking."])).samples.size > 0
    clock[0] += 61
    assert budget.trim() == ["piper:lessac"]
    with pytest.raises(UnknownVoice):
        engine.synthesize("lessac", Utterance.of(["Gone."]))


def test_a_replaced_model_is_loaded_again(tmp_path: Path, piper_engine: PiperEngine) -> None:
    joe = bundled_voices()[0]
    folder = tmp_path / "piper"
    folder.mkdir()
    shutil.copyfile(joe.config, folder / "lessac.onnx.json")
    shutil.copyfile(joe.model, folder / "lessac.onnx")
    engine = PiperEngine(voices_dir=folder)
    engine._loaded["lessac"] = piper_engine._voice("joe")
    engine._loaded_from["lessac"] = (1, 1)  # not the file there now
    engine.rescan()
    assert "lessac" not in engine._loaded  # the next use loads the new file
    assert [v.voice_id for v in engine.voices()] == ["joe", "lessac"]


def test_an_unreadable_config_hides_the_voice(tmp_path: Path) -> None:
    folder = tmp_path / "piper"
    folder.mkdir()
    (folder / "odd.onnx").write_bytes(b"x")
    (folder / "odd.onnx.json").write_text("{half a config", encoding="utf-8")
    assert [v.voice_id for v in PiperEngine(voices_dir=folder).voices()] == ["joe"]


def test_a_word_with_ipa_is_said_in_those_phonemes(piper_engine: PiperEngine) -> None:
    words = ("Please", "pass", "the", "Qzvkt,", "Sam", "and", "Jo.")
    ipa = (None, None, None, "ˈmɑːɹməleɪd", None, None, "dʒoʊ")
    said = piper_engine.synthesize("joe", Utterance(words=words, phonemes=ipa))
    assert said.phonemes.startswith("plˈiːz pˈæs ðə mˈɑːɹməleɪd, sˈæm ")
    assert said.phonemes.endswith("dʒoʊ.")
    assert len(said.word_spans) == len(words) and all(b > a for a, b in said.word_spans)
    for (_, end), (start, _) in itertools.pairwise(said.word_spans):
        assert end <= start
