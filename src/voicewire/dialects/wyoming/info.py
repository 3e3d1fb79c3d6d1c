"""The ``info`` answer to ``describe``: one ``tts`` program with every installed voice.

Home Assistant takes the first installed ``tts`` program, offers its installed voices grouped by
each of their ``languages``, shows a voice's ``description`` (or its ``name``), and streams LLM
answers only when ``supports_synthesize_streaming`` is true.
"""

from __future__ import annotations

from collections.abc import Iterable

from wyoming.event import Event
from wyoming.info import Attribution, Info, TtsProgram, TtsVoice

from voicewire.engines.base import VoiceInfo

__all__ = ["ENGINE_ATTRIBUTION", "PROGRAM", "info_event", "wyoming_language"]

PROGRAM = "voicewire"
"""The program's name: Home Assistant names the TTS entity after it."""

ENGINE_ATTRIBUTION: dict[str, Attribution] = {
    "hibari": Attribution(name="hibari-tts", url="https://pypi.org/project/hibari-tts/"),
    "piper": Attribution(name="rhasspy", url="https://github.com/rhasspy/piper"),
}
"""Who made each engine's voices (``info`` requires an attribution per voice)."""


def wyoming_language(tag: str) -> str:
    """``en-US`` -> ``en_US``: the language codes Wyoming TTS servers announce (as wyoming-piper does)."""
    return tag.replace("-", "_")


def info_event(voices: Iterable[VoiceInfo], *, version: str) -> Event:
    """``info`` for ``voices`` (the catalog's local voices; those not installed are left out)."""
    listed = sorted((v for v in voices if v.installed), key=lambda v: v.voice_id)
    program = TtsProgram(
        name=PROGRAM,
        attribution=Attribution(name="voicewire", url=""),
        installed=True,
        description="voicewire: offline text to speech, streaming (the Waves API, OpenAI's speech endpoint, Wyoming)",
        version=version,
        voices=[_voice(v) for v in listed],
        supports_synthesize_streaming=True,
    )
    return Info(tts=[program]).event()


def _voice(info: VoiceInfo) -> TtsVoice:
    language = wyoming_language(info.language)
    return TtsVoice(
        name=info.voice_id,
        attribution=ENGINE_ATTRIBUTION.get(info.engine, Attribution(name=info.engine, url="")),
        installed=info.installed,
        description=f"{info.display_name} ({language}, {info.engine}, {info.sample_rate} Hz)",
        version=None,
        languages=[wyoming_language(tag) for tag in info.languages],
        speakers=None,  # every voice here has one speaker
    )
