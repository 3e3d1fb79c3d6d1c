"""Reference word boundaries by dynamic time warping: log-mel features, DTW, boundary mapping.

Test support, independent of voicewire's timing code. A *reference* signal whose word boundaries are
known exactly (each word synthesized alone, cut at its own speech, the pieces joined by silences) is
aligned frame by frame with the *query* (the same words synthesized in one call); every reference
boundary is carried along the warping path onto the query's timeline.

- Features: log-mel power spectra, 25 ms Hann window, 10 ms hop, 40 bands from 50 Hz to Nyquist, in
  dB floored at ``FLOOR_DB`` (silence is one flat vector however quiet it is), compared by Euclidean
  distance. Frame ``t`` is centred on sample ``t * hop``, so sample ``s`` sits at frame ``s / hop``.
- DTW: symmetric steps (diagonal weighted 2, horizontal and vertical 1), both ends anchored, plus a
  fixed ``penalty`` on every horizontal or vertical step. No hard slope constraint: a sentence pause
  (up to ~0.5 s of silence) must be free to absorb a reference gap of another length, and a function
  word read alone ("the": 200 ms) legitimately shrinks 4:1 in a sentence. The penalty does the work of
  a soft one: it keeps the path diagonal unless warping pays for itself, which stops the degenerate
  paths seen without it (an isolated "the" swallowed by the fricative tail of "fifth").
- Views: one alignment can still go wrong where isolated and connected speech differ most (reduced
  function words, glides). So every boundary is placed by three alignments that weigh the evidence
  differently (plain log-mel; log-mel with its time derivative, which stresses transitions; log-mel
  with its speech-frame mean removed, which ignores level differences between the two signals). The
  placement is their median, and their spread says how far the reference can be trusted there.
- Mapping: a word's start goes to the first query frame matched with the word's first reference
  frame, its end to the last query frame matched with its last reference frame, each carrying the
  sub-frame offset of the reference boundary along.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

__all__ = [
    "VIEWS",
    "Boundary",
    "Placement",
    "dtw_path",
    "features",
    "log_mel",
    "map_end",
    "map_start",
    "place",
    "speech_extent",
    "violations",
]

Signal = npt.NDArray[np.float32]
Matrix = npt.NDArray[np.float64]
Path = npt.NDArray[np.int64]

WINDOW_S = 0.025
HOP_S = 0.010
N_MELS = 40
FMIN = 50.0
FLOOR_DB = -80.0
"""Band level (dB re full-scale white noise) below which every frame looks like silence."""
SPEECH_DB = -70.0
"""A frame whose loudest band is above this is speech, for the mean of the ``"normalized"`` view."""

VIEWS: dict[str, float] = {"log-mel": 80.0, "log-mel+delta": 40.0, "normalized": 80.0}
"""Feature view -> step penalty (in units of frame distance, dB). A typical distance between two
speech frames of different phonemes is 50-150."""


def hop_samples(rate: int) -> int:
    return round(HOP_S * rate)


def _hz_to_mel(f: npt.ArrayLike) -> Matrix:
    return np.asarray(2595.0 * np.log10(1.0 + np.asarray(f, np.float64) / 700.0))


def _mel_to_hz(m: npt.ArrayLike) -> Matrix:
    return np.asarray(700.0 * (10.0 ** (np.asarray(m, np.float64) / 2595.0) - 1.0))


def mel_filterbank(rate: int, n_fft: int, n_mels: int = N_MELS, fmin: float = FMIN) -> Matrix:
    """Triangular HTK-mel filters, shape ``(n_mels, n_fft // 2 + 1)``, each row summing to 1.

    A row sums to 1 so a band holds the mean power per FFT bin under it: white noise of variance
    ``v`` reads about ``v`` in every band, whatever the rate or FFT size.
    """
    edges = _mel_to_hz(np.linspace(_hz_to_mel(fmin), _hz_to_mel(rate / 2), n_mels + 2))
    bins = np.fft.rfftfreq(n_fft, 1.0 / rate)
    lo, mid, hi = edges[:-2, None], edges[1:-1, None], edges[2:, None]
    tri = np.maximum(0.0, np.minimum((bins - lo) / (mid - lo), (hi - bins) / (hi - mid)))
    sums = tri.sum(axis=1, keepdims=True)
    return np.asarray(tri / np.where(sums > 0, sums, 1.0))


def log_mel(x: Signal, rate: int) -> Matrix:
    """Log-mel spectrogram in dB, shape ``(frames, N_MELS)``; frame ``t`` is centred on ``t * hop``."""
    win = round(WINDOW_S * rate)
    hop = hop_samples(rate)
    n_fft = 1 << (win - 1).bit_length()
    n_frames = 1 + (len(x) + hop - 1) // hop
    padded = np.pad(np.asarray(x, np.float64), (win // 2, win + hop))
    frames = np.lib.stride_tricks.sliding_window_view(padded, win)[::hop][:n_frames]
    window = np.hanning(win)
    # 2|X|^2 / sum(w^2): power per one-sided bin, so full-scale white noise reads about 0 dB.
    power = 2.0 * np.abs(np.fft.rfft(frames * window, n_fft)) ** 2 / np.sum(window**2)
    bands = power @ mel_filterbank(rate, n_fft).T
    return np.asarray(10.0 * np.log10(np.maximum(bands, 10.0 ** (FLOOR_DB / 10.0))))


def features(x: Signal, rate: int, view: str) -> Matrix:
    """The frames of ``x`` as one of the ``VIEWS`` sees them."""
    mel = log_mel(x, rate)
    if view == "log-mel":
        return mel
    if view == "log-mel+delta":
        return np.hstack([mel, 2.0 * np.gradient(mel, axis=0)])
    if view == "normalized":
        speech = mel.max(axis=1) > SPEECH_DB
        return np.asarray(mel - (mel[speech].mean(axis=0) if speech.any() else 0.0))
    raise ValueError(f"Unknown view {view!r}; expected one of {sorted(VIEWS)}.")


def dtw_path(reference: Matrix, query: Matrix, penalty: float = 0.0) -> Path:
    """The minimum-cost warping path between two feature sequences, as ``(ref_frame, query_frame)`` rows.

    ``D[i, j] = min(D[i-1, j-1] + 2 d, D[i-1, j] + d + penalty, D[i, j-1] + d + penalty)`` with ``d`` the
    Euclidean distance of frames ``i`` and ``j``; the path runs from ``(0, 0)`` to the last frame of
    both. A row is computed at once: the horizontal recursion ``D[i, j] = min(t[j], D[i, j-1] + c[j])``
    is ``C[j] + min_{k<=j}(t[k] - C[k])`` with ``C`` the running sum of ``c``: one ``minimum.accumulate``.
    """
    ref = np.asarray(reference, np.float64)
    qry = np.asarray(query, np.float64)
    squared = np.sum(ref**2, axis=1)[:, None] + np.sum(qry**2, axis=1)[None, :] - 2.0 * ref @ qry.T
    dist = np.sqrt(np.maximum(squared, 0.0))  # rounding can take |a-b|^2 a hair below zero
    n, m = dist.shape
    step = np.zeros((n, m), np.int8)  # 0: from (i-1, j-1), 1: from (i-1, j), 2: from (i, j-1)
    step[0, 1:] = 2
    row = np.cumsum(dist[0] + penalty) - penalty
    for i in range(1, n):
        d = dist[i]
        diagonal = np.full(m, np.inf)
        diagonal[1:] = row[:-1] + 2.0 * d[1:]
        vertical = row + d + penalty
        arrive = np.minimum(diagonal, vertical)
        step[i] = vertical < diagonal
        running = np.cumsum(d + penalty)
        best = np.minimum.accumulate(arrive - running)
        step[i][best < arrive - running] = 2
        row = running + best
    i, j = n - 1, m - 1
    path = [(i, j)]
    while i > 0 or j > 0:
        move = step[i, j]
        i, j = (i - 1, j - 1) if move == 0 else (i - 1, j) if move == 1 else (i, j - 1)
        path.append((i, j))
    return np.asarray(path[::-1], np.int64)


def map_start(path: Path, sample: int, hop: int) -> float:
    """Query sample where the reference word starting at ``sample`` starts."""
    x = sample / hop
    first = math.ceil(x)
    matched = path[path[:, 0] == first, 1]
    return float((matched.min() - (first - x)) * hop)


def map_end(path: Path, sample: int, hop: int) -> float:
    """Query sample where the reference word ending at ``sample`` (exclusive) ends."""
    x = sample / hop
    last = math.ceil(x) - 1
    matched = path[path[:, 0] == last, 1]
    return float((matched.max() + (x - last)) * hop)


@dataclass(frozen=True, slots=True)
class Placement:
    """Where the reference puts one boundary in the query, in seconds."""

    time: float
    """Median over the views."""
    spread: float
    """Largest minus smallest placement over the views: the reference's own uncertainty."""


def place(
    reference: Signal, query: Signal, rate: int, starts: Sequence[int], ends: Sequence[int]
) -> tuple[list[Placement], list[Placement]]:
    """The query times of the reference's word ``starts`` and ``ends`` (samples), under every view."""
    hop = hop_samples(rate)
    at_starts: list[list[float]] = [[] for _ in starts]
    at_ends: list[list[float]] = [[] for _ in ends]
    for view, penalty in VIEWS.items():
        path = dtw_path(features(reference, rate, view), features(query, rate, view), penalty)
        for found, s in zip(at_starts, starts, strict=True):
            found.append(map_start(path, s, hop) / rate)
        for found, e in zip(at_ends, ends, strict=True):
            found.append(map_end(path, e, hop) / rate)

    def summary(times: list[float]) -> Placement:
        return Placement(float(np.median(times)), max(times) - min(times))

    return [summary(t) for t in at_starts], [summary(t) for t in at_ends]


def speech_extent(x: Signal, level_db: float = -50.0) -> tuple[int, int]:
    """``[first, last + 1)`` of the samples louder than ``level_db`` dBFS (``(0, 0)`` if none is)."""
    loud = np.flatnonzero(np.abs(x) > 10.0 ** (level_db / 20.0))
    if loud.size == 0:
        return 0, 0
    return int(loud[0]), int(loud[-1]) + 1


@dataclass(frozen=True, slots=True)
class Boundary:
    """One word boundary as voicewire reported it and as the reference places it, in seconds."""

    word: str
    kind: str
    """``"start"`` or ``"end"``."""
    reported: float
    reference: float
    spread: float = 0.0
    """How much the reference's views disagree here (see ``Placement``)."""

    @property
    def error(self) -> float:
        """Reported minus reference: positive when voicewire says later than the audio."""
        return self.reported - self.reference


def violations(boundaries: Sequence[Boundary], tolerance: float) -> list[Boundary]:
    """The boundaries whose reported time is more than ``tolerance`` seconds from the reference."""
    return [b for b in boundaries if abs(b.error) > tolerance]
