"""The chunker fuzzed with any unicode: random fragmentation gives the units of the unfragmented text,
every word comes out whole and in order (every character, with timed flushes), nothing raises.

tests/text/test_chunker.py covers the policy on a vocabulary of tricky tokens; here the input is
anything a client can send: every code point (lone surrogates, controls, zero-width and
bidirectional marks, combining marks, every kind of whitespace), plus long runs of one kind.
"""

from __future__ import annotations

import itertools
import re
from typing import Any

from hypothesis import given, note
from hypothesis import strategies as st

from support.fuzz import count_case, fuzz_settings
from voicewire.text.chunker import Chunker, split_units

# What lets the chunker cut a token with no whitespace: a CJK mark, or CJK text (issue 13).
GLUE = re.compile(r"[。！？｡、，､；：\u3040-\u30ff\u31f0-\u31ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff66-\uff9f]")

# Pieces that have broken text code elsewhere: ZWJ emoji sequences, flags, RTL and bidi controls,
# zero-width characters, controls, lone and split surrogates, combining marks, odd whitespace.
NASTY = ["👩‍👩‍👧‍👦", "🇫🇷", "🎉!", "שלום עולם.", "مرحبا، كيف حالك؟", "\u202egnp.exe", "\u200b", "\u200d", "\ufeff",
         "\u2066x\u2069", "\x00", "\x07", "\x1b[31m", "\x7f", "\ud800", "\udfff", "\ud83d", "\ude00", "e\u0301\u0301",
         "Z̴̢͓a̵l̶g̷o", "\u00a0", "\u2028", "\u2029", "\u3000", "\x1c", "\x85", "\r\n", "...", "?!?!", "—", "--", "1.",
         "3.14", "Dr.", "U.S.", "e.g.", "p.m.", "(", ")", '"', "“", "”", "Ａ．", "１２３", "ﬁ", "İ", "ß"]  # fmt: skip
LONG_RUNS = st.builds(lambda c, n: c * n, st.sampled_from(["a", "9", ".", "!", "—", "🎉", "\u200b", " ", "\n", "x."]),
                      st.integers(50, 700))  # fmt: skip
any_text = st.one_of(
    st.text(st.characters(codec=None), max_size=80),  # every code point, surrogates included
    st.lists(
        st.one_of(st.sampled_from(NASTY), st.text(max_size=3), st.sampled_from([" ", " ", "\n"])), max_size=40
    ).map("".join),
    st.lists(st.one_of(LONG_RUNS, st.sampled_from([*NASTY, " "])), max_size=4).map("".join),
)
configs = st.sampled_from(
    [{}, {"first_unit": False}, {"soft_limit": 20, "hard_limit": 40}, {"soft_limit": 1, "hard_limit": 1}]
)


@st.composite
def fragmented(draw: st.DrawFn) -> tuple[str, list[str]]:
    text = draw(any_text)
    cuts = sorted(draw(st.lists(st.integers(0, len(text)), max_size=min(len(text), 60) + 3)))
    return text, [text[a:b] for a, b in itertools.pairwise([0, *cuts, len(text)])]


def check_units(units: list[str], text: str) -> None:
    if not GLUE.search(text):
        assert " ".join(units).split() == text.split(), "every word whole, in order"
    else:  # Japanese and Chinese are also cut with no space (issue 13): every character, in order
        assert "".join("".join(units).split()) == "".join(text.split())
    assert all(unit and unit == " ".join(unit.split()) for unit in units), "stripped, single-spaced"


@fuzz_settings()
@given(fragmented(), configs)
def test_any_fragmentation_of_any_unicode_gives_the_same_units(
    case: tuple[str, list[str]], kwargs: dict[str, Any]
) -> None:
    count_case("chunker")
    text, fragments = case
    chunker = Chunker(**kwargs)
    units = [unit for fragment in fragments for unit in chunker.add(fragment)] + chunker.flush()
    assert chunker.pending == "" and chunker.flush() == []
    assert units == split_units(text, **kwargs)
    check_units(units, text)


@fuzz_settings()
@given(fragmented(), st.lists(st.booleans(), max_size=70), configs)
def test_timed_flushes_keep_every_character_in_order(
    case: tuple[str, list[str]], flush_after: list[bool], kwargs: dict[str, Any]
) -> None:
    """A mid-turn flush (``max_buffer_flush_ms``) may cut a word that is still arriving, never drop
    or reorder a character; one after whitespace cuts no word."""
    count_case("chunker")
    text, fragments = case
    chunker = Chunker(**kwargs)
    units: list[str] = []
    cut_inside_a_word = False
    at = 0
    for i, fragment in enumerate(fragments):
        units += chunker.add(fragment)
        at += len(fragment)
        if i < len(flush_after) and flush_after[i]:
            before, after = text[at - 1 : at], text[at : at + 1]
            cut_inside_a_word |= bool(before.strip() and after.strip())
            units += chunker.flush()
    units += chunker.flush()
    note(f"units={units!r}")
    assert "".join("".join(units).split()) == "".join(text.split())
    assert all(unit and unit == " ".join(unit.split()) for unit in units)
    if not cut_inside_a_word:
        check_units(units, text)


EDGES = {
    "100k characters": ("Lorem ipsum dolor sit amet, consectetur adipiscing elit. " * 1800)[:100_000],
    "100k character word": "a" * 100_000,
    "only punctuation": "!?.,;:—…()[]{}'\"" * 500,
    "only digits": "0123456789" * 1000,
    "digits and dots": "1. 2. 3. 4." * 500,
    "emoji": "🎉👩‍👩‍👧‍👦🇫🇷 " * 2000,
    "rtl": "שלום עולם. مرحبا بالعالم! " * 1000,
    "zero width": "\u200b\u200c\u200d\ufeff" * 5000,
    "controls": "".join(map(chr, range(32))) * 500,
    "lone surrogates": "\ud800 \udfff \ud83d\ude00 " * 1000,
    "empty": "",
    "only whitespace": " \t\n\r\x0b\x0c\x1c\x85\u2028\u3000" * 1000,
}


def test_edge_texts_whole_and_in_three_pieces() -> None:
    for name, text in EDGES.items():
        for kwargs in ({}, {"first_unit": False}):
            units = split_units(text, **kwargs)
            check_units(units, text)
            third = len(text) // 3
            chunker = Chunker(**kwargs)
            pieces = [text[:third], text[third : 2 * third], text[2 * third :]]
            assert [u for p in pieces for u in chunker.add(p)] + chunker.flush() == units, name
