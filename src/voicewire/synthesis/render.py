"""TurnRenderer: the units of one turn, as engines made them, into one stream of the requested format.

Pure (no I/O). For every unit it

1. trims the silence the model put around the speech. hibari starts each call with a 350 ms pad and
   its speech onset smears 50-100 ms into that pad, so we cut at the signal's onset (first sample
   above -50 dBFS, less a 3 ms pre-roll), not at the pad boundary;
2. sets the pause after the unit from its last punctuation: a sentence end, a clause, or nothing
   (a unit cut in mid-phrase). Models end every call with 25-450 ms of near-silence whatever the
   text, so without this a clause-sized first unit would leave a long hole mid-sentence. Speech
   markup may set the pause instead (a ``<break>``: ``PreparedUnit.pause``), or ask for silence
   before the unit (``PreparedUnit.lead``);
3. fades 3 ms in and out at every cut so joins cannot click (the cuts sit in near-silence anyway);
4. resamples with one stateful resampler per turn and encodes with one encoder per turn, so the
   payloads of a turn concatenate into one valid stream (one WAV header, one MPEG stream);
5. turns the model's word spans into word timestamps in seconds from the start of the turn's audio.

A unit can come whole (``add``) or block by block as the engine decodes it (``begin_unit``,
``add_block``, ``end_unit``): the same bytes and timings, the first of them before the rest is made.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from voicewire.audio.encoders import Encoder, make_encoder
from voicewire.audio.resample import StreamResampler
from voicewire.engines.base import EngineAudio, Samples, UnitStream
from voicewire.protocol.turn import WordTiming
from voicewire.synthesis.units import PreparedUnit

__all__ = ["PAUSES", "Rendered", "TurnRenderer", "WordTiming", "trim"]

SPEECH_LEVEL = 10 ** (-50 / 20)
PREROLL_S = 0.003
FADE_S = 0.003
PAUSES = {"sentence": 0.30, "clause": 0.16, "none": 0.05}
"""Silence after a unit by how it ends, in seconds (natural reading pauses)."""
_SENTENCE_END = ".!?…"
_CLAUSE_END = ",;:—-"


@dataclass(frozen=True, slots=True)
class Rendered:
    audio: bytes
    words: tuple[WordTiming, ...] = ()
    seconds: float = 0.0
    """Duration of ``audio`` (of the samples encoded into it; for MP3 the encoder may hold some back)."""

    def __add__(self, other: Rendered) -> Rendered:
        return Rendered(self.audio + other.audio, self.words + other.words, self.seconds + other.seconds)


def pause_after(text: str) -> float:
    """The pause that follows a unit ending with ``text``."""
    tail = text.rstrip().rstrip("\"')]}”’»")
    if tail[-1:] in _SENTENCE_END:
        return PAUSES["sentence"]
    if tail[-1:] in _CLAUSE_END:
        return PAUSES["clause"]
    return PAUSES["none"]


def trim(audio: EngineAudio, pause: float) -> tuple[Samples, int]:
    """The speech of ``audio`` with ``pause`` seconds of silence after it, and where it was cut.

    Returns ``(samples, start)``: ``samples`` begins at ``audio.samples[start]``.
    """
    x = audio.samples
    rate = audio.sample_rate
    loud = np.flatnonzero(np.abs(x) > SPEECH_LEVEL)
    if loud.size == 0:
        return np.zeros(0, np.float32), len(x)
    start = max(0, int(loud[0]) - round(PREROLL_S * rate))
    end_of_speech = int(loud[-1]) + 1
    keep = end_of_speech + round(pause * rate)
    out = x[start : min(keep, len(x))].astype(np.float32, copy=True)
    fade = min(round(FADE_S * rate), len(out) // 2)
    if fade:
        ramp = _ramp(fade)
        if start > 0:
            out[:fade] *= ramp
        out[-fade:] *= ramp[::-1]
    if keep > len(x):  # the model left less silence than the pause we want
        out = np.concatenate([out, np.zeros(keep - len(x), np.float32)])
    return out, start


class TurnRenderer:
    """One turn's audio: its units in order, each with ``add`` (whole) or ``begin_unit``, ``add_block``
    per block and ``end_unit`` (as it is decoded); then ``finish`` once.

    Both ways give the same bytes and word timings (up to the resampler's rounding): a unit's audio
    goes out as soon as nothing later in the unit can change it. The onset is cut once it is seen;
    what could still turn out to lie past the end of speech (the fade-out, the pause) waits for the
    end of the unit; so does a word's timing until it is sure (a word before a pause ends with its
    last audible sample, so its end waits for the audio up to the next word).

    ``word_timestamps``: the words go to a client that expects each word's timing before the audio
    in which the word starts, so a unit's audio is also held at the start of the first word whose
    timing is not sure yet.
    """

    def __init__(self, output_format: str, sample_rate: int, *, word_timestamps: bool = False) -> None:
        self.output_format = output_format
        self.sample_rate = sample_rate
        self.word_timestamps = word_timestamps
        self._encoder: Encoder = make_encoder(output_format, sample_rate)
        self._resampler: StreamResampler | None = None
        self._source_rate = 0
        self._elapsed = 0  # samples at the source rate already rendered in this turn
        self._started = False
        self._unit: _OpenUnit | None = None
        self._lead = Rendered(b"")  # encoded silence before the open unit, not yet handed out

    @property
    def seconds(self) -> float:
        """Duration of the audio rendered so far."""
        return self._elapsed / self._source_rate if self._source_rate else 0.0

    def add(self, unit: PreparedUnit, audio: EngineAudio) -> Rendered:
        """Bytes and word timestamps for the next unit of the turn, all of its audio at once."""
        self.begin_unit(unit, UnitStream.whole(audio))
        head = self.add_block(audio.samples)
        return head + self.end_unit()

    def begin_unit(self, unit: PreparedUnit, stream: UnitStream) -> None:
        """Start the next unit, whose audio ``stream`` announces. Only the stream's description is
        read: give its blocks to ``add_block`` in order, then call ``end_unit``.

        Raises:
            RuntimeError: the previous unit was not ended.
            ValueError: the unit is at another rate than the turn, or has a span per spoken word missing.
        """
        if self._unit is not None:
            raise RuntimeError("The previous unit was not ended; call end_unit() first.")
        if self._resampler is None:
            self._source_rate = stream.sample_rate
            self._resampler = StreamResampler(stream.sample_rate, self.sample_rate)
        elif stream.sample_rate != self._source_rate:
            raise ValueError(
                f"Unit at {stream.sample_rate} Hz in a turn at {self._source_rate} Hz; one voice per turn."
            )
        spans: list[list[int]] = [[] for _ in unit.client_words]
        for spoken, (a, b) in zip(unit.spoken, stream.word_spans, strict=True):
            if spoken.source is not None:
                spans[spoken.source].extend((a, b))
        if unit.lead > 0:  # silence before the unit (markup that opens with a break): it goes out first
            lead = round(unit.lead * stream.sample_rate)
            resampled = self._resampler.process(np.zeros(lead, np.float32))
            self._lead += Rendered(self._encode(resampled), (), resampled.size / self.sample_rate)
            self._elapsed += lead
        pause = pause_after(unit.text) if unit.pause is None else unit.pause
        self._unit = _OpenUnit(
            unit=unit,
            rate=stream.sample_rate,
            spans=[(min(sp), max(sp)) if sp else None for sp in spans],
            samples=np.zeros(stream.length, np.float32),
            pause=round(pause * stream.sample_rate),
            base=self._elapsed,
        )

    def add_block(self, samples: Samples) -> Rendered:
        """The next block of the open unit's audio in; out, whatever of the unit is now sure."""
        u = self._open()
        block = np.asarray(samples, np.float32).reshape(-1)
        end = u.decoded + len(block)
        if end > len(u.samples):
            raise ValueError(f"Unit audio runs past the {len(u.samples)} samples its stream announced.")
        u.samples[u.decoded : end] = block
        loud = np.flatnonzero(np.abs(block) > SPEECH_LEVEL)
        if loud.size:
            if u.first_loud is None:
                u.first_loud = u.decoded + int(loud[0])
            u.last_loud = u.decoded + int(loud[-1])
        u.decoded = end
        return self._emit(u, final=False)

    def end_unit(self) -> Rendered:
        """The rest of the open unit: its last audio, the pause after it, the last word timings."""
        u = self._open()
        if u.decoded != len(u.samples):
            raise ValueError(f"Unit ended after {u.decoded} of the {len(u.samples)} samples its stream announced.")
        self._unit = None
        return self._emit(u, final=True)

    def most_samples(self) -> int | None:
        """At most how many samples, at the output rate, the turn holds once its open unit has ended,
        if that unit is its last; None until the unit's onset is seen (or with no unit open).

        The bound is what the unit keeps if its speech runs to its last sample: the model's trailing
        silence is only cut at the unit's end, so a body whose size must be sent first (a WAV) is
        padded with that much silence. The resampler's count can differ by a few samples either way.
        """
        u = self._unit
        if u is None or u.first_loud is None:
            return None
        start = max(0, u.first_loud - round(PREROLL_S * u.rate))
        source = u.base + len(u.samples) - start + u.pause
        return -(-source * self.sample_rate // u.rate)

    def finish(self) -> bytes:
        """The rest of the stream: resampler delay line and encoder flush. Call once."""
        if self._resampler is None:
            return b""
        tail = self._encode(self._resampler.flush())
        return tail + (self._encoder.finish() if self._started else b"")

    def _open(self) -> _OpenUnit:
        if self._unit is None:
            raise RuntimeError("No unit is open; call begin_unit() first.")
        return self._unit

    def _emit(self, u: _OpenUnit, *, final: bool) -> Rendered:
        """What ``trim`` and ``_timings`` would make of the whole unit, as far as it is sure now.

        Before the end, ``last_loud`` is only a lower bound of the end of speech, so ``stop`` and
        ``length`` are lower bounds too: only samples before ``stop - fade`` and timings within
        ``length`` are final.
        """
        lead, self._lead = self._lead, Rendered(b"")
        if u.first_loud is None and not final:
            return lead
        full_fade = round(FADE_S * u.rate)
        if u.first_loud is None:  # silent throughout: nothing to play
            start = stop = len(u.samples)
            length = 0
        else:
            start = max(0, u.first_loud - round(PREROLL_S * u.rate))
            keep = u.last_loud + 1 + u.pause
            stop = min(keep, len(u.samples))
            length = keep - start
        fade = min(full_fade, (stop - start) // 2)
        words = self._timings(u, start, length, final=final)
        if final:
            limit = length
        elif fade < full_fade:  # the unit may yet be short enough to shorten its fades
            limit = u.sent
        else:
            limit = min(u.decoded, stop - fade) - start
            if self.word_timestamps and u.words < len(u.spans):
                limit = min(limit, self._next_word_start(u, start, length))
        limit = max(limit, u.sent)
        piece = _piece(u.samples, start, stop, fade, u.sent, limit)
        u.sent = limit
        if final:
            self._elapsed += length
        assert self._resampler is not None
        resampled = self._resampler.process(piece)
        return lead + Rendered(self._encode(resampled), words, resampled.size / self.sample_rate)

    def silence(self, seconds: float) -> Rendered:
        """``seconds`` of silence in the turn's format (a turn with text but nothing speakable still
        gets some audio: clients wait for a chunk before they end a turn)."""
        zeros = np.zeros(round(seconds * self.sample_rate), np.float32)
        return Rendered(self._encode(zeros), (), zeros.size / self.sample_rate)

    def _encode(self, samples: Samples) -> bytes:
        if samples.size == 0:
            return b""
        head = b""
        if not self._started:
            head = self._encoder.header()
            self._started = True
        return head + self._encoder.encode(samples)

    def _timings(self, u: _OpenUnit, start: int, length: int, *, final: bool) -> tuple[WordTiming, ...]:
        """Word times from the model's spans, with two corrections measured against a word-by-word
        reference: the unit's first word starts where the trimmed audio does (its onset smears into
        the model's lead pad), and a word before a pause ends with its last audible sample (hibari
        gives a phrase-final phoneme up to 300 ms, mostly silence).

        Gives the words from ``u.words`` on whose timing is final; before the end of the unit that is
        a word whose audio up to the next word is decoded and which ends within ``length``.
        """
        client_words = u.unit.client_words
        out = []
        for j in range(u.words, len(client_words)):
            word, span = client_words[j], u.spans[j]
            if span is None:  # a word nothing was spoken for: a point where it stands
                a = b = u.cursor
            else:
                a, b = span
                if j == len(client_words) - 1 or pause_after(word) > PAUSES["none"]:
                    # The word owns what is audible until the next word starts (or the unit ends).
                    following = next((s[0] for s in u.spans[j + 1 :] if s is not None), len(u.samples))
                    if max(b, following) > u.decoded:
                        break
                    b = _last_audible(u.samples, a, max(b, following))
                a = max(a - start, u.cursor)
                if not final and a > length:  # the unit's length may yet clip it
                    break
                a = min(a, length)
                if j == 0:
                    a = min(a, round(PREROLL_S * u.rate))
                b = max(b - start, a)
                if not final and b > length:
                    break
                b = min(b, length)
            u.cursor = a
            u.words += 1
            out.append(WordTiming(u.unit.first_word + j, word, (u.base + a) / u.rate, (u.base + b) / u.rate))
        return tuple(out)

    def _next_word_start(self, u: _OpenUnit, start: int, length: int) -> int:
        """Where the first word without a timing yet starts, at the earliest."""
        span = u.spans[u.words]
        if span is None:
            return u.cursor
        a = min(max(span[0] - start, u.cursor), length)
        return min(a, round(PREROLL_S * u.rate)) if u.words == 0 else a


@dataclass(eq=False)
class _OpenUnit:
    """A unit whose audio is still arriving, and how much of it went out."""

    unit: PreparedUnit
    rate: int
    spans: list[tuple[int, int] | None]
    """Per client word: the samples its spoken words span, from the model's durations."""
    samples: Samples
    """The unit's audio; the first ``decoded`` samples have arrived."""
    pause: int
    base: int
    """Samples of the turn before this unit."""
    decoded: int = 0
    first_loud: int | None = None
    last_loud: int = -1
    sent: int = 0
    """Samples of the trimmed unit already rendered."""
    words: int = 0
    """Client words whose timings went out."""
    cursor: int = 0


def _piece(x: Samples, start: int, stop: int, fade: int, lo: int, hi: int) -> Samples:
    """Samples ``[lo, hi)`` of ``trim``'s output: ``x[start:stop]`` faded in (if cut) and out over
    ``fade`` samples, then zeros."""
    out = np.zeros(max(0, hi - lo), np.float32)
    end = min(hi, stop - start)
    if end > lo:
        out[: end - lo] = x[start + lo : start + end]
    if fade:
        ramp = _ramp(fade)
        if start > 0 and lo < fade:
            k = min(fade, hi)
            out[: k - lo] *= ramp[lo:k]
        fade_from = stop - start - fade
        a, b = max(lo, fade_from), min(hi, stop - start)
        if b > a:
            out[a - lo : b - lo] *= ramp[::-1][a - fade_from : b - fade_from]
    return out


def _ramp(n: int) -> Samples:
    ramp: Samples = (0.5 - 0.5 * np.cos(np.linspace(0.0, np.pi, n, dtype=np.float32))).astype(np.float32)
    return ramp


def _last_audible(samples: Samples, a: int, b: int) -> int:
    """One past the last sample above speech level in ``samples[a:b]`` (``b`` if none is)."""
    loud = np.flatnonzero(np.abs(samples[a:b]) > SPEECH_LEVEL)
    return a + int(loud[-1]) + 1 if loud.size else b
