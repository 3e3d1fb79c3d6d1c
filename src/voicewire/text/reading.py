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

import functools
import itertools
import re
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from voicewire.text.normalize import SpokenWord, to_spoken
from voicewire.text.words import client_word_spans, has_cjk

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
    one_pass = _in_one_pass(text, ordered, normalize)
    if one_pass is not None:
        return one_pass
    reader = _Reader(text, normalize)
    pos = 0
    for piece in ordered:
        reader.gap(pos, piece.start)
        reader.fixed(piece)
        pos = piece.end
    reader.gap(pos, len(text))
    return reader.words, reader.phonemes


class _Reader:
    """Reads a unit piece by piece: each stretch between fixed readings through the normalizer on its
    own (the fallback when a span cuts a word)."""

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
                _attach(self.words, piece.replace("—", ",").replace("–", ",").replace("-", ","))
            return
        head = len(piece) - len(piece.lstrip("\"'”’)]}.,;:!?…"))
        if head and self.words:
            _attach(self.words, piece[:head])
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


def _in_one_pass(
    text: str, ordered: list[FixedReading], normalize: Normalizer
) -> tuple[list[SpokenWord], list[str | None]] | None:
    """Placeholders for the covered words, one normalizer call, the readings swapped in. None when a
    span cuts a word or the normalizer did not keep a placeholder."""
    if _PLACEHOLDER in text.lower():
        return None
    scanned = _Reader(text, normalize) if has_cjk(text) else None  # words cut by script: the unit's list
    out, pos, taken = [], 0, -1
    names: dict[str, list[tuple[str, int | None, str | None]]] = {}
    for piece in ordered:
        words = _covered(text, piece, scanned)
        if not words or words[0][0] < taken:  # no word of its own, or one shared with the span before
            return None
        if _ALNUM.search(text, words[0][0], piece.start) or _ALNUM.search(text, piece.end, words[-1][1]):
            return None  # the span cuts a word: "<say-as>AB</say-as>C"
        taken = words[-1][1]
        said = _said(piece, list(range(len(words))))  # numbered in the span: only grouped below
        upper = text[piece.start].isupper()
        placeholders = []
        for client in range(len(words)):
            name = _placeholder(len(names), upper=upper)
            names[name] = [item for item in said if item[1] == client]
            placeholders.append(name)
        out += [text[pos : piece.start], " ".join(placeholders)]
        pos = piece.end
    out.append(text[pos:])
    spoken: list[SpokenWord] = []
    phonemes: list[str | None] = []
    seen = set()
    for word in normalize("".join(out)):
        core = word.text.rstrip(_MARKS)
        if core not in names:
            spoken.append(word)
            phonemes.append(None)
            continue
        if core in seen:
            return None
        seen.add(core)
        for said_word, _client, ipa in names[core]:
            spoken.append(SpokenWord(said_word, word.source))
            phonemes.append(ipa)
        mark = word.text[len(core) :]
        if mark and spoken:
            _attach(spoken, mark)
    return (spoken, phonemes) if len(seen) == len(names) else None


def _covered(text: str, piece: FixedReading, scanned: _Reader | None) -> list[tuple[int, int]]:
    """The client words (their offsets) a span touches: from ``scanned``, the unit's words, when given
    (text with Japanese or Chinese, whose words are cut by script), else found around the span alone
    (a client word is then a whitespace-separated token), which spares a scan of the whole unit."""
    if scanned is not None:
        return [scanned.spans[i] for i in scanned.covered(piece)]
    start, end = piece.start, piece.end
    if start < len(text) and not text[start].isspace():
        while start and not text[start - 1].isspace():
            start -= 1
    if end and not text[end - 1].isspace():
        while end < len(text) and not text[end].isspace():
            end += 1
    return [(start + a, start + b) for a, b in client_word_spans(text[start:end])]


def _attach(words: list[SpokenWord], marks: str) -> None:
    """The strongest sentence or clause mark in ``marks`` onto the last word (if it has none)."""
    marks = marks.replace("…", ".")
    found = "?!" if "?" in marks and "!" in marks else next((m for m in _MARK_ORDER if m in marks), None)
    last = words[-1]
    if found is None or last.text[-1:] in _MARK_ORDER:
        return
    words[-1] = SpokenWord(last.text + found, last.source)


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


@functools.cache
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
