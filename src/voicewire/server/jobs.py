"""JobRunner: carries out a LiveSession's jobs (engine on the worker pool, then the turn's renderer)."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

import numpy as np

from voicewire import metrics
from voicewire.engines.base import EngineAudio
from voicewire.engines.catalog import ResolvedVoice
from voicewire.exceptions import EngineError, VoicewireError
from voicewire.protocol.request import VoiceSettings
from voicewire.protocol.session import EndTurn, Job, LiveSession, SpeakUnit, Turn
from voicewire.server.services import Services
from voicewire.synthesis.render import TurnRenderer
from voicewire.synthesis.units import PreparedUnit, prepare

__all__ = ["JobRunner", "voice_checker"]

logger = logging.getLogger("voicewire.server")


def voice_checker(services: Services):  # type: ignore[no-untyped-def]
    """The session's ``check_voice``: the voice exists and speaks the requested language."""

    def check(settings: VoiceSettings) -> None:
        voice = services.catalog.resolve(settings.voice_id)
        services.catalog.check_language(voice, settings.language)

    return check


MARGIN_S = 0.5
"""A later unit is due this long before its stream's buffered audio runs out."""


class JobRunner:
    """One per connection: a renderer per turn, one job at a time, results back into the session.

    Deadlines for the scheduler: a turn's first audio is wanted now; after that, the listener plays
    in real time from the moment the turn's first audio was made, so the next unit is due when the
    audio made so far runs out (less ``MARGIN_S``).

    With ``on_progress``, a unit goes block by block (``Engine.synthesize_blocks``): each block is
    rendered and handed to the session as a partial result as soon as it is decoded, then
    ``on_progress()`` is called so the adapter can send the session's frames before the next block.
    Without it, units are synthesized whole (nobody would send the partial results sooner).
    """

    def __init__(
        self,
        services: Services,
        session: LiveSession,
        *,
        on_progress: Callable[[], None] | None = None,
        endpoint: str = "websocket",
    ) -> None:
        self.services = services
        self.session = session
        self.endpoint = endpoint
        self._on_progress = on_progress
        self._renderers: dict[int, TurnRenderer] = {}
        self._stats: dict[int, tuple[float, float | None]] = {}  # ended turns: (audio s, first audio s)
        self._playing_since: dict[int, float] = {}  # when each turn's first audio was made

    def _deadline(self, turn_id: int) -> float:
        started = self._playing_since.get(turn_id)
        renderer = self._renderers.get(turn_id)
        if started is None or renderer is None:
            return time.monotonic()
        return started + renderer.seconds - MARGIN_S

    def _played(self, turn: Turn, audio: bytes, runs_dry_at: float | None) -> None:
        """Audio of ``turn`` was just made: time its first audio; count an underrun if a real-time
        listener would have run out before it (``runs_dry_at``, taken before the audio was made)."""
        if not audio:
            return
        now = time.monotonic()
        model = turn.settings.model
        if turn.turn_id not in self._playing_since:
            self._playing_since[turn.turn_id] = now
            if turn.opened_at:
                metrics.FIRST_AUDIO.labels(model, self.endpoint).observe(max(0.0, now - turn.opened_at))
        elif runs_dry_at is not None and now > runs_dry_at:
            metrics.UNDERRUNS.labels(model).inc()

    def _runs_dry_at(self, turn_id: int) -> float | None:
        started = self._playing_since.get(turn_id)
        renderer = self._renderers.get(turn_id)
        return None if started is None or renderer is None else started + renderer.seconds

    def take_stats(self, turn_id: int) -> tuple[float, float | None]:
        """(seconds of audio, seconds to its first audio) of a finished or failed turn; (0, None) if unknown."""
        return self._stats.pop(turn_id, (0.0, None))

    def _drop(self, turn: Turn) -> TurnRenderer | None:
        playing = self._playing_since.pop(turn.turn_id, None)
        renderer = self._renderers.pop(turn.turn_id, None)
        if renderer is not None:
            first = None if playing is None or not turn.opened_at else max(0.0, playing - turn.opened_at)
            self._stats[turn.turn_id] = (renderer.seconds, first)
        return renderer

    async def run(self, job: Job) -> None:
        """Do ``job`` and report it to the session (never raises, except cancellation).

        A job whose turn fails meanwhile (``session.wants`` turns false) stops between blocks.
        """
        turn = job.turn
        if not self.session.wants(job):
            self._drop(turn)
            return
        try:
            settings = turn.settings
            renderer = self._renderers.get(turn.turn_id)
            if renderer is None:
                renderer = self._renderers[turn.turn_id] = TurnRenderer(
                    settings.output_format, settings.sample_rate, word_timestamps=settings.word_timestamps
                )
            if isinstance(job, EndTurn):
                self._drop(turn)
                self.session.job_done(job, renderer.finish())
                return
            voice = self.services.catalog.resolve(settings.voice_id)
            unit = prepare(job.text, job.first_word)
            if unit.speakable and self._on_progress is not None:
                await self._stream(job, renderer, voice, unit)
                return
            dry_at = self._runs_dry_at(turn.turn_id)
            if unit.speakable:
                deadline = self._deadline(turn.turn_id)
                audio = await self.services.pool.synthesize(voice, unit.words, settings.speed, deadline=deadline)
            else:
                audio = EngineAudio(samples=np.zeros(0, np.float32), sample_rate=voice.info.sample_rate, word_spans=())
            rendered = renderer.add(unit, audio)
            self._played(turn, rendered.audio, dry_at)
            self.session.job_done(job, rendered.audio, rendered.words)
        except VoicewireError as exc:
            self._drop(turn)
            self.session.job_failed(job, exc)
        except Exception as exc:
            logger.exception("! synthesis failed for %s", turn.request_id)
            self._drop(turn)
            self.session.job_failed(job, EngineError(f"Synthesis failed: {type(exc).__name__}: {exc}"))

    async def _stream(self, job: SpeakUnit, renderer: TurnRenderer, voice: ResolvedVoice, unit: PreparedUnit) -> None:
        """A unit block by block: each block's piece goes to the session as soon as it is rendered;
        the last block's goes with the end of the unit, in one result (no tiny frame of its own)."""
        assert self._on_progress is not None
        pool = self.services.pool
        turn_id = job.turn.turn_id
        stream = await pool.open_stream(voice, unit.words, job.turn.settings.speed, deadline=self._deadline(turn_id))
        renderer.begin_unit(unit, stream)
        received = 0
        while received < stream.length:
            if not self.session.wants(job):  # the turn failed or the session is closing
                self._drop(job.turn)
                return
            block = await pool.next_block(voice, stream, deadline=self._deadline(turn_id))
            if block is None:
                break  # end_unit() says the stream fell short
            received += len(block)
            dry_at = self._runs_dry_at(turn_id)
            rendered = renderer.add_block(block)
            self._played(job.turn, rendered.audio, dry_at)
            if received == stream.length:
                end = renderer.end_unit()
                self.session.job_done(job, rendered.audio + end.audio, (*rendered.words, *end.words))
                return
            if rendered.audio or rendered.words:
                self.session.job_audio(job, rendered.audio, rendered.words)
                self._on_progress()
        rendered = renderer.end_unit()
        self.session.job_done(job, rendered.audio, rendered.words)
