"""Pronunciation dictionaries: their entries, the checks an entry passes, and the matcher.

An entry says how a word (or a phrase, or a token such as ``C3PO`` or ``v2.5``) is said: as a
*respelling* in ordinary letters (``kubernetes`` -> ``koo-ber-net-ees``), which goes through the
normalizer like any text, or as *IPA* between slashes (``/kuːbɚˈnɛtiːz/``), which engines that take
phonemes say as written.

Matching (``Lexicon.find``), on one unit of text at a time, before anything else reads it:

- whole words only: an entry matches where no letter or digit touches it on either side, and not
  inside a number or a dotted token (``5`` does not match in ``3.5``, ``v2.5`` not in ``v2.5.1``);
  a hyphen separates (``Kubernetes-based`` matches ``Kubernetes``); a possessive ``'s`` after a match
  is kept with it (``Kubernetes's`` -> ``koo-ber-net-ees's``);
- case-insensitive, unless the entry is ``case_sensitive``;
- left to right, the longest entry first where several start at the same place (``New York City``
  before ``New York``); on equal length, a case-sensitive entry before the others, then the order the
  entries were given in (the first dictionary named first).

Pure. Measured on a busy 2-core box (BENCHMARKS.md): building the matcher for 1,000 entries ~3 ms,
``find`` on 10,000 characters ~2.3 ms; only entries whose first run of letters and digits is at a
word of the text are tried, so the cost grows with the text, not with the dictionary.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from voicewire.exceptions import InvalidField
from voicewire.text.reading import FixedReading, spoken_words

__all__ = ["Lexicon", "LexiconEntry", "LexiconLimits", "LexiconMatch", "check_entry", "is_ipa"]

_RUN = re.compile(r"[^\W_]+")  # a run of letters and digits (str.isalnum, as client words use)
# Every ASCII character that is not a letter or digit, as a space: an ASCII text's runs are then its
# whitespace-split words, which ``str.split`` finds in a third of the time ``_RUN.findall`` takes.
_ASCII_GAPS = str.maketrans({chr(c): " " for c in range(128) if not chr(c).isalnum()})
_JOINERS = frozenset(".,'’")  # between two letters or digits they join one token ("3.5", "don't")
_POSSESSIVES = ("'s", "’s")
_LETTERS = re.compile(r"[A-Za-z]+(?:['-][A-Za-z]+)*")
_IPA_EXTRA = frozenset("ˈˌːˑ.‿ -'͡")


@dataclass(frozen=True, kw_only=True)
class LexiconLimits:
    """How big a dictionary and its entries may be (``VOICEWIRE_DICT_*`` settings)."""

    max_items: int = 5_000
    max_word_chars: int = 100
    max_pronunciation_chars: int = 200


@dataclass(frozen=True, slots=True)
class LexiconEntry:
    """One item of a pronunciation dictionary, as checked by ``check_entry``."""

    word: str
    pronunciation: str
    """A respelling, or IPA between slashes."""
    case_sensitive: bool = False

    @property
    def ipa(self) -> str | None:
        """The IPA without its slashes, or None for a respelling."""
        p = self.pronunciation
        return p[1:-1].strip() if len(p) > 2 and p[0] == "/" and p[-1] == "/" else None


@dataclass(frozen=True, slots=True)
class LexiconMatch:
    start: int
    end: int
    """End of the match in the text, a possessive ``'s`` included."""
    entry: LexiconEntry
    possessive: bool = False


def is_ipa(text: str) -> bool:
    """Whether ``text`` (between the slashes) is made of IPA: letters, combining marks, stress and
    length marks, syllable dots, ties and spaces; no digits, no other punctuation."""
    text = unicodedata.normalize("NFD", text)
    return bool(text.strip()) and all(
        c in _IPA_EXTRA or unicodedata.category(c)[0] in "LM" for c in text
    ) and any(unicodedata.category(c) in ("Ll", "Lu", "Lo") and c not in _IPA_EXTRA for c in text)  # fmt: skip


def check_entry(index: int, word: object, pronunciation: object, case_sensitive: object,
                limits: LexiconLimits) -> LexiconEntry:  # fmt: skip
    """The entry ``items[index]`` of a request, checked and tidied (surrounding whitespace dropped,
    inner whitespace runs made single spaces).

    Raises:
        InvalidField: naming ``items[index].word`` (or ``.pronunciation``, ``.case_sensitive``).
    """
    where = f"items[{index}]"
    if isinstance(word, str) and len(word) > limits.max_word_chars:  # as sent, before tidying
        raise InvalidField(f"{where}.word", word, f"at most {limits.max_word_chars} characters")
    if isinstance(pronunciation, str) and len(pronunciation) > limits.max_pronunciation_chars:
        raise InvalidField(f"{where}.pronunciation", pronunciation,
                           f"at most {limits.max_pronunciation_chars} characters")  # fmt: skip
    if not isinstance(word, str) or not (word := " ".join(word.split())):
        raise InvalidField(f"{where}.word", word, "a non-empty string (the word or phrase to say differently)")
    if len(word) > limits.max_word_chars:
        raise InvalidField(f"{where}.word", word, f"at most {limits.max_word_chars} characters")
    if not any(c.isalnum() for c in word) or not word.isprintable():
        raise InvalidField(f"{where}.word", word, "printable text with at least one letter or digit")
    allowed = "a respelling in letters ('koo-ber-net-ees') or IPA between slashes ('/kuːbɚˈnɛtiːz/')"
    if not isinstance(pronunciation, str) or not (pronunciation := " ".join(pronunciation.split())):
        raise InvalidField(f"{where}.pronunciation", pronunciation, allowed)
    if len(pronunciation) > limits.max_pronunciation_chars:
        raise InvalidField(f"{where}.pronunciation", pronunciation,
                           f"at most {limits.max_pronunciation_chars} characters")  # fmt: skip
    if not pronunciation.isprintable():
        raise InvalidField(f"{where}.pronunciation", pronunciation, allowed + ", printable")
    if case_sensitive is None:
        case_sensitive = False
    if not isinstance(case_sensitive, bool):
        raise InvalidField(f"{where}.case_sensitive", case_sensitive, "true or false (default false)")
    entry = LexiconEntry(word, pronunciation, case_sensitive)
    ipa = entry.ipa
    if pronunciation.startswith("/") and ipa is None:
        raise InvalidField(f"{where}.pronunciation", pronunciation, "IPA closed with a slash: '/.../'")
    if ipa is not None and not is_ipa(ipa):
        raise InvalidField(
            f"{where}.pronunciation", pronunciation, "IPA between slashes: letters, stress and length marks, no digits"
        )
    if ipa is None and not spoken_words(pronunciation):
        raise InvalidField(f"{where}.pronunciation", pronunciation, allowed + " that has something to say")
    return entry


@dataclass(eq=False)
class _Compiled:
    entry: LexiconEntry
    text: str
    """The entry's word, lower-cased unless it is case-sensitive."""
    lead: int
    """Characters before the first letter or digit (``.NET``: 1)."""
    order: int
    words: tuple[str, ...] | None = field(default=None)
    """The respelling in spoken form, made at its first match."""


class Lexicon:
    """The entries of one turn's dictionaries, indexed by their first run of letters and digits."""

    def __init__(self, entries: Iterable[LexiconEntry]) -> None:
        self._by_head: dict[str, list[_Compiled]] = {}
        self.size = 0
        for order, entry in enumerate(entries):
            word = entry.word
            low = word.lower() if word.isascii() else _lower(word)
            head = _RUN.search(low)
            if head is None:  # check_entry refuses these; a store could still hold one
                continue
            compiled = _Compiled(entry, word if entry.case_sensitive else low, head.start(), order)
            self._by_head.setdefault(head.group(), []).append(compiled)
            self.size += 1
        for candidates in self._by_head.values():
            candidates.sort(key=lambda c: (-len(c.text), not c.entry.case_sensitive, c.order))

    def __len__(self) -> int:
        return self.size

    def find(self, text: str) -> list[LexiconMatch]:
        """Every match in ``text``, left to right, none overlapping (see the module's rules)."""
        return [m for m, _ in self._matches(text)]

    def _matches(self, text: str) -> Iterator[tuple[LexiconMatch, _Compiled]]:
        low = _lower(text)
        taken = cursor = 0
        # The text's runs of letters and digits in one C-level scan, and only those that head an entry
        # are found again one by one: a Python step per word of the text took half the matching time.
        runs = low.translate(_ASCII_GAPS).split() if low.isascii() else _RUN.findall(low)
        for head in [run for run in runs if run in self._by_head]:
            at = _run_at(low, head, cursor)
            cursor = at + len(head)
            if at < taken:
                continue
            for c in self._by_head[head]:
                start = at - c.lead
                if start < taken or start < 0:
                    continue
                haystack = text if c.entry.case_sensitive else low
                end = start + len(c.text)
                if not haystack.startswith(c.text, start) or not _open_before(text, start):
                    continue
                possessive = text.startswith(_POSSESSIVES, end) and _closed_after(text, end + 2)
                if not possessive and not _closed_after(text, end):
                    continue
                end += 2 if possessive else 0
                yield LexiconMatch(start, end, c.entry, possessive), c
                taken = end
                break

    def readings(self, text: str) -> list[FixedReading]:
        """The matches in ``text`` as readings: a respelling's words, or the IPA (with the matched text,
        in spoken form, as the word an engine without phonemes reads)."""
        out = []
        for m, compiled in self._matches(text):
            ipa = m.entry.ipa
            if ipa is not None:
                said = text[m.start : m.end]
                if _LETTERS.fullmatch(said):
                    fallback: tuple[str, ...] = (said,)
                else:
                    fallback = tuple(w.rstrip(".,;:!?") for w in spoken_words(said))
                out.append(FixedReading(m.start, m.end, fallback, ipa + ("z" if m.possessive else "")))
                continue
            if compiled.words is None:  # made once per turn; a race between two workers is harmless
                compiled.words = tuple(w.rstrip(".,;:!?") for w in spoken_words(m.entry.pronunciation))
            words = compiled.words
            if m.possessive and words:
                words = (*words[:-1], words[-1] + "'s")
            out.append(FixedReading(m.start, m.end, words))
        return out


def _lower(text: str) -> str:
    """Lower case that keeps every character at its offset (``"İ".lower()`` is two characters)."""
    low = text.lower()
    if len(low) == len(text):
        return low
    return "".join(c if len(c.lower()) != 1 else c.lower() for c in text)


def _run_at(low: str, run: str, cursor: int) -> int:
    """Where the next whole run of letters and digits ``run`` starts in ``low``, from ``cursor`` (one
    that ``_RUN`` found there, so it exists)."""
    while True:
        at = low.index(run, cursor)
        end = at + len(run)
        if (at == 0 or not low[at - 1].isalnum()) and (end == len(low) or not low[end].isalnum()):
            return at
        cursor = at + 1


def _word_char(c: str) -> bool:
    return c.isalnum() or c == "_"


def _open_before(text: str, i: int) -> bool:
    """No word goes on across offset ``i`` from the left."""
    if i == 0:
        return True
    c = text[i - 1]
    if _word_char(c):
        return False
    return not (c in _JOINERS and i >= 2 and _word_char(text[i - 2]))


def _closed_after(text: str, i: int) -> bool:
    """No word goes on across offset ``i`` to the right."""
    if i >= len(text):
        return True
    c = text[i]
    if _word_char(c):
        return False
    return not (c in _JOINERS and i + 1 < len(text) and _word_char(text[i + 1]))
