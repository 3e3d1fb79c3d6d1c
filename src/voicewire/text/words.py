"""Client words: the units voicewire reports word timestamps for.

A client word is a whitespace-separated token of the client's text that holds at least one letter
or digit (some character with ``str.isalnum()``), exactly as the client wrote it, punctuation
included: ``"Hello,"``, ``"$9.99."``, ``"(Dr."``. Tokens without a letter or digit (``"—"``,
``"&"``, ``"..."``, ``"🙂"``) are not client words. "Whitespace" is ``str.isspace()``, the same
set ``str.split()`` uses; zero-width characters such as U+200B are not whitespace, so
``"foo\\u200bbar"`` is one word.
"""

from __future__ import annotations

import re

__all__ = ["client_word_spans", "client_words", "is_client_word"]

# In str patterns \s is exactly str.isspace(), and [^\W_] exactly str.isalnum().
_TOKEN = re.compile(r"\S+")
_ALNUM = re.compile(r"[^\W_]")


def is_client_word(token: str) -> bool:
    """Whether a whitespace-free token counts as a client word (holds a letter or digit)."""
    return _ALNUM.search(token) is not None


def client_word_spans(text: str) -> list[tuple[int, int]]:
    """Character offsets of each client word in ``text``.

    Args:
        text: The client's text, as received.

    Returns:
        ``(start, end)`` pairs, in order, such that ``text[start:end]`` is the client word.
    """
    return [m.span() for m in _TOKEN.finditer(text) if _ALNUM.search(m[0])]


def client_words(text: str) -> list[str]:
    """The client words of ``text``, in order, as written.

    Args:
        text: The client's text, as received.

    Returns:
        Whitespace-separated tokens that contain at least one letter or digit.

    Example:
        >>> client_words("It costs $9.99 — buy it! 🙂")
        ['It', 'costs', '$9.99', 'buy', 'it!']
    """
    return [t for t in text.split() if _ALNUM.search(t)]
