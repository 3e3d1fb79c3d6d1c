"""A unit of text ready for an engine: its client words, its spoken form in the turn's language, and
where it sits in the turn.

How a turn's units are read comes from two places, both applied by ``prepare`` on a synthesis worker:
``LanguageReading`` (the turn's language, the language its numbers are read in, math notation,
per-unit detection for ``auto``) and ``TurnReading`` (its pronunciation dictionaries and speech
markup, handed out unit by unit).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import partial

from voicewire.engines.base import Utterance
from voicewire.engines.catalog import ResolvedVoice
from voicewire.protocol.turn import TurnOptions
from voicewire.text.chunker import split_units
from voicewire.text.languages import detect
from voicewire.text.lexicon import Lexicon
from voicewire.text.normalize import SpokenWord
from voicewire.text.reading import read
from voicewire.text.spoken import to_spoken_in
from voicewire.text.ssml import MarkedText, UnitMarkup
from voicewire.text.words import client_words

__all__ = [
    "MAX_SPEED", "MIN_SPEED", "LanguageReading", "PreparedUnit", "TurnReading", "prepare", "prepare_all", "split_text",
]  # fmt: skip

MIN_SPEED, MAX_SPEED = 0.5, 2.0
"""The engines' speed range: a markup rate times the turn's speed is held within it."""


@dataclass(frozen=True, slots=True)
class LanguageReading:
    """How a turn's text is read: its language, the language of its numbers, math, detection."""

    language: str = "en-US"
    """BCP 47 tag the turn is read in (the start of detection, when there is any)."""
    numbers: str | None = None
    """BCP 47 tag numbers, money, dates and times are read in; None: ``language``."""
    math: bool = False
    detect_from: tuple[str, ...] = ()
    """A multilingual voice asked for ``auto``: its languages (own first); each unit is read in the one
    its script says. Per unit, not per turn: the live socket's text arrives in pieces (the first unit
    is spoken before the rest exists), and a Japanese paragraph that quotes an English sentence gets
    each sentence read in its own language."""

    @classmethod
    def of(cls, voice: ResolvedVoice, options: TurnOptions, language: str) -> LanguageReading:
        """The reading of a turn in ``voice``, ``language`` resolved from ``options.language``.

        Raises:
            InvalidField: the voice does not speak ``number_pronunciation_language``.
        """
        numbers = options.number_language
        number_tag = None if numbers is None else voice.language(numbers, field="number_pronunciation_language")
        auto = options.language.strip().lower() in ("", "auto")
        return cls(
            language=language,
            numbers=number_tag,
            math=options.math_notation,
            detect_from=voice.info.languages if auto and voice.multilingual else (),
        )

    def tag_of(self, text: str) -> str:
        """The language ``text`` (one unit) is read in."""
        return detect(text, self.detect_from) if self.detect_from else self.language


@dataclass(frozen=True, slots=True)
class PreparedUnit:
    text: str
    """The client's text of this unit."""
    client_words: tuple[str, ...]
    spoken: tuple[SpokenWord, ...]
    """Spoken form; ``source`` indexes ``client_words``."""
    first_word: int
    """Turn-level index of ``client_words[0]``."""
    language: str = "en-US"
    """BCP 47 tag the unit is read in."""
    phonemes: tuple[str | None, ...] = ()
    """Per spoken word, IPA to say instead of it (a dictionary or markup chose it) or None; empty
    when no word has any."""
    pause: float | None = None
    """Seconds of silence after the unit that markup asks for (None: from its punctuation)."""
    lead: float = 0.0
    """Seconds of silence before the unit (markup that opens with a break)."""
    rate: float = 1.0
    """Multiplies the turn's speed (markup's ``<prosody rate>``)."""

    @property
    def words(self) -> list[str]:
        """What the engine reads."""
        return [w.text for w in self.spoken]

    @property
    def speakable(self) -> bool:
        return bool(self.spoken)

    def utterance(self, speed: float) -> Utterance:
        speed = min(MAX_SPEED, max(MIN_SPEED, speed * self.rate))
        return Utterance(words=tuple(self.words), language=self.language, speed=speed, phonemes=self.phonemes)


def prepare(
    text: str,
    first_word: int = 0,
    *,
    language: str = "en-US",
    reading: LanguageReading | None = None,
    lexicon: Lexicon | None = None,
    markup: UnitMarkup | None = None,
) -> PreparedUnit:
    """The spoken form of one unit of a turn read in ``language`` (or as ``reading`` says). Pure;
    runs on a synthesis worker.

    ``markup`` (this unit's share of the turn's speech markup) fixes the reading of its spans first;
    ``lexicon`` matches in the rest, before numbers and abbreviations are read.
    """
    reading = reading or LanguageReading(language=language)
    tag = reading.tag_of(text)
    fixed = list(markup.fixed) if markup is not None else []
    if lexicon is not None and len(lexicon):
        marked = list(fixed)
        fixed += [r for r in lexicon.readings(text) if not any(r.overlaps(m) for m in marked)]
    spoken, phonemes = read(text, fixed, normalize=partial(to_spoken_in, language=tag, numbers=reading.numbers,
                                                           math=reading.math))  # fmt: skip
    return PreparedUnit(
        text,
        tuple(client_words(text)),
        tuple(spoken),
        first_word,
        tag,
        phonemes=tuple(phonemes) if any(p is not None for p in phonemes) else (),
        pause=None if markup is None else markup.pause,
        lead=0.0 if markup is None else markup.lead,
        rate=1.0 if markup is None else markup.rate,
    )


class TurnReading:
    """A turn's pronunciation dictionaries (``lexicon``) and parsed speech markup (``marked``), handed to
    its units in the order they are spoken: ``markup_of`` each unit's text once, in order.

    The units of a marked turn are cut from ``marked.text`` (by ``split_text`` or a live chunker), so
    each is found where the one before it ended.
    """

    def __init__(self, *, lexicon: Lexicon | None = None, marked: MarkedText | None = None) -> None:
        self.lexicon = lexicon
        self.marked = marked
        self._cursor = 0

    def markup_of(self, unit: str) -> UnitMarkup | None:
        """The markup of the turn's next unit (None for a turn without markup)."""
        if self.marked is None:
            return None
        start = self.marked.locate(unit, self._cursor)
        if start < 0:  # not cut from the marked text: read it plain
            return None
        self._cursor = start + len(unit)
        return self.marked.unit(start, self._cursor)


def prepare_all(units: Iterable[str], first_word: int = 0, *, language: str = "en-US") -> Iterator[PreparedUnit]:
    """Prepared units in order, numbering client words across them."""
    for text in units:
        unit = prepare(text, first_word, language=language)
        first_word += len(unit.client_words)
        yield unit


def split_text(text: str, *, first_unit: bool = False) -> list[tuple[str, int]]:
    """A whole text as ``(unit text, first word)`` pairs, cheap enough for the event loop (no
    normalization; ``prepare`` does that on a worker).

    ``first_unit`` lets the first unit be a short clause: faster first audio for streams, at the
    cost of a slight break in the first sentence; whole files read whole sentences.
    """
    out = []
    first_word = 0
    for unit in split_units(text, first_unit=first_unit):
        out.append((unit, first_word))
        first_word += len(client_words(unit))
    return out
