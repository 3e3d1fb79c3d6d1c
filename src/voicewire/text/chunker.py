"""Incremental chunking of streamed text into speakable units.

Text reaches a live WebSocket in arbitrary fragments (LLM tokens, single characters, or the whole
text at once). The TTS engine speaks every unit as a complete utterance, with a final pitch fall, so
unit boundaries should fall where a listener expects a pause. A :class:`Chunker` lives for one turn
(make a new instance per turn); it buffers fragments and hands out units as soon as they are final.

Policy
======
Tokens. Text is split into whitespace-separated tokens (``str.split`` semantics). Units are cut only
between tokens, never inside one, so numbers ("3.14", "1,000,000"), URLs, e-mails and times ("7:30")
stay whole; a unit is its tokens joined by single spaces (whitespace runs and tabs collapse), so
``" ".join(units).split() == text.split()`` always holds.

Sentence end after token T (punctuation is read after stripping closing quotes/brackets, so ``."``,
``?)`` and ``.”`` count):

* the whitespace after T holds a line break (paragraph/list break), or T is the last token;
* T ends with ``?``, ``!`` or ``‽``;
* T ends with ``.``, unless the word before the period is a title (Dr., Mrs., St., Gen., ...), a
  capital initial or chain of them ("J.", "U.S."), or one of e.g., i.e., vs., cf., viz., approx.:
  these never end a sentence. Other known abbreviations (etc., Inc., Jr., No., Jan., p.m., Ph.D.,
  lower-case dotted acronyms) and ellipses ("...", "…") end a sentence only if the next word starts
  with an upper-case letter. A bare enumerator ("1.") that starts a unit is a list marker, not an end.

Clause end: T ends with ``,`` ``;`` ``:`` ``—`` ``–`` or ``--`` (a colon *inside* a token, as in
"7:30" or "https:", is not one), or T ends with an ellipsis that did not end the sentence.

Other scripts. ``।`` and ``॥`` (Hindi) and ``。！？`` (Japanese, Chinese) end a sentence, ``、，；：``
a clause; ``¿`` and ``¡`` open one (they are skipped to find a word's first letter). Japanese and
Chinese put no spaces between words, so a token is also cut, with no space, after one of those
marks (and the closing brackets or marks glued to it: ``。」``), and after ``!`` or ``?`` in a token
with kana or Han characters; the pieces are tokens like any other, joined back without a space.
Japanese is also cut after a case or topic particle (``はがをにでもへと``) that a kanji or katakana
follows (a phrase boundary: ``今日は|天気が|いい``); a first unit may end there, so a Japanese turn
starts speaking after its first phrase, as an English one after its first clause.
A run of such text with no mark at all is cut every ``GLUED_MAX`` characters. The decision needs
only characters already received, so it does not depend on the fragmentation either. Words for
the first-unit limits are counted as :mod:`voicewire.text.words` counts them (by script in CJK).

Units:

* First unit of a turn (``first_unit=True``, until any unit has been emitted, including by a
  mid-turn :meth:`Chunker.flush`), for fast first audio. Cut after the earliest token T where one of:
  a sentence ends; a clause ends and the unit has >= 2 words; the unit has >= 3 words and the next
  token is a phrase-break word (preposition, conjunction, relative pronoun: "in", "and", "that", ...)
  that does not itself end the sentence; or adding the next token would exceed 8 words or 60
  characters. So the first unit has at most 8 words and 60 characters (unless one token is longer).
* Later units: whole sentences. A unit that has grown past ``soft_limit`` characters ends at its
  next clause end; any unit is cut at whitespace before it would exceed ``hard_limit`` characters
  (a single longer token becomes a unit of its own).
* :meth:`Chunker.flush` applies the same rules (including the first-unit rule if no unit was emitted
  yet). A turn is one instance: make a new :class:`Chunker` per turn; there is no ``reset()``.

Confirmed lookahead. A decision is taken only when the text received so far settles it for every
possible continuation: the token must be complete (whitespace after it), the gap after it must be
complete when a line break could change the outcome, and the next word's first letter (or the whole
next token) must have arrived when the rule reads it. :meth:`Chunker.flush` treats the end of the
buffer as the end of the text. Hence units never depend on how the text was fragmented.

Cost. Tokens are classified once when they complete and the scan resumes where it stopped, so
``add`` costs O(len(fragment)) plus O(1) per decision: feeding a text char by char is linear.
"""

from __future__ import annotations

import re
from typing import Final, NamedTuple

from .words import client_words, has_cjk

__all__ = ["GLUED_MAX", "Chunker", "split_units"]

FIRST_MIN_CLAUSE_WORDS: Final = 2  # "Hello there," is a fine first unit; "Well," is too thin.
FIRST_MIN_PHRASE_WORDS: Final = 3  # "Streaming delivers audio | in real-time ..."
FIRST_MAX_WORDS: Final = 8
FIRST_MAX_CHARS: Final = 60
GLUED_MAX: Final = 100  # characters of CJK text with no mark before a forced cut

_RUNS: Final = re.compile(r"\s+|\S+")  # re's \s is exactly str.isspace, as str.split uses
_LINE_BREAKS: Final = frozenset("\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029")  # str.splitlines
_CLOSERS: Final = "\"'”’»›)]}*_」』）】〕〉》〙〗＂"  # stripped before reading end punctuation ("*", "_": markdown)
_OPENERS: Final = "\"'“‘«‹([{¿¡*_「『（【〔〈《〘〖"  # skipped to find a word's first letter
_TERMINAL: Final = ("?", "!", "‽", "。", "！", "？", "｡", "।", "॥")
_ELLIPSES: Final = ("...", "…")
_CLAUSE: Final = (",", ";", ":", "—", "–", "--", "、", "，", "､", "；", "：")  # a lone "-": "5 - 3" is a minus
_GLUE_MARKS: Final = frozenset("。！？｡、，､；：")  # end a token even with no space after them
_GLUE_AFTER: Final = frozenset(_CLOSERS) | _GLUE_MARKS  # still part of the token that a mark ends
_PARTICLES: Final = frozenset("はがをにでもへと")  # Japanese case and topic particles: a phrase ends after them
_PHRASE_START: Final = re.compile(r"[\u30a0-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")  # kanji, katakana
_CJK_CHAR: Final = re.compile(r"[\u3040-\u30ff\u31f0-\u31ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff66-\uff9f]")


def _words(table: str) -> frozenset[str]:
    return frozenset(table.split())


# Titles precede a name, so they never end a sentence even before a capital ("Dr. Smith").
_TITLES: Final = _words(
    "mr mrs ms mx dr prof st mt ft gen gov sen rep capt lt col sgt cmdr rev hon pres supt cpl maj adm "
    "fr msgr messrs mme mlle sra srta dra dña ud uds sig dott ing avv"
)
# Abbreviations usually followed by a capitalized name or example: never a sentence end either.
_NEVER_END: Final = _TITLES | _words("e.g i.e vs cf viz approx")
# Ambiguous abbreviations: a sentence end only if the next word is capitalized ("Apple Inc. is" vs
# "Apple Inc. The"). Several are also words ("no", "sun", "mar"); for them the rule is harmless.
_MAYBE_END: Final = _words(
    "etc inc ltd co corp llc plc bros jr sr esq dept univ assn govt est al ave blvd rd ln hwy pkwy ste "
    "apt bldg no nos vol vols fig figs ch pp ed eds art sec min max hr hrs misc ref refs "
    "jan feb mar apr jun jul aug sep sept oct nov dec mon tue tues wed thu thurs fri sat sun"
)
_INITIALS: Final = re.compile(r"(?:[A-Z]\.)*[A-Z]")  # "J", "U.S" (stem before the final period)
_DOTTED: Final = re.compile(r"(?:[A-Za-z]{1,2}\.)+[A-Za-z]{1,2}")  # "p.m", "Ph.D"
_ENUMERATOR: Final = re.compile(r"\d{1,3}\.")
# Phrase-break words: a first unit may end right before one of these.
_BREAK_WORDS: Final = _words(
    "about above across after against along among around at before behind below beneath beside "
    "between beyond by despite during except for from in inside into near of on onto over since "
    "through throughout to toward towards under until unlike upon via with within without "
    "and but or nor yet because although though while whereas unless if when whenever where "
    "wherever whether that which who whom whose"
)

_NO, _MAYBE, _YES = 0, 1, 2  # does the token's punctuation end a sentence?


class _Token(NamedTuple):
    text: str
    end: int  # _NO, _MAYBE (if the next word is capitalized) or _YES
    clause: bool  # ends a clause (when it does not end the sentence)
    enum: bool  # "1.": a list marker when it starts a unit
    word: int  # client words in it (1 or 0 but in CJK text): counts towards the word limits
    breaker: bool  # a phrase-break word
    initial: str  # first character after opening quotes/brackets ("" if none)
    glued: bool = False  # no whitespace before it (a cut after a CJK mark)
    phrase: bool = False  # ends a Japanese phrase (a particle before kanji or katakana): a first unit may end here


def _classify(text: str) -> _Token:
    core = text.rstrip(_CLOSERS) or text
    end, clause, enum = _NO, False, False
    if core.endswith(_TERMINAL):
        end = _YES
    elif core.endswith(_ELLIPSES):
        end, clause = _MAYBE, True
    elif core.endswith("."):
        stem = core[:-1].lstrip(_OPENERS)
        low = stem.lower()
        if low in _NEVER_END or _INITIALS.fullmatch(stem):
            end = _NO
        elif low in _MAYBE_END or _DOTTED.fullmatch(stem):
            end = _MAYBE
        else:
            end, enum = _YES, _ENUMERATOR.fullmatch(core) is not None
    elif core.endswith(_CLAUSE):
        clause = True
    rest = text.lstrip(_OPENERS)
    return _Token(
        text=text,
        end=end,
        clause=clause,
        enum=enum,
        word=len(client_words(text)) if has_cjk(text) else any(c.isalnum() for c in text),
        breaker=len(text) <= 10 and text.lower() in _BREAK_WORDS,
        initial=rest[:1],
    )


def _or(*values: bool | None) -> bool | None:
    """Three-valued OR: True if any is True, unknown (None) if any is unknown, else False."""
    if any(v is True for v in values):
        return True
    return None if any(v is None for v in values) else False


class Chunker:
    """Turns one turn's streamed text fragments into speakable units (see the module policy).

    Args:
        soft_limit: A sentence longer than this many characters is cut at its next clause end.
        hard_limit: No unit exceeds this many characters, except a single longer token.
        first_unit: Let the first unit of the turn be a short clause or phrase (fast first audio).
            False makes every unit a sentence or long-sentence clause.

    Raises:
        ValueError: If the limits are not positive or ``hard_limit < soft_limit``.
    """

    def __init__(self, *, soft_limit: int = 200, hard_limit: int = 300, first_unit: bool = True) -> None:
        if soft_limit < 1 or hard_limit < soft_limit:
            raise ValueError(f"need 0 < soft_limit <= hard_limit, got {soft_limit}, {hard_limit}")
        self._soft = soft_limit
        self._hard = hard_limit
        self._first = first_unit  # still producing the turn's first unit
        self._toks: list[_Token] = []  # complete tokens not yet emitted (between _run calls)
        self._nls: list[bool] = []  # _nls[k]: the closed gap after _toks[k] held a line break
        self._gap_nl = False  # the open gap (after the last token) holds a line break so far
        self._partial: list[str] = []  # pieces of the incomplete last token
        self._partial_len = 0
        self._partial_initial: str | None = None  # its first non-opener char, once arrived
        self._partial_glued = False  # it follows the token before with no whitespace
        self._partial_cjk = False  # it holds kana or Han characters
        self._after_mark = False  # it ends with a CJK mark (and closers): the next letter starts a token
        self._prev = ""  # its last character
        self._start = 0  # index in _toks of the current unit's first token (0 between _run calls)
        self._scan = 0  # index in _toks of the next boundary to decide
        self._len = 0  # characters of _toks[:_scan] joined by spaces
        self._words = 0  # word tokens in _toks[:_scan]
        self._final = False  # inside flush(): the buffer end is the text end

    @property
    def pending(self) -> str:
        """Buffered text not yet emitted, with whitespace runs collapsed to single spaces."""
        out = _join(self._toks)
        if self._partial:
            out += ("" if self._partial_glued or not out else " ") + "".join(self._partial)
        return out

    def add(self, fragment: str) -> list[str]:
        """Buffers a fragment of text.

        Args:
            fragment: Any piece of the text, possibly empty, mid-word or mid-number.

        Returns:
            The units that became final, in order (often none).
        """
        for match in _RUNS.finditer(fragment):
            run = match.group()
            if run[0].isspace():
                if self._partial:
                    self._complete_token()
                if not self._gap_nl and any(c in _LINE_BREAKS for c in run):
                    self._gap_nl = True
                continue
            if not self._partial:  # a token starts: the gap before it is closed
                self._close_gap(self._gap_nl)
                self._gap_nl = False
                self._partial_glued = False
            if self._after_mark or self._partial_cjk or _CJK_CHAR.search(run) or any(c in _GLUE_MARKS for c in run):
                self._add_glued(run)
            else:
                self._append(run)
        return self._run()

    def _close_gap(self, newline: bool) -> None:
        if len(self._nls) < len(self._toks):  # else the token before it was emitted
            self._nls.append(newline)

    def _append(self, run: str) -> None:
        self._partial.append(run)
        self._partial_len += len(run)
        self._prev = run[-1]
        if self._partial_initial is None:
            self._partial_initial = run.lstrip(_OPENERS)[:1] or None

    def _add_glued(self, run: str) -> None:
        """A run of text with CJK characters or marks, cut into tokens after the marks (char by char)."""
        for c in run:
            if (self._after_mark and c not in _GLUE_AFTER) or (
                self._partial_cjk and self._partial_len >= GLUED_MAX and _CJK_CHAR.match(c)
            ):
                self._cut_glued()
            elif self._partial_cjk and self._prev in _PARTICLES and self._partial_len >= 2 and _PHRASE_START.match(c):
                self._cut_glued(phrase=True)  # 今日は|天気が: a phrase boundary
            self._append(c)
            if not self._partial_cjk and _CJK_CHAR.match(c):
                self._partial_cjk = True
            if c in _GLUE_MARKS or (c in "!?" and self._partial_cjk):
                self._after_mark = True

    def _cut_glued(self, *, phrase: bool = False) -> None:
        self._complete_token(phrase=phrase)
        self._close_gap(False)
        self._partial_glued = True

    def flush(self) -> list[str]:
        """Emits everything buffered, treating the end of the buffer as the end of the text.

        Used at the end of a turn and for a timed mid-turn flush; text added afterwards continues the
        same turn (it is no longer eligible for the short first unit once any unit was emitted).

        Returns:
            The remaining units, split at sentence boundaries as usual (empty if nothing buffered).
        """
        if self._partial:
            self._complete_token()
        self._final = True
        units = self._run()
        assert not self._toks, "every boundary is settled at the end of the text"
        self._final = False
        self._nls.clear()
        self._gap_nl = False
        return units

    # -- internals ---------------------------------------------------------------------------------

    def _complete_token(self, *, phrase: bool = False) -> None:
        token = _classify("".join(self._partial))
        if self._partial_glued or phrase:
            token = token._replace(glued=self._partial_glued, phrase=phrase)
        self._toks.append(token)
        self._prev = ""
        self._partial.clear()
        self._partial_len = 0
        self._partial_initial = None
        self._partial_glued = self._partial_cjk = self._after_mark = False

    def _run(self) -> list[str]:
        units: list[str] = []
        toks = self._toks
        while self._scan < len(toks):
            j = self._scan
            length = self._len + (1 if j > self._start and not toks[j].glued else 0) + len(toks[j].text)
            words = self._words + toks[j].word
            cut = self._cut_after(j, length, words)
            if cut is None:
                break  # wait for more text; resume at this boundary
            if cut:
                units.append(_join(toks[self._start : j + 1]))
                self._start, self._len, self._words = j + 1, 0, 0
                self._first = False
            else:
                self._len, self._words = length, words
            self._scan = j + 1
        # Drop emitted tokens once per call, not once per unit: add(whole_text) stays linear.
        del toks[: self._start]
        del self._nls[: self._start]  # if shorter, the open gap belonged to an emitted token
        self._scan -= self._start
        self._start = 0
        return units

    def _cut_after(self, j: int, length: int, words: int) -> bool | None:
        """Whether the unit ends after token j (None: not settled yet), given its size so far."""
        tok = self._toks[j]
        sentence = self._sentence_end(j)
        if sentence is True:
            return True
        if self._first:
            nxt = self._toks[j + 1] if j + 1 < len(self._toks) else None
            # Cut before a phrase-break word, unless that word ends the sentence ("... thinking of.").
            phrase: bool | None = False
            if words >= FIRST_MIN_PHRASE_WORDS:
                if nxt is None:
                    phrase = None
                elif nxt.breaker:
                    ends = self._sentence_end(j + 1)
                    phrase = None if ends is None else not ends
            return _or(
                sentence,
                tok.clause and words >= FIRST_MIN_CLAUSE_WORDS,
                phrase,
                tok.phrase,
                self._overflows(j, length, words, min(FIRST_MAX_CHARS, self._hard), FIRST_MAX_WORDS),
            )
        return _or(sentence, tok.clause and length > self._soft, self._overflows(j, length, words, self._hard))

    def _overflows(self, j: int, length: int, words: int, max_chars: int, max_words: int = 0) -> bool | None:
        """Whether appending the token after j would exceed the limits (max_words=0: no word limit)."""
        if j + 1 < len(self._toks):
            nxt = self._toks[j + 1]
            gap = 0 if nxt.glued else 1
            return length + gap + len(nxt.text) > max_chars or 0 < max_words < words + nxt.word
        # The next token is still arriving: it can only grow, so an overflow is already certain.
        gap = 0 if self._partial_glued else 1
        return True if self._partial and length + gap + self._partial_len > max_chars else None

    def _sentence_end(self, k: int) -> bool | None:
        toks = self._toks
        if self._final and k == len(toks) - 1:
            return True
        tok = toks[k]
        if tok.end == _YES and not (tok.enum and k == self._start):
            return True
        if k < len(self._nls):
            newline: bool | None = self._nls[k]
        else:  # the gap after k is still open: a line break already in it cannot go away
            newline = True if self._final or self._gap_nl else None
        if tok.end != _MAYBE:
            return newline
        if k + 1 < len(toks):
            initial: str | None = toks[k + 1].initial
        else:
            initial = self._partial_initial if self._partial else ("" if self._final else None)
        return _or(newline, None if initial is None else initial.isupper())


def _join(toks: list[_Token]) -> str:
    """Tokens as text: a space between them, none before a glued one."""
    return "".join(t.text if k == 0 or t.glued else " " + t.text for k, t in enumerate(toks))


def split_units(text: str, *, soft_limit: int = 200, hard_limit: int = 300, first_unit: bool = True) -> list[str]:
    """Splits a whole text into units, exactly as a :class:`Chunker` fed any fragmentation would.

    Args:
        text: The complete text.
        soft_limit: See :class:`Chunker`.
        hard_limit: See :class:`Chunker`.
        first_unit: See :class:`Chunker`.

    Returns:
        The units, in order.
    """
    chunker = Chunker(soft_limit=soft_limit, hard_limit=hard_limit, first_unit=first_unit)
    return chunker.add(text) + chunker.flush()
