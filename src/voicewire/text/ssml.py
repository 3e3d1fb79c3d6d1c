"""Speech markup: the SSML subset voicewire reads, parsed by hand (no XML library, no entity expansion).

Elements:

- ``<speak>``: the optional root; its attributes are ignored.
- ``<p>``, ``<s>`` (and ``<paragraph>``, ``<sentence>``): a paragraph or sentence; each edge is a unit
  boundary with a pause (``PARAGRAPH_PAUSE``, ``SENTENCE_PAUSE``) unless a ``<break>`` stands there.
- ``<break time="500ms"/>`` (``ms`` or ``s``, up to ``MAX_BREAK_S``) or ``strength="none|x-weak|weak|
  medium|strong|x-strong"`` (``BREAK_STRENGTHS``; no attribute is ``medium``): that much silence, in the
  audio and in the word timestamps. Breaks in a row add up; the document's breaks together may
  last ``MAX_TOTAL_BREAK_S``.
- ``<say-as interpret-as="characters|cardinal|ordinal|date|telephone">`` (also ``spell-out``,
  ``number``, ``digits``; ``format="mdy|dmy|ymd|..."`` for dates): the content read that way.
- ``<sub alias="...">``: the alias said instead of the content.
- ``<phoneme alphabet="ipa" ph="...">``: the IPA said instead of the content.
- ``<prosody rate="...">``: a rate from 0.5 to 2.0 (``1.5``, ``150%``, or ``x-slow`` 0.5, ``slow``
  0.75, ``medium`` 1, ``fast`` 1.5, ``x-fast`` 2); it multiplies the request's ``speed`` (the product is
  held within 0.5-2.0). Its edges are unit boundaries. Other prosody attributes are ignored.
- Any other element (``<emphasis>``, ``<voice>``, ``<audio>``, ``<mark/>``, ...) is read as its text.

Text: whitespace runs are one space; the five XML entities (``&amp; &lt; &gt; &quot; &apos;``) and
numeric references are decoded; no other entity exists (no DTD is read: ``<!DOCTYPE`` is refused),
so nothing can expand. Comments, ``<?xml ...?>`` and CDATA are allowed.

Malformed or hostile markup raises ``InvalidMarkup`` naming the line, column and character offset:
a tag left open or closed out of order, an unknown entity, nesting deeper than ``MAX_DEPTH``, an
attribute longer than ``MAX_ATTRIBUTE_CHARS``, more than ``MAX_ATTRIBUTES`` on a tag, a bad value
for an attribute voicewire reads. The parser is one pass over the text (linear time).

The result (``MarkedText``) is plain text for the chunker (``\\n`` at every unit boundary, single
spaces elsewhere, so the chunker's units are exact substrings of it) plus what the markup says
about its spans; ``MarkedText.unit`` slices that for one unit.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property

from voicewire.exceptions import InvalidMarkup
from voicewire.text import say_as
from voicewire.text.lexicon import is_ipa
from voicewire.text.reading import FixedReading

__all__ = [
    "BREAK_STRENGTHS",
    "MAX_ATTRIBUTES",
    "MAX_ATTRIBUTE_CHARS",
    "MAX_BREAK_S",
    "MAX_DEPTH",
    "MAX_TOTAL_BREAK_S",
    "PARAGRAPH_PAUSE",
    "RATES",
    "SENTENCE_PAUSE",
    "MarkedText",
    "UnitMarkup",
    "parse_ssml",
]

MAX_DEPTH = 32
MAX_ATTRIBUTES = 16
MAX_ATTRIBUTE_CHARS = 1000
MAX_BREAK_S = 10.0
MAX_TOTAL_BREAK_S = 120.0
PARAGRAPH_PAUSE = 0.6
SENTENCE_PAUSE = 0.3
BREAK_STRENGTHS: Mapping[str, float] = {
    "none": 0.0, "x-weak": 0.1, "weak": 0.2, "medium": 0.4, "strong": 0.7, "x-strong": 1.2,
}  # fmt: skip
RATES: Mapping[str, float] = {"x-slow": 0.5, "slow": 0.75, "medium": 1.0, "default": 1.0, "fast": 1.5, "x-fast": 2.0}
_MIN_RATE, _MAX_RATE = 0.5, 2.0

_NAME = re.compile(r"[A-Za-z_][\w.:-]*")
# One token at a time: a comment, CDATA, a tag (quoted values may hold ">"; it runs to its ">", or breaks
# off at a "<" or the end), an entity-like "&...", or text. Every alternative starts with a different
# character or literal, so the scan is linear.
_TOKENS = re.compile(
    r"<!--.*?(?:-->|\Z)|<!\[CDATA\[.*?(?:\]\]>|\Z)|<(?:[^<>\"']|\"[^\"<]*\"|'[^'<]*')*>?|&[^&<;\s]{0,40};?|[^<&]+",
    re.DOTALL,
)
_START = re.compile(r"<([A-Za-z_][\w.:-]*)((?:\s+[A-Za-z_][\w.:-]*\s*=\s*(?:\"[^\"<]*\"|'[^'<]*'))*)\s*(/?)>")
_ATTRIBUTE = re.compile(r"\s+([A-Za-z_][\w.:-]*)\s*=\s*(?:\"([^\"<]*)\"|'([^'<]*)')")
_CLOSE = re.compile(r"</([A-Za-z_][\w.:-]*)\s*>")
_SPACES = re.compile(r"\s+")
_TRAILING = re.compile(r"[.,;:!?…\"')\]”’]+(?=\s|$)")
_ENTITY = re.compile(r"&(?:#([0-9]{1,7})|#[xX]([0-9A-Fa-f]{1,6})|([A-Za-z][A-Za-z0-9]{0,31}));")
_ENTITIES = {"amp": "&", "lt": "<", "gt": ">", "quot": '"', "apos": "'"}
_TIME = re.compile(r"\s*(\d+(?:\.\d+)?|\.\d+)\s*(ms|s)\s*", re.IGNORECASE)
_RATE = re.compile(r"\s*(\d+(?:\.\d+)?|\.\d+)\s*(%?)\s*")
_BOUNDARIES = {"p": PARAGRAPH_PAUSE, "paragraph": PARAGRAPH_PAUSE, "s": SENTENCE_PAUSE, "sentence": SENTENCE_PAUSE}
_ATOMIC = ("say-as", "sub", "phoneme")


@dataclass(frozen=True)
class UnitMarkup:
    """What the markup says about one unit."""

    fixed: tuple[FixedReading, ...] = ()
    """Spans with readings of their own, in the unit's offsets."""
    pause: float | None = None
    """Seconds of silence after the unit (None: from its punctuation, as for plain text)."""
    lead: float = 0.0
    """Seconds of silence before the unit (a break before any text)."""
    rate: float = 1.0
    """Multiplies the turn's speed."""


@dataclass(frozen=True)
class MarkedText:
    text: str
    """The text to speak, for the chunker: ``\\n`` at unit boundaries, single spaces elsewhere."""
    fixed: tuple[FixedReading, ...] = ()
    """In ``text``'s offsets, sorted by start, none overlapping."""
    pauses: Mapping[int, float] = field(default_factory=dict)
    """Silence at the end of the text before offset ``k`` (``0``: before any text), seconds."""
    rates: tuple[tuple[int, float], ...] = ()
    """``(offset, rate)``: the rate of the text from ``offset`` on, sorted."""

    def locate(self, unit: str, cursor: int = 0) -> int:
        """Where the chunker's ``unit`` starts in ``text``, searching from ``cursor`` (-1: nowhere)."""
        return self.text.find(unit, cursor)

    @cached_property
    def _fixed_starts(self) -> list[int]:
        return [f.start for f in self.fixed]

    @cached_property
    def _rate_starts(self) -> list[int]:
        return [offset for offset, _ in self.rates]

    def unit(self, start: int, end: int) -> UnitMarkup:
        """The markup of ``text[start:end]`` (one unit); a few microseconds, whatever the text's length."""
        lo, hi = bisect_left(self._fixed_starts, start), bisect_left(self._fixed_starts, end)
        fixed = tuple(
            FixedReading(f.start - start, f.end - start, f.words, f.ipa, f.say)
            for f in self.fixed[lo:hi]
            if f.end <= end
        )
        at = bisect_right(self._rate_starts, start) - 1
        return UnitMarkup(
            fixed=fixed,
            pause=self.pauses.get(end),
            lead=self.pauses.get(0, 0.0) if start == 0 else 0.0,
            rate=self.rates[at][1] if at >= 0 else 1.0,
        )


def parse_ssml(source: str) -> MarkedText:
    """Parse ``source`` (see the module's rules).

    Raises:
        InvalidMarkup: malformed or over a limit; the message names the line, column and offset.
    """
    return _Parser(source).run()


@dataclass
class _Open:
    name: str
    at: int
    """Offset of the ``<`` in the source."""
    attributes: dict[str, str]
    start: int
    """Length of the output when it opened."""
    chunk: int
    """Pieces of the output when it opened."""
    rate: float = 1.0
    """The rate in force inside."""


class _Parser:
    def __init__(self, source: str) -> None:
        self.src = source
        self.out: list[str] = []
        self.length = 0
        self.last = ""  # last character of the output
        self.stack: list[_Open] = []
        self.atomic = 0  # open say-as/sub/phoneme elements: inside them markup has no effect
        self.fixed: list[FixedReading] = []
        self.explicit: dict[int, float] = {}
        self.implicit: dict[int, float] = {}
        self.total_break = 0.0
        self.rates: list[tuple[int, float]] = []
        self.rate = 1.0

    # -- errors ------------------------------------------------------------------------------------
    def error(self, at: int, what: str) -> InvalidMarkup:
        line = self.src.count("\n", 0, at) + 1
        column = at - (self.src.rfind("\n", 0, at) + 1) + 1
        return InvalidMarkup(f"Markup error at line {line}, column {column} (character {at}): {what}", at)

    # -- the scan ----------------------------------------------------------------------------------
    def run(self) -> MarkedText:
        src = self.src
        for m in _TOKENS.finditer(src):
            token, at = m.group(), m.start()
            first = token[0]
            if first == "<":
                self.markup(token, at)
            elif first == "&":
                entity = _ENTITY.fullmatch(token)
                if entity is None:
                    raise self.error(at, "'&' starts no entity; write &amp; for a literal '&'.")
                self.text(self.entity_text(entity, at))
            else:
                self.text(token)
        if self.stack:
            top = self.stack[-1]
            raise self.error(len(src), f"<{top.name}> opened at character {top.at} is never closed "
                                       f"(write </{top.name}>).")  # fmt: skip
        text = "".join(self.out).rstrip()
        pauses = {k: v for k, v in self.implicit.items() if k < len(text)}
        pauses.update(self.explicit)
        return MarkedText(text, tuple(self.fixed), pauses, tuple(self.rates))

    def markup(self, token: str, at: int) -> None:
        """One ``<...>`` token (``_TOKENS`` gives it whole, or up to where it breaks off)."""
        second = token[1:2]
        if second == "!":
            if token.startswith("<!--"):
                if not token.endswith("-->") or len(token) < 7:
                    raise self.error(at, "a comment '<!--' is never closed with '-->'.")
            elif token.startswith("<![CDATA["):
                if not token.endswith("]]>"):
                    raise self.error(at, "a CDATA section is never closed with ']]>'.")
                self.text(token[9:-3])
            else:
                raise self.error(at, "'<!' declarations (DOCTYPE, ENTITY) are not allowed in speech markup.")
            return
        if second == "?":
            if not token.endswith("?>"):
                raise self.error(at, "'<?' is never closed with '?>'.")
            return
        if second == "/":
            self.close_tag(token, at)
        else:
            self.open_tag(token, at)

    def open_tag(self, token: str, at: int) -> None:
        m = _START.fullmatch(token)
        if m is None:
            if _NAME.match(token, 1) is None:
                raise self.error(at, "'<' starts no tag; write &lt; for a literal '<'.")
            raise self.error(at, f"{token[:40]!r} is malformed: a tag is <name attribute=\"value\" ...> or <name/>.")
        name = m.group(1).lower()
        attributes: dict[str, str] = {}
        if m.group(2):
            for count, a in enumerate(_ATTRIBUTE.finditer(m.group(2)), 1):
                value = a.group(2) if a.group(2) is not None else a.group(3)
                where = at + m.start(2) + a.start()
                if len(value) > MAX_ATTRIBUTE_CHARS:
                    raise self.error(where, f"attribute {a.group(1)!r} is over {MAX_ATTRIBUTE_CHARS} characters.")
                if count > MAX_ATTRIBUTES:
                    raise self.error(where, f"<{name}> has more than {MAX_ATTRIBUTES} attributes.")
                attributes[a.group(1).lower()] = self.decode(value, where) if "&" in value else value
        element = _Open(name, at, attributes, self.length, len(self.out), self.rate)
        if m.group(3):  # <name/>
            self.start(element)
            self.end(element)
            return
        if len(self.stack) >= MAX_DEPTH:
            raise self.error(at, f"elements nest deeper than {MAX_DEPTH}.")
        self.stack.append(element)
        self.start(element)

    def close_tag(self, token: str, at: int) -> None:
        m = _CLOSE.fullmatch(token)
        if m is None:
            raise self.error(at, "'</' starts no closing tag (write </name>).")
        name = m.group(1).lower()
        if not self.stack:
            raise self.error(at, f"</{name}> closes nothing.")
        top = self.stack[-1]
        if top.name != name:
            raise self.error(at, f"</{name}> closes <{top.name}> opened at character {top.at} (write </{top.name}>).")
        self.stack.pop()
        self.end(top)

    def entity_text(self, m: re.Match[str], at: int) -> str:
        decimal, hexadecimal, name = m.groups()
        if name is not None:
            if name not in _ENTITIES:
                raise self.error(at, f"unknown entity '&{name};' (only &amp; &lt; &gt; &quot; &apos; and &#...;).")
            return _ENTITIES[name]
        code = int(decimal) if decimal is not None else int(hexadecimal, 16)
        if code == 0 or code > 0x10FFFF or 0xD800 <= code <= 0xDFFF:
            raise self.error(at, f"'{m.group()}' names no character.")
        return chr(code)

    def decode(self, value: str, at: int) -> str:
        if "&" not in value:
            return value
        out, pos = [], 0
        while (amp := value.find("&", pos)) >= 0:
            out.append(value[pos:amp])
            m = _ENTITY.match(value, amp)
            if m is None:
                raise self.error(at + amp, "'&' starts no entity; write &amp; for a literal '&'.")
            out.append(self.entity_text(m, at + amp))
            pos = m.end()
        out.append(value[pos:])
        return "".join(out)

    # -- output ------------------------------------------------------------------------------------
    def text(self, raw: str) -> None:
        piece = _SPACES.sub(" ", raw)
        if self.last == "\n" and (tail := _TRAILING.match(piece)):
            self.reattach(tail.group())  # "</prosody>." : the mark ends the words before the boundary
            piece = piece[tail.end() :]
        if self.last in ("", " ", "\n"):
            piece = piece.lstrip(" ")
        if piece:
            self.out.append(piece)
            self.length += len(piece)
            self.last = piece[-1]

    def reattach(self, marks: str) -> None:
        """Put ``marks`` before the boundary that ends the output, moving what is keyed to it."""
        old = self.length - 1
        self.out[-1] = self.out[-1][:-1] + marks + "\n"
        self.length += len(marks)
        new = self.length - 1
        for pauses in (self.explicit, self.implicit):
            if old in pauses:
                pauses[new] = pauses.pop(old)
        self.rates = [(new + 1 if at == old + 1 else at, rate) for at, rate in self.rates]

    def boundary(self, pause: float | None, *, explicit: bool = False) -> None:
        """A unit ends here; ``pause`` seconds of silence follow it."""
        if self.last == " ":
            self.out[-1] = self.out[-1][:-1] + "\n"
            self.last = "\n"
        elif self.last not in ("", "\n"):
            self.out.append("\n")
            self.length += 1
            self.last = "\n"
        key = self.length - 1 if self.last == "\n" else 0
        if pause is None or (key == 0 and not explicit):  # a paragraph's start is no silence
            return
        if explicit:
            self.explicit[key] = self.explicit.get(key, 0.0) + pause
        else:
            self.implicit[key] = max(self.implicit.get(key, 0.0), pause)

    def start(self, element: _Open) -> None:
        name = element.name
        if self.atomic:
            if name in _ATOMIC:
                self.atomic += 1
            return
        if name in _ATOMIC:
            self.atomic += 1
        elif name in _BOUNDARIES:
            self.boundary(_BOUNDARIES[name])
        elif name == "break":
            self.breaks(element)
        elif name == "prosody" and "rate" in element.attributes:
            rate = self.read_rate(element)
            self.boundary(None)
            self.rate = min(_MAX_RATE, max(_MIN_RATE, self.rate * rate))
            self.rates.append((self.length, self.rate))

    def end(self, element: _Open) -> None:
        name = element.name
        if name in _ATOMIC:
            self.atomic -= 1
            if not self.atomic:
                self.reading(element)
            return
        if self.atomic:
            return
        if name in _BOUNDARIES:
            self.boundary(_BOUNDARIES[name])
        elif name == "prosody" and "rate" in element.attributes:
            self.boundary(None)
            self.rate = element.rate
            self.rates.append((self.length, self.rate))

    def breaks(self, element: _Open) -> None:
        attributes = element.attributes
        if "time" in attributes:
            m = _TIME.fullmatch(attributes["time"])
            seconds = float(m.group(1)) / (1000 if m.group(2).lower() == "ms" else 1) if m else -1.0
            if not 0 <= seconds <= MAX_BREAK_S:
                raise self.error(element.at, f"<break time={attributes['time']!r}> must be a duration such as "
                                             f"'500ms' or '1.5s', at most {MAX_BREAK_S:g} s.")  # fmt: skip
        else:
            strength = attributes.get("strength", "medium").strip().lower()
            if strength not in BREAK_STRENGTHS:
                raise self.error(element.at, f"<break strength={attributes['strength']!r}> must be one of "
                                             f"{', '.join(BREAK_STRENGTHS)}.")  # fmt: skip
            seconds = BREAK_STRENGTHS[strength]
        self.total_break += seconds
        if self.total_break > MAX_TOTAL_BREAK_S:
            raise self.error(element.at, f"the breaks add up to more than {MAX_TOTAL_BREAK_S:g} s of silence.")
        if seconds > 0:
            self.boundary(seconds, explicit=True)

    def read_rate(self, element: _Open) -> float:
        raw = element.attributes["rate"]
        value = RATES.get(raw.strip().lower())
        if value is None and (m := _RATE.fullmatch(raw)):
            value = float(m.group(1)) / (100 if m.group(2) else 1)
        if value is None or not _MIN_RATE <= value <= _MAX_RATE:
            raise self.error(element.at, f"<prosody rate={raw!r}> must be from 0.5 to 2.0 ('1.5', '150%') or one "
                                         f"of {', '.join(RATES)}.")  # fmt: skip
        return value

    def reading(self, element: _Open) -> None:
        """A say-as, sub or phoneme element closed: its content gets its reading."""
        raw = "".join(self.out[element.chunk :])  # no boundary touches the output inside one
        content = raw.strip()
        start = element.start + len(raw) - len(raw.lstrip())
        end = start + len(content)
        attributes = element.attributes
        if element.name == "sub":
            if "alias" not in attributes:
                raise self.error(element.at, "<sub> needs an alias=\"...\" attribute (what to say instead).")
            if start < end:  # the alias is read when the unit is prepared, on a worker
                self.fixed.append(FixedReading(start, end, (), say=attributes["alias"]))
            return
        if element.name == "phoneme":
            alphabet = attributes.get("alphabet", "ipa").strip().lower()
            if alphabet != "ipa":
                raise self.error(element.at, f"<phoneme alphabet={attributes['alphabet']!r}> is not read (use 'ipa').")
            ph = attributes.get("ph", "").strip().strip("/").strip()
            if not is_ipa(ph):
                raise self.error(element.at, "<phoneme> needs ph=\"...\" in IPA (letters, stress and length marks).")
            if start < end:
                self.fixed.append(FixedReading(start, end, tuple(content.split()), ph))
            return
        kind = attributes.get("interpret-as")
        if kind is None:
            raise self.error(element.at, f"<say-as> needs interpret-as (one of {', '.join(say_as.INTERPRETATIONS)}).")
        try:
            words = tuple(say_as.interpret(kind.strip().lower(), content, attributes.get("format")))
        except ValueError as exc:
            raise self.error(element.at, f"<say-as interpret-as={kind!r}>: {exc}.") from None
        if start < end:
            self.fixed.append(FixedReading(start, end, words))
