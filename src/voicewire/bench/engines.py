"""``voicewire bench engines``: real-time factor of each engine, and how long a first clause takes."""

from __future__ import annotations

import statistics
import time
from collections.abc import Sequence
from typing import Any

import numpy as np

from voicewire.bench.corpus import SENTENCES
from voicewire.engines.base import Engine
from voicewire.synthesis.units import prepare

__all__ = ["bench_engine"]


def bench_engine(
    engine: Engine,
    voice: str,
    *,
    rounds: int = 2,
    sentences: Sequence[str] = SENTENCES,
    clause: str = "Streaming delivers audio",
    language: str = "en-US",
    clause_rounds: int = 15,
) -> dict[str, Any]:
    """Sequential synthesis of ``sentences`` in ``language`` (after a warm-up); returns audio s, wall
    s, x real time, and the first clause's synthesis time (p50, p95)."""
    units = [prepare(s, language=language) for s in sentences]
    engine.load(voice)
    engine.synthesize(voice, units[0].utterance(1.0))
    audio_s = 0.0
    started = time.perf_counter()
    for _ in range(rounds):
        for unit in units:
            out = engine.synthesize(voice, unit.utterance(1.0))
            audio_s += len(out.samples) / out.sample_rate
    wall = time.perf_counter() - started
    first_clause = prepare(clause, language=language).utterance(1.0)
    firsts = []
    for _ in range(clause_rounds):
        t0 = time.perf_counter()
        engine.synthesize(voice, first_clause)
        firsts.append((time.perf_counter() - t0) * 1000)
    return {
        "engine": engine.name,
        "voice": voice,
        "audio_s": round(audio_s, 2),
        "wall_s": round(wall, 3),
        "x_realtime": round(audio_s / wall, 1),
        "first_clause_ms_p50": round(statistics.median(firsts), 1),
        "first_clause_ms_p95": round(float(np.percentile(firsts, 95)), 1),
    }
