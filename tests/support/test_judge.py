"""Tests of the intelligibility judge: the WER arithmetic, and that Whisper tells speech from garbage."""

from __future__ import annotations

import numpy as np
import pytest
from hibari import SAMPLE_RATE, Hibari

from support.judge import (
    MAX_SENTENCE_WER,
    MIN_GARBAGE_WER,
    corpus_wer,
    edit_distance,
    normalize_words,
    transcribe,
    wer,
)
from support.sentences import ALL, HARVARD, PLAIN

SENTENCE = PLAIN[0]  # "Please close the window before you leave the house."


@pytest.mark.parametrize(
    ("reference", "hypothesis", "expected"),
    [
        ("the cat sat on the mat", "the cat sat on the mat", 0.0),
        ("The cat sat on the mat.", "the cat, sat on the mat", 0.0),  # case and punctuation are free
        ("the cat sat on the mat", "the cat sit on the mat", 1 / 6),  # substitution
        ("the cat sat on the mat", "the cat on the mat", 1 / 6),  # deletion
        ("the cat sat on the mat", "the black cat sat on the mat", 1 / 6),  # insertion
        ("the cat sat on the mat", "the mat sat on the cat", 2 / 6),  # two substitutions, not a swap
        ("the cat sat on the mat", "", 1.0),
        ("one two", "one two three four five", 1.5),  # insertions can push WER past 1
        ("a b c d", "b c d e", 0.5),  # delete a, insert e
    ],
)
def test_wer_exact_values(reference: str, hypothesis: str, expected: float) -> None:
    assert wer(reference, hypothesis) == pytest.approx(expected)


def test_wer_rejects_empty_reference() -> None:
    with pytest.raises(ValueError, match="no words"):
        wer(" ... ", "anything")


def test_edit_distance_is_word_levenshtein() -> None:
    assert edit_distance([], []) == 0
    assert edit_distance([], ["a", "b"]) == 2
    assert edit_distance(["a", "b"], []) == 2
    assert edit_distance(["kitten"], ["sitting"]) == 1  # words are atomic: no character credit
    assert edit_distance(list("kitten"), list("sitting")) == 3


def test_corpus_wer_pools_edits_over_words() -> None:
    pairs = [("a b c d e f g h", "a b c d e f g h"), ("x y", "")]
    assert corpus_wer(pairs) == pytest.approx(2 / 10)  # not the mean of 0 and 1
    with pytest.raises(ValueError, match="no words"):
        corpus_wer([])


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("Hello, World!", ["hello", "world"]),
        ("It\u2019s the man\u2019s fall.", ["it's", "the", "man's", "fall"]),
        ("It`s 'quoted' text", ["it's", "quoted", "text"]),
        ("A well-known up\u2013to\u2014date word", ["a", "well", "known", "up", "to", "date", "word"]),
        ("Smokey grey colour, okay?", ["smoky", "gray", "color", "ok"]),
        ("  \u201cWhat?\u201d  she said...  ", ["what", "she", "said"]),
        ("Caf\u00e9 na\u0308ive \uff21\uff22", ["cafe", "naive", "ab"]),  # accents and fullwidth fold
        ("", []),
        ("?!.,", []),
    ],
)
def test_normalize_words(text: str, words: list[str]) -> None:
    assert normalize_words(text) == words


def test_sentence_sets_are_judgeable() -> None:
    assert len(HARVARD) >= 10
    assert len(PLAIN) >= 10
    assert len(set(ALL)) == len(ALL)
    for sentence in ALL:
        assert not any(ch.isdigit() for ch in sentence), sentence
        assert len(normalize_words(sentence)) >= 5, sentence


def test_transcribe_rejects_stereo() -> None:
    with pytest.raises(ValueError, match="mono"):
        transcribe(np.zeros((2, 1600), np.float32), 16_000)


@pytest.fixture(scope="module")
def speech() -> np.ndarray:
    """One PLAIN sentence from hibari's default voice, 24 kHz, noise seeded for reproducibility."""
    audio = np.asarray(Hibari()(SENTENCE, seed=0), dtype=np.float32)
    assert audio.ndim == 1
    assert audio.size > SAMPLE_RATE  # more than a second of speech
    return audio


def test_judge_understands_synthesized_speech(speech: np.ndarray) -> None:
    hypothesis = transcribe(speech, SAMPLE_RATE)
    assert wer(SENTENCE, hypothesis) <= MAX_SENTENCE_WER, hypothesis


def test_judge_is_deterministic(speech: np.ndarray) -> None:
    assert transcribe(speech, SAMPLE_RATE) == transcribe(speech.copy(), SAMPLE_RATE)


def test_judge_rejects_time_reversed_speech(speech: np.ndarray) -> None:
    hypothesis = transcribe(np.ascontiguousarray(speech[::-1]), SAMPLE_RATE)
    assert wer(SENTENCE, hypothesis) >= MIN_GARBAGE_WER, hypothesis


def test_judge_hears_nothing_in_silence() -> None:
    assert normalize_words(transcribe(np.zeros(3 * SAMPLE_RATE, np.float32), SAMPLE_RATE)) == []
