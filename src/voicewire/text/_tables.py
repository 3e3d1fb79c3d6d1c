"""Word tables for the spoken form: hibari 0.2.1's ``assets/normalize.json`` plus voicewire's
overrides.

The JSON is read straight from hibari's installed package directory (located with
``importlib.util.find_spec``, which does not execute ``hibari/__init__.py`` and its onnxruntime
import), once, at import time.
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from typing import Any

__all__ = [
    "ABBREV",
    "CURRENCY_WORDS",
    "MONTHS",
    "MONTH_NAMES",
    "NON_TERMINAL_ABBREV",
    "ROMAN_CARDINAL",
    "ROMAN_ORDINAL",
    "SYMBOL_WORDS",
    "TITLES",
    "UNITS",
    "WEEKDAY_ABBREV",
]


def _load() -> dict[str, Any]:
    spec = importlib.util.find_spec("hibari")
    if spec is None or spec.origin is None:  # pragma: no cover - hibari-tts is a hard dependency
        raise ImportError("voicewire.text needs hibari-tts==0.2.1 (its normalize.json word tables)")
    path = Path(spec.origin).parent / "assets" / "normalize.json"
    with path.open(encoding="utf-8") as f:
        data = json.load(f)
    if not isinstance(data, dict):  # pragma: no cover
        raise ImportError(f"unexpected hibari table format in {path}")
    return data


def _str_map(obj: Any) -> dict[str, str]:
    return {str(k): str(v) for k, v in obj.items()}


def _pair_map(obj: Any) -> dict[str, tuple[str, str]]:
    return {str(k): (str(v[0]), str(v[1])) for k, v in obj.items()}


_T = _load()

MONTHS: dict[str, str] = _str_map(_T["months"])  # "jan" -> "January"
MONTH_NAMES: list[str] = list(MONTHS.values())
UNITS: dict[str, tuple[str, str]] = _pair_map(_T["units"])  # "km" -> (singular, plural)
CURRENCY_WORDS: dict[str, tuple[str, str]] = _pair_map(_T["currency"])  # "¥" -> ("yen", "yen")
ROMAN_CARDINAL: list[str] = [str(w) for w in _T["roman_cardinal"]]  # "Chapter IV" -> "Chapter four"
ROMAN_ORDINAL: list[str] = [str(w) for w in _T["roman_ordinal"]]  # "Henry VIII" -> "Henry the eighth"

# Titles, expanded only before a capitalized word ("Dr. Smith", "St Paul"). hibari maps Dr/Mr/Mrs
# to themselves and lets its lexicon say them; we need whole words because espeak-ng (Piper) ends a
# sentence at "Dr." and reads a bare "St." as "Saint" even when it is a street.
TITLES: dict[str, str] = _str_map(_T["titles"]) | {"Dr": "Doctor", "Mr": "Mister", "Mrs": "Missus", "Ms": "Miz"}

# Abbreviations wherever they stand (same overrides; plus a few hibari leaves to its lexicon).
ABBREV: dict[str, str] = _str_map(_T["abbreviations"]) | {
    "Dr.": "Doctor",
    "Mr.": "Mister",
    "Mrs.": "Missus",
    "Ms.": "Miz",
    "St": "Street",
    "etc.": "et cetera",
    "e.g.": "for example",
    "i.e.": "that is",
    "E.g.": "For example",
    "I.e.": "That is",
}
WEEKDAY_ABBREV = frozenset(("Mon.", "Tue.", "Tues.", "Wed.", "Thu.", "Thurs.", "Fri.", "Sat.", "Sun."))
# Abbreviations whose period never ends a sentence before a capitalized word ("vs. Smith",
# "Fig. A"). For the others ("Acme Inc. Then ...", "Main St. He ...") a following capital keeps
# the period as a sentence stop; at the very end of the text every abbreviation keeps it.
NON_TERMINAL_ABBREV = frozenset(
    {f"{t}." for t in TITLES if t != "St"}  # "St." is also Street, which can end a sentence
    | {
        "vs",
        "vs.",
        "cf.",
        "approx.",
        "est.",
        "vol.",
        "Vol.",
        "fig.",
        "Fig.",
        "ch.",
        "Ch.",
        "pp.",
        "ed.",
        "eds.",
        "no.",
        "nos.",
        "Ste.",
        "Apt.",
        "Atty.",
        "e.g.",
        "i.e.",
        "E.g.",
        "I.e.",
        "w/",
        "w/o",
    }
    | {k for k, v in ABBREV.items() if v in MONTH_NAMES}
    | WEEKDAY_ABBREV
)

# Symbols read as words wherever they stand (hibari's symbol table plus its lexicon's & + @ %).
# "™ ® • ←" and friends are silent; "|" is a pause and is handled by the reader, not here.
SYMBOL_WORDS: dict[str, str] = {k: " ".join(v.split()) for k, v in _str_map(_T["symbols"]).items() if v.strip(" ,")} | {
    "%": "percent",
    "&": "and",
    "+": "plus",
    "@": "at",
    "#": "hashtag",
    "½": "one half",
    "¼": "one quarter",
    "¾": "three quarters",
    "÷": "divided by",
}
