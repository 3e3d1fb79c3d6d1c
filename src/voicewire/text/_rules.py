"""Regex rules for constructs that need more than one token's context, in hibari 0.2.1's order
(``hibari/g2p/normalize.py``): URLs, times, dates, money, degrees, units, month/day, titles,
abbreviations, "No. 5", "#5", roman numerals, phone numbers, fractions, ranges, "+5".

hibari applies its rules one after another as text substitutions. We need to know which client
word each spoken word reads, so the rules run in one left-to-right scan of the normalized text
instead (``normalize._scan``): leftmost match first, hibari's order breaking ties. Each handler
returns events anchored at the offsets they read (see ``_common``), or None to decline a match
(hibari leaves "25:99" alone, for instance). Where the two strategies could differ ("5-10 km",
"5-7 pm", "$5-10") the rule that matches first takes the suffix too. hibari's fraction, phone
and range rules refuse to match before a full stop ("Add 1/2."), a bug we do not copy.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

from ._common import LM, LT, NUM, PUNCT, STARTERS, UPPER, Event, sentence_end_after
from ._handlers import (
    at,
    read_big_money,
    read_cents,
    read_currency,
    read_date_iso,
    read_date_us,
    read_day_month,
    read_degrees,
    read_fraction,
    read_hour,
    read_money,
    read_money_range,
    read_money_suffix,
    read_month_day,
    read_range,
    read_time,
    read_unit,
    spread,
)
from ._numbers import cardinal_words, digit_words, ordinal_words
from ._tables import (
    ABBREV,
    MONTH_NAMES,
    MONTHS,
    NON_TERMINAL_ABBREV,
    ROMAN_CARDINAL,
    ROMAN_ORDINAL,
    TITLES,
    UNITS,
    WEEKDAY_ABBREV,
)

__all__ = ["RULES", "TRIGGERS", "Rule"]

Handler = Callable[[re.Match[str], str], "list[Event] | None"]
Rule = tuple[re.Pattern[str], Handler]


def _alt(words: Iterable[str]) -> str:
    return "|".join(re.escape(w) for w in sorted(set(words), key=len, reverse=True))


_MONTH_RE = _alt([*MONTH_NAMES, *(m.capitalize() for m in MONTHS), "Sept"])
_BIG = r"(?:hundred|thousand|million|billion|trillion)\b|[kKmMbB]\b"
_UNIT_RE = _alt(UNITS)
_AMPM = r"([AaPp])(\.?)[Mm](\.?)(?![A-Za-z])"
_TLDS = "com|org|net|edu|gov|io|co|uk|de|fr|info|biz|us|ca|au|tv|me|ly|ai|dev|app"
_ROMAN = r"((?=[IVXLC])M{0,3}(?:CM|CD|D?C{0,3})(?:XC|XL|L?X{0,3})(?:IX|IV|V?I{0,3}))"
_ROMAN_VALUE = {"I": 1, "V": 5, "X": 10, "L": 50, "C": 100, "D": 500, "M": 1000}
_URL_SEP = {
    ".": "dot",
    "/": "slash",
    "@": "at",
    "-": "dash",
    "_": "underscore",
    ":": "colon",
    "?": "question mark",
    "=": "equals",
    "&": "and",
    "#": "hash",
    "~": "tilde",
    "%": "percent",
    "+": "plus",
}
_URL_PIECE = re.compile(rf"({LT}{LM}*)|(\d+)|(.)")
_URL_TRAIL = ".,;:!?)]}>\"'"
_DIGIT_NEXT = re.compile(r" ?\d")
_WEEKDAY_NEXT = re.compile(rf",| ?\d| (?:{_MONTH_RE})\b")
_LOWER_NEXT = re.compile(r" [a-z]")
_STARTER_NEXT = re.compile(rf"(?:{_alt(STARTERS)})\b")
_ADDRESS = re.compile(rf"\d\w* [{UPPER}]\w* $")


def _url(m: re.Match[str], text: str) -> list[Event]:
    s = m[0]
    core = s.rstrip(_URL_TRAIL)
    trail = s[len(core) :]
    pos = m.start()
    core = re.sub(r"^(?:(?:https?|ftp)://)?(?:www\.)?", "", core, flags=re.I).rstrip("/")
    out: list[Event] = []
    for w, d, sep in _URL_PIECE.findall(core):
        if w:
            out.append((w.upper() if len(w) == 1 else w, pos))
        elif d:
            at(out, digit_words(d), pos)
        elif sep in _URL_SEP:
            at(out, _URL_SEP[sep].split(), pos)
    if not out:  # "www." alone: say what was written
        at(out, ["W", "W", "W"], pos)
    out.extend((c, m.end()) for c in trail if c in PUNCT)
    return out


def _title(m: re.Match[str], text: str) -> list[Event] | None:
    # "St." before a capital is Saint ("St. Paul") unless the capital starts a new sentence or the
    # "St." ends an address ("Main St. He left", "12 Elm St. Apt 4"); then the abbreviation rule
    # reads Street.
    address = _ADDRESS.search(text, max(0, m.start() - 40), m.start())
    if m[1] == "St" and (address or (m[2] and _STARTER_NEXT.match(text, m.end()))):
        return None
    return [(TITLES[m[1]], m.start())]


def _abbrev(m: re.Match[str], text: str) -> list[Event] | None:
    key = m[1]
    value = ABBREV[key]
    after = m.end()
    if key in ("no.", "nos.") or value in MONTH_NAMES:
        # hibari also expands these anywhere; "Say no." and "I met Jan." are far more common.
        if not _DIGIT_NEXT.match(text, after):
            return None
    elif key in WEEKDAY_ABBREV and not _WEEKDAY_NEXT.match(text, after):
        return None  # "I love the Sun." stays a word
    out: list[Event] = []
    spread(out, value, m, 1)
    if key.endswith(".") and sentence_end_after(text, after, terminal=key not in NON_TERMINAL_ABBREV):
        out.append((".", after))
    return out


def _roman_value(s: str) -> int:
    total = 0
    for i, c in enumerate(s):
        v = _ROMAN_VALUE[c]
        total += -v if i + 1 < len(s) and _ROMAN_VALUE[s[i + 1]] > v else v
    return total


def _roman(nth: bool) -> Handler:
    def handle(m: re.Match[str], text: str) -> list[Event] | None:
        if nth and m[2] == "I" and _LOWER_NEXT.match(text, m.end()):
            return None  # "Peter I think": the pronoun, not Peter the First
        if m[2] in ("L", "C", "D", "M"):
            return None  # "Type C", "Class D": a letter (hibari says "Type one hundred")
        out: list[Event] = []
        spread(out, m[1], m, 1)
        n = _roman_value(m[2])
        at(out, ["the", *ordinal_words(n)] if nth else cardinal_words(n), m.start(2))
        return out

    return handle


def _phone(m: re.Match[str], text: str) -> list[Event]:
    out: list[Event] = []
    if m[0].startswith("+"):
        out.append(("plus", m.start()))
    for i, g in enumerate(re.finditer(r"\d+", m[0])):
        if i:
            out.append((",", m.start() + g.start()))
        at(out, digit_words(g[0]), m.start() + g.start())
    return out


# (pattern, handler, trigger): a rule is only searched for when its trigger, a cheap regex for
# something the pattern cannot match without, occurs in the text. Most sentences have no digit or
# currency sign, and skipping those rules keeps the scan well under a millisecond.
_R: list[tuple[str, Handler, str]] = [
    (
        rf"(?<![^ (\[{{<\"'])(?:(?:https?|ftp)://\S+|www\.\S+|[\w.+-]+@[\w-]+(?:\.[\w-]+)+"
        rf"|(?:[\w-]+\.)+(?i:{_TLDS})(?![\w-])(?:/\S*)?)",
        _url,
        rf"[@/]|www\.|\.(?i:{_TLDS})\b",
    ),
    (rf"\b(\d{{1,2}}):(\d{{2}})(?::(\d{{2}}))?(?: ?{_AMPM})?(?!\d)", read_time, r"\d:\d"),
    (rf"\b(\d{{1,2}}) ?{_AMPM}", read_hour, r"\d ?[AaPp]\.?[Mm]"),
    (r"\b(\d{4})-(\d{2})-(\d{2})\b", read_date_iso, r"\d-\d"),
    (r"\b(\d{1,2})/(\d{1,2})/(\d{4}|\d{2})\b", read_date_us, r"\d/\d"),
    (rf"([$£€])({NUM}) ?({_BIG})", read_big_money, "[$£€]"),
    (rf"(?<![\w])([$£€])({NUM}) ?([-–]) ?[$£€]?({NUM})", read_money_range, "[$£€]"),
    (r"(?<![\w])(-?)([$£€]) ?(-?\d+(?:,\d{3})*(?:\.\d+)*|\.\d+)", read_money, "[$£€]"),
    (rf"(?<![\w.])({NUM}) ?¢", read_cents, "¢"),
    (rf"(?<![\w])([¥₹₩]|Rs\.?|USD|EUR|GBP) ?({NUM})(?: ?({_BIG}))?", read_currency, "[¥₹₩]|Rs|USD|EUR|GBP"),
    (rf"(?<![\w.])(-?{NUM}) ?([$£€¥₹₩])(?![\w])", read_money_suffix, r"\d ?[$£€¥₹₩]"),
    (rf"(?<![\w.])(-?{NUM}) ?° ?([CF])?(?![\w])", read_degrees, "°"),
    (rf"(?<![\w.])(-?{NUM}) ?({_UNIT_RE})(?![\w])", read_unit, r"\d ?[^\W\d_]"),
    (
        rf"\b({_MONTH_RE})(\.?) (\d{{1,2}})(st|nd|rd|th)?\b(?![\d:%])(?:(,?) (\d{{4}})\b)?",
        read_month_day,
        r"[A-Z][a-z]*\.? \d",
    ),
    (rf"\b(?:(the) )?(\d{{1,2}}) (?:(of) )?({_MONTH_RE})\b(\.?)", read_day_month, r"\d (?:of )?[A-Z]"),
    (rf"\b({_alt(TITLES)})(\.?) (?=[{UPPER}])", _title, ""),
    (rf"(?<![\w.])({_alt(ABBREV)})(?![\w])", _abbrev, ""),
    (r"\b(No|Nos)\. ?(?=\d)", lambda m, t: [("Number" if m[1] == "No" else "Numbers", m.start())], r"No"),
    (r"(?<![\w&])#(?=\d)", lambda m, t: [("number", m.start())], "#"),
    (rf"\b({_alt(ROMAN_CARDINAL)}) {_ROMAN}\b(?![.'’]\w)", _roman(nth=False), r" [IVXLC]"),
    (rf"\b({_alt(ROMAN_ORDINAL)}) {_ROMAN}\b(?![.'’]\w)", _roman(nth=True), r" [IVXLC]"),
    (r"(?<![\w.\-+])(?:\+\d{1,3}[ -])?(?:\(\d{3}\) ?|\d{3}-)?\d{3}-\d{4}(?![\w\-]|\.\d)", _phone, r"\d-\d"),
    (r"(?<![\w/])24/7(?![\w/])", lambda m, t: [("twenty-four", m.start()), ("seven", m.start())], "24/7"),
    (r"(?<![\w./])(\d{1,2})/(\d{1,2})(?![\w/]|\.\d)", read_fraction, r"\d/\d"),
    (
        rf"(?<![\w.\-])(\d{{1,4}}) ?([-–]) ?(\d{{1,4}})"
        rf"(?:(%)|(?: ?({_UNIT_RE})(?![\w]))| ?{_AMPM}|(?![\w\-%]|\.\d))",
        read_range,
        r"\d ?[-–] ?\d",
    ),
    (r"(?<![\w+])\+(?=\d)", lambda m, t: [("plus", m.start())], r"\+\d"),
]

RULES: list[Rule] = [(re.compile(p), h) for p, h, _ in _R]
TRIGGERS: list[re.Pattern[str] | None] = [re.compile(t) if t else None for _, _, t in _R]
