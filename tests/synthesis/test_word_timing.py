"""Word timestamps against independent references.

1. Exact: the sentence synthesized word by word, each word its own unit of one turn (as a client
   streaming word by word with timed flushes would get it). There every word's audio is known to the
   sample (its unit's piece of the stream), so every reported start and end must sit on its own
   audio: at the engine's own rate within 5 ms (the 3 ms pre-roll and fade), through trimming,
   pauses and unit offsets; at 16 kHz, through the resampler, starts within 10 ms and ends within
   20 ms. A word's end is its last sample above -50 dBFS at the engine's rate, and when that is a
   fricative's hiss above 8 kHz the 16 kHz resampler's anti-alias filter removes it by design: Piper's
   ends then measure up to 13 ms early (60 runs; Piper samples noise, so every run differs, and a
   10 ms bound failed once in CI at 10.1 ms). At the engine's rate the same runs stay within 3 ms.
2. Acoustic: every client word synthesized alone (its spoken words in one engine call: "$100" -> "one
   hundred dollars"), cut at its own speech (first to last sample above -50 dBFS, the renderer's own
   notion of speech), and the pieces joined with silences (10 ms, or 300 ms after a word that ends with
   punctuation). DTW on log-mel features (``support.dtw``) carries each boundary onto the sentence as
   voicewire renders it: text -> normalizer -> engine spans -> trimming -> ``TurnRenderer`` -> 16 kHz
   PCM, decoded by the tests' own decoder. Compared: every word start, and the end of every word a
   pause follows. The reference is trusted where its three DTW views agree within ``AGREEMENT``.

Measured (reported minus reference, |ms|; hibari 2 runs, Piper 6 runs; after the fixes this test
found: the space before a word leads into it, a word before a pause ends with its last audible
sample, a unit's first word starts at its onset):

- The reference itself places synthetic boundaries within one 10 ms frame, and its three views agree
  within 30 ms on ~97 % of real boundaries; at weak onsets (/h/, /th/) after another word it is off
  by tens of ms: the isolated reading starts the consonant fully, the sentence reading does not.
- hibari ``heart``: median 12, p90 28, p95 37, max 71 (one boundary: "has" after "meeting").
- Piper ``joe``: median 17, p90 37, p95 48, max 56-76 per run ("3rd" after "March").

So the acoustic check asserts what the reference can certify: median <= 25 ms, p95 <= 60 ms, no
boundary beyond 90 ms, and no systematic start offset beyond 30 ms. The exact check is the strict one.
"""

from __future__ import annotations

import dataclasses
import statistics
from dataclasses import dataclass

import numpy as np
import pytest
import soxr

from support.decode import decode
from support.dtw import Boundary, Placement, place, speech_extent, violations
from voicewire.engines.base import Engine, Utterance
from voicewire.synthesis.render import SPEECH_LEVEL, TurnRenderer, WordTiming
from voicewire.synthesis.units import PreparedUnit, prepare, prepare_all, split_text

RATE = 16_000
"""Rate of the rendered turn and of the reference (both engines are resampled to it)."""
TOLERANCE = 0.060
"""The acceptance bound: the 95th percentile of |error|, in seconds."""
MEDIAN_BOUND = 0.025
WORST_BOUND = 0.090
"""No boundary beyond this: twice the reference's own resolution at weak onsets."""
EXACT_BOUNDS = {"native": (0.005, 0.005), "16k": (0.010, 0.020)}
"""(start, end) bounds of the exact check by the rate it renders at; see the module docstring."""
LEVEL_16BIT = SPEECH_LEVEL * 32767
"""The renderer's speech level (-50 dBFS) in the steps of the 16-bit PCM it encodes to."""
MAX_BIAS = 0.030
"""Bound on the median signed error of word starts (systematic lateness or earliness). The reference
places synthetic boundaries without bias (within 5 ms); the rest is room for where a word "starts"
in an isolated reading versus in a sentence. Piper's median varies 13-22 ms from run to run."""
AGREEMENT = 0.030
"""A boundary counts when the reference's views place it within this of each other."""
MIN_COVERAGE = 0.8
SHORT_GAP = 0.01
PAUSE_GAP = 0.30
PAUSE_MARKS = ".,;:!?…"
SHIFT = 0.150
FRAME = 0.0101
"""One DTW frame (10 ms hop), and a hair for rounding."""

SENTENCES = (
    "Dr. Smith paid $100 for 2 tickets on March 3rd, 2024.",
    "The birch canoe slid on the smooth planks.",
    "The meeting has been moved to next week. Remember to water the plants, please.",  # two units
)
VOICES = {"hibari": ("hibari_engine", "heart"), "piper": ("piper_engine", "joe")}
ACOUSTIC_VOICES = {**VOICES, "piper": ("quiet_piper", "joe")}
"""The acoustic check's Piper renders without the model's noise: with it, every run draws other
durations, and a run's p95 landed at 60.2 ms against the 60 ms bound in CI (48 ms in the six runs
above). Without it the check measures one fixed rendering, the same on every run (median 18, p95 44,
max 53 ms)."""


@dataclass(frozen=True)
class Measured:
    text: str
    boundaries: tuple[Boundary, ...]

    @property
    def trusted(self) -> list[Boundary]:
        return [b for b in self.boundaries if b.spread <= AGREEMENT]


def _pauses_after(words: list[str]) -> bool:
    return words[-1].rstrip("\"')]}”’»")[-1:] in PAUSE_MARKS


def _reference(engine: Engine, voice: str, units: list[PreparedUnit]) -> tuple[np.ndarray, list[int], list[int]]:
    """Each client word alone, cut at its speech, joined by silences; start and end sample of each."""
    pieces = [np.zeros(round(SHORT_GAP * RATE), np.float32)]
    position = len(pieces[0])
    starts: list[int] = []
    ends: list[int] = []
    for unit in units:
        for j in range(len(unit.client_words)):
            words = [w.text for w in unit.spoken if w.source == j]
            assert words, f"{unit.client_words[j]!r} has no spoken form; pick sentences where every word is read"
            audio = engine.synthesize(voice, Utterance.of(words))
            x = np.asarray(soxr.resample(audio.samples, audio.sample_rate, RATE), np.float32)
            first, last = speech_extent(x)
            assert last > first, f"{words} synthesized alone is silent"
            pieces.append(x[first:last])
            starts.append(position)
            position += last - first
            ends.append(position)
            gap = np.zeros(round((PAUSE_GAP if _pauses_after(words) else SHORT_GAP) * RATE), np.float32)
            pieces.append(gap)
            position += len(gap)
    return np.concatenate(pieces), starts, ends


def measure(engine: Engine, voice: str, text: str) -> Measured:
    units = [prepare(t, w) for t, w in split_text(text)]
    renderer = TurnRenderer("pcm", RATE)
    payload = bytearray()
    timings: list[WordTiming] = []
    for unit in units:
        rendered = renderer.add(unit, engine.synthesize(voice, unit.utterance(1.0)))
        payload += rendered.audio
        timings.extend(rendered.words)
    payload += renderer.finish()
    sentence, declared = decode(bytes(payload), "pcm", RATE)
    assert declared == RATE
    reference, starts, ends = _reference(engine, voice, units)
    at_starts, at_ends = place(reference, sentence, RATE, starts, ends)
    spoken = [[w.text for w in u.spoken if w.source == j] for u in units for j in range(len(u.client_words))]
    assert [t.word for t in timings] == [w for u in units for w in u.client_words]
    boundaries: list[Boundary] = []
    for timing, words, start, end in zip(timings, spoken, at_starts, at_ends, strict=True):
        boundaries.append(_boundary(timing.word, "start", timing.start, start))
        if _pauses_after(words):
            boundaries.append(_boundary(timing.word, "end", timing.end, end))
    return Measured(text, tuple(boundaries))


def _boundary(word: str, kind: str, reported: float, placed: Placement) -> Boundary:
    return Boundary(word, kind, reported, placed.time, placed.spread)


def report(name: str, measured: list[Measured]) -> str:
    """The error distribution, for failure messages and the test report."""
    errors = np.array([b.error for m in measured for b in m.trusted]) * 1000
    trusted = sum(len(m.trusted) for m in measured)
    total = sum(len(m.boundaries) for m in measured)
    starts = [b.error * 1000 for m in measured for b in m.trusted if b.kind == "start"]
    ends = [b.error * 1000 for m in measured for b in m.trusted if b.kind == "end"]
    lines = [
        f"{name}: {trusted}/{total} boundaries placed by the reference; reported - reference, ms: "
        f"median {np.median(errors):+.0f}, median |e| {np.median(np.abs(errors)):.0f}, "
        f"p95 |e| {np.percentile(np.abs(errors), 95):.0f}, max |e| {np.max(np.abs(errors)):.0f}; "
        f"starts median {np.median(starts):+.0f}, pre-pause ends {' '.join(f'{e:+.0f}' for e in ends)}"
    ]
    for m in measured:
        worst = sorted(m.trusted, key=lambda b: -abs(b.error))[:4]
        lines.append(f"  {m.text!r}: worst " + ", ".join(f"{b.word} {b.kind} {b.error * 1000:+.0f}" for b in worst))
    return "\n".join(lines)


@pytest.fixture(scope="module", params=sorted(ACOUSTIC_VOICES))
def measured(request: pytest.FixtureRequest) -> tuple[str, list[Measured]]:
    """Per engine: every sentence rendered, placed by the reference and compared (~1 s hibari, ~3 s Piper)."""
    fixture, voice = ACOUSTIC_VOICES[request.param]
    engine: Engine = request.getfixturevalue(fixture)
    return request.param, [measure(engine, voice, text) for text in SENTENCES]


# -- the reference itself ------------------------------------------------------------------------


def _phone(kind: str, f: float, seconds: float, rng: np.random.Generator) -> np.ndarray:
    """A stationary speech-like sound: a buzz at ``f`` Hz with decaying harmonics, or a noise band."""
    t = np.arange(round(seconds * RATE)) / RATE
    if kind == "voiced":
        x = sum((0.6**k) * np.sin(2 * np.pi * f * k * t) for k in range(1, 12) if f * k < RATE / 2)
    else:
        spectrum = np.fft.rfft(rng.standard_normal(len(t)))
        freqs = np.fft.rfftfreq(len(t), 1 / RATE)
        x = np.fft.irfft(spectrum * ((freqs > f) & (freqs < f * 1.6)), len(t))
    y = np.asarray(x, np.float64)
    return np.asarray(0.2 * y / (np.max(np.abs(y)) + 1e-12), np.float32)


def test_reference_recovers_known_boundaries() -> None:
    """Words of synthetic phones, re-timed (each phone 0.6-1.6x) and with pauses in the query: every
    boundary is placed within 10 ms, and the views agree."""
    rng = np.random.default_rng(7)
    words = [
        [("voiced", 110, 0.12), ("noise", 3000, 0.08), ("voiced", 180, 0.15)],
        [("noise", 1500, 0.10), ("voiced", 140, 0.20)],
        [("voiced", 220, 0.10), ("voiced", 95, 0.10), ("noise", 5000, 0.06)],
        [("noise", 800, 0.07), ("voiced", 160, 0.25)],
    ]
    stretch = [[0.7, 1.4, 0.8], [1.5, 0.6], [1.2, 0.9, 1.6], [0.8, 1.3]]
    query_gap = [0.0, 0.25, 0.0, 0.0]  # a pause after the second word only, as after a comma
    reference_gap = [SHORT_GAP, PAUSE_GAP, SHORT_GAP, SHORT_GAP]

    def build(scales: list[list[float]] | None, gaps: list[float]) -> tuple[np.ndarray, list[int], list[int]]:
        parts, starts, ends, position = [np.zeros(480, np.float32)], [], [], 480
        for w, (phones, gap) in enumerate(zip(words, gaps, strict=True)):
            starts.append(position)
            for p, (kind, f, seconds) in enumerate(phones):
                parts.append(_phone(kind, f, seconds * (scales[w][p] if scales else 1.0), rng))
                position += len(parts[-1])
            ends.append(position)
            parts.append(np.zeros(round(gap * RATE), np.float32))
            position += len(parts[-1])
        return np.concatenate(parts), starts, ends

    reference, ref_starts, ref_ends = build(None, reference_gap)
    query, true_starts, true_ends = build(stretch, query_gap)
    at_starts, at_ends = place(reference, query, RATE, ref_starts, ref_ends)
    for placed, truth in zip([*at_starts, *at_ends], [*true_starts, *true_ends], strict=True):
        assert abs(placed.time - truth / RATE) <= FRAME
        assert placed.spread <= FRAME


# -- the checker can fail ------------------------------------------------------------------------


def test_checker_flags_timestamps_shifted_by_150_ms(measured: tuple[str, list[Measured]]) -> None:
    _, results = measured
    for m in results:
        within = [b for b in m.trusted if abs(b.error) <= TOLERANCE]
        assert within, f"{m.text!r}: no boundary within tolerance to shift"
        for shift in (SHIFT, -SHIFT):
            moved = [dataclasses.replace(b, reported=b.reported + shift) for b in within]
            assert violations(moved, TOLERANCE) == moved  # every one of them is now flagged


def test_checker_flags_swapped_words(measured: tuple[str, list[Measured]]) -> None:
    _, results = measured
    for m in results:
        starts = [b for b in m.trusted if b.kind == "start"]
        first, last = starts[0], starts[-1]
        swapped = [
            dataclasses.replace(first, reported=last.reported),
            dataclasses.replace(last, reported=first.reported),
        ]
        assert violations(swapped, TOLERANCE) == swapped


# -- the acceptance criterion --------------------------------------------------------------------


def test_the_reference_places_most_boundaries(measured: tuple[str, list[Measured]]) -> None:
    name, results = measured
    trusted = sum(len(m.trusted) for m in results)
    total = sum(len(m.boundaries) for m in results)
    assert trusted >= MIN_COVERAGE * total, report(name, results)


def test_boundaries_agree_with_the_acoustic_reference(measured: tuple[str, list[Measured]]) -> None:
    name, results = measured
    errors = np.abs([b.error for m in results for b in m.trusted])
    outliers = [(m.text, b) for m in results for b in violations(m.trusted, WORST_BOUND)]
    detail = report(name, results) + "".join(
        f"\n  {text!r}: {b.word} {b.kind} reported {b.reported:.3f} s, reference {b.reference:.3f} s "
        f"({b.error * 1000:+.0f} ms)"
        for text, b in outliers
    )
    assert np.median(errors) <= MEDIAN_BOUND, detail
    assert np.percentile(errors, 95) <= TOLERANCE, detail
    assert not outliers, detail


@pytest.mark.parametrize("rate_name", sorted(EXACT_BOUNDS))
@pytest.mark.parametrize("engine_name", sorted(VOICES))
def test_word_by_word_each_word_sits_on_its_own_audio(
    request: pytest.FixtureRequest, engine_name: str, rate_name: str
) -> None:
    fixture, voice = VOICES[engine_name]
    engine: Engine = request.getfixturevalue(fixture)
    start_bound, end_bound = EXACT_BOUNDS[rate_name]
    text = "Dr. Smith paid $100 on March 3rd, 2024. Then he left."
    units = list(prepare_all(text.split()))  # one unit per word, as a word-by-word stream may give
    audios = [engine.synthesize(voice, unit.utterance(1.0)) for unit in units]
    rate = audios[0].sample_rate if rate_name == "native" else RATE
    renderer = TurnRenderer("pcm", rate)
    pieces, words = [], []
    for unit, audio in zip(units, audios, strict=True):
        rendered = renderer.add(unit, audio)
        pieces.append(rendered.audio)
        words += rendered.words
    pieces[-1] += renderer.finish()
    bounds = np.cumsum([0] + [len(p) // 2 for p in pieces]) / rate
    samples, _ = decode(b"".join(pieces), "pcm", rate)
    assert [w.word for w in words] == text.split()
    for i, word in enumerate(words):
        piece = np.abs(np.rint(samples[round(bounds[i] * rate) : round(bounds[i + 1] * rate)] * 32768))
        # The renderer finds speech in float samples; the PCM we decode is rounded to 16 bits, where a
        # sample just under the level can come out one step above it (103.6 -> 104: a Piper run put
        # such a sample in the silence after "left." and its measured end 15 ms late). So a sample
        # one rounding step either side of the level may count either way.
        may_be_loud = np.flatnonzero(piece > LEVEL_16BIT - 0.5)
        is_loud = np.flatnonzero(piece > LEVEL_16BIT + 0.5)
        onsets = bounds[i] + may_be_loud[0] / rate, bounds[i] + is_loud[0] / rate
        offsets = bounds[i] + (is_loud[-1] + 1) / rate, bounds[i] + (may_be_loud[-1] + 1) / rate
        assert onsets[0] - start_bound <= word.start <= onsets[1] + start_bound, (word, onsets)
        assert offsets[0] - end_bound <= word.end <= offsets[1] + end_bound, (word, offsets)


def test_no_systematic_offset_at_word_starts(measured: tuple[str, list[Measured]]) -> None:
    name, results = measured
    starts = [b.error for m in results for b in m.trusted if b.kind == "start"]
    assert abs(statistics.median(starts)) <= MAX_BIAS, report(name, results)
