"""TurnRenderer: the units of one turn, as engines made them, into one stream of the requested format.

Pure (no I/O). For every unit it

1. trims the silence the model put around the speech. hibari starts each call with a 350 ms pad and
   its speech onset smears 50-100 ms into that pad, so we cut at the signal's onset (first sample
   above -50 dBFS, less a 3 ms pre-roll), not at the pad boundary;
2. sets the pause after the unit from its last punctuation: a sentence end, a clause, or nothing
   (a unit cut in mid-phrase). Models end every call with 25-450 ms of near-silence whatever the
   text, so without this a clause-sized first unit would leave a long hole mid-sentence;
3. fades 3 ms in and out at every cut so joins cannot click (the cuts sit in near-silence anyway);
4. resamples with one stateful resampler per turn and encodes with one encoder per turn, so the
   payloads of a turn concatenate into one valid stream (one WAV header, one MPEG stream);
5. turns the model's word spans into word timestamps in seconds from the start of the turn's audio.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from voicewire.audio.encoders import Encoder, make_encoder
from voicewire.audio.resample import StreamResampler
from voicewire.engines.base import EngineAudio, Samples
from voicewire.protocol.frames import WordTiming
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
        ramp = (0.5 - 0.5 * np.cos(np.linspace(0.0, np.pi, fade, dtype=np.float32))).astype(np.float32)
        if start > 0:
            out[:fade] *= ramp
        out[-fade:] *= ramp[::-1]
    if keep > len(x):  # the model left less silence than the pause we want
        out = np.concatenate([out, np.zeros(keep - len(x), np.float32)])
    return out, start


class TurnRenderer:
    """One turn's audio: call ``add`` per unit in order, then ``finish`` once."""

    def __init__(self, output_format: str, sample_rate: int) -> None:
        self.output_format = output_format
        self.sample_rate = sample_rate
        self._encoder: Encoder = make_encoder(output_format, sample_rate)
        self._resampler: StreamResampler | None = None
        self._source_rate = 0
        self._elapsed = 0  # samples at the source rate already rendered in this turn
        self._started = False

    @property
    def seconds(self) -> float:
        """Duration of the audio rendered so far."""
        return self._elapsed / self._source_rate if self._source_rate else 0.0

    def add(self, unit: PreparedUnit, audio: EngineAudio) -> Rendered:
        """Bytes and word timestamps for the next unit of the turn."""
        samples, start = trim(audio, pause_after(unit.text))
        if self._resampler is None:
            self._source_rate = audio.sample_rate
            self._resampler = StreamResampler(audio.sample_rate, self.sample_rate)
        elif audio.sample_rate != self._source_rate:
            raise ValueError(f"Unit at {audio.sample_rate} Hz in a turn at {self._source_rate} Hz; one voice per turn.")
        words = self._timings(unit, audio, start, len(samples))
        self._elapsed += len(samples)
        return Rendered(self._encode(self._resampler.process(samples)), words)

    def finish(self) -> bytes:
        """The rest of the stream: resampler delay line and encoder flush. Call once."""
        if self._resampler is None:
            return b""
        tail = self._encode(self._resampler.flush())
        return tail + (self._encoder.finish() if self._started else b"")

    def _encode(self, samples: Samples) -> bytes:
        if samples.size == 0:
            return b""
        head = b""
        if not self._started:
            head = self._encoder.header()
            self._started = True
        return head + self._encoder.encode(samples)

    def _timings(self, unit: PreparedUnit, audio: EngineAudio, start: int, length: int) -> tuple[WordTiming, ...]:
        """Word times from the model's spans, with two corrections measured against a word-by-word
        reference: the unit's first word starts where the trimmed audio does (its onset smears into
        the model's lead pad), and a word before a pause ends with its last audible sample (hibari
        gives a phrase-final phoneme up to 300 ms, mostly silence)."""
        rate = audio.sample_rate
        base = self._elapsed
        spans: list[list[int]] = [[] for _ in unit.client_words]
        for spoken, (a, b) in zip(unit.spoken, audio.word_spans, strict=True):
            if spoken.source is not None:
                spans[spoken.source].extend((a, b))
        out = []
        cursor = 0
        last = len(unit.client_words) - 1
        starts = [min(sp) if sp else None for sp in spans]
        for j, word in enumerate(unit.client_words):
            if spans[j]:
                a, b = min(spans[j]), max(spans[j])
                if j == last or pause_after(word) > PAUSES["none"]:
                    # The word owns what is audible until the next word starts (or the unit ends).
                    following = next((x for x in starts[j + 1 :] if x is not None), len(audio.samples))
                    b = _last_audible(audio.samples, a, max(b, following))
                a = min(max(a - start, cursor), length)
                if j == 0:
                    a = min(a, round(PREROLL_S * rate))
                b = min(max(b - start, a), length)
            else:  # a word nothing was spoken for: a point where it stands
                a = b = cursor
            cursor = a
            out.append(WordTiming(unit.first_word + j, word, (base + a) / rate, (base + b) / rate))
        return tuple(out)


def _last_audible(samples: Samples, a: int, b: int) -> int:
    """One past the last sample above speech level in ``samples[a:b]`` (``b`` if none is)."""
    loud = np.flatnonzero(np.abs(samples[a:b]) > SPEECH_LEVEL)
    return a + int(loud[-1]) + 1 if loud.size else b
