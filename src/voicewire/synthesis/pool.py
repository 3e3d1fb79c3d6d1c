"""SynthesisPool: engine calls on worker threads, awaited from the event loop.

onnxruntime and numpy release the GIL for the heavy work, so threads use every core without the
memory cost of one model copy per process. A caller that is cancelled (its client left) cancels
its pending engine call; a call already running finishes its unit and is discarded.
"""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor

from voicewire.engines.base import EngineAudio, Samples, UnitStream
from voicewire.engines.catalog import ResolvedVoice

__all__ = ["SynthesisPool"]


class SynthesisPool:
    def __init__(self, workers: int) -> None:
        self.workers = workers
        self._executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="voicewire-synth")

    async def synthesize(self, voice: ResolvedVoice, words: list[str], speed: float) -> EngineAudio:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, voice.engine.synthesize, words, voice.info.voice_id, speed)

    async def open_stream(self, voice: ResolvedVoice, words: list[str], speed: float) -> UnitStream:
        """``Engine.synthesize_blocks`` on a worker: the unit's front part; its blocks come from ``next_block``."""
        loop = asyncio.get_running_loop()
        engine, voice_id = voice.engine, voice.info.voice_id
        return await loop.run_in_executor(self._executor, engine.synthesize_blocks, words, voice_id, speed)

    async def next_block(self, stream: UnitStream) -> Samples | None:
        """The stream's next block, made on a worker; None once there are no more."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, next, stream.blocks, None)

    async def load(self, voice: ResolvedVoice) -> None:
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(self._executor, voice.engine.load, voice.info.voice_id)

    def close(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)
