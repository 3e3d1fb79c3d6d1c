"""The spoken form in any language: :func:`to_spoken_in` picks the reader for a turn's language.

English text with English numbers goes to :func:`voicewire.text.normalize.to_spoken` unchanged
(hibari's readings). Everything else is read here, client word by client word (as
:mod:`voicewire.text.words` cuts them, by script in Japanese and Chinese):

* letters are kept as written, with the sentence mark that follows them (``。`` -> ``.``, ``、`` ->
  ``,``, ``।`` -> ``.``, ``¿``/``¡`` dropped: the closing mark carries the question);
* numbers, dates, times, percentages, money and units are read in the *number language*
  (``number_pronunciation_language``, else the turn's language), with the decimal and thousands
  marks of the *text's* language (``1.500,5`` in Spanish, ``1,500.5`` in English, ``1,00,000`` in
  Hindi); dates are day-month-year, or year-month-day when the year comes first (ISO, Japanese,
  Chinese);
* with ``math_notation``, operators between numbers are read as words (``5 × 3``, ``2+2=4``; ``-``
  and ``/`` only with spaces around them, so ``5-3`` stays a range and ``1/2`` a fraction).

English text whose numbers are read in another language (``language: en``,
``number_pronunciation_language: hi``) has its numbers rewritten first, then goes through the
English reader, so its words keep their English readings.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence

from . import numerals
from .normalize import SpokenWord, to_spoken
from .words import client_word_spans, has_cjk

__all__ = ["COMMA_DECIMAL", "primary", "to_spoken_in"]

COMMA_DECIMAL = frozenset("es fr it pt de nl pl ru sv fi no tr id da cs ro".split())
"""Languages written with a decimal comma (``3,5``) and a thousands point (``1.500``)."""

_MARKS = {".": ".", "。": ".", "．": ".", "｡": ".", "।": ".", "॥": ".", ",": ",", "、": ",", "，": ",", "､": ",",
          "!": "!", "！": "!", "?": "?", "？": "?", ";": ";", "；": ";", ":": ":", "：": ":", "…": ","}  # fmt: skip
_OPEN = "\"'“‘«‹([{¿¡「『（【〔〈《"
_CLOSE = "\"'”’»›)]}」』）】〕〉》*_"
_NUM = r"\d+(?:[.,]\d+)*"
_NUMBER = re.compile(rf"[-−]?{_NUM}")
_SYMBOLS = "".join(k for k in numerals.CURRENCIES if len(k) == 1)
_MONEY_BEFORE = re.compile(rf"([{re.escape(_SYMBOLS)}])({_NUM})")
_MONEY_AFTER = re.compile(rf"({_NUM})([{re.escape(_SYMBOLS)}])")
_PERCENT = re.compile(rf"({_NUM})%")
_TIME = re.compile(r"(\d{1,2})[:h](\d{2})")
_DMY = re.compile(r"(\d{1,2})[/.-](\d{1,2})[/.-](\d{4}|\d{2})")
_YMD = re.compile(r"(\d{4})[/.-](\d{1,2})[/.-](\d{1,2})")
_ORDINAL = re.compile(r"(\d+)\.?(º|ª|°|o|a|er|re|e|ème|eme|°)")
_UNIT_GLUED = re.compile(rf"({_NUM})({'|'.join(sorted(map(re.escape, numerals.UNITS), key=len, reverse=True))})")
_OPS = {"×": "×", "x": "×", "X": "×", "*": "×", "÷": "÷", "/": "÷", "+": "+", "-": "-", "–": "-", "−": "-",
        "=": "=", "^": "^", "**": "^"}  # fmt: skip
_GLUED_MATH = re.compile(rf"{_NUM}(?:(?:\*\*|[×xX*÷+=^]){_NUM})+")
_MATH_SPLIT = re.compile(r"(\*\*|[×xX*÷+=^])")
_HOUR_WORDS = frozenset({"Uhr", "h", "heures", "horas", "ore", "बजे", "時"})
"""A word after a time that its reading already says (``14:30 Uhr`` -> vierzehn Uhr dreißig)."""
_DIGIT_RUNS = re.compile(r"(\d+(?:[.,]\d+)*)")
_CJK_NUMBER = re.compile(rf"([{re.escape(_SYMBOLS)}])?({_NUM})(%|[{re.escape(_SYMBOLS)}])?(年)?")

Item = tuple[str, int | None]
"""A client word (or a token that is none) and its client word index (None for the latter)."""


def primary(tag: str) -> str:
    """``pt-BR`` -> ``pt``."""
    return tag.replace("_", "-").split("-")[0].strip().lower()


def to_spoken_in(
    text: str, language: str = "en-US", *, numbers: str | None = None, math: bool = False
) -> list[SpokenWord]:
    """The spoken form of ``text`` read in ``language`` (BCP 47), numbers in ``numbers`` (default:
    ``language``), operators as words if ``math``. Sources index ``client_words(text)``; every client
    word gets at least one spoken word unless it has nothing speakable. Pure."""
    lang = primary(language)
    num = primary(numbers) if numbers else lang
    if lang == "en" and not has_cjk(text):
        if num == "en" and not math:
            return to_spoken(text)
        return _english_with(text, num, math)
    return _read(_items(text), lang, num, math)


# -- English words with numbers in another language -----------------------------------------------
def _english_with(text: str, num: str, math: bool) -> list[SpokenWord]:
    """Numbers (and operators) rewritten in ``num`` token by token, then the English reader; the
    rewritten text's client words map back to the original ones through their tokens."""
    items = _items(text)
    rewritten: list[tuple[str, int | None]] = []  # (token text, original client index)
    for word in _read(items, "en", num, math, numbers_only=True):
        rewritten.append((word.text, word.source))
    spoken = to_spoken(" ".join(t for t, _ in rewritten))
    owners = [src for t, src in rewritten if any(c.isalnum() for c in t)]
    return [SpokenWord(w.text, None if w.source is None else owners[w.source]) for w in spoken]


# -- the reader -------------------------------------------------------------------------------------
def _items(text: str) -> list[Item]:
    items: list[Item] = []
    spans = client_word_spans(text)
    k = 0
    for m in re.finditer(r"\S+", text):
        inside = [(a, b) for a, b in spans[k:] if a < m.end()]
        if not inside:
            items.append((_clean(m[0]), None))
            continue
        for a, b in inside:
            items.append((_clean(text[a:b]), k))
            k += 1
    return items


def _clean(token: str) -> str:
    kept = "".join(c for c in token if unicodedata.category(c)[0] != "C" or c in "\u200c\u200d")
    kept = unicodedata.normalize("NFKC", kept)
    return "".join(str(unicodedata.decimal(c)) if c.isdecimal() and not c.isascii() else c for c in kept)


def _read(items: Sequence[Item], lang: str, num: str, math: bool, *, numbers_only: bool = False) -> list[SpokenWord]:
    words: list[tuple[str, int | None]] = []
    marks: list[str] = []

    def say(ws: Sequence[str], source: int | None, at: int | None = None) -> None:
        parts = [p for w in ws for p in w.split()]
        for part in parts:
            words.append((part, source))
            marks.append("")
        if source is not None and not numbers_only and not any(_tidy(w) for w in parts):  # none left unread
            token = items[i if at is None else at][0]
            fallback = [d for c in token if c.isdecimal() for d in numerals.digits(c, num)]
            for part in fallback or [c for c in token if c.isalpha()][:1] or ["number"]:
                words.append((part, source))
                marks.append("")

    def pair(ws: Sequence[str]) -> None:
        """Words read from two tokens: the first word goes to the first, the rest to the second (so
        both get one and sources never decrease: ``R$ 20`` -> vinte/R$, reais/20)."""
        first, second = items[i][1], items[i + 1][1]
        parts = [p for w in ws for p in w.split()]
        say(parts[:1], first if first is not None else second)
        say(parts[1:], second if second is not None else first, i + 1)

    def mark(trail: str) -> None:
        found = [_MARKS[c] for c in trail if c in _MARKS]
        if found and marks:
            marks[-1] = _collapse(marks[-1] + "".join(found))

    i = 0
    while i < len(items):
        token, source = items[i]
        core, trail = _strip(token)
        nxt = _strip(items[i + 1][0])[0] if i + 1 < len(items) else ""
        used = 1
        if numbers_only and not _rewrite(core, nxt, num, math, bool(words)):
            say([token], source)  # the English reader reads it
            i += 1
            continue
        if lang in ("ja", "zh") and has_cjk(core):
            say(_cjk(core, lang, num), source)
        elif math and _number(nxt, lang) is not None and core in _OPS and words:
            say(numerals.MATH_WORDS[_OPS[core]].get(num, numerals.MATH_WORDS[_OPS[core]]["en"]).split(), source)
        elif (parsed := _number(core, lang)) is not None and (nxt == "%" or nxt in numerals.UNITS):
            spoken = _number_words(parsed, num)
            pair(numerals.percent(spoken, num) if nxt == "%" else [*spoken, *numerals.UNITS[nxt].get(num, nxt).split()])
            trail, used = _strip(items[i + 1][0])[1], 2
        elif nxt in _HOUR_WORDS and (hm := _TIME.fullmatch(core)) and int(hm[1]) < 24 and int(hm[2]) < 60:
            pair(numerals.time_of_day(int(hm[1]), int(hm[2]), num))  # "14:30 Uhr": the reading says its Uhr
            trail, used = _strip(items[i + 1][0])[1], 2
        elif amount := _money_pair(core, nxt, lang):
            pair(numerals.money(*amount[0], amount[1], num))
            trail, used = _strip(items[i + 1][0])[1], 2
        else:
            say(_token(core, lang, num, math), source)
        mark(trail)
        i += used
    if numbers_only:
        return [SpokenWord(w + m, s) for (w, s), m in zip(words, marks, strict=True)]
    out: list[SpokenWord] = []
    for (w, s), m in zip(words, marks, strict=True):
        if tidy := _tidy(w):
            out.append(SpokenWord(tidy + m, s))
        elif m and out:  # a mark after nothing speakable belongs to the word before
            out[-1] = SpokenWord(_tidy(out[-1].text) + _collapse(out[-1].text[-1:] + m), out[-1].source)
    return out


def _rewrite(core: str, nxt: str, num: str, math: bool, after_something: bool) -> bool:
    """In English text: whether a token is rewritten before the English reader sees it (its numbers
    when they are read in another language; an operator or a glued formula with ``math``)."""
    if math and ((core in _OPS and after_something and _number(nxt, "en") is not None) or _GLUED_MATH.fullmatch(core)):
        return True
    return num != "en" and any(c.isdigit() for c in core)


def _strip(token: str) -> tuple[str, str]:
    """(core, trailing marks): openers and closers dropped, sentence marks kept apart."""
    core = token.lstrip(_OPEN)
    end = len(core)
    while end and (core[end - 1] in _MARKS or core[end - 1] in _CLOSE):
        end -= 1
    trail = "".join(c for c in core[end:] if c in _MARKS)
    return core[:end], trail


def _collapse(p: str) -> str:
    if "?" in p:
        return "?!" if "!" in p else "?"
    if "!" in p:
        return "!"
    if "." in p:
        return "."
    return next(c for c in ";:," if c in p)


def _tidy(word: str) -> str:
    kept = "".join(c for c in word if c.isalpha() or unicodedata.category(c)[0] == "M" or c in "'-")
    kept = re.sub(r"['\-]{2,}", "-", kept).strip("'-")
    return kept if kept[:1].isalpha() else ""


def _money_pair(core: str, nxt: str, lang: str) -> tuple[tuple[str, str], str] | None:
    """An amount written as two tokens (``12,50 €``, ``€ 12``, ``USD 100``): (number, symbol)."""
    for amount, symbol in ((core, nxt), (nxt, core)):
        sym = _currency(symbol)
        parsed = _number(amount, lang) if sym else None
        if sym and parsed is not None:
            return parsed, sym
    return None


def _currency(token: str) -> str | None:
    if token in numerals.CURRENCIES:
        return token
    return numerals.CODES.get(token)


def _number(core: str, lang: str) -> tuple[str, str] | None:
    """(whole, fraction) of a plain number written the way ``lang`` writes them, else None."""
    if not core or not _NUMBER.fullmatch(core):
        return None
    sign = "-" if core[0] in "-−" else ""
    body = core.lstrip("-−")
    if lang in COMMA_DECIMAL:
        whole, _, frac = body.rpartition(",") if "," in body else (body, "", "")
        groups = whole.split(".")
        if len(groups) > 1 and not all(len(g) == 3 for g in groups[1:]):
            if frac or len(groups) > 2:
                return None
            whole, frac = groups[0], groups[1]
        else:
            whole = "".join(groups)
    else:
        whole, _, frac = body.rpartition(".") if "." in body else (body, "", "")
        groups = whole.split(",")
        if len(groups) > 1 and not all(len(g) in (2, 3) for g in groups[1:]):
            return None
        whole = "".join(groups)
    if not whole.isdecimal() and whole:
        return None
    return sign + (whole or "0"), frac


def _number_words(parsed: tuple[str, str], num: str) -> list[str]:
    whole, frac = parsed
    sign = whole.startswith("-")
    if len(whole.lstrip("-")) > 18:  # no language names such numbers: digit by digit
        return numerals.digits(whole + frac, num)
    n = int(whole.lstrip("-"))
    words = numerals.decimal(str(n), frac, num) if frac else numerals.cardinal(n, num)
    if sign:
        return numerals.cardinal(-1, num)[:1] + words
    return words


def _token(core: str, lang: str, num: str, math: bool) -> list[str]:
    """One token that no multi-token rule claimed."""
    if not core:
        return []
    if (parsed := _number(core, lang)) is not None:
        whole = parsed[0].lstrip("-")
        if not parsed[1] and len(whole) == 4 and not parsed[0].startswith("-") and 1000 <= int(whole) <= 2099:
            return numerals.year(int(whole), num)
        if not parsed[1] and len(whole) > 15:
            return numerals.digits(whole, num)
        return _number_words(parsed, num)
    if m := _YMD.fullmatch(core):
        return _date(int(m[3]), int(m[2]), int(m[1]), num) or _pieces(core, num)
    if m := _DMY.fullmatch(core):
        y = int(m[3]) + (2000 if len(m[3]) == 2 else 0)
        return _date(int(m[1]), int(m[2]), y, num) or _pieces(core, num)
    if (m := _TIME.fullmatch(core)) and int(m[1]) < 24 and int(m[2]) < 60:
        return numerals.time_of_day(int(m[1]), int(m[2]), num)
    if m := _PERCENT.fullmatch(core):
        parsed = _number(m[1], lang)
        if parsed is not None:
            return numerals.percent(_number_words(parsed, num), num)
    for pattern, before in ((_MONEY_BEFORE, True), (_MONEY_AFTER, False)):
        if m := pattern.fullmatch(core):
            amount, sym = (m[2], m[1]) if before else (m[1], m[2])
            if (parsed := _number(amount, lang)) is not None:
                return numerals.money(*parsed, sym, num)
    if m := _UNIT_GLUED.fullmatch(core):
        parsed = _number(m[1], lang)
        if parsed is not None:
            return [*_number_words(parsed, num), *numerals.UNITS[m[2]].get(num, m[2]).split()]
    if (m := _ORDINAL.fullmatch(core)) and (num in ("es", "pt", "it", "fr") or m[2] in "ºª°"):
        return numerals.ordinal(int(m[1]), num, feminine=m[2] in ("ª", "a"))
    if math and _GLUED_MATH.fullmatch(core):
        out: list[str] = []
        for piece in _MATH_SPLIT.split(core):
            if piece in _OPS:
                out += numerals.MATH_WORDS[_OPS[piece]].get(num, numerals.MATH_WORDS[_OPS[piece]]["en"]).split()
            elif (parsed := _number(piece, lang)) is not None:
                out += _number_words(parsed, num)
        return out
    return _pieces(core, num, lang)


def _pieces(core: str, num: str, lang: str = "") -> list[str]:
    """Letters and digit runs of a mixed token (``A380``, ``COVID-19``), symbols dropped."""
    if not any(c.isdecimal() for c in core):
        return [core]
    out: list[str] = []
    for piece in _DIGIT_RUNS.split(core):
        if piece[:1].isdecimal():
            parsed = _number(piece, lang or num)
            out += _number_words(parsed, num) if parsed is not None else numerals.digits(piece, num)
        elif piece:
            out += [w for w in re.split(r"[^\w'\u0300-\u036f\u0900-\u097f-]+", piece) if w]
    return out


def _date(day: int, month: int, year: int, num: str) -> list[str]:
    if not (1 <= month <= 12 and 1 <= day <= 31):
        return []
    if num in ("ja", "zh"):
        y = "".join(numerals.year(year, num))
        return [f"{y}年{''.join(numerals.cardinal(month, num))}月{''.join(numerals.cardinal(day, num))}日"]
    names = numerals.MONTHS.get(num)
    month_words = [names[month - 1]] if names else numerals.cardinal(month, num)
    first = {"fr": "premier", "it": "primo", "pt": "primeiro", "es": "primero"}
    day_words = [first[num]] if day == 1 and num in first else numerals.cardinal(day, num)
    if num == "en":
        return [*month_words, *numerals.ordinal(day, num), *numerals.year(year, num)]
    if num == "de":
        day_words = numerals.ordinal(day, num)
    joiner = ["de"] if num in ("es", "pt") else []
    return [*day_words, *joiner, *month_words, *joiner, *numerals.year(year, num)]


def _cjk(core: str, lang: str, num: str) -> list[str]:
    """A Japanese or Chinese word: its digits as numerals (in place when the number language is the
    text's own, so the counter after them reads right), its brackets and symbols dropped."""
    out: list[str] = []
    at = 0
    for m in _CJK_NUMBER.finditer(core):
        if not m[2] or _number(m[2], lang) is None:
            continue
        parsed = _number(m[2], lang)
        assert parsed is not None
        if m[1] or (m[3] and m[3] != "%"):
            spoken = numerals.money(*parsed, m[1] or m[3], num)
        else:
            whole = parsed[0].lstrip("-")
            spoken = numerals.year(int(whole), num) if m[4] and not parsed[1] else _number_words(parsed, num)
            if m[3] == "%":
                spoken = numerals.percent(spoken, num)
        if m[4]:
            spoken = [*spoken[:-1], spoken[-1] + "年"] if num in ("ja", "zh") else [*spoken, "年"]
        head = core[at : m.start()]
        if num in ("ja", "zh"):
            out.append(head + "".join(spoken))
        else:
            out += [head, *spoken]
        at = m.end()
    tail = core[at:]
    if num in ("ja", "zh") and out:
        out[-1] += tail
    else:
        out.append(tail)
    return [w for w in ("".join(c for c in x if c.isalnum() or unicodedata.category(c)[0] == "M") for x in out) if w]
