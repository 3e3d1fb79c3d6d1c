"""Handlers for the numeric rules in ``_rules``: times, dates, money, degrees, units, fractions
and ranges. Each takes the rule's match and the normalized text and returns events (spoken words
and punctuation anchored at the offsets they read), or None to decline the match."""

from __future__ import annotations

import re
from collections.abc import Iterable

from ._common import Event, sentence_end_after
from ._numbers import cardinal_words, money_words, number_words, ordinal_words
from ._tables import CURRENCY_WORDS, MONTH_NAMES, MONTHS, UNITS

__all__ = [
    "at",
    "read_big_money",
    "read_cents",
    "read_currency",
    "read_date_iso",
    "read_date_us",
    "read_day_month",
    "read_degrees",
    "read_fraction",
    "read_hour",
    "read_money",
    "read_money_range",
    "read_money_suffix",
    "read_month_day",
    "read_range",
    "read_time",
    "read_unit",
    "spread",
]

_BIG_WORDS = {"k": "thousand", "m": "million", "b": "billion"}
_FRACTIONS = {
    2: "half",
    3: "third",
    4: "quarter",
    5: "fifth",
    6: "sixth",
    7: "seventh",
    8: "eighth",
    9: "ninth",
    10: "tenth",
}


def at(out: list[Event], words: Iterable[str], pos: int) -> None:
    out.extend((w, pos) for w in words)


def spread(out: list[Event], phrase: str, m: re.Match[str], group: int | str = 0) -> None:
    """Words of ``phrase`` over the space-separated parts of ``m[group]`` (one each, the rest on the
    last part), so "sq ft" -> square@sq feet@ft and "et al." -> et@et al@al."""
    starts = [m.start(group)] + [m.start(group) + i + 1 for i, c in enumerate(m[group]) if c == " "]
    for i, w in enumerate(phrase.split()):
        out.append((w, starts[min(i, len(starts) - 1)]))


def _singular(n: str) -> bool:
    return n.replace(",", "") in ("1", "1.0", "-1")


def _ampm(out: list[Event], m: re.Match[str], text: str, g: int) -> None:
    """ "AM"/"PM" as one all-caps word: hibari and espeak-ng both spell it, whereas a lone "A"
    would be read as the article. A period after "p.m." is kept only where a sentence ends."""
    out.append((m[g].upper() + "M", m.start(g)))
    if m[g + 2] and (not m[g + 1] or sentence_end_after(text, m.end())):
        out.append((".", m.end()))


def read_time(m: re.Match[str], text: str) -> list[Event] | None:
    h, mi, sec = int(m[1]), int(m[2]), m[3]
    if h > 24 or mi > 59 or (sec and int(sec) > 59):
        return None
    words = cardinal_words(h)
    if mi == 0:
        words += [] if m[4] or sec else ["o'clock"]
    elif mi < 10:
        words += ["oh", *cardinal_words(mi)]
    else:
        words += cardinal_words(mi)
    if sec:
        words += ["and", *cardinal_words(int(sec)), "second" if int(sec) == 1 else "seconds"]
    out: list[Event] = []
    at(out, words, m.start())
    if m[4]:
        _ampm(out, m, text, 4)
    return out


def read_hour(m: re.Match[str], text: str) -> list[Event] | None:
    h = int(m[1])
    if not 1 <= h <= 12:
        return None
    out: list[Event] = []
    at(out, cardinal_words(h), m.start())
    _ampm(out, m, text, 2)
    return out


def _date_words(out: list[Event], mo: int, d: int, y: str | None, pos: int) -> bool:
    if not (1 <= mo <= 12 and 1 <= d <= 31):
        return False
    out.append((MONTH_NAMES[mo - 1], pos))
    at(out, ordinal_words(d), pos)
    if y:
        out.append((",", pos))
        at(out, number_words(y), pos)
    return True


def read_date_iso(m: re.Match[str], text: str) -> list[Event] | None:
    out: list[Event] = []
    return out if _date_words(out, int(m[2]), int(m[3]), m[1], m.start()) else None


def read_date_us(m: re.Match[str], text: str) -> list[Event] | None:
    a, b, y = int(m[1]), int(m[2]), m[3]
    if len(y) == 2:
        y = ("19" if int(y) > 30 else "20") + y
    mo, d = (a, b) if a <= 12 else (b, a)
    out: list[Event] = []
    return out if _date_words(out, mo, d, y, m.start()) else None


def _big(out: list[Event], m: re.Match[str], g: int) -> None:
    if m[g]:
        out.append((_BIG_WORDS.get(m[g].lower(), m[g]), m.start(g)))


def read_big_money(m: re.Match[str], text: str) -> list[Event]:
    out: list[Event] = []
    at(out, number_words(m[2], quantity=True), m.start(2))
    _big(out, m, 3)
    out.append((CURRENCY_WORDS[m[1]][1], m.start(1)))
    return out


def read_money_range(m: re.Match[str], text: str) -> list[Event]:
    out: list[Event] = []
    at(out, number_words(m[2], quantity=True), m.start(2))
    out.append(("to", m.start(3)))
    at(out, money_words(m[4], m[1]), m.start(4))
    return out


def read_money(m: re.Match[str], text: str) -> list[Event]:
    out: list[Event] = []
    words = money_words(m[3], m[2])
    at(out, words[:-1], m.start(3))
    out.append((words[-1], m.start(2)))  # "dollars"/"cents" reads the symbol (repair may move it)
    return [("minus", m.start()), *out] if m[1] else out


def read_cents(m: re.Match[str], text: str) -> list[Event]:
    out: list[Event] = []
    at(out, number_words(m[1], quantity=True), m.start(1))
    out.append((CURRENCY_WORDS["¢"][0 if _singular(m[1]) else 1], m.end() - 1))
    return out


def read_currency(m: re.Match[str], text: str) -> list[Event]:
    out: list[Event] = []
    at(out, number_words(m[2], quantity=True), m.start(2))
    _big(out, m, 3)
    word = CURRENCY_WORDS[m[1].rstrip(".")]
    out.append((word[1] if m[3] or not _singular(m[2]) else word[0], m.start(1)))
    return out


def read_money_suffix(m: re.Match[str], text: str) -> list[Event]:
    out: list[Event] = []
    if m[2] in "$£€":
        words = money_words(m[1], m[2])
        at(out, words[:-1], m.start(1))
        out.append((words[-1], m.start(2)))
    else:
        at(out, number_words(m[1], quantity=True), m.start(1))
        out.append((CURRENCY_WORDS[m[2]][0 if _singular(m[1]) else 1], m.start(2)))
    return out


def read_degrees(m: re.Match[str], text: str) -> list[Event]:
    out: list[Event] = []
    at(out, number_words(m[1], quantity=True), m.start(1))
    deg = m[0].index("°") + m.start()
    out.append(("degree" if _singular(m[1]) else "degrees", deg))
    if m[2]:
        out.append(({"C": "Celsius", "F": "Fahrenheit"}[m[2]], m.start(2)))
    return out


def read_unit(m: re.Match[str], text: str) -> list[Event]:
    out: list[Event] = []
    at(out, number_words(m[1], quantity=True), m.start(1))
    spread(out, UNITS[m[2]][0 if _singular(m[1]) else 1], m, 2)
    return out


def read_month_day(m: re.Match[str], text: str) -> list[Event] | None:
    day = int(m[3])
    if not 1 <= day <= 31:
        return None
    out: list[Event] = [(MONTHS[m[1].lower()[:3]], m.start(1))]
    at(out, ordinal_words(day), m.start(3))
    if m[6]:
        if m[5]:
            out.append((",", m.start(5)))
        at(out, number_words(m[6]), m.start(6))
    return out


def read_day_month(m: re.Match[str], text: str) -> list[Event] | None:
    day = int(m[2])
    if not 1 <= day <= 31:
        return None
    out: list[Event] = [("the", m.start(1) if m[1] else m.start(2))]
    at(out, ordinal_words(day), m.start(2))
    out.append(("of", m.start(3) if m[3] else m.start(2)))
    out.append((MONTHS[m[4].lower()[:3]], m.start(4)))
    # hibari swallows a period after the month; it is an abbreviation's ("5 Jan.") or a full stop.
    if m[5] and (m[4] in MONTH_NAMES or sentence_end_after(text, m.end())):
        out.append((".", m.start(5)))
    return out


def read_fraction(m: re.Match[str], text: str) -> list[Event]:
    a, b = int(m[1]), int(m[2])
    out: list[Event] = []
    pos = m.start()
    if 0 < a < b <= 10:
        unit = _FRACTIONS[b]
        if unit == "half":
            at(out, ["one", "half"] if a == 1 else [*cardinal_words(a), "halves"], pos)
        else:
            at(out, [*cardinal_words(a), unit if a == 1 else unit + "s"], pos)
    elif not _date_words(out, a, b, None, pos):
        at(out, [*cardinal_words(a), "slash", *cardinal_words(b)], pos)
    return out


def read_range(m: re.Match[str], text: str) -> list[Event]:
    quantity = bool(m[5])
    out: list[Event] = []
    at(out, number_words(m[1], quantity=quantity), m.start(1))
    out.append(("to", m.start(2)))
    at(out, number_words(m[3], quantity=quantity), m.start(3))
    if m[4]:
        out.append(("percent", m.start(4)))
    elif m[5]:
        spread(out, UNITS[m[5]][0 if _singular(m[3]) else 1], m, 5)
    elif m[6]:
        _ampm(out, m, text, 6)
    return out
