"""Pieces shared by the spoken-form rules and the token reader: the event list they both write,
regex character classes, and the "does a sentence end here" test for abbreviation periods.

An *event* is ``(text, pos)``: a spoken word, or a punctuation mark from :data:`PUNCT`, and the
offset in the normalized text it reads (which decides its client word). Punctuation events attach
to the spoken word before them when the words are assembled.
"""

from __future__ import annotations

import re
import sys
import unicodedata

__all__ = ["LM", "LT", "NUM", "PUNCT", "STARTERS", "UPPER", "Event", "sentence_end_after"]

Event = tuple[str, int]

# "…" is an ellipsis: a comma pause mid-sentence, a stop before a capital or at the end.
PUNCT = frozenset(".,?!;:…")


def _mark_class() -> str:
    """Character-class body for every combining mark (Mn/Mc/Me). Python's ``\\w`` leaves them out,
    which would cut Devanagari, Thai or decomposed Latin words apart at each vowel sign or accent."""
    ranges: list[tuple[int, int]] = []
    for cp in range(0x300, min(sys.maxunicode, 0x1FFFF) + 1):
        if unicodedata.category(chr(cp))[0] == "M":
            if ranges and ranges[-1][1] == cp - 1:
                ranges[-1] = (ranges[-1][0], cp)
            else:
                ranges.append((cp, cp))
    return "".join(chr(a) if a == b else f"{chr(a)}-{chr(b)}" for a, b in ranges)


# A letter: a word character that is not a digit, "_", or one of the numeric symbols the symbol
# table reads (½ ² ...; they are "alphanumeric" to Python).
LT = r"[^\W\d_½¼¾²³¹]"
# A letter or a combining mark (for the inside of a word).
LM = rf"(?:{LT}|[{_mark_class()}])"
UPPER = r"A-ZÀ-ÖØ-Þ"
NUM = r"\d+(?:,\d{3})*(?:\.\d+)?"

# Capitalized words that usually open a sentence. After "Inc." or "U.S." a capital alone says
# little ("U.S. Army", "Acme Inc. Announced" is rare); one of these says the period was a full stop.
STARTERS = frozenset(
    {
        "A",
        "After",
        "Also",
        "Although",
        "An",
        "And",
        "Are",
        "As",
        "At",
        "Because",
        "Before",
        "But",
        "By",
        "Can",
        "Could",
        "Did",
        "Do",
        "Does",
        "Each",
        "Even",
        "Every",
        "For",
        "From",
        "He",
        "Her",
        "Here",
        "His",
        "How",
        "However",
        "I",
        "If",
        "In",
        "Is",
        "It",
        "Its",
        "Let",
        "Many",
        "Meanwhile",
        "More",
        "Most",
        "My",
        "No",
        "Not",
        "Now",
        "On",
        "Once",
        "One",
        "Or",
        "Our",
        "Please",
        "She",
        "Since",
        "So",
        "Some",
        "Still",
        "That",
        "The",
        "Their",
        "Then",
        "There",
        "These",
        "They",
        "This",
        "Those",
        "Thus",
        "To",
        "Today",
        "Tomorrow",
        "We",
        "What",
        "When",
        "Where",
        "Which",
        "While",
        "Who",
        "Why",
        "Will",
        "With",
        "Would",
        "Yes",
        "Yesterday",
        "Yet",
        "You",
        "Your",
    }
)
_TEXT_END = re.compile(r"[)\]}\"'»”’.,!?;:…]* *$")
_NEXT_WORD = re.compile(r"[)\]}\"'»”’]* [(\[{\"'«“‘]*([A-Za-z]+)")


def sentence_end_after(text: str, pos: int, *, terminal: bool = True) -> bool:
    """True when an abbreviation period ending at ``pos`` should also end the sentence: at the end
    of the text, or (for ``terminal`` abbreviations, not titles or "vs.") before a word from
    :data:`STARTERS` ("Main St. He left", "in the U.S. Then").

    Args:
        text: The normalized text.
        pos: Offset just after the period.
        terminal: Whether this abbreviation can end a sentence before another word.
    """
    if _TEXT_END.match(text, pos):
        return True
    m = _NEXT_WORD.match(text, pos) if terminal else None
    return m is not None and m[1] in STARTERS
