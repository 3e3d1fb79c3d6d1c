"""``voicewire bench engines``: real-time factor of each engine, and how long a first clause takes."""

from __future__ import annotations

import statistics
import time
from typing import Any

from voicewire.bench.corpus import SENTENCES
from voicewire.engines.base import Engine
from voicewire.synthesis.units import prepare

__all__ = ["bench_engine"]


def bench_engine(engine: Engine, voice: str, *, rounds: int = 2) -> dict[str, Any]:
    """Sequential synthesis of the corpus (after a warm-up); returns audio s, wall s, x real time."""
    units = [prepare(s) for s in SENTENCES]
    engine.load(voice)
    engine.synthesize(voice, units[0].utterance(1.0))
    audio_s = 0.0
    started = time.perf_counter()
    for _ in range(rounds):
        for unit in units:
            out = engine.synthesize(voice, unit.utterance(1.0))
            audio_s += len(out.samples) / out.sample_rate
    wall = time.perf_counter() - started
    clause = prepare("Streaming delivers audio").utterance(1.0)
    firsts = []
    for _ in range(15):
        t0 = time.perf_counter()
        engine.synthesize(voice, clause)
        firsts.append((time.perf_counter() - t0) * 1000)
    return {
        "engine": engine.name,
        "voice": voice,
        "audio_s": round(audio_s, 2),
        "wall_s": round(wall, 3),
        "x_realtime": round(audio_s / wall, 1),
        "first_clause_ms_p50": round(statistics.median(firsts), 1),
    }
