"""WavesLiveSession fuzzed: random client frames, clock ticks and job results, checked against a model of
docs/protocol.md.

A run is a list of actions: frames (valid ones with random text, flags and voice settings; ones
with exactly one bad field; malformed, binary and oversized frames), time passing, and an in-test
synthesizer that completes or fails the jobs the session handed out, in any order, in pieces. The
model knows which turns the client opened and closed and what text each got. Checked on every run:
exactly one ``complete`` per closed turn and none for an open turn (or exactly one ``error`` for a
turn that failed), every non-space character of a turn's text reaches its units in order (every
word, when no timed flush could cut one), units are delivered in job order and turns in turn order,
every bad frame gets one ``error`` frame naming the field and changes nothing else, and nothing
raises.
"""

from __future__ import annotations

import base64
import itertools
import json
import struct
from dataclasses import dataclass, field
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from support.fuzz import count_case, fuzz_settings
from voicewire.dialects.waves.live import MAX_FRAME_BYTES, WavesLiveSession
from voicewire.exceptions import EngineError, UnknownVoice
from voicewire.protocol.sequencer import EndTurn, Job, SpeakUnit
from voicewire.protocol.turn import TurnOptions, WordTiming
from voicewire.text.words import client_words

KNOWN_VOICES = ("magnus", "heart")
IDLE_TIMEOUT = 60.0
OVERSIZED = json.dumps({"text": "x" * MAX_FRAME_BYTES, "voice_id": "magnus"})

WORDS = ["Hello", "world.", "Dr.", "Smith", "3.", "14", "$9.99", "e.g.", "U.S.", "7:30", "p.m.", "in", "and", "—",
         "...", "?!", "Yes!", "🎉", "👩‍👩‍👧", "שלום", "مرحبا.", "\u200b", "\u200d", "\u202e", "\x00", "\x07", "\ud800",
         "\udfff", "\ud83d", "\ude00", "12345", "!!!", "x" * 70, "ﬁ", "Ａ", "e\u0301", "null", '"', "{"]  # fmt: skip
SEPARATORS = [" ", "", "", "\n", "\t", "  ", "\u00a0", "\u2028", "\u3000", "\x1c"]
fragments = st.one_of(
    st.lists(st.tuples(st.sampled_from(WORDS), st.sampled_from(SEPARATORS)), max_size=8).map(
        lambda pairs: "".join(w + s for w, s in pairs)
    ),
    st.text(max_size=12),
    st.sampled_from(["", " ", "\n\n"]),
)

# Valid values of every optional field ("absent" is a key left out).
OPTIONAL: dict[str, list[Any]] = {
    "continue": [True, True, False, None],
    "flush": [True, False, None],
    "max_buffer_flush_ms": [0, 1, 50, 250.5, None],
    "complete_backoff_ms": [0, 10.5, None],
    "voice_id": ["magnus", "heart", " Heart ", "nobody", None],
    "model": ["lightning_v3.1", "lightning-v3.1-pro", None],
    "speed": [0.5, 1, 1.75, 2.0, None],
    "sample_rate": [8000, 24000, 44100, 16000.0, None],
    "output_format": ["pcm", "wav", "mp3", "ulaw", "alaw", None],
    "language": ["auto", "en", "EN ", None],
    "word_timestamps": [True, False, None],
    "request_id": ["client-1", "a.b_c", None],
    "session_id": ["conv.1", None],
    "similarity": [0.5, "anything"],  # unknown fields are ignored
}
# One bad value per field: the frame must get an error naming the field.
BAD: dict[str, list[Any]] = {
    "text": [5, [], {}, True, 1.5],
    "voice_id": ["", "  ", 5, [], True],
    "continue": ["yes", 1, 0, []],
    "flush": ["no", 1, {}],
    "max_buffer_flush_ms": [-1, 600_001, "10", True, [], float("nan"), float("inf")],
    "complete_backoff_ms": ["x", True, []],
    "speed": [0.49, 2.01, "fast", True, float("nan"), float("-inf")],
    "sample_rate": [7999, 44101, 16000.5, "16000", True, float("nan")],
    "output_format": ["ogg", 5, ""],
    "model": ["lightning", 5, ""],
    "language": [5, []],
    "word_timestamps": ["yes", 1],
    "request_id": ["bad id", "", "x" * 129, 5],
    "session_id": ["é", 5],
}


def nested(depth: int, field: str = "speed") -> str:
    return f'{{"voice_id": "magnus", "text": "Hi.", "{field}": {"[" * depth}{"]" * depth}}}'


MALFORMED_TEXT = ["", "{", "nul", "[1,", '{"text": }', "\x00", "[" * 100_000, "[1, 2]", '"text"', "5", "null", "true",
                  nested(32), nested(500, "text"), nested(990), nested(5000, "similarity")]  # fmt: skip


@dataclass(frozen=True)
class Send:
    message: dict[str, Any]
    how: str  # "json", "ascii-json" (lone surrogates escaped), "object" (receive_message)
    bad: str | None = None  # the one bad field, if any


@dataclass(frozen=True)
class Malformed:
    payload: str | bytes | None  # text frame, binary frame, or None: a frame over the limit


@dataclass(frozen=True)
class Advance:
    seconds: float


@dataclass(frozen=True)
class Synthesize:
    picks: list[int]  # which outstanding jobs to report, as indices modulo their count
    cuts: int  # how many pieces each unit's audio is reported in
    pad: int  # bytes of filler per unit (large ones exercise chunk splitting)


@dataclass(frozen=True)
class Fail:
    pick: int
    partial: bool  # some of the unit's audio is reported first


Action = Send | Malformed | Advance | Synthesize | Fail


@st.composite
def messages(draw: st.DrawFn) -> Send:
    message: dict[str, Any] = {}
    if draw(st.integers(0, 9)):
        message["text"] = draw(fragments)
    for name in draw(st.sets(st.sampled_from(sorted(OPTIONAL)))):
        message[name] = draw(st.sampled_from(OPTIONAL[name]))
    # The turn structure is what matters most: a usable voice and the flags, more often than not.
    if draw(st.integers(0, 3)):
        message["voice_id"] = draw(st.sampled_from(KNOWN_VOICES))
    if draw(st.booleans()):
        message.update(draw(st.sampled_from([{"continue": True}, {"flush": True}, {"continue": False}, {}])))
    bad = None
    if draw(st.integers(0, 5)) == 0:
        bad = draw(st.sampled_from(sorted(BAD)))
        message[bad] = draw(st.sampled_from(BAD[bad]))
        if bad != "voice_id" and draw(st.booleans()):
            message["voice_id"] = "magnus"  # without a voice, the missing voice may be what is named
    return Send(message, draw(st.sampled_from(["json", "json", "ascii-json", "object"])), bad)


actions = st.one_of(
    messages(),
    messages(),
    st.builds(Malformed, st.one_of(st.sampled_from(MALFORMED_TEXT), st.binary(max_size=8), st.none())),
    st.builds(Advance, st.sampled_from([0.0, 0.01, 0.06, 0.3, 1.0, 30.0, 61.0])),
    st.builds(Synthesize, st.lists(st.integers(0, 50), max_size=6), st.integers(1, 3), st.sampled_from([0, 0, 60_000])),
    st.builds(Fail, st.integers(0, 50), st.booleans()),
)


@dataclass
class ModelTurn:
    request_id: str
    voice_id: str | None  # None: a flush that opened nothing
    texts: list[str] = field(default_factory=list)
    closed: bool = False
    must_fail: bool = False  # the synthesizer failed one of its jobs
    may_fail: bool = False  # its text may be over the limit
    timed_flush: bool = False  # max_buffer_flush_ms was set: a tick may cut a word


def check_voice(settings: TurnOptions) -> None:
    if settings.voice_id.lower() not in KNOWN_VOICES:
        raise UnknownVoice(settings.voice_id)


class Harness:
    def __init__(self, max_turn_chars: int) -> None:
        ids = itertools.count(1)
        self.session = WavesLiveSession(now=0.0, idle_timeout=IDLE_TIMEOUT, max_turn_chars=max_turn_chars,
                                   check_voice=check_voice, session_id="ws_fuzz",
                                   new_request_id=lambda: f"task_{next(ids)}")  # fmt: skip
        self.max_turn_chars = max_turn_chars
        self.now = 0.0
        self.frames: list[dict[str, Any]] = []
        self.outstanding: list[Job] = []
        self.jobs: dict[int, Job] = {}
        self.audio: dict[int, bytes] = {}  # what each reported job's whole audio is
        self.turns: dict[str, ModelTurn] = {}
        self.open: ModelTurn | None = None
        self.bad_frames = 0

    def take(self, jobs: bool = True) -> list[dict[str, Any]]:
        new = self.session.frames_to_send()
        self.frames += new
        for job in self.session.sequencer.jobs_to_run() if jobs else ():
            turn = self.turns[job.turn.meta["request_id"]]
            assert turn.voice_id is not None and job.turn.options.voice_id == turn.voice_id
            self.outstanding.append(job)
            self.jobs[job.job_id] = job
        return new

    def _sync_open(self) -> None:
        """The session may end the open turn itself only for a reason the model knows of."""
        if self.open is not None and not self.session.sequencer.turn_open:
            assert self.open.must_fail or self.open.may_fail, "the session closed a turn on its own"
            self.open.closed, self.open.must_fail, self.open = True, True, None
        assert self.session.sequencer.turn_open == (self.open is not None)

    # -- actions ---------------------------------------------------------------------------------------
    def do(self, action: Action) -> None:
        if isinstance(action, Send):
            self.send(action)
        elif isinstance(action, Malformed):
            self.malformed(action.payload)
        elif isinstance(action, Advance):
            self.now += action.seconds
            deadline = self.session.sequencer.next_deadline()
            if deadline is not None and self.now >= deadline:
                self.session.sequencer.tick(self.now)
                self.take()
        elif isinstance(action, Synthesize):
            for pick in action.picks:
                if self.outstanding:
                    self.report(self.outstanding.pop(pick % len(self.outstanding)), action.cuts, action.pad)
        elif self.outstanding:
            job = self.outstanding.pop(action.pick % len(self.outstanding))
            if self.session.sequencer.wants(job):
                self.turns[job.turn.meta["request_id"]].must_fail = True
            if action.partial:
                self.audio[job.job_id] = audio = record(job, 0)
                self.session.sequencer.job_audio(job, audio[:5])
                self.take()
            self.session.sequencer.job_failed(job, EngineError("The fuzz engine failed."))
            self.take()
        self._sync_open()

    def send(self, action: Send) -> None:
        if action.how == "object":
            sent = action.message
            self.session.receive_message(sent, self.now)
        else:
            raw = json.dumps(action.message, ensure_ascii=action.how == "ascii-json")
            sent = json.loads(raw)  # what the session reads (escaped surrogate pairs join)
            self.session.receive_text(raw, self.now)
        new = self.take(jobs=False)  # the model learns of a new turn below
        text = sent.get("text") or ""
        voice = sent.get("voice_id")
        if action.bad is not None:
            opens = self.open is None and isinstance(text, str) and text.strip() and action.bad != "text"
            self.expect_error(new, "invalid_field", action.bad, "voice_id" if opens and voice is None else None)
        elif self.open is None and text.strip() and voice is None:
            self.expect_error(new, "invalid_field", "voice_id")
        elif self.open is None and text.strip() and voice.strip().lower() not in KNOWN_VOICES:
            self.expect_error(new, "unknown_voice", "voice_id")
        else:
            self.apply(sent, text)
        self.take()

    def apply(self, sent: dict[str, Any], text: str) -> None:
        closes = bool(sent.get("flush")) or not sent.get("continue")
        if text and not text.strip() and not sent.get("flush"):
            return  # a keepalive: it neither opens, splits nor closes a turn
        if self.open is None:
            if not text.strip():
                if sent.get("flush"):  # answered with a complete, though nothing was said
                    self.new_turn(None).closed = True
                return
            self.open = self.new_turn(sent["voice_id"].strip())
        turn = self.open
        if sent.get("max_buffer_flush_ms"):
            turn.timed_flush = True
        turn.texts.append(text)
        turn.may_fail = turn.may_fail or sum(map(len, turn.texts)) > self.max_turn_chars
        if closes:
            turn.closed, self.open = True, None

    def new_turn(self, voice_id: str | None) -> ModelTurn:
        turn = ModelTurn(f"task_{len(self.turns) + 1}", voice_id)
        self.turns[turn.request_id] = turn
        return turn

    def malformed(self, payload: str | bytes | None) -> None:
        if payload is None:
            self.session.receive_text(OVERSIZED, self.now)
        elif isinstance(payload, bytes):
            self.session.receive_binary(payload, self.now)
        else:
            self.session.receive_text(payload, self.now)
        self.expect_error(self.take(), "malformed_message", None)

    def expect_error(self, new: list[dict[str, Any]], code: str, name: str | None, other: str | None = None) -> None:
        """One error frame for the frame just sent, naming ``name`` (or ``other``, if given)."""
        assert [(f["status"], f.get("code"), "request_id" in f) for f in new] == [("error", code, False)], new
        message = new[0]["message"]
        assert name is None or f"'{name}'" in message or (other is not None and f"'{other}'" in message), message
        self.bad_frames += 1

    def report(self, job: Job, cuts: int, pad: int) -> None:
        """The synthesizer: a job's audio is a record naming it, in ``cuts`` pieces, then done."""
        self.audio[job.job_id] = audio = record(job, pad)
        words = []
        if isinstance(job, SpeakUnit):
            n = job.first_word
            words = [
                WordTiming(n + i, w, 0.1 * (n + i), 0.1 * (n + i + 1)) for i, w in enumerate(client_words(job.text))
            ]
        step = -(-len(audio) // cuts)
        pieces = [audio[i : i + step] for i in range(0, len(audio), step)]
        for i, piece in enumerate(pieces[:-1]):
            self.session.sequencer.job_audio(job, piece, words if i == 0 else ())
            self.take()
        self.session.sequencer.job_done(job, pieces[-1], words if len(pieces) == 1 else ())
        self.take()

    def finish(self) -> None:
        while self.outstanding:
            self.report(self.outstanding.pop(0), 1, 0)
        self._sync_open()
        assert not self.session.sequencer.busy


def record(job: Job, pad: int) -> bytes:
    return struct.pack(">cII", b"E" if isinstance(job, EndTurn) else b"U", job.job_id, pad) + bytes(pad)


def records(audio: bytes) -> list[tuple[bytes, int]]:
    """The whole records in ``audio`` (a failed unit's may be cut short)."""
    out = []
    while len(audio) >= 9:
        kind, job_id, pad = struct.unpack(">cII", audio[:9])
        if len(audio) < 9 + pad:
            break
        out.append((kind, job_id))
        audio = audio[9 + pad :]
    return out


def solid(text: str) -> str:
    return "".join(text.split())


def check(h: Harness) -> None:
    order = [int(f["request_id"].split("_")[1]) for f in h.frames if "request_id" in f]
    assert order == sorted(order), "turns are answered in order"
    loose = [f for f in h.frames if "request_id" not in f]
    assert all(f["status"] == "error" for f in loose)
    assert len(loose) == h.bad_frames + (h.session.close is not None)
    for rid, turn in h.turns.items():
        frames = [f for f in h.frames if f.get("request_id") == rid]
        assert all(f["session_id"] == "ws_fuzz" for f in frames)
        ends = [f for f in frames if f["status"] in ("complete", "error")]
        if not turn.closed:
            assert ends == [], "nothing ends an open turn"
            continue
        assert len(ends) == 1 and frames[-1] is ends[0], "one complete or error, after the turn's audio"
        chunks = [f["data"]["audio"] for f in frames if f["status"] == "chunk"]
        assert all(0 < len(c) <= 64_000 for c in chunks)
        audio = b"".join(base64.b64decode(c) for c in chunks)
        units = records(audio)
        issued = sorted(j.job_id for j in h.jobs.values() if j.turn.meta["request_id"] == rid)
        reported = list(itertools.takewhile(lambda i: i in h.audio, issued))
        expected = b"".join(h.audio[i] for i in reported)
        spoken = "".join(h.jobs[i].text for kind, i in units if kind == b"U")  # type: ignore[union-attr]
        if ends[0]["status"] == "error":
            assert turn.must_fail or turn.may_fail
            assert ends[0]["code"] in ({"engine_error"} if turn.must_fail else set()) | (
                {"text_too_long"} if turn.may_fail else set())  # fmt: skip
            assert expected.startswith(audio), "only audio from before the failure, in job order"
            assert solid("".join(turn.texts)).startswith(solid(spoken))
            continue
        assert not turn.must_fail
        assert reported == issued and audio == expected, "every job's whole audio, in job order"
        texts = [h.jobs[i].text for kind, i in units if kind == b"U"]  # type: ignore[union-attr]
        said = "".join(turn.texts)
        assert solid(" ".join(texts)) == solid(said), "every character reaches a unit, in order"
        if not turn.timed_flush:
            assert " ".join(texts).split() == said.split(), "every word reaches a unit whole, in order"
        word_frames = [f["data"] for f in frames if f["status"] == "word_timestamp"]
        if word_frames:
            assert [w["id"] for w in word_frames] == list(range(len(word_frames)))
            assert [w["word"] for w in word_frames] == [w for t in texts for w in client_words(t)]


@fuzz_settings()
@given(st.lists(actions, max_size=40), st.sampled_from([10_000, 10_000, 60]))
def test_random_conversations_keep_the_contract(run: list[Action], max_turn_chars: int) -> None:
    count_case("session")
    h = Harness(max_turn_chars)
    for action in run:
        h.do(action)
        if h.session.close is not None:
            assert h.session.close == (1000, "idle timeout") and h.frames[-1]["code"] == "timeout"
            assert not h.session.sequencer.busy, "the idle timer never fires while audio is being made"
            break
    else:
        h.finish()
    check(h)


def test_values_nested_at_any_depth_get_an_error_frame() -> None:
    """Regression: a field nested ~990 deep decoded, then its error message (repr) overflowed the
    stack and a RecursionError escaped the session. Tried at several stack depths, as the window moves."""

    def at_stack_depth(extra: int, session: WavesLiveSession, raw: str) -> None:
        if extra:
            at_stack_depth(extra - 1, session, raw)
        else:
            session.receive_text(raw, 0.0)

    for extra in (0, 10, 30, 60):
        session = WavesLiveSession(now=0.0)
        for depth in range(900, 1000):
            at_stack_depth(extra, session, nested(depth))
            assert [f["code"] for f in session.frames_to_send()] == ["malformed_message"], (extra, depth)
        at_stack_depth(extra, session, nested(31))  # still shallow enough: the bad speed is named
        assert "'speed'" in session.frames_to_send()[0]["message"]


def test_an_empty_flush_is_answered_after_the_turns_before_it() -> None:
    """Regression (found by the fuzz test above): the ``complete`` of a flush with nothing open went
    out at once, ahead of the audio of a turn still being synthesized."""
    ids = itertools.count(1)
    session = WavesLiveSession(now=0.0, new_request_id=lambda: f"task_{next(ids)}")
    session.receive_text(json.dumps({"text": "Hello there.", "voice_id": "magnus"}), 0.0)
    jobs = session.sequencer.jobs_to_run()
    session.receive_text(json.dumps({"text": "", "flush": True}), 0.0)
    assert session.frames_to_send() == [] and session.sequencer.busy
    for job in jobs:
        session.sequencer.job_done(job, b"x")
    frames = session.frames_to_send()
    assert [(f["status"], f["request_id"]) for f in frames if f["status"] != "chunk"] == [
        ("complete", "task_1"), ("complete", "task_2")]  # fmt: skip
    assert not session.sequencer.busy
