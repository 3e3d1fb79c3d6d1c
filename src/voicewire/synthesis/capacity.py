"""Capacity: admission control from measured synthesis cost.

A live stream played in real time asks the engine for one second of audio per second, which costs
``cost`` seconds of compute (hibari about 0.01, Piper about 0.1 on this kind of CPU). The workers
offer ``workers * utilization`` seconds of compute per second. A new stream is admitted while the
streams already running, plus it, fit in that budget; past it, every stream would start to stutter,
so the new one is refused at once (429 / an ``error`` frame) instead. Costs are measured on every
engine call, as decayed sums of compute and of audio per engine, so a unit measured in parts (a
front-end call with no audio, then decoder blocks) counts right; the defaults cover the first calls.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

__all__ = ["DEFAULT_COST", "Capacity", "Ticket"]

DEFAULT_COST = {"hibari": 0.015, "piper": 0.12}
"""Seconds of compute per second of audio before anything was measured (one thread, 2-core box)."""
DECAY = 0.98
"""Weight of the past per observation: roughly the last 50 calls count."""
MIN_AUDIO_S = 2.0
"""Measured audio needed before measurements replace the default."""


@dataclass(frozen=True)
class Ticket:
    demand: float


class Capacity:
    def __init__(self, workers: int, *, utilization: float = 0.85) -> None:
        self.budget = workers * utilization
        self._compute: dict[str, float] = {}
        self._audio: dict[str, float] = {}
        self._demand = 0.0
        self._streams = 0
        self._lock = threading.Lock()

    @property
    def load(self) -> float:
        """Admitted demand as a share of the budget."""
        return self._demand / self.budget

    @property
    def streams(self) -> int:
        return self._streams

    def cost(self, engine: str) -> float:
        """Seconds of compute per second of audio on ``engine``."""
        audio = self._audio.get(engine, 0.0)
        if audio < MIN_AUDIO_S:
            return DEFAULT_COST.get(engine, max(DEFAULT_COST.values()))
        return self._compute[engine] / audio

    def observe(self, engine: str, compute_s: float, audio_s: float) -> None:
        """One engine call: ``compute_s`` seconds spent, ``audio_s`` seconds of audio made (0 for a
        call that makes none, such as a front-end)."""
        with self._lock:
            self._compute[engine] = DECAY * self._compute.get(engine, 0.0) + compute_s
            self._audio[engine] = DECAY * self._audio.get(engine, 0.0) + audio_s

    def try_admit(self, engine: str) -> Ticket | None:
        """A ticket for one more real-time stream on ``engine``, or None when it would not fit.

        The first stream is always admitted: a lone stream slower than real time still gets served.
        """
        demand = self.cost(engine)
        with self._lock:
            if self._streams and self._demand + demand > self.budget:
                return None
            self._demand += demand
            self._streams += 1
        return Ticket(demand)

    def release(self, ticket: Ticket | None) -> None:
        if ticket is None:
            return
        with self._lock:
            self._demand = max(0.0, self._demand - ticket.demand)
            self._streams = max(0, self._streams - 1)
