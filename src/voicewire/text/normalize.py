"""Spoken-form text normalization with word provenance.

Both voicewire engines (hibari, Piper/espeak-ng) get the *spoken form* of the client's text:
words only, no digits or symbols, so numbers, dates, money, units and abbreviations sound the same
on either engine. Each spoken word remembers the client word (see :mod:`voicewire.text.words`) it
reads, so word timestamps can be reported for the words as the client wrote them.

Readings follow hibari 0.2.1's normalizer and lexicon wherever hibari has an opinion; the rules
live in ``_rules`` (multi-token constructs), ``_reader`` (everything else, token by token) and
``_numbers`` (number words). Pipeline:

1. Tokens are split on whitespace; each is cleaned (control and zero-width characters dropped,
   NFKC, curly apostrophes and odd dashes mapped, non-ASCII digits to ASCII) and the tokens are
   rejoined with single spaces, remembering which client word each token is.
2. A left-to-right scan finds rule matches (leftmost first, rule order on ties); the text
   between matches goes to the token reader. Both produce words anchored at text offsets,
   which map to client words.
3. Where a reading reorders words ("$5 million" -> five million dollars; "USD 100" -> one hundred
   dollars) the anchors would run backwards. Sources must never decrease and every client word
   must get a word, so the match's words are re-dealt to its client words: the monotone
   assignment (each client word at least one word, in order) closest to the natural anchors.
   "$5 million" gives five->"$5", million dollars->"million"; "USD 100" gives one->"USD",
   hundred dollars->"100".
4. Sentence punctuation attaches to the spoken word before it; several marks collapse to one.
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_left, bisect_right
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise

from ._common import LT, PUNCT, Event
from ._numbers import digit_words
from ._reader import read_span
from ._rules import RULES, TRIGGERS
from .words import has_cjk, is_client_word

__all__ = ["SpokenWord", "spoken_text", "to_spoken"]


@dataclass(frozen=True, slots=True)
class SpokenWord:
    """One word of the spoken form.

    Attributes:
        text: Letters (with ``'`` or ``-`` inside), optionally followed by one sentence or clause
            mark (``. , ? ! ; :``, or ``?!``).
        source: Index into ``client_words(original_text)`` of the client word this word reads, or
            None when it comes from a token that is not a client word (``"&"`` -> "and").
    """

    text: str
    source: int | None


# ASCII control characters that are not whitespace (\t\n\v\f\r and \x1c-\x1f are).
_ASCII_DROP = {i: None for i in (*range(0, 9), *range(14, 28), 127)}
_CHAR_MAP = str.maketrans(
    {
        "’": "'",
        "‘": "'",
        "ʼ": "'",
        "−": "-",
        "‐": "-",
        "‑": "-",
        "‒": "-",
        "―": "—",
        "。": ".",
        "、": ",",
        "؟": "?",
        "،": ",",
        "؛": ";",
        "⁄": "/",
    }
)
# Characters the symbol table reads, which NFKC would otherwise turn into letters or digits.
_PROTECT = "™½¼¾²³µ"
_PROTECT_SPLIT = re.compile(f"([{_PROTECT}])")
_NON_ASCII = re.compile(r"[^\x00-\x7f]")
# A finished word in the common case: letters, with single ' or - between letters. (Words with
# combining marks fail this and take _tidy's slower per-character check.)
_WORD_OK = re.compile(rf"{LT}(?:{LT}|['\-](?={LT}))*")


def _numeric(m: re.Match[str]) -> str:
    c = m[0]
    if c.isdecimal():
        return str(unicodedata.decimal(c))
    if c.isnumeric() and not c.isalpha() and c not in _PROTECT:
        v = unicodedata.numeric(c)  # "፲" (Ethiopic ten) -> "10"; NFKC already did ① and Ⅻ
        return str(int(v)) if v == int(v) else f"{v:.3f}".rstrip("0")
    return c


def _clean(tok: str) -> str:
    """Normalize one non-ASCII token; may return "" (a token of zero-width characters)."""
    kept = "".join(
        c
        for c in tok
        if unicodedata.category(c)[0] != "C" and not (0xFE00 <= ord(c) <= 0xFE0F or 0xE0100 <= ord(c) <= 0xE01EF)
    )
    if any(c in _PROTECT for c in kept):
        kept = "".join(p if p in _PROTECT else unicodedata.normalize("NFKC", p) for p in _PROTECT_SPLIT.split(kept))
    else:
        kept = unicodedata.normalize("NFKC", kept)
    kept = kept.translate(_CHAR_MAP)
    if not kept.isascii():
        kept = _NON_ASCII.sub(_numeric, kept)
    return kept.strip()


class _Doc:
    """The normalized text and, per token, its start offset and client word index (or None)."""

    __slots__ = ("clients", "raw", "starts", "text")

    def __init__(self, raw: str) -> None:
        parts: list[str] = []
        self.starts: list[int] = []
        self.clients: list[int | None] = []
        self.raw: list[str] = []  # the client words, as written
        pos = n = 0
        for tok in raw.split():
            client: int | None = None
            if is_client_word(tok):
                client, n = n, n + 1
                self.raw.append(tok)
            norm = tok.translate(_ASCII_DROP) if tok.isascii() else _clean(tok)
            if norm:
                parts.append(norm)
                self.starts.append(pos)
                self.clients.append(client)
                pos += len(norm) + 1
        self.text = " ".join(parts)

    def source(self, pos: int) -> int | None:
        return self.clients[bisect_right(self.starts, pos) - 1]

    def clients_in(self, start: int, end: int) -> list[int]:
        lo, hi = bisect_right(self.starts, start) - 1, bisect_left(self.starts, end)
        return [c for c in self.clients[max(lo, 0) : hi] if c is not None]


def _deal(natural: list[int], required: list[int]) -> list[int]:
    """Monotone assignment of words to ``required`` client words (each gets at least one, steps of
    0 or 1) with the least total distance from the natural anchors."""
    n, k = len(natural), len(required)
    rank = {c: r for r, c in enumerate(required)}
    target = [rank.get(c, 0 if c < required[0] else k - 1) for c in natural]
    if n < k:  # cannot cover everyone; keep order at least
        out, hi = [], 0
        for t in target:
            hi = max(hi, t)
            out.append(required[hi])
        return out
    inf = 1 << 30
    cost = [[inf] * k for _ in range(n)]
    back = [[0] * k for _ in range(n)]
    cost[0][0] = abs(target[0])
    for i in range(1, n):
        for j in range(min(i + 1, k)):
            stay, move = cost[i - 1][j], cost[i - 1][j - 1] if j else inf
            back[i][j] = j if stay <= move else j - 1
            cost[i][j] = min(stay, move) + abs(target[i] - j)
    out, j = [0] * n, k - 1
    for i in range(n - 1, -1, -1):
        out[i] = required[j]
        j = back[i][j]
    return out


def _anchor(events: list[Event], doc: _Doc, required: list[int] | None) -> list[tuple[str, int | None]]:
    sources = [None if t in PUNCT else doc.source(p) for t, p in events]
    if required:
        idx = [i for i, s in enumerate(sources) if s is not None]
        nat = [s for s in sources if s is not None]
        if nat and (any(a > b for a, b in pairwise(nat)) or not set(required) <= set(nat)):
            for i, s in zip(idx, _deal(nat, required), strict=True):
                sources[i] = s
    return [(t, s) for (t, _), s in zip(events, sources, strict=True)]


def _scan(doc: _Doc) -> list[tuple[str, int | None]]:
    text = doc.text
    out: list[tuple[str, int | None]] = []
    # The leftmost match of any rule, lowest rule index on ties, i.e. what one big alternation
    # would find, but with each rule searching on its own: one alternation of 26 rules defeats the
    # regex engine's literal-prefix scanning and was 3x slower. Each rule's next match is cached
    # and only searched again once the scan has moved past its start; rules whose trigger is
    # absent from the text are never searched.
    nexts = [
        pattern.search(text) if trigger is None or trigger.search(text) else None
        for (pattern, _), trigger in zip(RULES, TRIGGERS, strict=True)
    ]
    pos = search = 0
    while True:
        first = -1
        start = len(text) + 1
        for i, m in enumerate(nexts):
            if m is not None and m.start() < search:
                m = nexts[i] = RULES[i][0].search(text, search)
            if m is not None and m.start() < start:
                first, start = i, m.start()
        if first < 0:
            break
        found = None
        for pattern, handler in RULES[first:]:
            mm = pattern.match(text, start)
            if mm is not None and mm.end() > start and (evs := handler(mm, text)) is not None:
                found = mm, evs
                break
        if found is None:  # every rule declined here ("25:99"): read it as plain text
            search = start + 1
            continue
        mm, evs = found
        gap: list[Event] = []
        read_span(text, pos, start, gap)
        out += _anchor(gap, doc, None)
        out += _anchor(evs, doc, doc.clients_in(start, mm.end()))
        pos = search = mm.end()
    gap = []
    read_span(text, pos, len(text), gap)
    return out + _anchor(gap, doc, None)


def _mark(p: str, next_word: str | None) -> str:
    """Collapse the marks that followed a word into one (or "?!")."""
    if "?" in p:
        return "?!" if "!" in p else "?"
    if "!" in p:
        return "!"
    if "." in p:
        return "."
    if "…" in p:  # a trailing-off: a stop before a new sentence, else a comma pause
        return "." if next_word is None or (next_word[:1].isupper() and next_word != "I") else ","
    return next(c for c in ";:," if c in p)


def _tidy(word: str) -> str:
    """Last line of defence for the invariants: drop anything that is not a letter, mark, or inner
    ' or - (no rule should produce such a word; this keeps odd Unicode from leaking through)."""
    if _WORD_OK.fullmatch(word):
        return word
    kept = "".join(c for c in word if c.isalpha() or unicodedata.category(c)[0] == "M" or c in "'-")
    kept = re.sub(r"['\-]{2,}", "-", kept).strip("'-")
    return kept if kept[:1].isalpha() else ""


def _cover(raw: list[str], words: list[str], sources: list[int | None], marks: list[str]) -> None:
    """Give a word to any client word that got none. Only odd Unicode gets here (a letter that NFKC
    turns into a combining mark, say): say its letters as written, or its digits, or "number"."""
    have = set(sources)
    for idx, tok in enumerate(raw):
        if idx in have:
            continue
        letters = "".join(c for c in tok if c.isalpha() or (c in "'-" and tok[:1].isalpha()))
        fallback = [t] if (t := _tidy(letters)) else digit_words(tok) or ["number"]
        at = next((i for i, s in enumerate(sources) if s is not None and s > idx), len(words))
        words[at:at] = fallback
        sources[at:at] = [idx] * len(fallback)
        marks[at:at] = [""] * len(fallback)


def to_spoken(text: str) -> list[SpokenWord]:
    """The spoken form of ``text``, word by word, with provenance.

    Args:
        text: The client's text, any Unicode.

    Returns:
        Spoken words in reading order; ``[]`` when nothing in ``text`` is speakable. Sources never
        decrease (ignoring None) and every client word gets at least one spoken word.

    Text with Japanese or Chinese characters in it (whose client words are cut by script, see
    :mod:`voicewire.text.words`) is read by :func:`voicewire.text.spoken.to_spoken_in` instead.

    Example:
        >>> [(w.text, w.source) for w in to_spoken("It costs $9.99.")]
        [('It', 0), ('costs', 1), ('nine', 2), ('dollars', 2), ('and', 2), ('ninety-nine', 2), ('cents.', 2)]
    """
    if has_cjk(text):
        from .spoken import to_spoken_in

        return to_spoken_in(text, "en-US")
    doc = _Doc(text)
    if not doc.text:
        return []
    words: list[str] = []
    sources: list[int | None] = []
    marks: list[str] = []
    for t, src in _scan(doc):
        if t in PUNCT:
            if marks:
                marks[-1] += t
        elif t := _tidy(t):
            words.append(t)
            sources.append(src)
            marks.append("")
    if len(set(sources) - {None}) < len(doc.raw):
        _cover(doc.raw, words, sources, marks)
    last = len(words) - 1
    return [
        SpokenWord(w + _mark(p, words[i + 1] if i < last else None) if p else w, s)
        for i, (w, s, p) in enumerate(zip(words, sources, marks, strict=True))
    ]


def spoken_text(words: Sequence[SpokenWord]) -> str:
    """The spoken form as one string for an engine: the words joined by single spaces."""
    return " ".join(w.text for w in words)
