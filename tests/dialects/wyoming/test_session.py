"""One connection's Wyoming events, fed in without I/O; the sequencer's jobs answered by hand."""

from __future__ import annotations

from typing import Any

import pytest
from wyoming.event import Event

from voicewire.dialects.wyoming.session import CHUNK_SAMPLES, ListenerDefaults, WyomingSession
from voicewire.engines.base import VoiceInfo
from voicewire.exceptions import EngineError, InvalidField, MalformedMessage, UnknownVoice
from voicewire.protocol.sequencer import EndTurn, Job, SpeakUnit
from voicewire.protocol.turn import TurnOptions

VOICES = {
    "heart": VoiceInfo(
        voice_id="heart", engine="hibari", display_name="Heart", languages=("en-US",), sample_rate=24000
    ),
    "joe": VoiceInfo(voice_id="joe", engine="piper", display_name="Joe", languages=("en-US",), sample_rate=22050),
    "siwis": VoiceInfo(voice_id="siwis", engine="piper", display_name="Siwis", languages=("fr-FR",), sample_rate=22050),
}


def resolve(options: TurnOptions) -> VoiceInfo:
    info = VOICES.get(options.voice_id)
    if info is None:
        raise UnknownVoice(options.voice_id, VOICES)
    wanted = options.language.replace("_", "-").lower()
    if wanted != "auto" and wanted.split("-")[0] != info.language.split("-")[0].lower():
        raise InvalidField("language", options.language, f"'auto' or {info.language!r}")
    return info


def session(max_text_chars: int = 1000) -> WyomingSession:
    return WyomingSession(now=0.0, resolve=resolve, voices=VOICES.values, version="1.0",
                          defaults=ListenerDefaults(voice="heart", pronunciation_dicts=("d1",)),
                          max_text_chars=max_text_chars)  # fmt: skip


def send(s: WyomingSession, kind: str, **data: Any) -> list[Event]:
    s.receive_event(Event(kind, data), 1.0)
    return s.outgoing()


def speak_all(s: WyomingSession, samples: int = 1500, jobs: list[Job] | None = None) -> list[Event]:
    """Answer every job (``jobs``, then any the sequencer hands out) with ``samples`` samples per unit."""
    out: list[Event] = []
    while jobs := jobs or s.sequencer.jobs_to_run():
        for job in jobs:
            if isinstance(job, SpeakUnit):
                s.sequencer.job_audio(job, b"\x01\x00" * samples)
            s.sequencer.job_done(job)
            out += s.outgoing()
        jobs = None
    return out


def kinds(events: list[Event]) -> list[str]:
    return [e.type for e in events]


def test_a_synthesize_is_one_group_in_the_voices_rate_chunked() -> None:
    s = session()
    assert send(s, "synthesize", text="Hello there. How are you?", voice={"name": "joe"}) == []
    first, *jobs = s.sequencer.jobs_to_run()
    assert isinstance(first, SpeakUnit) and first.turn.options.sample_rate == 22050
    assert first.turn.meta["whole_answer"]  # read to its end before it is played: may wait for capacity
    assert first.turn.options.pronunciation_dicts == ("d1",) and first.turn.options.output_format == "pcm"
    s.sequencer.job_audio(first, b"\x01\x00" * 1500)
    out = s.outgoing()
    assert kinds(out) == ["audio-start", "audio-chunk", "audio-chunk"]
    assert [len(e.payload or b"") for e in out[1:]] == [CHUNK_SAMPLES * 2, (1500 - CHUNK_SAMPLES) * 2]
    assert {(e.data["rate"], e.data["width"], e.data["channels"]) for e in out} == {(22050, 2, 1)}
    assert out[2].data["timestamp"] == CHUNK_SAMPLES * 1000 // 22050
    s.sequencer.job_done(first)
    rest = speak_all(s, jobs=jobs)
    assert kinds(rest) == ["audio-chunk", "audio-chunk", "audio-stop"]


def test_a_stream_ignores_the_compatibility_synthesize_and_ends_with_synthesize_stopped() -> None:
    s = session()
    send(s, "synthesize-start", voice={"name": "heart"})
    assert send(s, "synthesize-chunk", text="Hello th") == [] and s.sequencer.jobs_to_run() == []
    send(s, "synthesize-chunk", text="ere. How are")
    jobs = s.sequencer.jobs_to_run()
    assert jobs and not any(job.turn.meta.get("whole_answer") for job in jobs)  # played as it comes
    first = speak_all(s, samples=10, jobs=jobs)
    assert kinds(first) == ["audio-start", "audio-chunk"]  # the first sentence, before the rest arrived
    send(s, "synthesize-chunk", text=" you?")
    assert send(s, "synthesize", text="Hello there. How are you?") == []  # ignored inside a stream
    send(s, "synthesize-stop")
    rest = speak_all(s, samples=10)
    assert kinds(rest) == ["audio-chunk", "audio-stop", "synthesize-stopped"]
    assert {e.data["rate"] for e in first + rest if e.type.startswith("audio-") and "rate" in e.data} == {24000}
    # after the stream, a synthesize is a request of its own again
    send(s, "synthesize", text="Bye.")
    assert kinds(speak_all(s, samples=10)) == ["audio-start", "audio-chunk", "audio-stop"]


def test_an_empty_stream_and_a_stray_stop_answer_synthesize_stopped_only() -> None:
    s = session()
    send(s, "synthesize-start")
    assert kinds(send(s, "synthesize-stop")) == ["synthesize-stopped"]
    assert kinds(send(s, "synthesize-stop")) == ["synthesize-stopped"]


def test_a_stream_with_a_bad_voice_errs_once_ignores_its_text_and_still_stops() -> None:
    s = session()
    [error] = send(s, "synthesize-start", voice={"name": "nobody"})
    assert error.data["code"] == "unknown_voice" and "'voice.name'" in error.data["text"]
    assert send(s, "synthesize-chunk", text="Not spoken. At all.") == [] and s.sequencer.jobs_to_run() == []
    assert kinds(send(s, "synthesize-stop")) == ["synthesize-stopped"]


def test_a_turn_that_fails_after_its_audio_start_closes_its_group_and_its_stream() -> None:
    s = session()
    send(s, "synthesize-start", voice={"name": "heart"})
    send(s, "synthesize-chunk", text="One sentence here. And another one")
    [unit] = s.sequencer.jobs_to_run()
    assert isinstance(unit, SpeakUnit)
    s.sequencer.job_audio(unit, b"\x00\x00" * 10)
    out = send(s, "synthesize-stop")
    jobs = s.sequencer.jobs_to_run()
    s.sequencer.job_failed(unit, EngineError("The engine broke."))
    out += s.outgoing()
    assert kinds(out) == ["audio-start", "audio-chunk", "error", "audio-stop", "synthesize-stopped"]
    assert out[2].data == {"text": "The engine broke.", "code": "engine_error"}
    for job in jobs:  # results that come in after the failure are dropped
        s.sequencer.job_done(job)
    assert s.outgoing() == []


def test_a_stream_whose_open_turn_fails_ignores_its_further_text() -> None:
    s = session(max_text_chars=30)
    send(s, "synthesize-start")
    out = send(s, "synthesize-chunk", text="x" * 40)
    assert kinds(out) == ["error"] and out[0].data["code"] == "text_too_long"
    assert send(s, "synthesize-chunk", text="More text. Is ignored now.") == []
    assert s.sequencer.jobs_to_run() == []
    assert kinds(send(s, "synthesize-stop")) == ["synthesize-stopped"]


@pytest.mark.parametrize(
    ("data", "code", "says"),
    [
        ({"text": 5}, "invalid_field", "'text'"),
        ({"text": "  "}, "invalid_field", "'text'"),
        ({"text": "x" * 1001}, "text_too_long", "1001"),
        ({"text": "Hi.", "voice": "joe"}, "invalid_field", "'voice'"),
        ({"text": "Hi.", "voice": {"name": 3}}, "invalid_field", "'voice.name'"),
        ({"text": "Hi.", "voice": {"name": "joe", "speaker": "p1"}}, "invalid_field", "'voice.speaker'"),
        ({"text": "Hi.", "voice": {"language": "de_DE"}}, "invalid_field", "en_US, fr_FR"),
        ({"text": "Hi.", "voice": {"name": "joe", "language": "fr"}}, "invalid_field", "'voice.language'"),
        ({"text": "Hi.", "text_format": "html"}, "invalid_field", "'text_format'"),
        ({"text": "<speak>Hi.", "text_format": "ssml"}, "invalid_markup", "line 1"),
    ],
    ids=["text-type", "blank", "too-long", "voice-type", "name-type", "speaker", "language", "voice-language",
         "format", "bad-markup"],
)
def test_bad_requests_get_one_error_naming_the_field(data: dict[str, Any], code: str, says: str) -> None:
    s = session()
    [error] = send(s, "synthesize", **data)
    assert error.type == "error" and error.data["code"] == code and says in error.data["text"]
    assert s.sequencer.jobs_to_run() == [] and not s.close
    send(s, "synthesize", text="Still served.")
    assert kinds(speak_all(s))[-1] == "audio-stop"


def test_a_language_without_a_name_picks_a_voice_that_speaks_it() -> None:
    s = session()
    send(s, "synthesize", text="Bonjour.", voice={"language": "fr_FR"})
    send(s, "synthesize", text="Hello.", voice={"language": "en"})
    voices = [j.turn.options.voice_id for j in s.sequencer.jobs_to_run() if isinstance(j, EndTurn)]
    assert voices == ["siwis", "heart"]  # the default voice first when it speaks the language


def test_describe_ping_unknown_events_and_misplaced_stream_events() -> None:
    s = session()
    [info] = send(s, "describe")
    assert info.type == "info" and [v["name"] for v in info.data["tts"][0]["voices"]] == ["heart", "joe", "siwis"]
    assert send(s, "ping", text="x")[0].data == {"text": "x"}
    assert send(s, "audio-chunk", rate=1) == [] and send(s, "select-program", name="x") == []
    [error] = send(s, "synthesize-chunk", text="Hi.")
    assert error.data["code"] == "malformed_message" and "synthesize-start" in error.data["text"]
    send(s, "synthesize-start")
    [error] = send(s, "synthesize-start")
    assert "already open" in error.data["text"]


def test_a_framing_error_is_answered_and_a_fatal_one_closes() -> None:
    s = session()
    s.receive_error(MalformedMessage("Bad size."), 1.0, fatal=False)
    assert kinds(s.outgoing()) == ["error"] and not s.close
    s.receive_error(MalformedMessage("Not JSON."), 1.0, fatal=True)
    assert s.outgoing()[0].data["text"] == "Not JSON." and s.close


def test_an_idle_connection_is_told_and_closed() -> None:
    s = WyomingSession(now=0.0, resolve=resolve, voices=VOICES.values, version="1", idle_timeout=5.0)
    s.sequencer.tick(6.0)
    [error] = s.outgoing()
    assert error.data["code"] == "timeout" and s.close
