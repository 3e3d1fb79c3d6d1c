"""A unit of text ready for an engine: its client words, its spoken form, and where it sits in the turn."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from voicewire.engines.base import Utterance
from voicewire.text.chunker import split_units
from voicewire.text.normalize import SpokenWord, to_spoken
from voicewire.text.words import client_words

__all__ = ["PreparedUnit", "prepare", "prepare_all", "split_text"]


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

    @property
    def words(self) -> list[str]:
        """What the engine reads."""
        return [w.text for w in self.spoken]

    @property
    def speakable(self) -> bool:
        return bool(self.spoken)

    def utterance(self, speed: float) -> Utterance:
        return Utterance(words=tuple(self.words), language=self.language, speed=speed)


def prepare(text: str, first_word: int = 0, *, language: str = "en-US") -> PreparedUnit:
    """The spoken form of one unit of a turn read in ``language``. Pure; runs on a synthesis worker."""
    return PreparedUnit(text, tuple(client_words(text)), tuple(to_spoken(text)), first_word, language)


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
