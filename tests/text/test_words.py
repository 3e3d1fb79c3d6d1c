"""Client words: whitespace tokens holding a letter or digit, as the client wrote them."""

from __future__ import annotations

import time
from itertools import pairwise

import pytest
from hypothesis import given
from hypothesis import strategies as st

from voicewire.text.words import client_word_spans, client_words, has_cjk, is_client_word

CASES: list[tuple[str, list[str]]] = [
    ("", []),
    ("   \t\n ", []),
    ("Hello, world.", ["Hello,", "world."]),
    ("It costs $9.99. Buy it!", ["It", "costs", "$9.99.", "Buy", "it!"]),
    ("(Dr. Smith)", ["(Dr.", "Smith)"]),
    ('"Hello," she said.', ['"Hello,"', "she", "said."]),
    # punctuation-only and symbol-only tokens are not words
    ("wait — what ... & so on", ["wait", "what", "so", "on"]),
    ("!!! ??? --- ()", []),
    ("a & b", ["a", "b"]),
    ("50 % off", ["50", "off"]),
    # emoji-only tokens are not words; emoji glued to a word stay part of it
    ("I 🙂 you", ["I", "you"]),
    ("hi🙂 👍🏽", ["hi🙂"]),
    ("🇺🇸 flag", ["flag"]),
    ("1️⃣ first", ["1️⃣", "first"]),  # keycap: the digit makes it a word
    # tabs, newlines, odd Unicode whitespace all separate words
    ("one\ttwo\nthree\r\nfour", ["one", "two", "three", "four"]),
    ("a\u00a0b\u2003c\u3000d", ["a", "b", "c", "d"]),
    ("a\u2028b\u2029c\x1cd\x85e", ["a", "b", "c", "d", "e"]),
    # zero-width characters are not whitespace
    ("foo\u200bbar", ["foo\u200bbar"]),
    ("\u200b \ufeff \u200d", []),
    ("x\u200d", ["x\u200d"]),
    ("\u200bhi\u200b", ["\u200bhi\u200b"]),
    # control characters are not whitespace either, and not words
    ("a\x00b \x07", ["a\x00b"]),
    # letters and digits of any script count
    # Chinese has no spaces: one Han character, one syllable, one word (issue 13)
    ("你好 世界", ["你", "好", "世", "界"]),
    ("مرحبا ١٢٣", ["مرحبا", "١٢٣"]),
    ("नमस्ते", ["नमस्ते"]),
    ("½ ² ™ ©", ["½", "²"]),  # numeric symbols are alphanumeric to Python; ™ and © are not
    ("_ __init__", ["__init__"]),
]


@pytest.mark.parametrize(("text", "expected"), CASES)
def test_client_words(text: str, expected: list[str]) -> None:
    assert client_words(text) == expected


@pytest.mark.parametrize(("text", "expected"), CASES)
def test_spans_point_at_the_words(text: str, expected: list[str]) -> None:
    spans = client_word_spans(text)
    assert [text[a:b] for a, b in spans] == expected
    assert all(b1 <= a2 for (_, b1), (a2, _) in pairwise(spans))


@pytest.mark.parametrize(
    ("token", "expected"),
    [("a", True), ("7", True), ("—", False), ("...", False), ("🙂", False), ("x🙂", True)],
)
def test_is_client_word(token: str, expected: bool) -> None:
    assert is_client_word(token) is expected


@given(st.text(max_size=200))
def test_words_are_alnum_split_tokens(text: str) -> None:
    if has_cjk(text):  # cut further by script: every word inside one token, in order
        spans = client_word_spans(text)
        assert all(text[a:b] and not any(c.isspace() for c in text[a:b]) for a, b in spans)
        assert all(b1 <= a2 for (_, b1), (a2, _) in pairwise(spans))
        assert all(any(c.isalnum() for c in text[a:b]) for a, b in spans)
        return
    expected = [t for t in text.split() if any(c.isalnum() for c in t)]
    assert client_words(text) == expected
    assert [text[a:b] for a, b in client_word_spans(text)] == expected
    assert [text[a:b] for a, b in client_word_spans(text)] == expected


CJK_CASES: list[tuple[str, list[str]]] = [
    # Japanese: kanji or katakana runs with the hiragana after them, punctuation on the word before
    ("今日はいい天気ですね。", ["今日はいい", "天気ですね。"]),
    ("東京タワーに行きました。", ["東京", "タワーに", "行きました。"]),
    ("価格は1,000円です。", ["価格は", "1,000", "円です。"]),
    ("「こんにちは」と言った。", ["「こんにちは」", "と", "言った。"]),
    ("りんごを3つください", ["りんごを", "3つください"]),
    # Chinese: one Han character a word, a run of digits or Latin letters one word
    ("我有25个苹果。", ["我", "有", "25", "个", "苹", "果。"]),
    ("我们，好。", ["我", "们，", "好。"]),
    ("Hello 世界 world", ["Hello", "世", "界", "world"]),
]


@pytest.mark.parametrize(("text", "expected"), CJK_CASES)
def test_japanese_and_chinese_words_are_cut_by_script(text: str, expected: list[str]) -> None:
    assert client_words(text) == expected
    assert [text[a:b] for a, b in client_word_spans(text)] == expected


@pytest.mark.parametrize("text", ["🙂" * 100_000, "-" * 100_000, "🙂 " * 50_000, "a" * 100_000])
def test_a_huge_token_is_scanned_once(text: str) -> None:
    start = time.perf_counter()
    spans = client_word_spans(text)
    assert client_words(text) == [text[a:b] for a, b in spans] == [t for t in text.split() if t[0].isalnum()]
    # a regex that retried its look-ahead at every character of a token took minutes here
    assert time.perf_counter() - start < 10
