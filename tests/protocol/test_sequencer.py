"""TurnSequencer on its own, for any dialect: lanes, cancellation, bounds and pacing, fed by hand."""

from __future__ import annotations

from voicewire.exceptions import EngineError
from voicewire.protocol.sequencer import (
    EndTurn,
    Event,
    Job,
    Problem,
    SpeakUnit,
    TurnAudio,
    TurnComplete,
    TurnFailed,
    TurnSequencer,
)
from voicewire.protocol.turn import TurnOptions

OPTIONS = TurnOptions(voice_id="heart")


def audio_of(events: list[Event], context: str | None = "any") -> bytes:
    return b"".join(e.audio for e in events if isinstance(e, TurnAudio) and context in ("any", e.turn.context))


def finish(seq: TurnSequencer, jobs: list[Job], seconds: float = 0.0, now: float = 0.0) -> None:
    for job in jobs:
        if isinstance(job, SpeakUnit):
            seq.job_done(job, job.text.encode(), seconds=seconds, now=now)
        else:
            seq.job_done(job, b"|", now=now)


def test_lanes_are_independent() -> None:
    seq = TurnSequencer(now=0.0)
    seq.add_text(0.0, "Context a speaks first.", context="a", options=OPTIONS, close=True)
    seq.add_text(0.0, "Context b speaks too.", context="b", options=OPTIONS, close=True)
    jobs = seq.jobs_to_run()
    a = [j for j in jobs if j.turn.context == "a"]
    b = [j for j in jobs if j.turn.context == "b"]
    finish(seq, b)  # b finishes while a has not started: b does not wait for a
    events = seq.events_to_send()
    assert audio_of(events, "b") == b"Context b speaks too.|" and isinstance(events[-1], TurnComplete)
    finish(seq, a)
    assert audio_of(seq.events_to_send(), "a") == b"Context a speaks first.|"


def test_one_lane_keeps_its_turns_in_order() -> None:
    seq = TurnSequencer(now=0.0)
    seq.add_text(0.0, "First turn.", options=OPTIONS, close=True)
    seq.add_text(0.0, "Second turn.", options=OPTIONS, close=True)
    first, end1, second, end2 = seq.jobs_to_run()
    finish(seq, [second, end2])
    assert seq.events_to_send() == []  # held behind the first turn
    finish(seq, [first, end1])
    assert audio_of(seq.events_to_send()) == b"First turn.|Second turn.|"


def test_cancel_drops_the_open_turn_its_queued_work_and_what_is_held_silently() -> None:
    seq = TurnSequencer(now=0.0)
    seq.add_text(0.0, "One sentence here. Another one follows. And a third", context="c", options=OPTIONS)
    one, two = seq.jobs_to_run()
    seq.job_done(one, b"x" * 10, seconds=3.0, now=0.0)  # 3 s of audio: most of it is held back
    seq.job_audio(two, b"y", seconds=0.5, now=0.0)
    sent = seq.events_to_send()
    assert sent and seq.busy
    seq.cancel(0.1, "c")
    assert seq.events_to_send() == [] and not seq.wants(two) and not seq.turn_open and not seq.busy
    assert seq.dropped(two.turn) and seq.turn_over(two.turn)
    seq.job_done(two, b"late", now=0.2)  # a result that comes in after the cancel is thrown away
    seq.tick(5.0)
    assert [e for e in seq.events_to_send() if not isinstance(e, Problem)] == []
    seq.add_text(1.0, "A new turn in the same context.", context="c", options=OPTIONS, close=True)
    finish(seq, seq.jobs_to_run())
    assert audio_of(seq.events_to_send()).replace(b" ", b"") == b"Anewturninthesamecontext.|"


def test_too_many_turns_are_refused_with_a_problem() -> None:
    seq = TurnSequencer(now=0.0, max_queued_turns=3)
    for n in range(5):
        seq.add_text(0.0, f"Turn {n}.", options=OPTIONS, close=True)
    problems = [e for e in seq.events_to_send() if isinstance(e, Problem)]
    assert len(problems) == 2 and all(p.error.code == "queue_full" for p in problems)
    assert len([j for j in seq.jobs_to_run() if isinstance(j, EndTurn)]) == 3


def test_too_much_text_queued_is_refused() -> None:
    seq = TurnSequencer(now=0.0, max_turn_chars=100, max_queued_chars=150)
    seq.add_text(0.0, "a" * 90 + ".", options=OPTIONS, close=True)
    seq.add_text(0.0, "b" * 90 + ".", options=OPTIONS, close=True)  # 182 characters would be queued
    problems = [e for e in seq.events_to_send() if isinstance(e, Problem)]
    assert [p.error.code for p in problems] == ["queue_full"]
    finish(seq, seq.jobs_to_run())
    seq.add_text(0.0, "b" * 90 + ".", options=OPTIONS, close=True)  # spoken meanwhile: room again
    assert not [e for e in seq.events_to_send() if isinstance(e, Problem)]


def test_an_open_turn_that_goes_over_the_queue_fails() -> None:
    seq = TurnSequencer(now=0.0, max_turn_chars=1000, max_queued_chars=100)
    seq.add_text(0.0, "Hello there ", options=OPTIONS)
    seq.add_text(0.0, "x " * 60, options=OPTIONS)
    failed = [e for e in seq.events_to_send() if isinstance(e, TurnFailed)]
    assert [f.error.code for f in failed] == ["queue_full"] and not seq.turn_open


def test_audio_is_paced_and_the_deadline_says_when_more_is_due() -> None:
    seq = TurnSequencer(now=0.0)
    seq.add_text(0.0, "A sentence of about four seconds of audio for the pacer.", options=OPTIONS)
    [unit] = seq.jobs_to_run()
    for i in range(40):  # 4 s of audio arrives at once, in 0.1 s pieces
        seq.job_audio(unit, bytes([i]), seconds=0.1, now=0.0)
    first = seq.events_to_send()
    assert 1 <= len(first) <= 21  # the first piece, the lead, what is over the hold: not all of it
    deadline = seq.next_deadline()
    assert deadline is not None and 0.0 < deadline <= 0.1 + 1e-6
    seq.tick(deadline)
    assert seq.events_to_send()  # a drip
    seq.job_done(unit, now=0.2)
    seq.add_text(0.2, "", close=True)
    finish(seq, seq.jobs_to_run(), now=0.2)
    rest = seq.events_to_send()
    assert isinstance(rest[-1], TurnComplete)  # the turn ended: all that was held goes out, then complete
    assert audio_of(first) + audio_of(rest) != b"" and not seq.busy


def test_a_failure_goes_out_after_the_audio_held_before_it() -> None:
    seq = TurnSequencer(now=0.0)
    seq.add_text(0.0, "One. Two.", options=OPTIONS, close=True)
    one, two, _end = seq.jobs_to_run()
    for i in range(30):
        seq.job_audio(one, bytes([i]), seconds=0.1, now=0.0)
    seq.job_done(one, now=0.0)
    seq.job_failed(two, EngineError("broken"), now=0.0)
    events = seq.events_to_send()
    assert isinstance(events[-1], TurnFailed) and audio_of(events) == bytes(range(30))
