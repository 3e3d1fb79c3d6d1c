"""JobRunner: carries out a LiveSession's jobs (engine on the worker pool, then the turn's renderer)."""

from __future__ import annotations

import logging

import numpy as np

from voicewire.engines.base import EngineAudio
from voicewire.exceptions import EngineError, VoicewireError
from voicewire.protocol.request import VoiceSettings
from voicewire.protocol.session import EndTurn, Job, LiveSession
from voicewire.server.services import Services
from voicewire.synthesis.render import TurnRenderer
from voicewire.synthesis.units import prepare

__all__ = ["JobRunner", "voice_checker"]

logger = logging.getLogger("voicewire.server")


def voice_checker(services: Services):  # type: ignore[no-untyped-def]
    """The session's ``check_voice``: the voice exists and speaks the requested language."""

    def check(settings: VoiceSettings) -> None:
        voice = services.catalog.resolve(settings.voice_id)
        services.catalog.check_language(voice, settings.language)

    return check


class JobRunner:
    """One per connection: a renderer per turn, one job at a time, results back into the session."""

    def __init__(self, services: Services, session: LiveSession) -> None:
        self.services = services
        self.session = session
        self._renderers: dict[int, TurnRenderer] = {}

    async def run(self, job: Job) -> None:
        """Do ``job`` and report it to the session (never raises, except cancellation)."""
        turn = job.turn
        if not self.session.wants(job):
            self._renderers.pop(turn.turn_id, None)
            return
        try:
            settings = turn.settings
            renderer = self._renderers.get(turn.turn_id)
            if renderer is None:
                renderer = self._renderers[turn.turn_id] = TurnRenderer(settings.output_format, settings.sample_rate)
            if isinstance(job, EndTurn):
                del self._renderers[turn.turn_id]
                self.session.job_done(job, renderer.finish())
                return
            voice = self.services.catalog.resolve(settings.voice_id)
            unit = prepare(job.text, job.first_word)
            if unit.speakable:
                audio = await self.services.pool.synthesize(voice, unit.words, settings.speed)
            else:
                audio = EngineAudio(samples=np.zeros(0, np.float32), sample_rate=voice.info.sample_rate, word_spans=())
            rendered = renderer.add(unit, audio)
            self.session.job_done(job, rendered.audio, rendered.words)
        except VoicewireError as exc:
            self._renderers.pop(turn.turn_id, None)
            self.session.job_failed(job, exc)
        except Exception as exc:
            logger.exception("! synthesis failed for %s", turn.request_id)
            self._renderers.pop(turn.turn_id, None)
            self.session.job_failed(job, EngineError(f"Synthesis failed: {type(exc).__name__}: {exc}"))
