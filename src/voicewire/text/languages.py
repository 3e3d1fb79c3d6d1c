"""Language codes: the Waves codes, the BCP 47 tag each stands for, and the script of a text.

Pure. ``detect`` picks, among the languages a voice speaks, the one the text's script says: kana is
Japanese, Han without kana Mandarin (or Japanese, for a voice whose own language is Japanese),
Devanagari Hindi, Latin the voice's own language if it is written in Latin letters, else its first
such language (English for the Kokoro voices). A script no language of the voice is written in,
or a text with no letters, keeps the voice's own language.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

__all__ = ["WAVES_LANGUAGES", "detect", "primary", "script_counts"]

WAVES_LANGUAGES: Final = (
    "auto en hi mr kn ta bn gu te ml pa or es de fr it nl sv pt ru el fi no pl ar zh id ja ko ms tr vi".split()
)
"""The ``language`` enum of the Waves API (and of ``number_pronunciation_language``)."""

_SCRIPT_OF: Final = {
    "ja": "kana", "zh": "han", "hi": "devanagari", "mr": "devanagari", "ne": "devanagari", "ko": "hangul",
    "ru": "cyrillic", "uk": "cyrillic", "ar": "arabic", "el": "greek", "ta": "tamil", "bn": "bengali",
    "gu": "gujarati", "te": "telugu", "kn": "kannada", "ml": "malayalam", "pa": "gurmukhi", "or": "oriya",
}  # fmt: skip
_RANGES: Final = (
    (0x3040, 0x30FF, "kana"), (0x31F0, 0x31FF, "kana"), (0xFF66, 0xFF9F, "kana"),
    (0x3400, 0x4DBF, "han"), (0x4E00, 0x9FFF, "han"), (0xF900, 0xFAFF, "han"),
    (0x0900, 0x097F, "devanagari"), (0xAC00, 0xD7AF, "hangul"), (0x1100, 0x11FF, "hangul"),
    (0x0400, 0x04FF, "cyrillic"), (0x0600, 0x06FF, "arabic"), (0x0370, 0x03FF, "greek"),
    (0x0980, 0x09FF, "bengali"), (0x0A00, 0x0A7F, "gurmukhi"), (0x0A80, 0x0AFF, "gujarati"),
    (0x0B00, 0x0B7F, "oriya"), (0x0B80, 0x0BFF, "tamil"), (0x0C00, 0x0C7F, "telugu"),
    (0x0C80, 0x0CFF, "kannada"), (0x0D00, 0x0D7F, "malayalam"),
)  # fmt: skip


def primary(tag: str) -> str:
    """``pt-BR`` -> ``pt``, ``en_US`` -> ``en``."""
    return tag.replace("_", "-").split("-")[0].strip().lower()


def _script(c: str) -> str:
    o = ord(c)
    if o < 0x250 or 0x1E00 <= o <= 0x1EFF:
        return "latin"
    for lo, hi, name in _RANGES:
        if lo <= o <= hi:
            return name
    return "other"


def script_counts(text: str) -> dict[str, int]:
    """Letters per script (combining marks and digits are not counted)."""
    counts: dict[str, int] = {}
    for c in text:
        if c.isalpha():
            s = _script(c)
            counts[s] = counts.get(s, 0) + 1
    return counts


def _writes(tag: str, script: str) -> bool:
    lang = primary(tag)
    if script == "han":
        return lang in ("zh", "ja")
    return _SCRIPT_OF.get(lang, "latin") == script


def detect(text: str, languages: Sequence[str]) -> str:
    """The language of ``languages`` (BCP 47, the voice's own first) that ``text`` is written in."""
    own = languages[0]
    counts = script_counts(text)
    if not counts:
        return own
    script = "kana" if counts.get("kana") else max(counts, key=lambda s: counts[s])
    if _writes(own, script):
        return own
    return next((tag for tag in languages if _writes(tag, script) and (script != "han" or primary(tag) == "zh")),
                next((tag for tag in languages if _writes(tag, script)), own))  # fmt: skip
