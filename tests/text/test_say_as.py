"""Readings of <say-as> content."""

from __future__ import annotations

import pytest

from voicewire.text.say_as import interpret


@pytest.mark.parametrize(
    ("kind", "content", "fmt", "words"),
    [
        ("characters", "AB1", None, ["eigh", "B", "one"]),
        ("spell-out", "a-z é!", None, ["eigh", "Z", "é"]),
        ("cardinal", "1,234", None, ["one", "thousand", "two", "hundred", "thirty-four"]),
        ("cardinal", "2024", None, ["two", "thousand", "twenty-four"]),  # a number, not a year
        ("number", "-3.5", None, ["minus", "three", "point", "five"]),
        ("ordinal", "3rd", None, ["third"]),
        ("ordinal", "101", None, ["one", "hundred", "first"]),
        ("digits", "2024", None, ["two", "zero", "two", "four"]),
        ("date", "2024-03-05", None, ["March", "fifth,", "twenty", "twenty-four"]),
        ("date", "5/3/2024", "dmy", ["March", "fifth,", "twenty", "twenty-four"]),
        ("date", "3/5", "md", ["March", "fifth"]),
        ("date", "Mar 5 1999", "mdy", ["March", "fifth,", "nineteen", "ninety-nine"]),
        ("date", "5", "d", ["the", "fifth"]),
        ("telephone", "+1 (555) 010-0199", None,
         ["plus", "one,", "five", "five", "five,", "zero", "one", "zero,", "zero", "one", "nine", "nine"]),
        ("telephone", "1-800-FLOWERS", None, ["one,", "eight", "zero", "zero,", "flowers"]),
    ],
)  # fmt: skip
def test_readings(kind: str, content: str, fmt: str | None, words: list[str]) -> None:
    assert interpret(kind, content, fmt) == words


@pytest.mark.parametrize(
    ("kind", "content", "fmt", "fragment"),
    [
        ("cardinal", "twelve", None, "is no number"),
        ("ordinal", "first", None, "is no ordinal"),
        ("digits", "none", None, "has no digits"),
        ("date", "99/99/99", None, "is no date"),
        ("date", "2024-03", "ymd", "does not have the 3 parts"),
        ("date", "1/2/3", "qqq", "is no date format"),
        ("date", "Foo 5 2024", "mdy", "'Foo' is no month"),
        ("telephone", "call me", None, "has no digits"),
        ("emoji", "x", None, "is not read"),
    ],
)
def test_content_that_cannot_be_read_that_way(kind: str, content: str, fmt: str | None, fragment: str) -> None:
    with pytest.raises(ValueError, match=fragment):
        interpret(kind, content, fmt)
