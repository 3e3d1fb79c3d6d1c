"""The engine contract: one suite, every real engine passes it."""

from __future__ import annotations

import itertools
import threading
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

from voicewire.engines.base import Engine, Utterance
from voicewire.exceptions import UnknownVoice

SENTENCE = "The birch canoe slid on the smooth planks, and the crowd cheered loudly.".split()


@pytest.fixture(params=["hibari", "piper", "kokoro"])
def engine_and_voice(request: pytest.FixtureRequest) -> tuple[Engine, str]:
    if request.param == "hibari":
        return request.getfixturevalue("hibari_engine"), "heart"
    if request.param == "kokoro":
        return request.getfixturevalue("kokoro_engine"), "af_heart"
    return request.getfixturevalue("piper_engine"), "joe"


def rms_db(x: np.ndarray) -> float:
    return float(20 * np.log10(np.sqrt(np.mean(np.square(x, dtype=np.float64))) + 1e-12))


def test_voices_are_described(engine_and_voice: tuple[Engine, str]) -> None:
    engine, voice = engine_and_voice
    infos = {v.voice_id: v for v in engine.voices()}
    info = infos[voice]
    assert info.engine == engine.name and info.installed
    assert info.language.startswith("en") and info.sample_rate in (22050, 24000)
    if engine.name == "kokoro":  # one model for nine languages: every voice speaks them all, its own first
        assert info.languages[0] == "en-US" and len(set(info.languages)) == 9
    else:
        assert info.languages == (info.language,)


def test_synthesis_gives_audio_and_a_span_per_word(engine_and_voice: tuple[Engine, str]) -> None:
    engine, voice = engine_and_voice
    audio = engine.synthesize(voice, Utterance.of(SENTENCE))
    info = next(v for v in engine.voices() if v.voice_id == voice)
    assert audio.sample_rate == info.sample_rate
    assert audio.samples.dtype == np.float32 and audio.samples.ndim == 1
    seconds = len(audio.samples) / audio.sample_rate
    assert 2.5 < seconds < 8.0, seconds  # 13 words at a normal pace
    assert float(np.max(np.abs(audio.samples))) <= 1.0
    assert -30 < rms_db(audio.samples) < -12  # speech level, not silence, not clipping noise
    spans = audio.word_spans
    assert len(spans) == len(SENTENCE)
    for (a, b), (c, _) in itertools.pairwise(spans):
        assert a < b <= c, spans
    assert spans[-1][1] <= len(audio.samples)
    assert 0 < audio.lead <= spans[0][0] and audio.tail > 0


def test_blocks_make_the_audio_their_stream_announced(engine_and_voice: tuple[Engine, str]) -> None:
    engine, voice = engine_and_voice
    stream = engine.synthesize_blocks(voice, Utterance.of(SENTENCE))
    info = next(v for v in engine.voices() if v.voice_id == voice)
    assert stream.sample_rate == info.sample_rate and len(stream.word_spans) == len(SENTENCE)
    assert 0 < stream.lead <= stream.word_spans[0][0] and stream.word_spans[-1][1] <= stream.length
    blocks = [make() for make in stream.blocks]
    assert all(b.dtype == np.float32 and b.ndim == 1 for b in blocks)
    assert sum(len(b) for b in blocks) == stream.length
    assert 2.5 < stream.length / stream.sample_rate < 8.0
    assert engine.synthesize_blocks(voice, Utterance.of([])).collect().samples.size == 0


def test_blocks_are_independent_calls(engine_and_voice: tuple[Engine, str]) -> None:
    """A stream's blocks may be made at once, on several threads, in any order: the same samples."""
    engine, voice = engine_and_voice
    stream = engine.synthesize_blocks(voice, Utterance.of(SENTENCE))
    with ThreadPoolExecutor(max_workers=3) as pool:
        backwards = list(pool.map(lambda make: make(), reversed(stream.blocks)))[::-1]
    forwards = [make() for make in stream.blocks]
    assert len(backwards) == len(forwards)
    for a, b in zip(backwards, forwards, strict=True):
        assert a.shape == b.shape and np.max(np.abs(a - b), initial=0.0) < 1e-5


def test_speed_goes_through_the_model_durations(engine_and_voice: tuple[Engine, str]) -> None:
    engine, voice = engine_and_voice
    words = SENTENCE[:8]

    def speech_len(speed: float) -> int:
        spans = engine.synthesize(voice, Utterance.of(words, speed=speed)).word_spans
        return spans[-1][1] - spans[0][0]

    normal, slow, fast = speech_len(1.0), speech_len(0.5), speech_len(2.0)
    assert 1.6 < slow / normal < 2.4, (slow, normal)
    # Piper rounds each phoneme's frames up (ceil), so short phonemes cannot halve: ~0.62 measured
    assert 0.35 < fast / normal < 0.7, (fast, normal)


def test_nothing_speakable_gives_empty_audio(engine_and_voice: tuple[Engine, str]) -> None:
    engine, voice = engine_and_voice
    audio = engine.synthesize(voice, Utterance.of([]))
    assert audio.samples.size == 0 and audio.word_spans == ()


def test_unknown_voice(engine_and_voice: tuple[Engine, str]) -> None:
    engine, _ = engine_and_voice
    with pytest.raises(UnknownVoice):
        engine.synthesize("no-such-voice", Utterance.of(["Hi."]))


def test_safe_from_several_threads(engine_and_voice: tuple[Engine, str]) -> None:
    engine, voice = engine_and_voice
    texts = [SENTENCE[:n] for n in (3, 5, 7, 9, 4, 6)]
    expected = [len(t) for t in texts]
    barrier = threading.Barrier(3)

    def run(words: list[str]) -> int:
        if len(words) in (3, 5, 7):
            barrier.wait(timeout=30)
        result = engine.synthesize(voice, Utterance.of(words))
        assert result.samples.size > 0
        return len(result.word_spans)

    with ThreadPoolExecutor(max_workers=3) as pool:
        assert list(pool.map(run, texts)) == expected


def test_loading_is_lazy() -> None:
    from voicewire.engines.hibari import HibariEngine
    from voicewire.engines.kokoro import KokoroEngine
    from voicewire.engines.piper import PiperEngine

    for engine in (HibariEngine(), PiperEngine()):
        assert engine._loaded == {}  # constructing reads catalogs only
        assert engine.voices()
    kokoro = KokoroEngine()
    assert kokoro.voices() and kokoro._model is None and kokoro._styles == {}
