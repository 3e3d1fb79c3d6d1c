"""TurnPipeline with the real Piper voice (noise off, so the same text gives the same samples): units
block by block, on the pool's workers, in order. The engine is wrapped to count the blocks it
decodes, which shows when each piece of audio came out."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Iterator, Sequence

import numpy as np
import pytest

from voicewire.engines.base import Engine, EngineAudio, Samples, UnitStream, Utterance, VoiceInfo
from voicewire.engines.catalog import Catalog, ResolvedVoice
from voicewire.engines.piper import PiperEngine
from voicewire.protocol.turn import TurnOptions
from voicewire.synthesis.pipeline import TurnPipeline, speak_all
from voicewire.synthesis.pool import SynthesisPool
from voicewire.synthesis.render import TurnRenderer
from voicewire.synthesis.units import prepare, split_text

TEXT = "The birch canoe slid on the smooth planks, and the crowd on the shore cheered loudly for a while."
UNITS = ["The birch canoe slid on the smooth planks,", "and the crowd on the shore cheered loudly for a while."]


class Counting(Engine):
    """An engine that counts the blocks it decodes and notes the threads it runs on."""

    def __init__(self, inner: Engine) -> None:
        self.inner = inner
        self.name = inner.name
        self.sample_rate = inner.sample_rate
        self.blocks = 0
        self.fronts = 0
        self.threads: set[str] = set()

    def voices(self) -> Sequence[VoiceInfo]:
        return self.inner.voices()

    def load(self, voice_id: str) -> None:
        self.inner.load(voice_id)

    def synthesize(self, voice_id: str, utterance: Utterance) -> EngineAudio:
        return self.inner.synthesize(voice_id, utterance)

    def synthesize_blocks(self, voice_id: str, utterance: Utterance, *, batch: bool = False) -> UnitStream:
        self.fronts += 1
        self.threads.add(threading.current_thread().name)
        stream = self.inner.synthesize_blocks(voice_id, utterance, batch=batch)

        def counted(make: Callable[[], Samples]) -> Callable[[], Samples]:
            def block() -> Samples:
                self.blocks += 1
                self.threads.add(threading.current_thread().name)
                return make()

            return block

        return UnitStream(sample_rate=stream.sample_rate, word_spans=stream.word_spans, length=stream.length,
                          blocks=tuple(counted(make) for make in stream.blocks), lead=stream.lead,
                          tail=stream.tail)  # fmt: skip


@pytest.fixture(scope="module")
def quiet_joe(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PiperEngine]:
    engine = PiperEngine(cache_dir=tmp_path_factory.mktemp("piper-cache"), noise=False)
    engine.load("joe")
    yield engine
    engine.close()


def voice(engine: Engine) -> ResolvedVoice:
    return Catalog([engine], {}).resolve("joe")


OPTIONS = TurnOptions(voice_id="joe", sample_rate=22050, word_timestamps=True)


def run(coro_fn):  # type: ignore[no-untyped-def]
    async def main():  # type: ignore[no-untyped-def]
        pool = SynthesisPool(2)
        try:
            return await coro_fn(pool)
        finally:
            pool.close()

    return asyncio.run(main())


def test_a_unit_comes_out_block_by_block_before_it_is_all_decoded(quiet_joe: PiperEngine) -> None:
    engine = Counting(quiet_joe)

    async def first_unit(pool: SynthesisPool) -> tuple[int, int]:
        pipeline = TurnPipeline(pool, voice(engine), OPTIONS, language="en-US")
        pipeline.add(UNITS[1], 8)
        pieces = pipeline.next_unit()
        first = await anext(pieces)
        assert first.audio  # heard after the first window
        decoded_then = engine.blocks
        rest = [piece async for piece in pieces]
        await pipeline.aclose()
        return decoded_then, 1 + len(rest)

    decoded_then, pieces = run(first_unit)
    # The first block is out before the third is decoded (the second is made meanwhile, on the other
    # worker); every block comes in pieces of about 0.1 s.
    assert decoded_then <= 2 and engine.blocks >= 2 and pieces >= 10
    assert all(name.startswith("voicewire-synth") for name in engine.threads)


def test_the_pipeline_gives_what_the_renderer_makes_of_whole_units(quiet_joe: PiperEngine) -> None:
    async def streamed(pool: SynthesisPool) -> tuple[bytes, list[tuple[str, float, float]]]:
        pipeline = TurnPipeline(pool, voice(quiet_joe), OPTIONS, language="en-US", lookahead=1)
        audio, words = b"", []
        async for piece in speak_all(pipeline, split_text(TEXT, first_unit=True)):
            audio += piece.audio
            words += [(w.word, w.start, w.end) for w in piece.words]
        return audio, words

    audio, words = run(streamed)
    renderer = TurnRenderer("pcm", 22050, word_timestamps=True)
    whole, whole_words = b"", []
    for text, first_word in split_text(TEXT, first_unit=True):
        unit = prepare(text, first_word)
        rendered = renderer.add(unit, quiet_joe.synthesize("joe", unit.utterance(1.0)))
        whole += rendered.audio
        whole_words += [(w.word, w.start, w.end) for w in rendered.words]
    whole += renderer.finish()
    a, b = np.frombuffer(audio, "<i2").astype(np.int32), np.frombuffer(whole, "<i2").astype(np.int32)
    assert a.shape == b.shape and np.max(np.abs(a - b)) <= 1  # windowed decoding is within 1e-6
    assert words == whole_words and [w for w, _, _ in words] == TEXT.split()


def test_the_next_unit_is_prepared_while_this_one_plays(quiet_joe: PiperEngine) -> None:
    engine = Counting(quiet_joe)

    async def overlap(pool: SynthesisPool) -> int:
        pipeline = TurnPipeline(pool, voice(engine), OPTIONS, language="en-US", lookahead=1)
        for i, text in enumerate(UNITS):
            pipeline.add(text, 8 * i)
        pieces = pipeline.next_unit()
        await anext(pieces)
        await asyncio.sleep(0.5)  # let the workers run what is queued
        fronts = engine.fronts
        await pieces.aclose()
        await pipeline.aclose()
        return fronts

    assert run(overlap) == 2  # the second unit's front ran while the first was still being heard


def test_closing_stops_a_unit_between_blocks_and_drops_what_is_queued(quiet_joe: PiperEngine) -> None:
    engine = Counting(quiet_joe)

    async def leave_early(pool: SynthesisPool) -> tuple[int, int, int]:
        pipeline = TurnPipeline(pool, voice(engine), OPTIONS, language="en-US", lookahead=0)
        pieces = speak_all(pipeline, [(UNITS[1], 0), (UNITS[0], 12), (UNITS[1], 20)])
        await anext(pieces)
        await pieces.aclose()
        for _ in range(200):  # a block still running finishes and is thrown away (slow on a busy box)
            if not pool.scheduler.queued + pool.scheduler.busy:
                break
            await asyncio.sleep(0.05)
        await asyncio.sleep(0.1)  # had anything been left queued, a worker would take it now
        return engine.blocks, engine.fronts, pool.scheduler.queued + pool.scheduler.busy

    blocks, fronts, left = run(leave_early)
    assert blocks <= 2 and fronts <= 2 and left == 0  # the block heard, and at most the one made beside it


def test_closing_from_another_task_ends_a_unit_that_waits_for_its_front(quiet_joe: PiperEngine) -> None:
    """A live turn cancelled by its client is closed by the socket's releaser while the synthesis task
    waits for the next unit: that wait ends quietly (it used to raise CancelledError and kill the
    socket's synthesis task, so the client's next context was never spoken)."""

    async def cancel_while_waiting(pool: SynthesisPool) -> tuple[list[object], bool]:
        pipeline = TurnPipeline(pool, voice(quiet_joe), OPTIONS, language="en-US")
        pipeline.add(UNITS[1], 0)

        async def listen() -> list[object]:
            return [piece async for piece in pipeline.next_unit()]

        listener = asyncio.ensure_future(listen())
        await asyncio.sleep(0)  # the listener now waits for the unit's front
        await pipeline.aclose()
        pieces = await listener
        return pieces, listener.cancelled()

    pieces, cancelled = run(cancel_while_waiting)
    assert pieces == [] and not cancelled


def test_whole_units_make_the_same_audio_in_one_engine_call_per_unit(quiet_joe: PiperEngine) -> None:
    """For a body sent only once it is all made (WAV): no decoder windows, the same samples."""
    engine = Counting(quiet_joe)

    async def both(pool: SynthesisPool) -> tuple[bytes, bytes]:
        made = []
        for whole in (False, True):
            pipeline = TurnPipeline(pool, voice(engine), OPTIONS, language="en-US", whole_units=whole)
            made.append(b"".join([piece.audio async for piece in speak_all(pipeline, split_text(TEXT))]))
        return made[0], made[1]

    windowed, whole = run(both)
    fronts_windowed = len(split_text(TEXT))
    assert engine.fronts == fronts_windowed  # the whole run called synthesize, never synthesize_blocks
    a, b = np.frombuffer(windowed, "<i2").astype(np.int32), np.frombuffer(whole, "<i2").astype(np.int32)
    assert a.shape == b.shape and np.max(np.abs(a - b)) <= 1
