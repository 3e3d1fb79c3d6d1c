"""Kokoro's word timestamps, in Japanese and English, against word-by-word synthesis.

The same two checks as ``test_word_timing.py`` (read its docstring for the method), on fewer words
(Kokoro is slow here):

1. Exact: each client word its own unit of one turn; every reported start and end sits on that
   word's own audio within 5 ms at 24 kHz.
2. Acoustic (Japanese): the sentence as voicewire renders it, against each client word synthesized alone and
   joined with silences, carried over by DTW (``support.dtw``). A Japanese word here is what
   ``voicewire.text.words`` cuts (``今日は|東京|タワーに|行きました。``); the Japanese front end's
   morphemes are gathered per such word, and one that spans two (MeCab's ``東京タワー``) is cut
   where its reading can be.
"""

from __future__ import annotations

import numpy as np
import pytest
import soxr

from support.decode import decode
from support.dtw import Boundary, place, speech_extent
from voicewire.engines.base import Utterance
from voicewire.engines.kokoro import KokoroEngine
from voicewire.synthesis.render import TurnRenderer, WordTiming
from voicewire.synthesis.units import prepare, prepare_all, split_text
from voicewire.text.words import client_words

RATE = 16_000
MEDIAN_BOUND = 0.035
P95_BOUND = 0.080
SENTENCES = {"ja": ("jf_alpha", "ja-JP", "今日は東京タワーに行きました。")}


WORD_BY_WORD = {
    "en": ("af_heart", "en-US", "Dr. Smith paid $100 today."),
    "ja": ("jf_alpha", "ja-JP", "今日は公園を散歩しました。"),  # each word has kana: cut alike alone or not
}


@pytest.mark.parametrize("lang", sorted(WORD_BY_WORD))
def test_word_by_word_each_word_sits_on_its_own_audio(kokoro_engine: KokoroEngine, lang: str) -> None:
    voice, language, text = WORD_BY_WORD[lang]
    pieces_text = client_words(text)
    units = list(prepare_all(pieces_text, language=language))  # one unit per word
    audios = [kokoro_engine.synthesize(voice, unit.utterance(1.0)) for unit in units]
    rate = audios[0].sample_rate
    renderer = TurnRenderer("pcm", rate)
    pieces, words = [], []
    for unit, audio in zip(units, audios, strict=True):
        rendered = renderer.add(unit, audio)
        pieces.append(rendered.audio)
        words += rendered.words
    pieces[-1] += renderer.finish()
    bounds = np.cumsum([0] + [len(p) // 2 for p in pieces]) / rate
    samples, _ = decode(b"".join(pieces), "pcm", rate)
    assert [w.word for w in words] == pieces_text
    for i, word in enumerate(words):
        piece = samples[round(bounds[i] * rate) : round(bounds[i + 1] * rate)]
        loud = np.flatnonzero(np.abs(piece) > 10 ** (-50 / 20))
        onset, offset = bounds[i] + loud[0] / rate, bounds[i] + (loud[-1] + 1) / rate
        assert abs(word.start - onset) <= 0.005, (word, onset)
        assert abs(word.end - offset) <= 0.005, (word, offset)


def test_boundaries_agree_with_each_word_read_alone(kokoro_engine: KokoroEngine) -> None:
    """Japanese only (English spans come from the same code; Kokoro is slow here): the words as
    voicewire cuts them, one of them inside a MeCab morpheme."""
    voice, language, text = SENTENCES["ja"]
    units = [prepare(t, w, language=language) for t, w in split_text(text)]
    renderer = TurnRenderer("pcm", RATE)
    payload = bytearray()
    timings: list[WordTiming] = []
    for unit in units:
        rendered = renderer.add(unit, kokoro_engine.synthesize(voice, unit.utterance(1.0)))
        payload += rendered.audio
        timings.extend(rendered.words)
    payload += renderer.finish()
    sentence, _ = decode(bytes(payload), "pcm", RATE)
    pieces, starts, ends, position = [np.zeros(160, np.float32)], [], [], 160
    for unit in units:
        for j in range(len(unit.client_words)):
            words = tuple(w.text for w in unit.spoken if w.source == j)
            alone = kokoro_engine.synthesize(voice, Utterance(words=words, language=language))
            x = np.asarray(soxr.resample(alone.samples, alone.sample_rate, RATE), np.float32)
            first, last = speech_extent(x)
            pieces.append(x[first:last])
            starts.append(position)
            position += last - first
            ends.append(position)
            gap = np.zeros(round((0.3 if words[-1][-1:] in ".,!?" else 0.01) * RATE), np.float32)
            pieces.append(gap)
            position += len(gap)
    at_starts, _ = place(np.concatenate(pieces), sentence, RATE, starts, ends)
    boundaries = [
        Boundary(t.word, "start", t.start, p.time, p.spread) for t, p in zip(timings, at_starts, strict=True)
    ]
    trusted = [b for b in boundaries if b.spread <= 0.030] or boundaries
    errors = np.abs([b.error for b in trusted])
    detail = [(b.word, round(b.error * 1000)) for b in boundaries]
    assert np.median(errors) <= MEDIAN_BOUND, detail
    assert np.percentile(errors, 95) <= P95_BOUND, detail
