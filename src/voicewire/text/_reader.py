"""The token reader: spoken words for text no rule in ``_rules`` claimed.

Each whitespace token is cut into sub-pieces (words, numbers, dotted initialisms, punctuation,
symbols) and read the way hibari's lexicon reads its sub-tokens: a number right after letters in
the same word is a "non-head" number ("A380" -> three eighty), a bare 4-digit number is a year,
"3rd" is an ordinal, "1990s" a plural. Everything a token says is anchored at the token, so it is
credited to that client word (or to no client word for tokens like "&").

Choices where hibari has no opinion of its own:

* A single letter glued to a number is hyphenated to it ("A4" -> "A-four", "5G" -> "five-G"):
  alone, "A" is read as the article by both hibari and espeak-ng. Short all-consonant letter runs
  there are capitalized so both engines spell them ("mp3" -> "MP three").
* "2x" -> "two times", "4x4" -> "four by four", "1½" -> "one and a half", "3:2" -> "three to two".
* Dotted initialisms become one all-caps word ("U.S." -> "US", "Ph.D." -> "PHD"), which both
  engines spell; their final period ends a sentence only before a capital or at the end.
* A lone "-", "--", "—", "–" or "|" is a comma pause; quotes, brackets, emoji and other symbols
  are silent; "=", "<", ">" are read only between two things (hibari's rule), "~" only before a
  number ("about"), "#" before a number is "number" and before a word "hashtag".
"""

from __future__ import annotations

import re

from ._common import LM, LT, UPPER, Event, sentence_end_after
from ._numbers import TENS, number_words, plural_word
from ._tables import ABBREV, SYMBOL_WORDS

__all__ = ["read_span"]

_TOKEN = re.compile(r"\S+")
_SUB = re.compile(
    rf"(?P<dec>'(?P<dd>[1-9])0s)(?!{LM})"
    rf"|(?P<sharp>(?<!{LM})[A-G]#)(?![\w#])"
    rf"|(?P<init>(?<!{LM})(?:{LT}{{1,2}}\.)+{LT}{{1,2}}\.?)(?!{LM})"
    rf"|(?P<num>(?P<sign>(?<![\w\-.])-)?(?P<n>\d+(?:,\d{{3}})*(?:\.\d+)*|\.\d+)"
    rf"(?P<suf>(?:st|nd|rd|th|ST|ND|RD|TH|'s|s)(?!{LM}))?)"
    rf"|(?P<word>{LT}{LM}*(?:['\-]{LT}{LM}*)*)"
    r"|(?P<arrow>-+>|=+>)"
    r"|(?P<ell>\.{2,}|…)"
    r"|(?P<dash>-{2,}|[—–|])"
    r"|(?P<p>[.,;:!?])"
    r"|(?P<sym>\S)"
)
_PLAIN = re.compile(r"([A-Za-z]{2,}(?:'[A-Za-z]+)?)([.,;:!?]?)")
_ORDINAL = frozenset(("st", "nd", "rd", "th", "ST", "ND", "RD", "TH"))
_VOWELS = frozenset("aeiouyAEIOUY")
_HALVES = {"½": "and a half", "¼": "and a quarter", "¾": "and three quarters"}
_NEXT_INITIAL = re.compile(rf"\. [{UPPER}]\.(?: |$)")
_PREV_INITIAL = re.compile(rf"(?:^| )[{UPPER}]\. $")


def _spell_short(w: str) -> str:
    """Capitalize a short vowelless run next to digits ("mp3", "kb") so engines spell it."""
    return w.upper() if len(w) <= 3 and w.islower() and not _VOWELS.intersection(w) else w


def _between(text: str, a: int, b: int) -> bool:
    """hibari's test for "=", "<", ">": something other than a space on both sides, allowing one
    space in between (``(?<=\\S) ?= ?(?=\\S)``)."""
    i = a - 2 if a >= 2 and text[a - 1] == " " else a - 1
    j = b + 1 if b < len(text) - 1 and text[b] == " " else b
    return i >= 0 and j < len(text) and not text[i].isspace() and not text[j].isspace()


def _next_nonspace(text: str, b: int) -> str:
    j = b + 1 if b < len(text) and text[b] == " " else b
    return text[j] if j < len(text) else ""


def _read_token(text: str, s: int, e: int, out: list[Event]) -> None:
    seen = False  # a word or number was already read in this token (numbers after it are non-head)
    last_kind = ""  # "word"/"num" of the previous word or number, if it ends at last_end
    last_end = -1
    pending = -1  # index in out of a single letter waiting to be hyphenated to the next number
    swallow = -1  # offset of an initial's period ("J. K. Rowling") that is not a full stop
    for m in _SUB.finditer(text, s, e):
        kind = m.lastgroup
        a, b = m.span()
        adjacent = a == last_end
        if kind == "num":
            words = number_words(
                ("-" if m["sign"] else "") + m["n"], head=not (seen and adjacent), nth=m["suf"] in _ORDINAL
            )
            if m["suf"] in ("s", "'s"):
                words[-1] = plural_word(words[-1])
            if pending >= 0 and adjacent:
                out[pending] = (f"{out[pending][0]}-{words[0]}", s)
                words = words[1:]
            out.extend((w, s) for w in words)
            pending, last_kind, last_end, seen = -1, "num", b, True
        elif kind == "word":
            w = m["word"]
            if w[0] == "µ":
                w = "micro" + w[1:]
            nxt = text[b : b + 2] if b < e else ""
            before_digit = nxt[:1].isdecimal() or (nxt[:1] == "-" and nxt[1:].isdecimal())
            if adjacent and last_kind == "num" and w == "x":
                out.append(("by" if before_digit else "times", s))
            elif adjacent and last_kind == "num" and len(w) == 1:
                out[-1] = (f"{out[-1][0]}-{w.upper()}", s)
            elif len(w) == 1 and before_digit:
                out.append((w.upper(), s))
                pending = len(out) - 1
            else:
                if (adjacent and last_kind == "num") or before_digit:
                    w = _spell_short(w)
                elif (
                    len(w) == 1
                    and w.isupper()
                    and nxt[:1] == "."
                    and (_NEXT_INITIAL.match(text, b) or _PREV_INITIAL.search(text, max(0, a - 4), a))
                ):
                    swallow = b
                out.append((w, s))
            last_kind, last_end, seen = "word", b, True
        elif kind == "init":
            letters = m["init"].replace(".", "")
            if letters.upper() in ABBREV:  # "a.k.a." -> also known as
                out.extend((w, s) for w in ABBREV[letters.upper()].split())
            else:
                out.append((letters.upper(), s))
            if m["init"].endswith(".") and sentence_end_after(text, b):
                out.append((".", s))
            last_kind, last_end, seen = "word", b, True
        elif kind == "dec":
            out.append((plural_word(TENS[int(m["dd"])]), s))
            seen = True
        elif kind == "sharp":
            out.extend(((m["sharp"][0], s), ("sharp", s)))
            seen = True
        elif kind == "p":
            if m["p"] == ":" and adjacent and last_kind == "num" and text[b : b + 1].isdecimal():
                out.append(("to", s))  # "3:2" (a ratio or score; times were taken by the rules)
            elif a != swallow:
                out.append((m["p"], s))
        elif kind == "ell":
            out.append(("…", s))
        elif kind == "dash":
            out.append((",", s))
        elif kind == "arrow":
            out.append(("to", s))
        else:
            c = m["sym"]
            if c == "-" and adjacent and b < e and text[b].isalnum():
                last_end = b  # "COVID-19", "A-4": a joint, not a pause
                continue
            word = _symbol(text, c, a, b, e, adjacent and last_kind == "num", out)
            if word:
                out.extend((w, s) for w in word.split())


def _symbol(text: str, c: str, a: int, b: int, e: int, after_num: bool, out: list[Event]) -> str:
    """Word(s) for a symbol character, "" when silent (may append a pause to ``out`` instead)."""
    if c in _HALVES and after_num:
        return _HALVES[c]
    if c == "-":
        out.append((",", a))
        return ""
    if c == "/":
        prev, nxt = text[max(0, a - 3) : a], text[b : b + 2]
        if a > 0 and text[a - 1].isalnum() and nxt[:1].isalnum() and not (prev == "and" and nxt == "or"):
            return "slash"
        return ""
    if c == "#":
        nxt = text[b : b + 1] if b < e else ""
        return "number" if nxt.isdecimal() else "hashtag" if nxt.isalpha() else ""
    if c in "=<>":
        return SYMBOL_WORDS[c] if _between(text, a, b) else ""
    if c == "~":
        return "about" if _next_nonspace(text, b).isdecimal() else ""
    return SYMBOL_WORDS.get(c, "")


def read_span(text: str, start: int, end: int, out: list[Event]) -> None:
    """Append the events for ``text[start:end]`` (whole or partial tokens) to ``out``."""
    for tok in _TOKEN.finditer(text, start, end):
        plain = _PLAIN.fullmatch(tok[0])
        if plain:  # most tokens are a plain word, maybe with a comma or stop: skip the sub-pieces
            out.append((plain[1], tok.start()))
            if plain[2]:
                out.append((plain[2], tok.start()))
        else:
            _read_token(text, tok.start(), tok.end(), out)
