"""The ``info`` answer: one streaming tts program, installed voices only, in Wyoming's shapes."""

from __future__ import annotations

from wyoming.info import Info

from voicewire.dialects.wyoming.info import info_event
from voicewire.engines.base import VoiceInfo


def _voice(voice_id: str, engine: str, *, installed: bool = True) -> VoiceInfo:
    return VoiceInfo(voice_id=voice_id, engine=engine, display_name=voice_id.capitalize(),
                     languages=("en-GB", "en-US"), sample_rate=24000, installed=installed)  # fmt: skip


def test_info_lists_installed_voices_sorted_with_languages_and_attribution() -> None:
    event = info_event([_voice("zed", "piper"), _voice("amy", "hibari"), _voice("far", "hibari", installed=False)],
                       version="9.9")  # fmt: skip
    info = Info.from_event(event)  # the reference parser accepts it
    [program] = info.tts
    assert program.name == "voicewire" and program.installed and program.version == "9.9"
    assert program.supports_synthesize_streaming
    assert [v.name for v in program.voices] == ["amy", "zed"]
    amy, zed = program.voices
    assert amy.languages == ["en_GB", "en_US"] and amy.speakers is None and amy.installed
    assert amy.attribution.name == "hibari-tts" and zed.attribution.name == "rhasspy"
    assert amy.description == "Amy (en_GB, hibari, 24000 Hz)"
