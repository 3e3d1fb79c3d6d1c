"""TurnPipeline: one turn's units of text in, its encoded audio and word timings out, in order.

Every transport (sync, SSE, the live socket, the OpenAI endpoint, the CLI) speaks through this. All
the work runs on the pool's workers, each piece as one scheduled call with a deadline, so the
scheduler orders it and admission is charged for all of it:

1. the *front* of a unit: text preparation (``prepare``: normalization in the turn's language) and
   the engine call that fixes the unit's length and word spans (``Engine.synthesize_blocks``; for an
   engine that does not stream, the whole synthesis). Fronts of the next ``lookahead`` units start
   early, so a unit is ready when the one before it has been heard;
2. each *block* of the unit, as the engine decodes it, through the turn's renderer (trim, pauses,
   fades, resampling, encoding) in slices of ``FRAME_S``, so a listener hears the start of a unit
   before its end is made. Blocks of a turn run one after another: the renderer keeps state across
   them.

Deadlines (``Pacing``): a live turn's first audio is wanted now; after that its listener plays in
real time from the moment the first audio was made, so more is due when the audio made so far
runs out (less ``MARGIN_S``). Nobody plays a batch turn (a sync body, the CLI) in real time: its work
gives way to live streams for up to ``BATCH_SLACK_S``, then goes first.
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import time
from collections import deque
from collections.abc import AsyncGenerator, AsyncIterator, Sequence
from dataclasses import dataclass
from functools import partial
from itertools import islice

import numpy as np

from voicewire import metrics
from voicewire.engines.base import EngineAudio, Samples, UnitStream
from voicewire.engines.catalog import ResolvedVoice
from voicewire.protocol.turn import TurnOptions
from voicewire.synthesis.pool import SynthesisPool
from voicewire.synthesis.render import Rendered, TurnRenderer
from voicewire.synthesis.units import LanguageReading, PreparedUnit, TurnReading, prepare
from voicewire.text.ssml import UnitMarkup

__all__ = ["BATCH_SLACK_S", "MARGIN_S", "Pacing", "TurnPipeline", "speak_all"]

MARGIN_S = 0.5
"""A live turn's next audio is due this long before its listener's buffered audio runs out."""
BATCH_SLACK_S = 5.0
"""How long a batch turn's work gives way to live streams."""
BLOCKS_AHEAD = 2
"""Blocks of a unit decoded at once: the next one is made while this one is heard."""
BLOCK_AHEAD_S = 0.2
"""A block decoded ahead is due this long after the turn's next audio (so the render of the block
before it, which is due now, goes first)."""
FRAME_S = 0.1
"""Audio per piece: the renderer takes an engine's block in slices of this many seconds, so pieces
are small enough to be paced out evenly (``protocol.sequencer``) while the next ones are made."""
CHARS_PER_S = 15.0
"""Characters of text per second of speech (English at speed 1 reads 14-16): to estimate when a unit
queued behind others will be heard."""
LOOKAHEAD_SHARE = 0.5
"""A lookahead front is due after this share of the estimated audio before it has played: early
enough for a voice that speaks fast, late enough to let the audio before it be made first."""
SILENT_TURN_S = 0.02
"""Silence given to a turn with text but nothing speakable in it."""


class Pacing(enum.Enum):
    LIVE = "live"
    """Someone listens as the audio arrives: the first unit now, then as the audio runs out."""
    BATCH = "batch"
    """The audio is read as fast as it comes, or kept whole: every call within ``BATCH_SLACK_S``."""


@dataclass(frozen=True, slots=True)
class _Front:
    unit: PreparedUnit
    stream: UnitStream


class _Pending:
    __slots__ = ("first_word", "front", "markup", "text")

    def __init__(self, text: str, first_word: int, markup: UnitMarkup | None) -> None:
        self.text = text
        self.first_word = first_word
        self.markup = markup
        self.front: asyncio.Future[_Front] | None = None


class TurnPipeline:
    """One turn in one voice: ``add`` its units in order, take each one's pieces with ``next_unit``
    (in the same order), then ``finish`` once; ``aclose`` if the turn ends early (a ``next_unit``
    waiting for a unit then ends without a piece).

    Calls must not overlap: one ``next_unit`` iteration (or ``finish``) at a time.
    """

    def __init__(
        self,
        pool: SynthesisPool,
        voice: ResolvedVoice,
        options: TurnOptions,
        *,
        language: str,
        pacing: Pacing = Pacing.LIVE,
        lookahead: int = 1,
        endpoint: str = "",
        opened_at: float | None = None,
        reading: TurnReading | None = None,
        whole_units: bool = False,
    ) -> None:
        """``reading``: the turn's pronunciation dictionaries and speech markup, if it has any.

        ``whole_units``: synthesize each unit in one engine call instead of block by block, for an
        answer that is only sent once it is all made (a WAV or FLAC body): no first block to hurry,
        and no decoder context frames spent on windows (measured for Piper: see BENCHMARKS.md).
        """
        self.pool = pool
        self.voice = voice
        self.options = options
        self.language = language
        # Raises InvalidField for a number language the voice does not speak.
        self.language_reading = LanguageReading.of(voice, options, language)
        self.pacing = pacing
        self.lookahead = lookahead
        self.endpoint = endpoint
        self.reading = reading
        self.whole_units = whole_units
        self.opened_at = time.monotonic() if opened_at is None else opened_at
        self.renderer = TurnRenderer(
            options.output_format, options.sample_rate, word_timestamps=options.word_timestamps
        )
        self.first_audio: float | None = None
        """Seconds from ``opened_at`` to the first audio made, once there is some."""
        self._pending: deque[_Pending] = deque()
        self._playing_since: float | None = None
        self._had_text = False
        self._rendering = False  # a unit's blocks are being made
        self._engine = voice.engine.name

    @property
    def seconds(self) -> float:
        """Seconds of audio rendered so far."""
        return self.renderer.seconds

    # -- input ---------------------------------------------------------------------------------------
    def add(self, text: str, first_word: int) -> None:
        """Queue the next unit of the turn (``first_word``: how many client words of the turn came
        before it). Its preparation and engine call start at once if within the lookahead."""
        markup = None if self.reading is None else self.reading.markup_of(text)
        self._pending.append(_Pending(text, first_word, markup))
        self._had_text = self._had_text or bool(text.strip())
        self._top_up()

    def _top_up(self) -> None:
        """Start the fronts of the next units: only the first one until the turn's first audio is
        made (a worker that took a later unit's front could not give it back to the first unit's
        blocks), then ``lookahead`` more."""
        heard_before = 0.0  # about how long the units ahead of this one will play
        started = self._playing_since is not None
        ahead = self.lookahead + 1 if started else (0 if self._rendering else 1)
        for pending in islice(self._pending, ahead):
            if pending.front is None:
                pending.front = asyncio.ensure_future(self._front(pending, later=heard_before))
            heard_before += len(pending.text) / CHARS_PER_S

    # -- output --------------------------------------------------------------------------------------
    async def next_unit(self) -> AsyncIterator[Rendered]:
        """The oldest queued unit's audio, piece by piece as it is decoded; the last piece carries
        the end of the unit (its pause, its last word timings).

        Raises:
            VoicewireError: the voice or the engine failed (anything else is a bug, raised as is).
        """
        if not self._pending:
            raise RuntimeError("No unit is queued; call add() first.")
        pending = self._pending[0]
        if pending.front is None:
            pending.front = asyncio.ensure_future(self._front(pending, later=0.0))
        future = pending.front
        try:
            front = await future
        except asyncio.CancelledError:
            # ``aclose`` (the turn was cancelled, from another task) dropped this front: the unit
            # has nothing more to give. Only our own cancellation goes on up.
            if future.cancelled() and not _cancelling():
                return
            raise
        self._pending.popleft()
        self._rendering = True
        self._top_up()
        stream, renderer, unit = front.stream, self.renderer, front.unit
        frame = max(1, round(FRAME_S * stream.sample_rate))
        makers = list(stream.blocks)
        ahead: deque[asyncio.Future[Samples]] = deque()
        begun = False

        def decode_ahead() -> None:  # this block and the next, on two workers at once
            # Until the first audio is out, one block at a time: a worker busy with the next block
            # could not take the first one's render (measured: 50 ms later first audio for Piper).
            limit = 1 if self._playing_since is None else BLOCKS_AHEAD
            while makers and len(ahead) < limit:
                make = makers.pop(0)
                # A block after the one to be heard next is due after it: rendering that one first.
                deadline = self._deadline() + (BLOCK_AHEAD_S if ahead else 0.0)
                ahead.append(asyncio.ensure_future(
                    self.pool.run(self._engine, make, deadline=deadline, audio_s=lambda _: 0.0)
                ))  # fmt: skip

        def render(block: Samples, last: bool) -> list[Rendered]:
            nonlocal begun
            if not begun:
                renderer.begin_unit(unit, stream)
                begun = True
            pieces = [renderer.add_block(block[i : i + frame]) for i in range(0, len(block), frame)]
            if last:  # the end of the unit goes with its last piece, not in a tiny frame of its own
                pieces = [*pieces[:-1], (pieces[-1] if pieces else Rendered(b"")) + renderer.end_unit()]
            return [p for p in pieces[:-1] if p.audio or p.words] + pieces[-1:]

        rate = stream.sample_rate
        try:
            decode_ahead()
            while ahead:
                block = await ahead.popleft()
                last = not ahead and not makers
                dry_at = self._runs_dry_at()
                rendered = asyncio.ensure_future(self.pool.run(
                    self._engine, partial(render, block, last), deadline=self._deadline(),
                    audio_s=partial(_audio_seconds, len(block) / rate),
                ))  # fmt: skip
                decode_ahead()  # after the render is queued: a free worker takes the render first
                pieces = await rendered
                for piece in pieces:
                    self._played(piece.audio, dry_at)
                    yield piece
        finally:
            self._rendering = False
            for pending_block in ahead:
                pending_block.cancel()
            for pending_block in ahead:
                with contextlib.suppress(BaseException):
                    await pending_block

    async def finish(self) -> bytes:
        """The turn's tail: the resampler's delay line and the encoder's flush. Call once, last.

        A turn that was given text but had nothing speakable in it (``"..."``, an emoji) gets
        ``SILENT_TURN_S`` of silence here: clients wait for a first chunk before they end a turn.
        """
        renderer, silent = self.renderer, self._had_text and self._playing_since is None

        def tail() -> bytes:
            return (renderer.silence(SILENT_TURN_S).audio if silent else b"") + renderer.finish()

        return await self.pool.run(self._engine, tail, deadline=self._deadline(), audio_s=lambda _: 0.0)

    async def aclose(self) -> None:
        """Stop: queued engine calls are dropped, running ones finish and are thrown away."""
        fronts = [p.front for p in self._pending if p.front is not None]
        self._pending.clear()
        for front in fronts:
            front.cancel()
        for front in fronts:
            with contextlib.suppress(BaseException):
                await front

    # -- internals -----------------------------------------------------------------------------------
    async def _front(self, pending: _Pending, *, later: float) -> _Front:
        """``later``: seconds of audio that play before this unit's (estimated from the text): its
        front is due that much after the turn's next audio, so a lookahead front never runs before
        the blocks of the unit that is to be heard first (measured: with one worker, the next long
        sentence's front ran first and held a short first sentence's audio back by 150-300 ms)."""
        voice, speed, language, whole = self.voice, self.options.speed, self.language_reading, self.whole_units
        batch = self.pacing is Pacing.BATCH
        lexicon = None if self.reading is None else self.reading.lexicon

        def work() -> _Front:
            unit = prepare(pending.text, pending.first_word, reading=language, lexicon=lexicon, markup=pending.markup)
            if not unit.speakable:
                silent = EngineAudio(samples=np.zeros(0, np.float32), sample_rate=voice.info.sample_rate, word_spans=())
                return _Front(unit, UnitStream.whole(silent))
            engine, voice_id, utterance = voice.engine, voice.info.voice_id, unit.utterance(speed)
            if whole:
                return _Front(unit, UnitStream.whole(engine.synthesize(voice_id, utterance)))
            return _Front(unit, engine.synthesize_blocks(voice_id, utterance, batch=batch))

        deadline = self._deadline() + LOOKAHEAD_SHARE * later
        return await self.pool.run(self._engine, work, deadline=deadline, audio_s=lambda _: 0.0)

    def _deadline(self) -> float:
        now = time.monotonic()
        if self.pacing is Pacing.BATCH:
            return now + BATCH_SLACK_S
        if self._playing_since is None:
            return now
        return self._playing_since + self.renderer.seconds - MARGIN_S

    def _runs_dry_at(self) -> float | None:
        """When a listener who started at the first audio runs out of what was made so far."""
        if self._playing_since is None or self.pacing is Pacing.BATCH:
            return None
        return self._playing_since + self.renderer.seconds

    def _played(self, audio: bytes, runs_dry_at: float | None) -> None:
        """Audio was just made: time the turn's first audio; count an underrun if a real-time listener
        would have run out before it (``runs_dry_at``, taken before the audio was made)."""
        if not audio:
            return
        now = time.monotonic()
        if self._playing_since is None:
            self._playing_since = now
            self.first_audio = max(0.0, now - self.opened_at)
            metrics.FIRST_AUDIO.labels(self._engine, self.endpoint).observe(self.first_audio)
            self._top_up()  # the first audio is out: the lookahead may start
        elif runs_dry_at is not None and now > runs_dry_at:
            metrics.UNDERRUNS.labels(self._engine).inc()


def _cancelling() -> bool:
    """True if the running task itself is being cancelled."""
    task = asyncio.current_task()
    return task is not None and task.cancelling() > 0


def _audio_seconds(seconds: float, _result: object) -> float:
    return seconds


async def speak_all(pipeline: TurnPipeline, units: Sequence[tuple[str, int]]) -> AsyncGenerator[Rendered]:
    """A whole text's pieces in order (``units``: ``(text, first word)`` pairs), then one piece with the
    turn's tail (possibly empty). Closing the generator stops the pipeline."""
    try:
        for text, first_word in units:
            pipeline.add(text, first_word)
        for _ in units:
            async for piece in pipeline.next_unit():
                yield piece
        yield Rendered(await pipeline.finish())
    finally:
        await pipeline.aclose()
