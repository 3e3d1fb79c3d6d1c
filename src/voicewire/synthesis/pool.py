"""SynthesisPool: every piece of synthesis work of the process, on the scheduler's worker threads.

onnxruntime and numpy release the GIL for the heavy work, so threads use every core without the
memory cost of one model copy per process. Each call carries a deadline (see
``voicewire.synthesis.scheduler``); after it, the worker records what the call cost against the
audio it made (for admission, ``capacity``). Memory the calls freed goes back to the system once
the pool is idle (``voicewire.synthesis.memory``). Text preparation, the engine, resampling and
encoding all run here, so the cost admission sees is the whole cost of a second of audio. A caller
that is cancelled (its client left) drops its call if it has not started; one already running
finishes and is discarded.
"""

from __future__ import annotations

import logging
import secrets
import time
from collections.abc import Callable
from typing import TypeVar

from voicewire import metrics
from voicewire.engines.base import Utterance
from voicewire.engines.catalog import ResolvedVoice
from voicewire.exceptions import EngineError, VoicewireError
from voicewire.synthesis.busy import MachineBusy
from voicewire.synthesis.capacity import Capacity
from voicewire.synthesis.memory import release_freed_memory, reuse_large_blocks
from voicewire.synthesis.scheduler import Scheduler

__all__ = ["SynthesisPool"]

T = TypeVar("T")

logger = logging.getLogger("voicewire.synthesis")


class SynthesisPool:
    def __init__(
        self, workers: int, *, policy: str = "deadline", utilization: float = 0.85, busy: MachineBusy | None = None
    ) -> None:
        """``busy``: the count of synthesis calls the server's processes share (default: this pool's own)."""
        self.workers = workers
        reuse_large_blocks()
        # Freed memory goes back to the system once the pool is idle: between calls it is taken again.
        self.scheduler = Scheduler(
            workers, policy=policy, on_start=metrics.QUEUE_WAIT.observe, busy=busy, on_idle=release_freed_memory
        )
        self.capacity = Capacity(workers, utilization=utilization)

    @property
    def idle(self) -> bool:
        """No synthesis call runs on the machine (any process) and none waits in this pool."""
        return self.scheduler.queued == 0 and self.scheduler.machine.running == 0

    async def run(
        self, engine: str, work: Callable[[], T], *, deadline: float | None, audio_s: Callable[[T], float]
    ) -> T:
        """``work()`` on a worker; its compute time is charged to ``engine`` against ``audio_s(result)``
        seconds of audio (0 for work that makes none). ``deadline``: when it is needed
        (``time.monotonic()``); None: now."""

        def measured() -> T:
            started = time.perf_counter()
            try:
                result = work()
            except VoicewireError:
                raise
            except Exception as exc:  # a bug in an engine or below: the stream fails, not the server
                ref = secrets.token_hex(4)
                logger.error("! synthesis failed ref=%s", ref, exc_info=True)
                raise EngineError(f"Synthesis failed ({type(exc).__name__}, reference {ref}).") from exc
            compute, audio = time.perf_counter() - started, audio_s(result)
            self.capacity.observe(engine, compute, audio)
            if audio >= 0.2:
                metrics.SYNTHESIS_RTF.labels(engine).observe(compute / audio)
            return result

        return await self.scheduler.run(measured, deadline=time.monotonic() if deadline is None else deadline)

    async def load(self, voice: ResolvedVoice, *, warm: bool = False) -> None:
        """Load ``voice`` on a worker; ``warm``: then speak a short sentence with it and throw it away.

        onnxruntime allocates and plans on a session's first runs: without the warm-up, the first
        request of a process paid 150-300 ms more (Piper's joe: first audio 486 ms, then 190 ms).
        A voice loaded for a waiting request is not warmed: the request itself is the warm-up.
        """
        voice_id, engine = voice.info.voice_id, voice.engine
        await self.scheduler.run(lambda: engine.load(voice_id), deadline=time.monotonic())
        if warm:

            def speak() -> None:
                stream = engine.synthesize_blocks(voice_id, Utterance.of(["Hello", "there."]))
                for block in stream.blocks:
                    block()

            await self.scheduler.run(speak, deadline=time.monotonic())

    def close(self) -> None:
        self.scheduler.close()
        self.scheduler.machine.close()
