"""TurnPipeline: one turn's units of text in, its encoded audio and word timings out, in order.

Every transport (sync, SSE, the live socket, the OpenAI endpoint, the CLI) speaks through this. All
the work runs on the pool's workers, each piece as one scheduled call with a deadline, so the
scheduler orders it and admission is charged for all of it:

1. the *front* of a unit: text preparation (``prepare``: normalization in the turn's language) and
   the engine call that fixes the unit's length and word spans (``Engine.synthesize_blocks``; for an
   engine that does not stream, the whole synthesis). Fronts of the next ``lookahead`` units start
   early, so a unit is ready when the one before it has been heard;
2. each *block* of the unit, as the engine decodes it, through the turn's renderer (trim, pauses,
   fades, resampling, encoding), so a listener hears the start of a unit before its end is made.
   Blocks of a turn run one after another: the renderer keeps state across them.

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
from itertools import islice

import numpy as np

from voicewire import metrics
from voicewire.engines.base import EngineAudio, UnitStream
from voicewire.engines.catalog import ResolvedVoice
from voicewire.protocol.turn import TurnOptions
from voicewire.synthesis.pool import SynthesisPool
from voicewire.synthesis.render import Rendered, TurnRenderer
from voicewire.synthesis.units import PreparedUnit, TurnReading, prepare
from voicewire.text.ssml import UnitMarkup

__all__ = ["BATCH_SLACK_S", "MARGIN_S", "Pacing", "TurnPipeline", "speak_all"]

MARGIN_S = 0.5
"""A live turn's next audio is due this long before its listener's buffered audio runs out."""
BATCH_SLACK_S = 5.0
"""How long a batch turn's work gives way to live streams."""


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
    (in the same order), then ``finish`` once; ``aclose`` if the turn ends early.

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
    ) -> None:
        """``reading``: the turn's pronunciation dictionaries and speech markup, if it has any."""
        self.pool = pool
        self.voice = voice
        self.options = options
        self.language = language
        self.pacing = pacing
        self.lookahead = lookahead
        self.endpoint = endpoint
        self.reading = reading
        self.opened_at = time.monotonic() if opened_at is None else opened_at
        self.renderer = TurnRenderer(
            options.output_format, options.sample_rate, word_timestamps=options.word_timestamps
        )
        self.first_audio: float | None = None
        """Seconds from ``opened_at`` to the first audio made, once there is some."""
        self._pending: deque[_Pending] = deque()
        self._playing_since: float | None = None
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
        self._top_up()

    def _top_up(self) -> None:
        for pending in islice(self._pending, self.lookahead + 1):
            if pending.front is None:
                pending.front = asyncio.ensure_future(self._front(pending))

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
            pending.front = asyncio.ensure_future(self._front(pending))
        front = await pending.front
        self._pending.popleft()
        self._top_up()
        stream, renderer = front.stream, self.renderer
        state = {"received": 0, "begun": False}

        def step() -> tuple[Rendered, int, bool]:
            if not state["begun"]:
                renderer.begin_unit(front.unit, stream)
                state["begun"] = True
            if state["received"] >= stream.length:
                return renderer.end_unit(), 0, True
            block = next(stream.blocks, None)
            if block is None:  # the engine fell short of what it announced: end_unit says so
                return renderer.end_unit(), 0, True
            state["received"] += len(block)
            piece = renderer.add_block(block)
            if state["received"] < stream.length:
                return piece, len(block), False
            end = renderer.end_unit()
            return Rendered(piece.audio + end.audio, piece.words + end.words), len(block), True

        rate = stream.sample_rate
        while True:
            dry_at = self._runs_dry_at()
            piece, _samples, last = await self.pool.run(
                self._engine, step, deadline=self._deadline(), audio_s=lambda r: r[1] / rate
            )
            self._played(piece.audio, dry_at)
            yield piece
            if last:
                return

    async def finish(self) -> bytes:
        """The turn's tail: the resampler's delay line and the encoder's flush. Call once, last."""
        return await self.pool.run(self._engine, self.renderer.finish, deadline=self._deadline(), audio_s=lambda _: 0.0)

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
    async def _front(self, pending: _Pending) -> _Front:
        voice, speed, language = self.voice, self.options.speed, self.language
        lexicon = None if self.reading is None else self.reading.lexicon

        def work() -> _Front:
            unit = prepare(pending.text, pending.first_word, language=language, lexicon=lexicon, markup=pending.markup)
            if not unit.speakable:
                silent = EngineAudio(samples=np.zeros(0, np.float32), sample_rate=voice.info.sample_rate, word_spans=())
                return _Front(unit, UnitStream.whole(silent))
            return _Front(unit, voice.engine.synthesize_blocks(voice.info.voice_id, unit.utterance(speed)))

        return await self.pool.run(self._engine, work, deadline=self._deadline(), audio_s=lambda _: 0.0)

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
        elif runs_dry_at is not None and now > runs_dry_at:
            metrics.UNDERRUNS.labels(self._engine).inc()


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
