"""Client words: the units voicewire reports word timestamps for.

A client word is a whitespace-separated token of the client's text that holds at least one letter
or digit (some character with ``str.isalnum()``), exactly as the client wrote it, punctuation
included: ``"Hello,"``, ``"$9.99."``, ``"(Dr."``. Tokens without a letter or digit (``"—"``,
``"&"``, ``"..."``, ``"🙂"``) are not client words. "Whitespace" is ``str.isspace()``, the same
set ``str.split()`` uses; zero-width characters such as U+200B are not whitespace, so
``"foo\\u200bbar"`` is one word.

Japanese and Chinese put no spaces between words, so a token holding kana or Han characters is cut
further, by script, with no dictionary (the same cut everywhere: in the live sequencer on the event
loop, in the normalizer and in the word timings, whatever the fragmentation):

* Text with kana (Japanese): a word is a run of kanji or of katakana (or of other letters and
  digits) with the hiragana that follow it, roughly a *bunsetsu*: ``今日は|いい|天気ですね。``,
  ``東京タワーに|行きました``, ``3つ``. The engines' tokenizers (MeCab) give finer morphemes;
  their timings are gathered per such word.
* Text with Han characters and no kana (Chinese): every Han character is a word, one syllable each
  (``我|们|去|公|园``); a run of other letters or digits is one word (``25个`` -> ``25|个``).

Punctuation stays with the word before it (an opening bracket or a currency sign with the word after
it: ``¥1,500``), and a mark such as ``。`` or ``、`` ends a word.
"""

from __future__ import annotations

import re
import unicodedata

__all__ = ["client_word_spans", "client_words", "has_cjk", "is_client_word"]

# In str patterns \s is exactly str.isspace(), and [^\W_] exactly str.isalnum().
_TOKEN = re.compile(r"\S+")
_WORD = re.compile(r"(?<!\S)(?=\S*?[^\W_])\S+")
"""A whitespace-separated token with a letter or digit in it, whole, in one scan (a token, then a
search for its letter or digit, cost a Python step more per token: the spans take 45 % less time).
The look-behind keeps it linear: without it the look-ahead is tried again at every character of a
token with no letter or digit (100,000 emoji: minutes)."""
_ALNUM = re.compile(r"[^\W_]")
_CJK = re.compile(r"[\u3040-\u30ff\u31f0-\u31ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff66-\uff9f]")
_KANA = re.compile(r"[\u3040-\u30ff\u31f0-\u31ff\uff66-\uff9f]")
_JOINERS = frozenset(".,:/-")  # "1,000", "3.5", "7:30" stay one word
_OPENING = frozenset("「『（【〔〈《〘〖([{“‘«")  # open the word after them


def has_cjk(text: str) -> bool:
    """Whether ``text`` holds kana or Han characters (words are then cut by script)."""
    return _CJK.search(text) is not None


def is_client_word(token: str) -> bool:
    """Whether a whitespace-free token counts as a client word (holds a letter or digit)."""
    return _ALNUM.search(token) is not None


def _kind(c: str) -> str:
    o = ord(c)
    if 0x3040 <= o <= 0x309F:
        return "h"  # hiragana
    if 0x30A0 <= o <= 0x30FF or 0x31F0 <= o <= 0x31FF or 0xFF66 <= o <= 0xFF9F:
        return "k"  # katakana (and the long-vowel mark)
    if 0x4E00 <= o <= 0x9FFF or 0x3400 <= o <= 0x4DBF or 0xF900 <= o <= 0xFAFF:
        return "H"  # Han
    return "a" if c.isalnum() else "p"


def _segments(token: str, start: int, japanese: bool) -> list[tuple[int, int]]:
    """Word spans inside one whitespace token with CJK characters (see the module rules)."""
    spans: list[list[int]] = []
    prev = ""  # kind of the last letter or digit
    marks = ""  # punctuation since it
    opened: int | None = None  # where opening brackets or currency signs before the next word began
    for i, c in enumerate(token):
        kind = _kind(c)
        if kind == "p":
            marks += c
            if c in _OPENING or unicodedata.category(c) == "Sc":
                opened = start + i if opened is None else opened
            elif spans and opened is None:
                spans[-1][1] = start + i + 1
            continue
        joined = marks == "" or (len(marks) == 1 and marks in _JOINERS and prev == "a" and kind == "a")
        if not spans or not joined:
            new = True
        elif japanese:
            new = kind != "h" and kind != prev and not (kind == "a" and prev == "a")
        else:
            new = kind == "H" or prev == "H"
        if new:
            first = start + i - len(marks) if not spans else start + i  # marks before the first word open it
            spans.append([first if opened is None else min(first, opened), start + i + 1])
        else:
            spans[-1][1] = start + i + 1
        prev, marks, opened = kind, "", None
    return [(a, b) for a, b in spans]


def client_word_spans(text: str) -> list[tuple[int, int]]:
    """Character offsets of each client word in ``text``.

    Args:
        text: The client's text, as received.

    Returns:
        ``(start, end)`` pairs, in order, such that ``text[start:end]`` is the client word.
    """
    if not has_cjk(text):
        return [m.span() for m in _WORD.finditer(text)]
    japanese = _KANA.search(text) is not None
    spans: list[tuple[int, int]] = []
    for m in _TOKEN.finditer(text):
        if has_cjk(m[0]):
            spans += _segments(m[0], m.start(), japanese)
        elif _ALNUM.search(m[0]):
            spans.append(m.span())
    return spans


def client_words(text: str) -> list[str]:
    """The client words of ``text``, in order, as written.

    Args:
        text: The client's text, as received.

    Returns:
        Whitespace-separated tokens that contain at least one letter or digit (cut further by
        script where they hold Japanese or Chinese).

    Example:
        >>> client_words("It costs $9.99 — buy it! 🙂")
        ['It', 'costs', '$9.99', 'buy', 'it!']
        >>> client_words("今日はいい天気ですね。")
        ['今日は', 'いい', '天気ですね。']
    """
    if not has_cjk(text):
        return _WORD.findall(text)
    return [text[a:b] for a, b in client_word_spans(text)]
