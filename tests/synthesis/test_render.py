"""TurnRenderer and trim, fed synthetic engine audio so every sample is known."""

from __future__ import annotations

import io
import itertools
import wave
from dataclasses import replace

import miniaudio
import numpy as np
import pytest

from voicewire.audio.pcm import float_to_pcm16
from voicewire.engines.base import Engine, EngineAudio, UnitStream
from voicewire.synthesis.render import PAUSES, Rendered, TurnRenderer, WordTiming, pause_after, trim
from voicewire.synthesis.units import PreparedUnit, prepare, prepare_all

RATE = 24_000


def tone(seconds: float, freq: float = 220.0, level: float = 0.3) -> np.ndarray:
    t = np.arange(round(seconds * RATE)) / RATE
    return (level * np.sin(2 * np.pi * freq * t)).astype(np.float32)


def silence(seconds: float) -> np.ndarray:
    return np.zeros(round(seconds * RATE), np.float32)


def engine_audio(lead: float, speech: list[float], gap: float, tail: float) -> EngineAudio:
    """Silence, then one tone burst per word separated by ``gap``, then silence; spans are exact."""
    parts, spans, pos = [silence(lead)], [], round(lead * RATE)
    for i, seconds in enumerate(speech):
        burst = tone(seconds)
        spans.append((pos, pos + len(burst)))
        parts.append(burst)
        pos += len(burst)
        if i < len(speech) - 1:
            parts.append(silence(gap))
            pos += round(gap * RATE)
    parts.append(silence(tail))
    return EngineAudio(
        samples=np.concatenate(parts), sample_rate=RATE, word_spans=tuple(spans), lead=round(lead * RATE)
    )


@pytest.mark.parametrize(
    ("text", "pause"),
    [("Hello there.", "sentence"), ("Really?", "sentence"), ('He said "go!"', "sentence"), ("Wait…", "sentence"),
     ("Hello there,", "clause"), ("first; second;", "clause"), ("Streaming delivers audio", "none")],
)  # fmt: skip
def test_pause_follows_the_last_punctuation(text: str, pause: str) -> None:
    assert pause_after(text) == PAUSES[pause]


def test_trim_cuts_at_the_onset_and_sets_the_pause() -> None:
    audio = engine_audio(lead=0.35, speech=[0.4], gap=0.0, tail=0.6)
    out, start = trim(audio, 0.30)
    onset = round(0.35 * RATE)
    assert onset - round(0.004 * RATE) <= start < onset  # a few ms of pre-roll, no more
    expected = (onset + round(0.4 * RATE)) - start + round(0.30 * RATE)  # speech, then the pause
    assert abs(len(out) - expected) <= 2  # the last loud sample is within a sample of the tone's end
    assert out[0] == 0.0 and abs(out[-1]) < 1e-6  # faded in from and out to silence


def test_trim_pads_when_the_model_left_too_little_silence() -> None:
    audio = engine_audio(lead=0.05, speech=[0.3], gap=0.0, tail=0.01)
    out, start = trim(audio, 0.30)
    end_of_speech = round(0.05 * RATE) + round(0.3 * RATE) - start
    assert len(out) >= end_of_speech + round(0.29 * RATE)
    assert np.all(out[end_of_speech + 10 :] == 0)


def test_silent_audio_trims_to_nothing() -> None:
    out, _ = trim(EngineAudio(samples=np.zeros(5000, np.float32), sample_rate=RATE, word_spans=()), 0.3)
    assert out.size == 0


def test_word_timestamps_are_relative_to_the_turn_and_monotonic() -> None:
    units = list(prepare_all(["Hello there,", "how are you?"]))
    renderer = TurnRenderer("pcm", RATE)
    first = renderer.add(units[0], engine_audio(0.35, [0.3, 0.3], gap=0.05, tail=0.4))
    second = renderer.add(units[1], engine_audio(0.35, [0.2, 0.1, 0.25], gap=0.05, tail=0.4))
    tail = renderer.finish()
    words = first.words + second.words
    assert [w.word for w in words] == ["Hello", "there,", "how", "are", "you?"]
    assert [w.index for w in words] == [0, 1, 2, 3, 4]
    total = (len(first.audio) + len(second.audio) + len(tail)) / 2 / RATE
    # The first word starts right after the trimmed lead: a few ms in, not 350 ms.
    assert 0.0 < words[0].start < 0.005
    assert abs((words[0].end - words[0].start) - 0.3) < 1e-3
    for a, b in itertools.pairwise(words):
        assert a.start <= a.end <= b.start
    assert words[-1].end <= total
    # The second unit starts after the first unit's speech plus the clause pause.
    first_speech_end = words[1].end
    assert abs(words[2].start - (first_speech_end + PAUSES["clause"])) < 0.01


def test_a_word_with_nothing_spoken_gets_a_point_where_it_stands() -> None:
    unit = prepare("Hello 🙂 world")  # the emoji is no client word; both words get spans
    assert unit.client_words == ("Hello", "world")
    renderer = TurnRenderer("pcm", RATE)
    words = renderer.add(unit, engine_audio(0.1, [0.2, 0.2], gap=0.05, tail=0.1)).words
    assert words[0].end <= words[1].start


def test_one_wav_header_per_turn_and_none_without_audio() -> None:
    renderer = TurnRenderer("wav", RATE)
    units = list(prepare_all(["One.", "Two."]))
    parts = [renderer.add(u, engine_audio(0.1, [0.2], 0.0, 0.1)).audio for u in units] + [renderer.finish()]
    stream = b"".join(parts)
    assert stream.count(b"RIFF") == 1 and parts[0][:4] == b"RIFF" and parts[1][:4] != b"RIFF"
    with wave.open(io.BytesIO(stream)) as w:  # stdlib reads a length-unknown header up to the data's end
        assert w.getframerate() == RATE and len(w.readframes(w.getnframes())) > RATE * 2 * 0.5

    empty = TurnRenderer("wav", RATE)
    assert empty.add(prepare("..."), EngineAudio(samples=np.zeros(0, np.float32), sample_rate=RATE,
                                                  word_spans=())).audio == b""  # fmt: skip
    assert empty.finish() == b""


def test_mp3_turn_is_one_stream_at_the_requested_rate() -> None:
    renderer = TurnRenderer("mp3", 44100)
    units = list(prepare_all(["One two.", "Three four.", "Five six."]))
    stream = b"".join(renderer.add(u, engine_audio(0.1, [0.3, 0.3], 0.05, 0.1)).audio for u in units)
    stream += renderer.finish()
    decoded = miniaudio.mp3_read_s16(stream)
    assert decoded.sample_rate == 44100
    assert abs(len(decoded.samples) / 44100 - renderer.seconds) < 0.2


def test_resampling_keeps_time() -> None:
    unit = prepare("Hello there.")
    renderer = TurnRenderer("pcm", 8000)
    out = renderer.add(unit, engine_audio(0.1, [0.5, 0.5], 0.05, 0.1)).audio + renderer.finish()
    assert abs(len(out) / 2 / 8000 - renderer.seconds) < 0.002


def test_joins_have_no_clicks() -> None:
    """Units cut mid-tone still join smoothly: the step at each join is within the local signal's range."""
    renderer = TurnRenderer("pcm", RATE)
    units = list(prepare_all(["One,", "two,", "three."]))
    pieces = [renderer.add(u, engine_audio(0.0, [0.3], 0.0, 0.0)).audio for u in units]
    signal = np.frombuffer(b"".join(pieces), "<i2").astype(np.float64)
    joins = np.cumsum([len(p) // 2 for p in pieces])[:-1]
    for j in joins:
        step = abs(signal[j] - signal[j - 1])
        local = np.max(np.abs(np.diff(signal[j - 48 : j + 48])))
        assert step <= local + 1


def test_a_turn_has_one_sample_rate() -> None:
    renderer = TurnRenderer("pcm", RATE)
    renderer.add(prepare("One."), engine_audio(0.1, [0.2], 0.0, 0.1))
    other = EngineAudio(samples=tone(0.2), sample_rate=22050, word_spans=((0, 100),))
    with pytest.raises(ValueError, match="one voice per turn"):
        renderer.add(prepare("Two."), other)


# -- block by block: the same bytes and timings as the whole unit --------------------------------------


def reference_words(unit: PreparedUnit, audio: EngineAudio, start: int, length: int, base: int) -> list[WordTiming]:
    """The word timings of a whole unit, as the renderer computed them before it took blocks."""
    rate, x = audio.sample_rate, audio.samples
    spans: list[list[int]] = [[] for _ in unit.client_words]
    for spoken, (a, b) in zip(unit.spoken, audio.word_spans, strict=True):
        if spoken.source is not None:
            spans[spoken.source].extend((a, b))
    starts = [min(sp) if sp else None for sp in spans]
    out, cursor, last = [], 0, len(unit.client_words) - 1
    for j, word in enumerate(unit.client_words):
        if spans[j]:
            a, b = min(spans[j]), max(spans[j])
            if j == last or pause_after(word) > PAUSES["none"]:
                following = next((s for s in starts[j + 1 :] if s is not None), len(x))
                loud = np.flatnonzero(np.abs(x[a : max(b, following)]) > 10 ** (-50 / 20))
                b = a + int(loud[-1]) + 1 if loud.size else max(b, following)
            a = min(max(a - start, cursor), length)
            if j == 0:
                a = min(a, round(0.003 * rate))
            b = min(max(b - start, a), length)
        else:
            a = b = cursor
        cursor = a
        out.append(WordTiming(unit.first_word + j, word, (base + a) / rate, (base + b) / rate))
    return out


def reference_turn(units: list[PreparedUnit], audios: list[EngineAudio]) -> tuple[bytes, list[WordTiming]]:
    """The turn as ``trim`` and the reference timings make it, at the engine's own rate."""
    pcm, words, base = b"", [], 0
    for unit, audio in zip(units, audios, strict=True):
        samples, start = trim(audio, pause_after(unit.text))
        pcm += float_to_pcm16(samples).tobytes()
        words += reference_words(unit, audio, start, len(samples), base)
        base += len(samples)
    return pcm, words


def in_blocks(renderer: TurnRenderer, unit: PreparedUnit, audio: EngineAudio,
              sizes: list[int]) -> list[Rendered]:  # fmt: skip
    """``audio`` given to ``renderer`` in blocks of ``sizes`` samples (the last one takes the rest)."""
    renderer.begin_unit(unit, UnitStream.whole(audio))
    cuts = [*itertools.accumulate(sizes), len(audio.samples)]
    pieces = [renderer.add_block(audio.samples[a:b]) for a, b in itertools.pairwise([0, *cuts]) if a <= b]
    return [*pieces, renderer.end_unit()]


CHUNKINGS = {
    "whole": lambda n: [],
    "windows": lambda n: [32 * 256, 128 * 256, 512 * 256],  # Piper's plan
    "small": lambda n: [1, 0, 2] + [977] * (n // 977),
    "random": lambda n: list(np.random.default_rng(n).integers(0, 6000, n // 1500)),
}


def synthetic_units() -> tuple[list[PreparedUnit], list[EngineAudio]]:
    texts = ["Well, hello there.", "Streaming delivers audio", "Hi,", "and then", "it ended."]
    audios = [engine_audio(0.35, [0.2, 0.05, 0.3], 0.05, 0.4), engine_audio(0.02, [0.3, 0.2, 0.2], 0.01, 0.0),
              engine_audio(0.0, [0.002], 0.0, 0.0), EngineAudio(samples=silence(0.4), sample_rate=RATE,
              word_spans=((100, 4000), (4000, 9000))), engine_audio(0.1, [0.2, 0.3], 0.0, 0.01)]  # fmt: skip
    return list(prepare_all(texts)), audios


@pytest.mark.parametrize("chunking", CHUNKINGS)
@pytest.mark.parametrize("held", [False, True], ids=["free", "held-for-words"])
def test_blocks_render_what_the_whole_unit_renders(chunking: str, held: bool) -> None:
    units, audios = synthetic_units()
    renderer = TurnRenderer("pcm", RATE, word_timestamps=held)
    pieces = [p for u, a in zip(units, audios, strict=True)
              for p in in_blocks(renderer, u, a, CHUNKINGS[chunking](len(a.samples)))]  # fmt: skip
    pcm, words = reference_turn(units, audios)
    assert b"".join(p.audio for p in pieces) == pcm
    assert [w for p in pieces for w in p.words] == words
    whole = TurnRenderer("pcm", RATE)
    assert b"".join(whole.add(u, a).audio for u, a in zip(units, audios, strict=True)) == pcm


@pytest.mark.parametrize("engine_name", ["hibari", "piper"])
@pytest.mark.parametrize("rate", [None, 44100])
def test_engine_audio_in_blocks_renders_as_a_whole(request: pytest.FixtureRequest, engine_name: str,
                                                   rate: int | None) -> None:  # fmt: skip
    engine: Engine = request.getfixturevalue(f"{engine_name}_engine")
    voice = "heart" if engine_name == "hibari" else "joe"
    units = list(prepare_all(["Well, the birch canoe slid", "on the smooth planks.", "Yes!", "Dr. Smith paid $100."]))
    audios = [engine.synthesize(voice, u.utterance(1.0)) for u in units]
    out_rate = rate or audios[0].sample_rate
    whole, blocks = TurnRenderer("pcm", out_rate), TurnRenderer("pcm", out_rate, word_timestamps=True)
    expected = [whole.add(u, a) for u, a in zip(units, audios, strict=True)]
    got = [p for u, a in zip(units, audios, strict=True)
           for p in in_blocks(blocks, u, a, CHUNKINGS["windows"](0))]  # fmt: skip
    pcm = b"".join(r.audio for r in expected) + whole.finish()
    streamed = b"".join(r.audio for r in got) + blocks.finish()
    assert [w for r in got for w in r.words] == [w for r in expected for w in r.words]
    if rate is None:
        assert streamed == pcm
        assert pcm[: len(pcm) // 2 * 2] == reference_turn(units, audios)[0]
    else:  # the resampler's arithmetic depends a little on how its input is cut
        a, b = np.frombuffer(streamed, "<i2"), np.frombuffer(pcm, "<i2")
        assert a.shape == b.shape and np.max(np.abs(a.astype(int) - b)) <= 1


def test_audio_waits_for_the_timing_of_the_word_it_starts() -> None:
    """With word timestamps, no audio goes out ahead of the timing of a word that starts in it."""
    unit = prepare("Hello, world")  # "Hello," ends at its last audible sample before "world": known late
    audio = engine_audio(0.05, [0.3, 0.3], 0.2, 0.1)
    block = 2400
    world_block = -(-audio.word_spans[1][0] // block) - 1  # the block in which "world" begins
    for held in (False, True):
        pieces = in_blocks(TurnRenderer("pcm", RATE, word_timestamps=held), unit, audio, [block] * 8)
        assert next(i for i, p in enumerate(pieces) if p.words) == world_block
        sent = 0.0
        for piece in pieces:
            for word in piece.words:
                assert not held or sent <= word.start
            sent += len(piece.audio) / 2 / RATE
        first = len(pieces[0].audio) / 2 / RATE
        if held:
            assert first <= 0.003  # the pre-roll before "Hello," only
        else:
            assert first > 0.04  # the onset on, at once


def test_a_unit_announced_in_blocks_must_be_given_in_full() -> None:
    unit, audio = prepare("Hello there."), engine_audio(0.1, [0.2, 0.2], 0.0, 0.1)
    renderer = TurnRenderer("pcm", RATE)
    with pytest.raises(RuntimeError, match="begin_unit"):
        renderer.add_block(audio.samples)
    renderer.begin_unit(unit, UnitStream.whole(audio))
    with pytest.raises(RuntimeError, match="end_unit"):
        renderer.begin_unit(unit, UnitStream.whole(audio))
    renderer.add_block(audio.samples[:100])
    with pytest.raises(ValueError, match="Unit ended after 100"):
        renderer.end_unit()
    with pytest.raises(ValueError, match="runs past"):
        renderer.add_block(audio.samples)


# -- speech markup: a break's silence, silence before the first unit ------------------------------------


def silent_runs(pcm: bytes, rate: int, level: float = 10 ** (-50 / 20)) -> list[tuple[float, float]]:
    """``(start, seconds)`` of every stretch of at least 50 ms below ``level``."""
    x = np.abs(np.frombuffer(pcm, "<i2").astype(np.float64) / 32768) < level
    runs, start = [], None
    for i, quiet in enumerate(np.append(x, False)):
        if quiet and start is None:
            start = i
        elif not quiet and start is not None:
            if i - start >= 0.05 * rate:
                runs.append((start / rate, (i - start) / rate))
            start = None
    return runs


def test_a_break_is_exactly_its_silence_in_the_audio_and_the_timings() -> None:
    units = [replace(prepare("Wait", 0), pause=0.7), prepare("for it.", 1)]
    renderer = TurnRenderer("pcm", RATE, word_timestamps=True)
    first = renderer.add(units[0], engine_audio(0.35, [0.3], gap=0.0, tail=0.05))
    second = renderer.add(units[1], engine_audio(0.35, [0.2, 0.2], gap=0.05, tail=0.4))
    pcm = first.audio + second.audio + renderer.finish()
    gaps = [seconds for at, seconds in silent_runs(pcm, RATE) if 0.1 < at < 0.5]
    assert len(gaps) == 1 and abs(gaps[0] - 0.7) < 0.01, gaps
    wait, for_ = first.words[0], second.words[0]
    assert abs((for_.start - wait.end) - 0.7) < 0.01


def test_silence_before_the_first_unit_shifts_its_words() -> None:
    unit = replace(prepare("Hello there."), lead=1.0)
    renderer = TurnRenderer("pcm", RATE)
    out = renderer.add(unit, engine_audio(0.35, [0.3, 0.3], gap=0.05, tail=0.4))
    pcm = out.audio + renderer.finish()
    assert silent_runs(pcm, RATE)[0][0] == 0.0 and abs(silent_runs(pcm, RATE)[0][1] - 1.0) < 0.01
    assert 1.0 <= out.words[0].start < 1.005
    assert abs(renderer.seconds - len(pcm) / 2 / RATE) < 0.002


def test_a_lead_is_sent_even_while_the_unit_is_still_silent() -> None:
    unit = replace(prepare("Hello."), lead=0.5)
    renderer = TurnRenderer("pcm", RATE)
    renderer.begin_unit(unit, UnitStream.whole(engine_audio(0.35, [0.3], 0.0, 0.1)))
    first = renderer.add_block(silence(0.1))  # nothing audible yet: only the lead goes out
    assert len(first.audio) == round(0.5 * RATE) * 2 and not np.any(np.frombuffer(first.audio, "<i2"))


@pytest.mark.parametrize("rate", [RATE, 8_000, 44_100])
def test_the_most_samples_bound_the_turn_by_the_models_trailing_silence(rate: int) -> None:
    """Once the last unit's onset is out, ``most_samples`` is the turn's length at the most: the whole
    turn as rendered, plus the trailing silence its end trims (0.4 s here), give or take the
    resampler's few samples."""
    units, audios = synthetic_units()
    renderer = TurnRenderer("pcm", rate)
    made = b"".join(renderer.add(u, a).audio for u, a in zip(units[:2], audios[:2], strict=True))
    unit, audio = units[0], audios[0]  # 0.35 s before its onset, 0.4 s of silence after its speech
    renderer.begin_unit(unit, UnitStream.whole(audio))
    assert renderer.most_samples() is None
    made += renderer.add_block(audio.samples[: round(0.3 * RATE)]).audio  # still silence: no onset yet
    assert renderer.most_samples() is None
    made += renderer.add_block(audio.samples[round(0.3 * RATE) : round(0.5 * RATE)]).audio
    bound = renderer.most_samples()
    made += renderer.add_block(audio.samples[round(0.5 * RATE) :]).audio + renderer.end_unit().audio
    made += renderer.finish()
    assert bound is not None
    assert abs(bound - len(made) // 2 - round(0.4 * rate)) <= 2
    assert renderer.most_samples() is None
