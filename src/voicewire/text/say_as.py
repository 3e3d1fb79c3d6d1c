"""Readings of ``<say-as interpret-as="...">`` content: spelled letters, numbers, dates, telephone numbers.

Each function takes the element's text and gives spoken-form words, or raises ``ValueError`` with a
sentence saying what the content should have been (the markup parser turns it into a 400 naming the
position). Pure.
"""

from __future__ import annotations

import re

from voicewire.text._numbers import ONES, digit_words, number_words, ordinal_words

__all__ = ["INTERPRETATIONS", "characters", "date", "digits", "interpret", "telephone"]

# A letter alone is read as its name by both engines' front ends, except "A" (the article): "eigh" is
# read /eɪ/ by hibari's lexicon and by espeak-ng alike.
_LETTER_WORDS = {c: c for c in "BCDEFGHIJKLMNOPQRSTUVWXYZ"} | {"A": "eigh"}
_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
           "November", "December")  # fmt: skip
_MONTH_BY_NAME = {name.lower(): i + 1 for i, m in enumerate(_MONTHS) for name in (m, m[:3])}
_DATE_FORMATS = ("mdy", "dmy", "ymd", "ydm", "md", "dm", "ym", "my", "y", "m", "d")
_NUMBER = re.compile(r"[-+−]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?|[-+−]?\.\d+")
_ORDINAL = re.compile(r"(\d+)(?:st|nd|rd|th)?\.?", re.IGNORECASE)


def characters(content: str) -> list[str]:
    """Every letter and digit by itself: ``"AB1"`` -> ``["eigh", "B", "one"]``. Other letters (é, ß)
    are said as they are; spaces and punctuation are skipped."""
    out = []
    for c in content:
        if c.isascii() and c.isalpha():
            out.append(_LETTER_WORDS[c.upper()])
        elif c.isdecimal():
            out += digit_words(str(int(c)))
        elif c.isalpha():
            out.append(c)
    return out


def digits(content: str) -> list[str]:
    """Every digit by itself: ``"2024"`` -> two zero two four."""
    words = digit_words("".join(c for c in content if c.isdecimal()))
    if not words:
        raise ValueError(f"{content!r} has no digits")
    return words


def cardinal(content: str) -> list[str]:
    match = _NUMBER.fullmatch(content.strip().replace("−", "-").lstrip("+"))
    if match is None:
        raise ValueError(f"{content!r} is no number (write digits, such as 1234, -5 or 3.14)")
    return number_words(match.group(), quantity=True)


def ordinal(content: str) -> list[str]:
    match = _ORDINAL.fullmatch(content.strip())
    if match is None or len(match.group(1)) > 30:
        raise ValueError(f"{content!r} is no ordinal (write a whole number, such as 3 or 3rd)")
    return ordinal_words(int(match.group(1)))


def date(content: str, fmt: str | None) -> list[str]:
    """A date in the order ``fmt`` names (``mdy`` by default, ``ymd`` for ISO ``2024-03-05``): said as
    "March fifth, twenty twenty-four". Month names (``Mar``, ``March``) stand for ``m``."""
    parts = re.findall(r"\d+|[A-Za-z]+", content)
    order = (fmt or "").lower() or ("ymd" if re.fullmatch(r"\s*\d{4}-\d{1,2}-\d{1,2}\s*", content) else "mdy")
    if order not in _DATE_FORMATS:
        raise ValueError(f"format {fmt!r} is no date format (one of {', '.join(_DATE_FORMATS)})")
    if len(parts) != len(order):
        raise ValueError(f"{content!r} does not have the {len(order)} parts of format {order!r}")
    values: dict[str, int] = {}
    for kind, part in zip(order, parts, strict=True):
        if kind == "m" and part.isalpha():
            number = _MONTH_BY_NAME.get(part.lower())
        else:
            number = int(part) if part.isdecimal() and len(part) <= 4 else None
        if number is None:
            raise ValueError(f"{part!r} is no {'year' if kind == 'y' else 'month' if kind == 'm' else 'day'}")
        values[kind] = number
    month, day = values.get("m"), values.get("d")
    if (month is not None and not 1 <= month <= 12) or (day is not None and not 1 <= day <= 31):
        raise ValueError(f"{content!r} is no date in format {order!r}")
    words: list[str] = []
    if month is not None:
        words.append(_MONTHS[month - 1])
    if day is not None:
        words += ordinal_words(day) if month is not None else ["the", *ordinal_words(day)]
    if "y" in values:
        if words:
            words[-1] += ","
        words += number_words(str(values["y"]))  # a four-digit year as a year: twenty twenty-four
    return words


def telephone(content: str) -> list[str]:
    """Digit by digit, a pause between groups: ``"+1 555-0100"`` -> plus one, five five five, zero one
    zero zero. Letters in the number (``1-800-FLOWERS``) are read as a word."""
    groups = re.findall(r"\+|\d+|[A-Za-z]+", content)
    if not any(g[0].isdecimal() for g in groups):
        raise ValueError(f"{content!r} has no digits")
    words: list[str] = []
    for group in groups:
        if words and group != "+" and words[-1] != "plus":
            words[-1] += ","
        if group == "+":
            words.append("plus")
        elif group.isdecimal():
            words += [ONES[int(c)] for c in group]
        else:
            words.append(group.lower())
    return words


INTERPRETATIONS = ("characters", "spell-out", "cardinal", "number", "ordinal", "digits", "date", "telephone")
"""The ``interpret-as`` values read (``spell-out`` is ``characters``, ``number`` is ``cardinal``)."""


def interpret(kind: str, content: str, fmt: str | None = None) -> list[str]:
    """Words for ``content`` read as ``kind`` (one of ``INTERPRETATIONS``).

    Raises:
        ValueError: the content cannot be read that way, or ``kind`` is unknown.
    """
    if kind in ("characters", "spell-out"):
        return characters(content)
    if kind in ("cardinal", "number"):
        return cardinal(content)
    if kind == "ordinal":
        return ordinal(content)
    if kind == "digits":
        return digits(content)
    if kind == "date":
        return date(content, fmt)
    if kind == "telephone":
        return telephone(content)
    raise ValueError(f"interpret-as {kind!r} is not read (one of {', '.join(INTERPRETATIONS)})")
