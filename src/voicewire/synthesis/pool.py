"""SynthesisPool: every engine call of the process, on the scheduler's worker threads.

onnxruntime and numpy release the GIL for the heavy work, so threads use every core without the
memory cost of one model copy per process. Each call carries a deadline (see
``voicewire.synthesis.scheduler``); after it, the worker records what the call cost (for admission,
``capacity``) and gives the memory it freed back to the system. A caller that is cancelled (its
client left) drops its call if it has not started; one already running finishes and is discarded.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

from voicewire import metrics
from voicewire.engines.base import EngineAudio, Samples, UnitStream
from voicewire.engines.catalog import ResolvedVoice
from voicewire.synthesis.capacity import Capacity
from voicewire.synthesis.memory import release_freed_memory
from voicewire.synthesis.scheduler import Scheduler

__all__ = ["SynthesisPool"]

T = TypeVar("T")


class SynthesisPool:
    def __init__(self, workers: int, *, policy: str = "deadline", utilization: float = 0.85) -> None:
        self.workers = workers
        self.scheduler = Scheduler(workers, policy=policy, on_start=metrics.QUEUE_WAIT.observe)
        self.capacity = Capacity(workers, utilization=utilization)

    def _measured(self, engine: str, call: Callable[[], T], audio_s: Callable[[T], float]) -> Callable[[], T]:
        def run() -> T:
            started = time.perf_counter()
            try:
                result = call()
                compute, audio = time.perf_counter() - started, audio_s(result)
                self.capacity.observe(engine, compute, audio)
                if audio >= 0.2:
                    metrics.SYNTHESIS_RTF.labels(engine).observe(compute / audio)
                return result
            finally:
                release_freed_memory()

        return run

    async def synthesize(
        self, voice: ResolvedVoice, words: list[str], speed: float, *, deadline: float | None = None
    ) -> EngineAudio:
        """A whole unit. ``deadline`` (``time.monotonic()``): when it is needed; default: now."""
        engine, voice_id = voice.engine, voice.info.voice_id
        call = self._measured(
            engine.name,
            lambda: engine.synthesize(words, voice_id, speed),
            lambda audio: len(audio.samples) / audio.sample_rate,
        )
        return await self.scheduler.run(call, deadline=_when(deadline))

    async def open_stream(
        self, voice: ResolvedVoice, words: list[str], speed: float, *, deadline: float | None = None
    ) -> UnitStream:
        """``Engine.synthesize_blocks``: the unit's front part; its blocks come from ``next_block``."""
        engine, voice_id = voice.engine, voice.info.voice_id
        call = self._measured(engine.name, lambda: engine.synthesize_blocks(words, voice_id, speed), lambda _: 0.0)
        return await self.scheduler.run(call, deadline=_when(deadline))

    async def next_block(
        self, voice: ResolvedVoice, stream: UnitStream, *, deadline: float | None = None
    ) -> Samples | None:
        """The stream's next block; None once there are no more."""
        call = self._measured(
            voice.engine.name,
            lambda: next(stream.blocks, None),
            lambda block: 0.0 if block is None else len(block) / stream.sample_rate,
        )
        return await self.scheduler.run(call, deadline=_when(deadline))

    async def load(self, voice: ResolvedVoice) -> None:
        await self.scheduler.run(lambda: voice.engine.load(voice.info.voice_id), deadline=time.monotonic())

    def close(self) -> None:
        self.scheduler.close()


def _when(deadline: float | None) -> float:
    return time.monotonic() if deadline is None else deadline
