"""Number readings for the spoken form, as complete words.

The word-level functions (:func:`cardinal`, :func:`ordinal`, :func:`year`, :func:`decimal`) are a
typed port of ``hibari.g2p.numbers`` 0.2.1 (itself num2words' English subset as misaki uses it);
``tests/text/test_normalize.py`` checks them against hibari's own functions so the two cannot
drift. They are ported rather than imported because importing anything under ``hibari`` runs
``hibari/__init__.py``, which pulls in onnxruntime and scipy (over a second of start-up) for a
module that only needs word lists.

:func:`number_words` and :func:`money_words` mirror how hibari's lexicon (misaki's
``Lexicon.get_number``) reads a number token: ordinals, the year reading of a bare 4-digit number,
"non-head" digits after letters (``A380`` -> "three eighty"), dollars and cents. Like hibari's
``extend_num`` they drop the "and" that num2words puts inside numbers ("one hundred twenty").
"""

from __future__ import annotations

import re

__all__ = [
    "cardinal",
    "cardinal_words",
    "decimal",
    "digit_words",
    "money_words",
    "number_words",
    "ordinal",
    "ordinal_words",
    "plural_word",
    "year",
]

ONES = (
    "zero",
    "one",
    "two",
    "three",
    "four",
    "five",
    "six",
    "seven",
    "eight",
    "nine",
    "ten",
    "eleven",
    "twelve",
    "thirteen",
    "fourteen",
    "fifteen",
    "sixteen",
    "seventeen",
    "eighteen",
    "nineteen",
)
TENS = ("", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety")
SCALES = (
    "",
    "thousand",
    "million",
    "billion",
    "trillion",
    "quadrillion",
    "quintillion",
    "sextillion",
    "septillion",
    "octillion",
    "nonillion",
    "decillion",
)
_ORD_IRREGULAR = {
    "one": "first",
    "two": "second",
    "three": "third",
    "five": "fifth",
    "eight": "eighth",
    "nine": "ninth",
    "twelve": "twelfth",
}
# SCALES ends at decillion, so cardinal() can only name numbers below 10**36; longer digit runs
# are read digit by digit instead of raising (hibari would IndexError on them).
MAX_CARDINAL_DIGITS = 36
_WORD = re.compile(r"[a-z]+(?:-[a-z]+)*")
_CURRENCIES = {"$": ("dollar", "cent"), "£": ("pound", "penny"), "€": ("euro", "cent")}
_PLURAL_UNIT = {"dollar": "dollars", "cent": "cents", "pound": "pounds", "penny": "pence", "euro": "euros"}


def _below_1000(n: int) -> list[str]:
    words: list[str] = []
    if n >= 100:
        words += [ONES[n // 100], "hundred"]
        n %= 100
        if n:
            words.append("and")
    if n >= 20:
        words.append(TENS[n // 10] + ("-" + ONES[n % 10] if n % 10 else ""))
    elif n or not words:
        words.append(ONES[n])
    return words


def cardinal(n: int) -> str:
    """num2words-style cardinal, as hibari writes it: ``"one thousand, two hundred and thirty-four"``."""
    if n < 0:
        return "minus " + cardinal(-n)
    if n < 1000:
        return " ".join(_below_1000(n))
    groups = []
    scale = 0
    while n:
        n, g = divmod(n, 1000)
        if g:
            groups.append(" ".join(_below_1000(g)) + (" " + SCALES[scale] if scale else ""))
        scale += 1
    groups.reverse()
    last = groups[-1]
    if len(groups) > 1 and " " not in last.split(" and ")[-1] and "hundred" not in last:
        return ", ".join(groups[:-1]) + " and " + last
    return ", ".join(groups)


def _ord_word(w: str) -> str:
    if w in _ORD_IRREGULAR:
        return _ORD_IRREGULAR[w]
    return w[:-1] + "ieth" if w.endswith("y") else w + "th"


def ordinal(n: int) -> str:
    """num2words-style ordinal: ``"twenty-third"``, ``"one hundred and first"``."""
    head, sep, last = cardinal(n).rpartition(" ")
    if "-" in last:
        a, _, b = last.rpartition("-")
        last = a + "-" + _ord_word(b)
    else:
        last = _ord_word(last)
    return head + sep + last


def year(n: int) -> str:
    """num2words-style year: ``"nineteen oh-five"``, ``"two thousand and five"``, ``"twenty ten"``."""
    high, low = divmod(n, 100)
    if high == 0 or (high % 10 == 0 and low < 10) or high >= 100:
        return cardinal(n)
    if low == 0:
        lowtext = "hundred"
    elif low < 10:
        lowtext = "oh-" + cardinal(low)
    else:
        lowtext = cardinal(low)
    return cardinal(high) + " " + lowtext


def decimal(s: str) -> str:
    """``"3.14"`` -> ``"three point one four"``; trailing zeros go the way ``float()`` drops them."""
    ip, _, fp = s.partition(".")
    fp = fp.rstrip("0")
    words = cardinal(int(ip or 0))
    if fp:
        words += " point " + " ".join(ONES[int(c)] for c in fp)
    return words


def _split(phrase: str) -> list[str]:
    """num2words text -> spoken words: commas and the inner "and" go (hibari's ``extend_num``
    skips "and"), "oh-five" becomes "oh five"; tens keep their hyphen ("twenty-four")."""
    out: list[str] = []
    for w in _WORD.findall(phrase):
        if w == "and":
            continue
        if w.startswith("oh-"):
            out += ["oh", w[3:]]
        else:
            out.append(w)
    return out


def cardinal_words(n: int) -> list[str]:
    """Cardinal as spoken words: ``1250`` -> ``["one", "thousand", "two", "hundred", "fifty"]``."""
    return _split(cardinal(n))


def ordinal_words(n: int) -> list[str]:
    """Ordinal as spoken words: ``101`` -> ``["one", "hundred", "first"]``."""
    return _split(ordinal(n))


def digit_words(digits: str) -> list[str]:
    """One word per digit (non-digits are skipped): ``"042"`` -> ``["zero", "four", "two"]``."""
    return [ONES[int(c)] for c in digits if c.isdecimal()]


def plural_word(w: str) -> str:
    """Plural of a number word, for "1990s" / "80's": nineties, sixes, hundreds, twenty-fours."""
    if w.endswith("y"):
        return w[:-1] + "ies"
    if w.endswith(("x", "s")):
        return w + "es"
    return w + "s"


def _non_head(num: str) -> list[str]:
    """hibari's reading of a digit run that follows letters in the same word (A4, B737, x86)."""
    if num[0] == "0" or len(num) > 3:
        return digit_words(num)
    if len(num) == 3 and not num.endswith("00"):
        rest = ["oh", ONES[int(num[2])]] if num[1] == "0" else cardinal_words(int(num[1:]))
        return [ONES[int(num[0])], *rest]
    return cardinal_words(int(num))


def _groups(num: str) -> list[str]:
    """Dotted groups (versions, IP addresses, v2.5). hibari reads each group like a non-head
    number and says nothing between them; we say "point" between groups ("dot" in an IPv4
    address), since "three eleven two" for 3.11.2 loses the structure a listener needs."""
    parts = num.split(".")
    sep = "dot" if len(parts) == 4 and all(0 < len(g) <= 3 for g in parts) else "point"
    out: list[str] = []
    for i, g in enumerate(parts):
        if i:
            out.append(sep)
        if not g:
            continue
        if g[0] == "0" or (len(g) != 2 and any(c != "0" for c in g[1:])):
            out += digit_words(g)
        else:
            out += cardinal_words(int(g))
    return out


def number_words(text: str, *, head: bool = True, quantity: bool = False, nth: bool = False) -> list[str]:
    """Words for a number token the way hibari's lexicon reads it.

    Args:
        text: Digits with optional leading ``-``, thousands commas and decimal point(s).
        head: False when the number follows letters in the same word ("A380"); such digit runs use
            hibari's non-head reading.
        quantity: True when a unit or currency word follows (``"2024 km"``): skip the year reading
            hibari would give a bare 4-digit number.
        nth: True for an ordinal suffix ("3rd").

    Returns:
        Spoken words; never digits. Empty only if ``text`` has no digit.
    """
    out: list[str] = []
    if text.startswith("-"):
        out.append("minus")
        text = text[1:]
    num = text.replace(",", "")
    digits = num.replace(".", "")
    if not digits.isdecimal():
        return out
    if len(digits) > MAX_CARDINAL_DIGITS:
        return out + _groups_as_digits(num)
    if nth and "." not in num:
        return out + ordinal_words(int(num))
    if head and not out and not quantity and len(text) == 4 and text.isdecimal():
        return _split(year(int(text)))
    if not head and "." not in num:
        return out + _non_head(num)
    if num.count(".") > 1 or not head:
        return out + _groups(num)
    if num.startswith("."):
        return [*out, "point", *digit_words(num)]
    if "." in num:
        return out + _split(decimal(num))
    return out + cardinal_words(int(num))


def _groups_as_digits(num: str) -> list[str]:
    out: list[str] = []
    for i, g in enumerate(num.split(".")):
        if i:
            out.append("point")
        out += digit_words(g)
    return out


def money_words(text: str, symbol: str) -> list[str]:
    """``$``/``£``/``€`` amounts the way hibari's lexicon reads them: ``"9.99", "$"`` -> nine dollars
    and ninety-nine cents; ``"1"`` -> one dollar; ``"0.50"`` -> fifty cents.

    Deviations from hibari, all where its reading is plainly wrong: a single cents digit is tenths
    (``$1.5`` -> one dollar and fifty cents, not "five cents"); one British penny is "penny", more
    are "pence"; amounts hibari cannot split (``$9.999``) still get their currency word.
    """
    neg = text.startswith("-")
    num = text.lstrip("-").replace(",", "")
    major, minor_unit = _CURRENCIES[symbol]
    pre = ["minus"] if neg else []
    if num.count(".") > 1 or len(num.partition(".")[2]) > 2 or len(num) > MAX_CARDINAL_DIGITS:
        return [*pre, *number_words(num, quantity=True), _PLURAL_UNIT[major]]
    ip, _, fp = num.partition(".")
    dollars = int(ip or 0)
    cents = int(fp.ljust(2, "0")) if fp else 0
    pairs = [(dollars, major)]
    if cents:
        pairs = [(cents, minor_unit)] if dollars == 0 else [*pairs, (cents, minor_unit)]
    out = pre
    for i, (n, unit) in enumerate(pairs):
        if i:
            out.append("and")
        out += cardinal_words(n)
        out.append(unit if n == 1 else _PLURAL_UNIT[unit])
    return out
