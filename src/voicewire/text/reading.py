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

How: when every fixed span covers whole words (a dictionary match always does: ``(C3PO).``,
``Kubernetes's``), each covered word is swapped for a placeholder word the normalizer passes through
unchanged, the unit is normalized once, in context, and the placeholders are swapped back for the
readings (with any mark the normalizer put on them). A span that cuts a word (markup such as
``<say-as>AB</say-as>C``) falls back to reading the text between spans piece by piece.
"""

from __future__ import annotations

import itertools
import re
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from voicewire.text.normalize import SpokenWord, to_spoken
from voicewire.text.words import client_word_spans

__all__ = ["FixedReading", "Normalizer", "read", "spoken_words"]

Normalizer = Callable[[str], list[SpokenWord]]
"""Text to its spoken words in one language (``to_spoken`` for English)."""

_MARK_ORDER = "?!.;:,"
_MARKS = ".,;:!?…"
_PLACEHOLDER = "zqxq"
_ALNUM = re.compile(r"[^\W_]")  # a letter or digit, as client words count them
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


def read(
    text: str, fixed: Sequence[FixedReading] = (), *, normalize: Normalizer = to_spoken
) -> tuple[list[SpokenWord], list[str | None]]:
    """The spoken words of ``text`` and, per word, the IPA to say instead (or None).

    Args:
        text: One unit of the client's text.
        fixed: Non-overlapping spans of ``text`` with readings of their own (any order).
        normalize: Reads the rest (the unit's language: ``text.spoken.to_spoken_in`` bound to it).

    Returns:
        ``(words, phonemes)``, equally long. Sources never decrease; a client word that a fixed
        reading covers gets at least one word unless the reading says nothing (an empty alias).
    """
    if not fixed:
        words = normalize(text)
        return words, [None] * len(words)
    ordered = sorted(fixed, key=lambda f: f.start)
    for a, b in itertools.pairwise(ordered):
        if b.start < a.end:
            raise ValueError(f"Fixed readings overlap at offset {b.start}.")
    reader = _Reader(text, normalize)
    if reader.in_one_pass(ordered):
        return reader.words, reader.phonemes
    reader = _Reader(text, normalize)
    pos = 0
    for piece in ordered:
        reader.gap(pos, piece.start)
        reader.fixed(piece)
        pos = piece.end
    reader.gap(pos, len(text))
    return reader.words, reader.phonemes


class _Reader:
    def __init__(self, text: str, normalize: Normalizer = to_spoken) -> None:
        self.text = text
        self.normalize = normalize
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
        for word in self.normalize(piece):
            source = None if word.source is None else self.client_at(start + local[word.source][0])
            self.words.append(SpokenWord(word.text, source))
            self.phonemes.append(None)

    def covered(self, piece: FixedReading) -> range:
        """The client words a span touches."""
        lo = bisect_right(self.ends, piece.start)  # first client word ending after the start
        return range(lo, bisect_left(self.starts, piece.end))  # up to the first starting at or after the end

    def fixed(self, piece: FixedReading) -> None:
        for word, source, ipa in _said(piece, list(self.covered(piece)) or [None]):
            self.words.append(SpokenWord(word, source))
            self.phonemes.append(ipa)

    def in_one_pass(self, ordered: list[FixedReading]) -> bool:
        """Placeholders for the covered words, one normalizer call, the readings swapped in. False
        (and nothing done) when a span cuts a word or the normalizer did not keep a placeholder."""
        text, out, pos = self.text, [], 0
        if _PLACEHOLDER in text.lower():
            return False
        names: dict[str, list[tuple[str, int | None, str | None]]] = {}
        last = -1
        for piece in ordered:
            words = self.covered(piece)
            if not words or words.start <= last:  # no word of its own, or one shared with the span before
                return False
            if _ALNUM.search(text, self.starts[words.start], piece.start) or _ALNUM.search(
                text, piece.end, self.ends[words.stop - 1]
            ):
                return False  # the span cuts a word: "<say-as>AB</say-as>C"
            last = words.stop - 1
            said = _said(piece, list(words))
            placeholders = []
            for client in words:
                name = _placeholder(len(names), upper=text[piece.start].isupper())
                names[name] = [item for item in said if item[1] == client]
                placeholders.append(name)
            out += [text[pos : piece.start], " ".join(placeholders)]
            pos = piece.end
        out.append(text[pos:])
        seen = set()
        for word in self.normalize("".join(out)):
            core = word.text.rstrip(_MARKS)
            if core not in names:
                self.words.append(word)
                self.phonemes.append(None)
                continue
            if core in seen:
                return False
            seen.add(core)
            for spoken, _source, ipa in names[core]:
                self.words.append(SpokenWord(spoken, word.source))
                self.phonemes.append(ipa)
            mark = word.text[len(core) :]
            if mark and self.words:
                self._attach(mark)
        if len(seen) != len(names):
            self.words, self.phonemes = [], []
            return False
        return True

    def _attach(self, marks: str) -> None:
        """The strongest sentence or clause mark in ``marks`` onto the last word (if it has none)."""
        marks = marks.replace("…", ".")
        found = "?!" if "?" in marks and "!" in marks else next((m for m in _MARK_ORDER if m in marks), None)
        last = self.words[-1]
        if found is None or last.text[-1:] in _MARK_ORDER:
            return
        self.words[-1] = SpokenWord(last.text + found, last.source)


def _said(piece: FixedReading, covered: list[int | None]) -> list[tuple[str, int | None, str | None]]:
    """``(word, client word, IPA)`` for each word a reading says: in order, one per client word it
    covers and the rest to the last; IPA as one word per client word when it has as many words
    ("/njuː jɔːk/" for "New York"), else one word for the whole span."""
    if piece.ipa is None:
        words = piece.words if piece.say is None else spoken_words(piece.say)
        return [(word, covered[min(i, len(covered) - 1)], None) for i, word in enumerate(words)]
    parts = piece.ipa.split()
    said = [w for w in (_letters(w) for w in piece.words) if w]
    if len(covered) > 1 and len(parts) == len(covered) == len(said):
        pairs = list(zip(said, parts, strict=True))
    else:
        pairs = [("-".join(said) or "word", piece.ipa)]
    return [(word, covered[min(i, len(covered) - 1)], ipa) for i, (word, ipa) in enumerate(pairs)]


def _placeholder(index: int, *, upper: bool) -> str:
    """A made-up word the normalizer reads as itself (``zqxqa``, ``zqxqb``, ..., ``Zqxqba``)."""
    letters = ""
    while True:
        index, digit = divmod(index, 26)
        letters = chr(97 + digit) + letters
        if not index:
            break
    name = _PLACEHOLDER + letters
    return name.capitalize() if upper else name


def _letters(word: str) -> str:
    """A word as an engine without phonemes could read it: letters, ``'`` and ``-`` inside."""
    return "".join(c for c in word if c.isalpha() or c in "'-").strip("'-")
