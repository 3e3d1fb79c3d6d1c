"""Speak a whole text: units through an engine into one rendered stream.

Two drivers over the same pure pieces (``PreparedUnit``, ``TurnRenderer``): an async one for the
server's sync and SSE endpoints, and a threaded one for the CLI. Both synthesize a bounded number
of units ahead of the one being delivered, so a stream keeps its next unit ready without running
away from its listener.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import deque
from collections.abc import AsyncGenerator, Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor

import numpy as np

from voicewire.engines.base import EngineAudio
from voicewire.engines.catalog import ResolvedVoice
from voicewire.synthesis.pool import SynthesisPool
from voicewire.synthesis.render import Rendered, TurnRenderer
from voicewire.synthesis.units import PreparedUnit

__all__ = ["speak", "speak_blocking"]

LOOKAHEAD = 1
"""Units synthesized ahead of the one being delivered, per stream."""
BATCH_SLACK_S = 5.0


def _silent(voice: ResolvedVoice, unit: PreparedUnit) -> EngineAudio:
    return EngineAudio(samples=np.zeros(0, np.float32), sample_rate=voice.info.sample_rate, word_spans=())


async def speak(
    pool: SynthesisPool,
    voice: ResolvedVoice,
    units: Sequence[PreparedUnit],
    *,
    speed: float,
    renderer: TurnRenderer,
    lookahead: int = LOOKAHEAD,
) -> AsyncGenerator[Rendered]:
    """Rendered pieces in order, then one piece with the stream's tail (possibly empty)."""
    pending: deque[asyncio.Task[EngineAudio]] = deque()
    queued = iter(units)

    def top_up() -> None:
        while len(pending) <= lookahead:
            unit = next(queued, None)
            if unit is None:
                return
            if unit.speakable:
                # Nobody listens in real time to a sync body: its units give way to live streams
                # for up to BATCH_SLACK_S, and then go first.
                deadline = time.monotonic() + BATCH_SLACK_S
                pending.append(asyncio.ensure_future(pool.synthesize(voice, unit.words, speed, deadline=deadline)))
            else:
                done: asyncio.Future[EngineAudio] = asyncio.get_running_loop().create_future()
                done.set_result(_silent(voice, unit))
                pending.append(asyncio.ensure_future(done))

    try:
        top_up()
        for unit in units:
            audio = await pending.popleft()
            top_up()
            yield renderer.add(unit, audio)
        yield Rendered(renderer.finish())
    finally:
        for task in pending:
            task.cancel()
        for task in pending:
            with contextlib.suppress(BaseException):
                await task


def speak_blocking(
    voice: ResolvedVoice,
    units: Sequence[PreparedUnit],
    *,
    speed: float,
    renderer: TurnRenderer,
    workers: int,
    progress: Callable[[int], None] | None = None,
) -> Iterator[Rendered]:
    """The same as ``speak`` for callers without an event loop: ``workers`` units in flight."""
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="voicewire-speak") as executor:
        pending: deque[Future[EngineAudio]] = deque()
        queued = iter(units)

        def top_up() -> None:
            while len(pending) < workers + 1:
                unit = next(queued, None)
                if unit is None:
                    return
                if unit.speakable:
                    pending.append(executor.submit(voice.engine.synthesize, unit.words, voice.info.voice_id, speed))
                else:
                    done: Future[EngineAudio] = Future()
                    done.set_result(_silent(voice, unit))
                    pending.append(done)

        try:
            top_up()
            for unit in units:
                audio = pending.popleft().result()
                top_up()
                yield renderer.add(unit, audio)
                if progress is not None:
                    progress(len(unit.text) + 1)
            yield Rendered(renderer.finish())
        finally:
            for future in pending:
                future.cancel()
