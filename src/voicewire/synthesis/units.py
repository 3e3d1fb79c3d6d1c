"""A unit of text ready for an engine: its client words, its spoken form, and where it sits in the turn."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from voicewire.text.chunker import split_units
from voicewire.text.normalize import SpokenWord, to_spoken
from voicewire.text.words import client_words

__all__ = ["PreparedUnit", "prepare", "prepare_all", "prepare_text"]


@dataclass(frozen=True, slots=True)
class PreparedUnit:
    text: str
    """The client's text of this unit."""
    client_words: tuple[str, ...]
    spoken: tuple[SpokenWord, ...]
    """Spoken form; ``source`` indexes ``client_words``."""
    first_word: int
    """Turn-level index of ``client_words[0]``."""

    @property
    def words(self) -> list[str]:
        """What the engine reads."""
        return [w.text for w in self.spoken]

    @property
    def speakable(self) -> bool:
        return bool(self.spoken)


def prepare(text: str, first_word: int = 0) -> PreparedUnit:
    return PreparedUnit(text, tuple(client_words(text)), tuple(to_spoken(text)), first_word)


def prepare_all(units: Iterable[str], first_word: int = 0) -> Iterator[PreparedUnit]:
    """Prepared units in order, numbering client words across them."""
    for text in units:
        unit = prepare(text, first_word)
        first_word += len(unit.client_words)
        yield unit


def prepare_text(text: str, *, first_unit: bool = False) -> list[PreparedUnit]:
    """A whole text as prepared units.

    ``first_unit`` lets the first unit be a short clause: faster first audio for streams (SSE), at
    the cost of a slight break in the first sentence; the sync endpoint and the CLI read whole
    sentences.
    """
    return list(prepare_all(split_units(text, first_unit=first_unit)))
