"""The spoken form of a unit in which some spans have readings of their own.

A pronunciation dictionary entry (``voicewire.text.lexicon``) or a piece of speech markup
(``voicewire.text.ssml``) fixes how a stretch of the client's text is said: as other words (a
respelling, a ``<sub>`` alias, a ``<say-as>`` reading) or as IPA. Such a stretch is a ``FixedReading``;
``read`` gives the unit's spoken words with the fixed stretches read as they say and everything
else through the normalizer (``to_spoken``), so a dictionary word is never seen by number reading
("C3PO", "v2.5" can be entries).

Provenance is kept: every spoken word names the client word it reads (``SpokenWord.source``), so a
replaced word still gets one timestamp for the word as the client wrote it. A reading that covers
several client words gives its words out in order, one per client word and the rest to the last.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections.abc import Sequence
from dataclasses import dataclass

from voicewire.text.normalize import SpokenWord, to_spoken
from voicewire.text.words import client_word_spans

__all__ = ["FixedReading", "read", "spoken_words"]

_MARK_ORDER = "?!.;:,"
_QUIET = frozenset(" \t\n.,;:!?…\"'()[]{}“”‘’«»—–-")  # the normalizer says no word for these
# Lower-case words of letters (with inner ' or -): the normalizer gives them back as they are.
_PLAIN = re.compile(r"[a-z]+(?:['-][a-z]+)*(?: [a-z]+(?:['-][a-z]+)*)*")


@dataclass(frozen=True, slots=True)
class FixedReading:
    """How ``text[start:end]`` of a unit is said."""

    start: int
    end: int
    words: tuple[str, ...]
    """Spoken-form words to say (letters, ``'`` or ``-`` inside); with ``ipa``, what an engine that
    takes no phonemes reads instead (the span's own words)."""
    ipa: str | None = None
    """IPA to say instead of the words (without the slashes), or None."""
    say: str | None = None
    """Text to read (through the normalizer, when the unit is prepared) instead of ``words``."""

    def overlaps(self, other: FixedReading) -> bool:
        return self.start < other.end and other.start < self.end


def spoken_words(text: str) -> tuple[str, ...]:
    """``text`` in spoken form, as words (for a respelling or an alias given as text)."""
    if _PLAIN.fullmatch(text):  # most respellings ("koo-ber-net-ees"): no need to run the normalizer
        return tuple(text.split(" "))
    return tuple(w.text for w in to_spoken(text))


def read(text: str, fixed: Sequence[FixedReading] = ()) -> tuple[list[SpokenWord], list[str | None]]:
    """The spoken words of ``text`` and, per word, the IPA to say instead (or None).

    Args:
        text: One unit of the client's text.
        fixed: Non-overlapping spans of ``text`` with readings of their own (any order).

    Returns:
        ``(words, phonemes)``, equally long. Sources never decrease; a client word that a fixed
        reading covers gets at least one word unless the reading says nothing (an empty alias).
    """
    if not fixed:
        words = to_spoken(text)
        return words, [None] * len(words)
    reader = _Reader(text)
    pos = 0
    for piece in sorted(fixed, key=lambda f: f.start):
        if piece.start < pos:
            raise ValueError(f"Fixed readings overlap at offset {piece.start}.")
        reader.gap(pos, piece.start)
        reader.fixed(piece)
        pos = piece.end
    reader.gap(pos, len(text))
    return reader.words, reader.phonemes


class _Reader:
    def __init__(self, text: str) -> None:
        self.text = text
        self.spans = client_word_spans(text)
        self.starts = [s for s, _ in self.spans]
        self.ends = [e for _, e in self.spans]
        self.words: list[SpokenWord] = []
        self.phonemes: list[str | None] = []

    def client_at(self, pos: int) -> int | None:
        """The client word whose token holds offset ``pos``."""
        i = bisect_right(self.starts, pos) - 1
        return i if i >= 0 and pos < self.ends[i] else None

    def gap(self, start: int, end: int) -> None:
        """Text with no reading of its own: through the normalizer; marks at its start (the rest of
        the token a fixed reading ended in, "." or ","), which the normalizer would drop for want of
        a word before them, go to the word before."""
        if start >= end:
            return
        piece = self.text[start:end]
        if _QUIET.issuperset(piece):  # only marks and spaces (". ", " — "): nothing to read, a mark to keep
            if self.words:
                self._attach(piece.replace("—", ",").replace("–", ",").replace("-", ","))
            return
        head = len(piece) - len(piece.lstrip("\"'”’)]}.,;:!?…"))
        if head and self.words:
            self._attach(piece[:head])
        local = client_word_spans(piece)
        for word in to_spoken(piece):
            source = None if word.source is None else self.client_at(start + local[word.source][0])
            self.words.append(SpokenWord(word.text, source))
            self.phonemes.append(None)

    def fixed(self, piece: FixedReading) -> None:
        lo = bisect_right(self.ends, piece.start)  # first client word ending after the start
        hi = bisect_left(self.starts, piece.end)  # first client word starting at or after the end
        covered: list[int | None] = list(range(lo, hi)) or [None]
        if piece.ipa is None:
            words = piece.words if piece.say is None else spoken_words(piece.say)
            for i, word in enumerate(words):
                self.words.append(SpokenWord(word, covered[min(i, len(covered) - 1)]))
                self.phonemes.append(None)
            return
        # IPA: one word per client word when the IPA has as many words ("/njuː jɔːk/" for "New York"),
        # else one word for the whole span.
        parts = piece.ipa.split()
        said = [w for w in (_letters(w) for w in piece.words) if w]
        if len(covered) > 1 and len(parts) == len(covered) == len(said):
            pairs = list(zip(said, parts, strict=True))
        else:
            pairs = [("-".join(said) or "word", piece.ipa)]
        for i, (word, ipa) in enumerate(pairs):
            self.words.append(SpokenWord(word, covered[min(i, len(covered) - 1)]))
            self.phonemes.append(ipa)

    def _attach(self, marks: str) -> None:
        """The strongest sentence or clause mark in ``marks`` onto the last word (if it has none)."""
        marks = marks.replace("…", ".")
        found = "?!" if "?" in marks and "!" in marks else next((m for m in _MARK_ORDER if m in marks), None)
        last = self.words[-1]
        if found is None or last.text[-1:] in _MARK_ORDER:
            return
        self.words[-1] = SpokenWord(last.text + found, last.source)


def _letters(word: str) -> str:
    """A word as an engine without phonemes could read it: letters, ``'`` and ``-`` inside."""
    return "".join(c for c in word if c.isalpha() or c in "'-").strip("'-")
