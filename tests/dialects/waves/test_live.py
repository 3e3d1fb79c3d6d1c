"""WavesLiveSession fed messages and job results by hand: no event loop, no sockets, no engine."""

from __future__ import annotations

import base64
import itertools
import json
from typing import Any

import pytest

from voicewire.dialects.waves.live import WavesLiveSession
from voicewire.exceptions import EngineError, InvalidField, UnknownVoice
from voicewire.protocol.sequencer import EndTurn, Job, SpeakUnit
from voicewire.protocol.turn import TurnOptions, WordTiming
from voicewire.text.words import client_words

VOICE = {"voice_id": "magnus"}


def make(**kwargs: Any) -> WavesLiveSession:
    counter = itertools.count(1)
    kwargs.setdefault("now", 0.0)
    return WavesLiveSession(new_request_id=lambda: f"task_{next(counter)}", session_id="ws_test", **kwargs)


def send(session: WavesLiveSession, now: float = 0.0, **message: Any) -> None:
    session.receive_text(json.dumps({**VOICE, **message}), now)


def run_jobs(session: WavesLiveSession, jobs: list[Job] | None = None) -> list[Job]:
    """Complete jobs like an adapter would: a unit's audio is its text, a word spans 0.1 s."""
    jobs = session.sequencer.jobs_to_run() if jobs is None else jobs
    for job in jobs:
        if isinstance(job, SpeakUnit):
            words = [WordTiming(job.first_word + i, w, 0.1 * (job.first_word + i), 0.1 * (job.first_word + i + 1))
                     for i, w in enumerate(client_words(job.text))]  # fmt: skip
            session.sequencer.job_done(job, job.text.encode(), words)
        else:
            session.sequencer.job_done(job, b"|end")
    return jobs


def statuses(frames: list[dict[str, Any]]) -> list[str]:
    return [f["status"] for f in frames]


def audio_of(frames: list[dict[str, Any]]) -> bytes:
    return b"".join(base64.b64decode(f["data"]["audio"]) for f in frames if f["status"] == "chunk")


def test_one_shot_message_gives_audio_then_one_complete() -> None:
    s = make()
    send(s, text="Hello there, how are you today? I am fine.")
    jobs = run_jobs(s)
    assert [type(j) for j in jobs] == [SpeakUnit, SpeakUnit, SpeakUnit, EndTurn]
    frames = s.frames_to_send()
    assert statuses(frames).count("complete") == 1 and frames[-1]["status"] == "complete"
    assert frames[-1] == {"status": "complete", "request_id": "task_1", "session_id": "ws_test",
                          "message": "All chunks sent", "done": True}  # fmt: skip
    assert audio_of(frames) == b"Hello there,how are you today?I am fine.|end"
    assert not s.sequencer.busy and not s.sequencer.turn_open


def test_streamed_words_never_complete_an_open_turn() -> None:
    s = make()
    for word in "Streaming synthesis with chunked text input.".split():
        send(s, text=word + " ", **{"continue": True})
        run_jobs(s)
    frames = s.frames_to_send()
    assert "complete" not in statuses(frames)
    assert s.sequencer.turn_open
    send(s, text="", flush=True, **{"continue": False})
    run_jobs(s)
    frames += s.frames_to_send()
    assert statuses(frames).count("complete") == 1
    assert audio_of(frames).startswith(b"Streaming synthesis with")


def test_first_unit_is_synthesized_before_the_sentence_ends() -> None:
    s = make()
    send(s, text="Streaming delivers audio in", **{"continue": True})
    send(s, text=" real time for voice", **{"continue": True})
    jobs = s.sequencer.jobs_to_run()
    assert [j.text for j in jobs if isinstance(j, SpeakUnit)] == ["Streaming delivers audio"]


def test_fragments_keep_numbers_and_abbreviations_whole() -> None:
    s = make()
    for piece in ["I paid 3.", "14 dollars to Dr", ". Smith today", ". Thanks", "!"]:
        send(s, text=piece, **{"continue": True})
    send(s, text="", flush=True)
    texts = [j.text for j in s.sequencer.jobs_to_run() if isinstance(j, SpeakUnit)]
    assert " ".join(texts).split() == "I paid 3.14 dollars to Dr. Smith today. Thanks!".split()
    assert all(t.split()[-1] != "3." for t in texts)


def test_flush_with_nothing_open_still_completes() -> None:
    s = make()
    send(s, text="", flush=True)
    frames = s.frames_to_send()
    assert statuses(frames) == ["complete"] and not s.sequencer.jobs_to_run()


def test_blank_text_without_flush_is_a_keepalive() -> None:
    s = make(idle_timeout=10)
    send(s, now=8.0, text=" ")
    assert s.frames_to_send() == [] and s.sequencer.jobs_to_run() == [] and not s.sequencer.turn_open
    assert s.sequencer.next_deadline() == 18.0


def test_a_keepalive_in_the_middle_of_a_turn_neither_splits_nor_closes_it() -> None:
    """Pipecat sends {"text": " "} every 30 s, without continue, turn or no turn."""
    s = make(idle_timeout=10)
    send(s, text="Hello there, how", **{"continue": True})
    run_jobs(s)
    send(s, now=9.0, text=" ")
    assert s.sequencer.turn_open and s.sequencer.jobs_to_run() == []
    assert "complete" not in statuses(s.frames_to_send())
    send(s, now=9.5, text=" are you?", **{"continue": True})
    send(s, text="", **{"continue": False})
    jobs = run_jobs(s)
    assert [j.text for j in jobs if isinstance(j, SpeakUnit)] == ["how are you?"] and isinstance(jobs[-1], EndTurn)
    assert statuses(s.frames_to_send()).count("complete") == 1


def test_an_empty_message_without_continue_closes_an_open_turn() -> None:
    s = make()
    send(s, text="Hello", **{"continue": True})
    send(s, text="")
    jobs = run_jobs(s)
    assert isinstance(jobs[-1], EndTurn) and statuses(s.frames_to_send())[-1] == "complete"


@pytest.mark.parametrize(
    ("raw", "fragment"),
    [("{not json", "not valid JSON"), ("[1, 2]", "JSON object"), ('"text"', "JSON object"),
     ('{"text": 5, "voice_id": "magnus"}', "'text'"), ('{"text": "hi", "voice_id": ""}', "'voice_id'"),
     ('{"text": "hi", "voice_id": "magnus", "speed": 9}', "'speed'"),
     ('{"text": "hi", "voice_id": "magnus", "continue": "yes"}', "'continue'"),
     ('{"text": "hi", "voice_id": "magnus", "max_buffer_flush_ms": -1}', "'max_buffer_flush_ms'"),
     ('{"text": "hi", "voice_id": "magnus", "sample_rate": 3}', "'sample_rate'")],
)  # fmt: skip
def test_bad_frames_get_an_error_and_change_nothing(raw: str, fragment: str) -> None:
    s = make()
    send(s, text="Hello", **{"continue": True})
    s.receive_text(raw, 1.0)
    frames = s.frames_to_send()
    assert statuses(frames) == ["error"] and fragment in frames[0]["message"]
    assert s.sequencer.turn_open
    send(s, text=" world.", flush=True)
    run_jobs(s)
    frames = s.frames_to_send()
    assert audio_of(frames) == b"Hello world.|end" and statuses(frames)[-1] == "complete"


def test_binary_and_oversized_frames() -> None:
    s = make()
    s.receive_binary(b"\x00\x01", 0.0)
    s.receive_text(json.dumps({**VOICE, "text": "x" * (1 << 20)}), 0.0)
    frames = s.frames_to_send()
    assert statuses(frames) == ["error", "error"]
    assert "Binary" in frames[0]["message"] and "over the limit" in frames[1]["message"]


def test_text_over_the_turn_limit_ends_the_turn_with_one_error() -> None:
    s = make(max_turn_chars=40)
    send(s, text="This is fine", **{"continue": True})
    send(s, text=" and this is way too much text for the limit", **{"continue": True})
    frames = s.frames_to_send()
    assert statuses(frames) == ["error"] and frames[0]["request_id"] == "task_1"
    assert frames[0]["code"] == "text_too_long"
    assert not s.sequencer.turn_open and not s.sequencer.busy
    send(s, text="New turn.")
    run_jobs(s)
    frames = s.frames_to_send()
    assert {f["request_id"] for f in frames} == {"task_2"} and statuses(frames)[-1] == "complete"


def test_engine_failure_ends_the_turn_after_the_audio_before_it() -> None:
    s = make()
    send(s, text="One. Two. Three. Four.")
    jobs = s.sequencer.jobs_to_run()
    s.sequencer.job_done(jobs[0], b"one")
    s.sequencer.job_failed(jobs[1], EngineError("boom"))
    assert not s.sequencer.wants(jobs[2])
    run_jobs(s, jobs[2:])  # late results of the failed turn are ignored
    frames = s.frames_to_send()
    assert statuses(frames) == ["chunk", "error"] and frames[1]["message"] == "boom"
    assert frames[1]["request_id"] == "task_1" and not s.sequencer.busy
    send(s, text="Again.")
    run_jobs(s)
    assert statuses(s.frames_to_send())[-1] == "complete"


def test_results_out_of_order_are_delivered_in_order() -> None:
    s = make()
    send(s, text="One. Two. Three.")
    jobs = s.sequencer.jobs_to_run()
    for job in reversed(jobs):
        s.sequencer.job_done(job, job.text.encode() if isinstance(job, SpeakUnit) else b"!")
    assert audio_of(s.frames_to_send()) == b"One.Two.Three.!"


def test_turns_are_delivered_one_after_the_other() -> None:
    s = make(max_turn_chars=30)
    send(s, text="First turn.")
    first = s.sequencer.jobs_to_run()
    send(s, text="Second turn.")
    second = s.sequencer.jobs_to_run()
    send(s, text="x" * 40)  # a third turn, refused: its error waits for the turns before it
    run_jobs(s, second)
    assert s.frames_to_send() == []
    run_jobs(s, first)
    frames = s.frames_to_send()
    assert [(f["status"], f["request_id"]) for f in frames if f["status"] != "chunk"] == [
        ("complete", "task_1"), ("complete", "task_2"), ("error", "task_3")]  # fmt: skip


def test_word_timestamps_come_before_their_audio() -> None:
    s = make()
    send(s, text="Hello there, world.", word_timestamps=True)
    run_jobs(s)
    frames = s.frames_to_send()
    # Audio that goes out at once goes as one chunk; every word's frame comes before it.
    assert statuses(frames) == ["word_timestamp", "word_timestamp", "word_timestamp", "chunk", "complete"]
    assert frames[0]["data"] == {"id": 0, "word": "Hello", "start": 0.0, "end": 0.1}
    assert frames[2]["data"]["id"] == 2


def test_large_audio_is_split_into_small_frames() -> None:
    s = make()
    send(s, text="Hi.")
    jobs = s.sequencer.jobs_to_run()
    big = bytes(range(256)) * 800  # 204,800 bytes
    s.sequencer.job_done(jobs[0], big)
    s.sequencer.job_done(jobs[1], b"")
    frames = [f for f in s.frames_to_send() if f["status"] == "chunk"]
    assert len(frames) == 5
    assert all(len(f["data"]["audio"]) <= 65536 for f in frames)
    assert audio_of(frames) == big


def test_ids_are_echoed_and_each_turn_has_its_own() -> None:
    s = make()
    send(s, text="One.", request_id="client-7", session_id="conv.1")
    send(s, text="Two.")
    run_jobs(s)
    frames = s.frames_to_send()
    first = [f for f in frames if f["request_id"] == "task_1"]
    assert all(f["external_request_id"] == "client-7" and f["external_session_id"] == "conv.1" for f in first)
    assert all("external_request_id" not in f for f in frames if f["request_id"] == "task_2")
    assert all(f["session_id"] == "ws_test" for f in frames)


def test_the_opening_message_fixes_the_voice_settings() -> None:
    s = make()
    send(s, text="Hello", voice_id="heart", speed=1.5, **{"continue": True})
    send(s, text=" there.", voice_id="magnus", speed=0.5)
    settings = {j.turn.options for j in s.sequencer.jobs_to_run()}
    assert settings == {TurnOptions(voice_id="heart", speed=1.5)}


def test_unknown_voice_is_refused_before_a_turn_opens() -> None:
    def check(settings: TurnOptions) -> None:
        if settings.voice_id != "magnus":
            raise UnknownVoice(settings.voice_id)

    s = make(check_voice=check)
    send(s, text="Hello.", voice_id="nobody")
    frames = s.frames_to_send()
    assert statuses(frames) == ["error"] and "'nobody'" in frames[0]["message"] and not s.sequencer.turn_open
    assert s.sequencer.jobs_to_run() == []
    send(s, text="Hello.")
    assert s.sequencer.jobs_to_run()


def test_max_buffer_flush_ms_flushes_without_closing_the_turn() -> None:
    s = make()
    send(s, now=1.0, text="Thinking about", max_buffer_flush_ms=200, **{"continue": True})
    assert s.sequencer.jobs_to_run() == []
    assert s.sequencer.next_deadline() == pytest.approx(1.2)
    s.sequencer.tick(1.1)
    assert s.sequencer.jobs_to_run() == []
    s.sequencer.tick(1.2)
    jobs = s.sequencer.jobs_to_run()
    assert [j.text for j in jobs] == ["Thinking about"] and s.sequencer.turn_open
    run_jobs(s, jobs)
    assert "complete" not in statuses(s.frames_to_send())


def test_idle_timeout_has_the_exact_message_and_closes_1000() -> None:
    s = make(idle_timeout=5)
    assert s.sequencer.next_deadline() == 5.0
    s.sequencer.tick(4.9)
    assert s.close is None
    s.sequencer.tick(5.0)
    assert s.frames_to_send() == [{"status": "error", "message": "Connection timed out after 5 seconds of inactivity",
                                   "code": "timeout"}]  # fmt: skip
    assert s.close == (1000, "idle timeout")


def test_idle_timeout_waits_for_the_turn_audio() -> None:
    s = make(idle_timeout=5)
    send(s, now=1.0, text="A long answer.")
    jobs = s.sequencer.jobs_to_run()
    s.sequencer.tick(10.0)
    assert s.close is None and s.sequencer.next_deadline() is None  # busy: the timer does not run
    run_jobs(s, jobs)
    assert s.sequencer.next_deadline() == 6.0
    s.sequencer.tick(10.0)  # time ran out while the audio went out: fires after it
    frames = s.frames_to_send()
    assert statuses(frames)[-2:] == ["complete", "error"] and s.close == (1000, "idle timeout")


def test_invalid_messages_still_count_as_activity() -> None:
    s = make(idle_timeout=5)
    s.receive_text("nope", 4.0)
    assert s.sequencer.next_deadline() == 9.0


def test_check_voice_errors_name_the_field() -> None:
    def check(settings: TurnOptions) -> None:
        raise InvalidField("language", settings.language, "'auto' or 'en' for voice 'magnus'")

    s = make(check_voice=check)
    send(s, text="Hola.", language="es")
    assert "'language'" in s.frames_to_send()[0]["message"]


def test_voice_id_is_needed_to_open_a_turn_only() -> None:
    s = make()
    s.receive_text('{"text": "Hello"}', 0.0)
    assert "'voice_id'" in s.frames_to_send()[0]["message"] and not s.sequencer.turn_open
    send(s, text="Hello", **{"continue": True})
    s.receive_text('{"text": " there.", "flush": true}', 0.0)  # later messages of the turn may leave it out
    run_jobs(s)
    assert statuses(s.frames_to_send())[-1] == "complete"


def test_no_word_frames_unless_asked() -> None:
    s = make()
    send(s, text="Hello there, world.")
    run_jobs(s)
    assert "word_timestamp" not in statuses(s.frames_to_send())


# -- partial results: a unit's audio as it is decoded ---------------------------------------------------


def timing(index: int, word: str) -> WordTiming:
    return WordTiming(index, word, 0.1 * index, 0.1 * index + 0.05)


def test_partials_of_the_oldest_job_go_out_at_once() -> None:
    s = make()
    send(s, text="Hello there, world.", word_timestamps=True)
    first, second, end = s.sequencer.jobs_to_run()
    s.sequencer.job_audio(first, b"he", [timing(0, "Hello")])
    assert [(f["status"], f.get("data", {}).get("word")) for f in s.frames_to_send()] == [
        ("word_timestamp", "Hello"), ("chunk", None)]  # fmt: skip
    s.sequencer.job_audio(first, b"", [timing(1, "there,")])  # words may come without audio
    s.sequencer.job_audio(first, b"llo")
    frames = s.frames_to_send()
    assert statuses(frames) == ["word_timestamp", "chunk"] and audio_of(frames) == b"llo"
    s.sequencer.job_done(first)
    assert s.frames_to_send() == [] and s.sequencer.busy
    s.sequencer.job_done(second, b"world", [timing(2, "world.")])
    s.sequencer.job_done(end, b"|end")
    frames = s.frames_to_send()
    assert statuses(frames) == ["word_timestamp", "chunk", "complete"] and audio_of(frames) == b"world|end"
    assert audio_of(frames) == b"world|end" and not s.sequencer.busy


def test_partials_of_a_later_job_wait_for_the_jobs_before_it() -> None:
    s = make()
    send(s, text="One. Two. Three.", word_timestamps=True)
    one, two, three, end = s.sequencer.jobs_to_run()
    s.sequencer.job_audio(two, b"t", [timing(1, "Two.")])
    s.sequencer.job_audio(two, b"w")
    s.sequencer.job_done(three, b"three")
    assert s.frames_to_send() == []
    s.sequencer.job_audio(one, b"o")
    assert audio_of(s.frames_to_send()) == b"o"
    s.sequencer.job_done(one, b"ne")
    frames = s.frames_to_send()  # the rest of "one", then what "two" has so far, in one go; not "three"
    assert statuses(frames) == ["word_timestamp", "chunk"] and audio_of(frames) == b"netw"
    s.sequencer.job_done(two, b"o")
    s.sequencer.job_done(end, b"|")
    frames = s.frames_to_send()
    assert audio_of(frames) == b"othree|" and statuses(frames)[-1] == "complete"


def test_a_failure_after_partials_ends_the_turn_after_the_audio_sent() -> None:
    s = make()
    send(s, text="One. Two.")
    one, two, _end = s.sequencer.jobs_to_run()
    s.sequencer.job_audio(one, b"on")
    s.sequencer.job_audio(two, b"never")  # waiting behind "one": dropped with the failed turn
    s.sequencer.job_failed(one, EngineError("boom"))
    frames = s.frames_to_send()
    assert statuses(frames) == ["chunk", "error"] and audio_of(frames) == b"on"
    assert not s.sequencer.wants(two) and not s.sequencer.busy
    s.sequencer.job_audio(two, b"late")
    s.sequencer.job_done(two)
    assert s.frames_to_send() == []


# -- continuations (context_id), as the LiveKit and Pipecat plugins send them -----------------------


def test_each_context_is_a_turn_of_its_own_and_its_frames_carry_its_id() -> None:
    s = make()
    send(s, text="Hello ", context_id="ctx-a", **{"continue": True})
    send(s, text="Bonjour ", context_id="ctx-b", **{"continue": True})
    send(s, text="world.", context_id="ctx-a", **{"continue": True})
    send(s, text="", context_id="ctx-a", **{"continue": False})
    run_jobs(s)
    frames = s.frames_to_send()
    assert {f["context_id"] for f in frames} == {"ctx-a"}  # b is still open: nothing of it yet
    assert statuses(frames).count("complete") == 1 and s.sequencer.is_open("ctx-b")
    send(s, text="le monde.", context_id="ctx-b", **{"continue": False})
    run_jobs(s)
    frames = s.frames_to_send()
    assert {f["context_id"] for f in frames} == {"ctx-b"} and frames[-1]["status"] == "complete"
    assert audio_of(frames).startswith(b"Bonjour le monde.")


def test_cancel_request_drops_a_context_and_says_nothing_more() -> None:
    s = make()
    send(s, text="This answer will be cut short by the user. ", context_id="barge", **{"continue": True})
    jobs = s.sequencer.jobs_to_run()
    s.receive_text(json.dumps({"voice_id": "magnus", "context_id": "barge", "cancel_request": True}), 0.0)
    assert not any(s.sequencer.wants(job) for job in jobs) and not s.sequencer.turn_open
    run_jobs(s, jobs)  # results that come in after the cancel are thrown away
    assert s.frames_to_send() == []
    send(s, text="The socket is still usable.", context_id="next")
    run_jobs(s)
    assert statuses(s.frames_to_send())[-1] == "complete"


def test_a_context_s_sentences_sent_without_spaces_are_joined_with_one() -> None:
    s = make()
    for sentence in ("Hello there.", "How are you today?", "Fine."):
        send(s, text=sentence, context_id="pipecat", **{"continue": True})
    send(s, text="", context_id="pipecat", **{"continue": False})
    texts = [j.text for j in s.sequencer.jobs_to_run() if isinstance(j, SpeakUnit)]
    assert " ".join(texts) == "Hello there. How are you today? Fine."


def test_tokens_of_a_context_are_joined_as_they_come() -> None:
    s = make()
    for token in ("Hel", "lo", " the", "re, 3.", "5 apples", " now."):
        send(s, text=token, context_id="livekit", **{"continue": True})
    send(s, text="", context_id="livekit", **{"continue": False})
    texts = [j.text for j in s.sequencer.jobs_to_run() if isinstance(j, SpeakUnit)]
    assert " ".join(texts) == "Hello there, 3.5 apples now."


def test_max_buffer_delay_ms_speaks_what_a_context_buffered() -> None:
    s = make()
    send(s, now=0.0, text="no sentence end yet", context_id="c", max_buffer_delay_ms=3000, **{"continue": True})
    assert s.sequencer.jobs_to_run() == [] and s.sequencer.next_deadline() == 3.0
    s.sequencer.tick(3.0)
    assert [j.text for j in s.sequencer.jobs_to_run()] == ["no sentence end yet"]


def test_a_bad_cancel_request_is_an_error_frame() -> None:
    s = make()
    s.receive_text(json.dumps({"context_id": "x", "cancel_request": "yes"}), 0.0)
    [frame] = s.frames_to_send()
    assert frame["status"] == "error" and "'cancel_request'" in frame["message"]


# -- speech markup and dictionaries per turn -------------------------------------------------------------


def test_a_markup_turn_is_held_until_it_closes_then_spoken_from_its_text() -> None:
    s = make()
    send(s, text='<speak>Wait <break time="700ms"/> for', markup="ssml", **{"continue": True})
    send(s, text=' <say-as interpret-as="characters">it</say-as>.</speak>', **{"continue": True})
    assert s.sequencer.jobs_to_run() == [] and s.frames_to_send() == []  # nothing before the close
    send(s, text="", flush=True)
    jobs = s.sequencer.jobs_to_run()
    assert [j.text for j in jobs if isinstance(j, SpeakUnit)] == ["Wait", "for it."]
    marked = jobs[0].turn.meta["marked"]
    assert marked.text == "Wait\nfor it." and marked.pauses == {4: 0.7}
    run_jobs(s, jobs)
    assert statuses(s.frames_to_send()).count("complete") == 1


def test_malformed_markup_is_one_error_and_the_next_turn_works() -> None:
    s = make()
    send(s, text="<speak>Hello <b>there</speak>", markup="ssml")
    frames = s.frames_to_send()
    assert statuses(frames) == ["error"] and frames[0]["code"] == "invalid_markup"
    assert "(character 21): </speak> closes <b>" in frames[0]["message"] and s.sequencer.jobs_to_run() == []
    send(s, text="Plain <b> text.")  # the next turn has no markup: "<b>" is just text
    assert [j.text for j in s.sequencer.jobs_to_run() if isinstance(j, SpeakUnit)] == ["Plain <b> text."]


def test_a_markup_turn_over_the_limit_is_refused() -> None:
    s = make(max_turn_chars=40)
    send(s, text="<speak>" + "word " * 6, markup="ssml", **{"continue": True})
    send(s, text="word " * 6 + "</speak>", **{"continue": True})
    frames = s.frames_to_send()
    assert statuses(frames) == ["error"] and frames[0]["code"] == "text_too_long"


def test_dictionaries_are_named_per_turn() -> None:
    s = make()
    send(s, text="First turn.", pronunciation_dicts=["pd1", "pd2"])
    send(s, text="Second turn.")
    turns = [j.turn for j in s.sequencer.jobs_to_run() if isinstance(j, SpeakUnit)]
    assert [t.options.pronunciation_dicts for t in turns] == [("pd1", "pd2"), ()]
    send(s, text="Bad.", pronunciation_dicts="pd1")
    assert s.frames_to_send()[-1]["code"] == "invalid_field"
