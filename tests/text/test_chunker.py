"""Tests for the incremental text chunker: policy tables, streaming lookahead, invariance properties."""

from __future__ import annotations

import itertools
import re
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from voicewire.text import chunker as chunker_module
from voicewire.text.chunker import FIRST_MAX_CHARS, FIRST_MAX_WORDS, Chunker, split_units

SENTENCES = {"first_unit": False}  # isolate sentence splitting from the short-first-unit rule
SMALL = {"first_unit": False, "soft_limit": 20, "hard_limit": 50}

# (text, Chunker kwargs, expected units)
CASES: list[tuple[str, dict[str, Any], list[str]]] = [
    # --- the first-unit rule (default) ---
    (
        "Streaming delivers audio in real-time for voice assistants and chatbots.",
        {},
        ["Streaming delivers audio", "in real-time for voice assistants and chatbots."],
    ),
    (
        "Hello there, how are you doing today? I am fine.",
        {},
        ["Hello there,", "how are you doing today?", "I am fine."],
    ),
    ("Hi.", {}, ["Hi."]),
    ("Yes, sure.", {}, ["Yes, sure."]),  # one word before the comma is too thin a first unit
    ("Mr. Brown, please wait here. Thanks.", {}, ["Mr. Brown,", "please wait here.", "Thanks."]),
    (
        "Note: the server restarts at midnight; save your work.",
        {},
        ["Note: the server restarts", "at midnight; save your work."],
    ),
    ("Wait — I have an idea for you.", {}, ["Wait — I have an idea", "for you."]),
    (
        "one two three four five six seven eight nine ten.",
        {},
        ["one two three four five six seven eight", "nine ten."],  # FIRST_MAX_WORDS
    ),
    (
        "Supercalifragilistic expialidocious words keep coming endlessly forever more today now.",
        {},
        ["Supercalifragilistic expialidocious words keep coming", "endlessly forever more today now."],
    ),
    # A phrase-break word that ends the sentence is not a cut point ("... thinking of").
    ("Tell me what you are thinking of\nThen go", {}, ["Tell me what you are thinking of", "Then go"]),
    ("Tell me what you are thinking of \n Then go", {}, ["Tell me what you are thinking of", "Then go"]),
    (
        "Hello there, how are you doing today?",
        {"first_unit": False},
        ["Hello there, how are you doing today?"],
    ),
    # --- numbers, money, abbreviations, titles, initials ---
    ("Pi is 3.14. The low is -2.5 degrees.", SENTENCES, ["Pi is 3.14.", "The low is -2.5 degrees."]),
    (
        "We sold 1,000,000 units, approx. 5% more. Great.",
        SENTENCES,
        ["We sold 1,000,000 units, approx. 5% more.", "Great."],
    ),
    ("It costs $9.99. Buy it now!", SENTENCES, ["It costs $9.99.", "Buy it now!"]),
    ("I have 3. You have 2.", SENTENCES, ["I have 3.", "You have 2."]),
    (
        "Dr. Smith and Mrs. Jones met St. Peter. They talked.",
        SENTENCES,
        ["Dr. Smith and Mrs. Jones met St. Peter.", "They talked."],
    ),
    (
        "Use a fruit, e.g. Apples, or i.e. Pears. Then eat.",
        SENTENCES,
        ["Use a fruit, e.g. Apples, or i.e. Pears.", "Then eat."],
    ),
    (
        "Bring pens, paper, etc. and snacks. Thanks.",
        SENTENCES,
        ["Bring pens, paper, etc. and snacks.", "Thanks."],
    ),
    ("Bring pens, paper, etc. Then go home.", SENTENCES, ["Bring pens, paper, etc.", "Then go home."]),
    (
        "J. K. Rowling wrote it. The U.S. Army agreed.",
        SENTENCES,
        ["J. K. Rowling wrote it.", "The U.S. Army agreed."],
    ),
    (
        "It was Apple Inc. vs. Google in case No. 5 today. Apple Inc. The end.",
        SENTENCES,
        ["It was Apple Inc. vs. Google in case No. 5 today.", "Apple Inc.", "The end."],
    ),
    ("He has a Ph.D. in physics. She does not.", SENTENCES, ["He has a Ph.D. in physics.", "She does not."]),
    # Known trade-off: a capital-initials acronym never ends a sentence, so "U.S. Army" stays whole.
    ("He moved to the U.S. Then he worked.", SENTENCES, ["He moved to the U.S. Then he worked."]),
    ("I saw it. and then left.", SENTENCES, ["I saw it.", "and then left."]),
    # --- URLs, e-mails, times ---
    (
        "Visit https://example.com/a.b?x=1 now. Or not.",
        SENTENCES,
        ["Visit https://example.com/a.b?x=1 now.", "Or not."],
    ),
    ("See https://example.com. Then stop.", SENTENCES, ["See https://example.com.", "Then stop."]),
    ("Mail jane.doe@example.com today. Thanks!", SENTENCES, ["Mail jane.doe@example.com today.", "Thanks!"]),
    (
        "Meet at 7:30 p.m. tomorrow. It starts at 10 a.m. See you.",
        SENTENCES,
        ["Meet at 7:30 p.m. tomorrow.", "It starts at 10 a.m.", "See you."],
    ),
    # --- quotes, brackets, ellipses, questions ---
    ('He said "Stop." Then he left.', SENTENCES, ['He said "Stop."', "Then he left."]),
    (
        "He left (finally!). Then we ate. “Fine.” Okay.",
        SENTENCES,
        ["He left (finally!).", "Then we ate.", "“Fine.”", "Okay."],
    ),
    ("She paused (really?) and left.", SENTENCES, ["She paused (really?)", "and left."]),
    ('"Hi," she said, "how are you?"', SENTENCES, ['"Hi," she said, "how are you?"']),
    ("Well... I think so. Wait… what now?", SENTENCES, ["Well...", "I think so.", "Wait… what now?"]),
    ("Really?! Yes! No way? Okay.", SENTENCES, ["Really?!", "Yes!", "No way?", "Okay."]),
    # --- line breaks, lists, whitespace ---
    (
        "Title\nFirst line here\n\nSecond paragraph.",
        SENTENCES,
        ["Title", "First line here", "Second paragraph."],
    ),
    ("Dr.\nSmith", SENTENCES, ["Dr.", "Smith"]),
    ("1. Buy milk\n2. Call Mom\r\n3. Sleep", SENTENCES, ["1. Buy milk", "2. Call Mom", "3. Sleep"]),
    ("Hello   world.\tHow\t\tare  you?", SENTENCES, ["Hello world.", "How are you?"]),
    ("  \n Leading and trailing  \n\n ", SENTENCES, ["Leading and trailing"]),
    # --- degenerate input ---
    ("Hello", {}, ["Hello"]),
    ("?!", {}, ["?!"]),
    ("...", {}, ["..."]),
    ("", {}, []),
    (" \t\n ", {}, []),
    ("Great job 🎉! See you 👋", SENTENCES, ["Great job 🎉!", "See you 👋"]),
    ("🎉 🎉 🎉", {}, ["🎉 🎉 🎉"]),
    # --- long sentences: soft limit (clause cut), hard limit (whitespace cut) ---
    (
        "one two three four, five six seven eight, nine ten.",
        SMALL,
        ["one two three four, five six seven eight,", "nine ten."],
    ),
    (
        "aaaa bbbb cccc dddd eeee ffff.",
        {"first_unit": False, "soft_limit": 10, "hard_limit": 20},
        ["aaaa bbbb cccc dddd", "eeee ffff."],
    ),
    (
        "hi " + "x" * 30 + " there.",
        {"first_unit": False, "soft_limit": 10, "hard_limit": 20},
        ["hi", "x" * 30, "there."],
    ),
    (" ".join(["word"] * 70) + ".", SENTENCES, [" ".join(["word"] * 60), " ".join(["word"] * 10) + "."]),
]

LONG = (
    "This long sentence, which keeps going, has many clauses; it goes on and on about nothing in "
    "particular, and it never seems to stop, because the writer enjoys commas, semicolons: and dashes "
    "— all of them, really, more than is healthy for anyone who reads it aloud, so the chunker must "
    "cut it somewhere sensible before the engine chokes on it. Short one."
)


@pytest.mark.parametrize(("text", "kwargs", "expected"), CASES)
def test_table(text: str, kwargs: dict[str, Any], expected: list[str]) -> None:
    assert split_units(text, **kwargs) == expected


@pytest.mark.parametrize(("text", "kwargs", "expected"), CASES)
def test_table_every_two_piece_split_and_char_by_char(text: str, kwargs: dict[str, Any], expected: list[str]) -> None:
    for i in range(len(text) + 1):
        assert feed([text[:i], text[i:]], **kwargs) == expected, i
    assert feed(list(text), **kwargs) == expected


def test_long_sentence_is_cut_at_first_clause_past_soft_limit() -> None:
    units = split_units(LONG, first_unit=False)
    assert len(units) == 3
    first = units[0]
    assert first.endswith("all of them,")
    assert len(first) > 200  # it ran past the soft limit, to the next clause end
    without_last = first[: -len(" them,")]
    assert "," not in without_last[200:]  # ... and no clause end was skipped on the way
    assert units[1].endswith("chokes on it.")
    assert units[2] == "Short one."


# --- streaming lookahead: (fragment, units that add() must return) steps, then flush() ---
STEPS: list[tuple[list[tuple[str, list[str]]], list[str], dict[str, Any]]] = [
    ([("Pi is 3.", []), ("14 today", []), (". ", ["Pi is 3.14 today."])], [], SENTENCES),
    ([("Dr", []), (". Smith", []), (" is here. ", ["Dr. Smith is here."])], [], SENTENCES),
    ([("Take e.", []), ("g.", []), (" Apples.", [])], ["Take e.g. Apples."], SENTENCES),
    ([("I have 3.", []), (" ", ["I have 3."]), ("More", [])], ["More"], SENTENCES),
    # "etc." needs the next word's first letter, past any opening quote.
    (
        [("Pens, paper, etc.", []), (" ", []), ('"', []), ("T", ["Pens, paper, etc."]), ('hen."', [])],
        ['"Then."'],
        SENTENCES,
    ),
    ([("Pens, paper, etc.", []), (" a", []), ("nd more.", [])], ["Pens, paper, etc. and more."], SENTENCES),
    ([("Hello", []), (" there", []), (",", []), (" how", ["Hello there,"])], ["how"], {}),
    ([("Title", []), ("\n", ["Title"]), ("Next", [])], ["Next"], SENTENCES),
    ([("Title", []), (" ", []), ("\n", ["Title"])], [], SENTENCES),
    # The phrase-break word must be complete ("in" could grow into "inside") and not sentence-final.
    (
        [("Streaming delivers audio", []), (" in", []), (" ", []), ("real", ["Streaming delivers audio"])],
        ["in real"],
        {},
    ),
]


@pytest.mark.parametrize(("steps", "flushed", "kwargs"), STEPS)
def test_lookahead_is_confirmed_before_emitting(
    steps: list[tuple[str, list[str]]], flushed: list[str], kwargs: dict[str, Any]
) -> None:
    chunker = Chunker(**kwargs)
    for fragment, expected in steps:
        assert chunker.add(fragment) == expected, fragment
    assert chunker.flush() == flushed
    assert chunker.pending == ""


def test_pending_collapses_whitespace_and_empties_on_flush() -> None:
    chunker = Chunker()
    assert chunker.add("Hello   wor") == []
    assert chunker.pending == "Hello wor"
    assert chunker.add("ld, how ") == ["Hello world,"]
    assert chunker.pending == "how"
    assert chunker.flush() == ["how"]
    assert chunker.pending == ""
    assert chunker.flush() == []


def test_mid_turn_flush_ends_the_first_unit_state() -> None:
    chunker = Chunker()
    assert chunker.add("Streaming delivers") == []
    assert chunker.flush() == ["Streaming delivers"]
    # Same turn: the short-first-unit rule no longer applies.
    assert chunker.add("audio in real-time for voice assistants, which ") == []
    assert chunker.add("helps. Next") == ["audio in real-time for voice assistants, which helps."]
    assert chunker.flush() == ["Next"]


def test_empty_flush_keeps_the_first_unit_state() -> None:
    chunker = Chunker()
    assert chunker.flush() == []
    assert chunker.add("Hello there, how ") == ["Hello there,"]


def test_timed_flush_may_cut_an_unfinished_word() -> None:
    chunker = Chunker()
    assert chunker.add("Hel") == []
    assert chunker.flush() == ["Hel"]  # the buffer end is treated as the text end
    assert chunker.add("lo there.") == []
    assert chunker.flush() == ["lo there."]


def test_new_line_right_after_a_mid_turn_flush_is_not_misattributed() -> None:
    chunker = Chunker(first_unit=False)
    assert chunker.add("One.") == []
    assert chunker.flush() == ["One."]
    assert chunker.add("\nDr. Who is here") == []
    assert chunker.flush() == ["Dr. Who is here"]


@pytest.mark.parametrize(("soft", "hard"), [(0, 10), (20, 10)])
def test_invalid_limits(soft: int, hard: int) -> None:
    with pytest.raises(ValueError):
        Chunker(soft_limit=soft, hard_limit=hard)


def test_ten_thousand_chars_char_by_char_classifies_each_token_once(monkeypatch: pytest.MonkeyPatch) -> None:
    text = (LONG + " Dr. Smith paid $9.99. e.g. etc. U.S. Army at 7:30 p.m.\n") * 30
    text = text[:10_000]
    calls = 0
    classify = chunker_module._classify

    def counting(token: str) -> Any:
        nonlocal calls
        calls += 1
        return classify(token)

    monkeypatch.setattr(chunker_module, "_classify", counting)
    units = feed(list(text))
    assert calls == len(text.split())  # no rescans: every token is looked at once
    assert " ".join(units).split() == text.split()
    assert units == split_units(text)


# --- property tests ---

VOCAB = [
    "3.",
    "14",
    "3.14",
    "-2.5",
    "1,000,000",
    "$9.99.",
    "5",
    "1.",
    "Dr",
    "Dr.",
    ".",
    "Smith",
    "Mr.",
    "Mrs.",
    "St.",
    "e.",
    "g.",
    "e.g.",
    "i.e.",
    "etc.",
    "vs.",
    "No.",
    "Inc.",
    "U.S.",
    "Army",
    "J.",
    "K.",
    "Rowling",
    "https://example.com/a.b?x=1",
    "jane.doe@example.com",
    "7:30",
    "p.m.",
    "a.m.",
    "Hello",
    "hello,",
    "there,",
    "how",
    "are",
    "you?",
    "Yes!",
    "in",
    "and",
    "to",
    "which",
    "the",
    "I",
    "quick",
    "brown",
    "fox",
    "—",
    "--",
    "-",
    "...",
    "…",
    "Well...",
    '"',
    '"Stop."',
    "(",
    ")",
    "(really?)",
    "“Fine.”",
    ":",
    ";",
    "Note:",
    "🎉",
    "?!",
    "x" * 70,
    "supercalifragilistic",
    "Then",
    "then.",
    "*bold*",
    "**Note.**",
]
SEPARATORS = [" ", " ", " ", "  ", "\t", "\n", "\n\n", " \n ", "\r\n", "\u00a0", ""]
texts = st.one_of(
    st.lists(st.tuples(st.sampled_from(VOCAB), st.sampled_from(SEPARATORS)), max_size=60).map(
        lambda pairs: "".join(word + sep for word, sep in pairs)
    ),
    st.text(alphabet=st.sampled_from(list("aZ3.,;:!?-—…'\"()$@/ \n\t")), max_size=200),
)
configs = st.sampled_from(
    [{}, {"first_unit": False}, {"soft_limit": 20, "hard_limit": 40}, {"soft_limit": 5, "hard_limit": 5}]
)


def feed(fragments: list[str], **kwargs: Any) -> list[str]:
    chunker = Chunker(**kwargs)
    units = [unit for fragment in fragments for unit in chunker.add(fragment)]
    return units + chunker.flush()


@st.composite
def fragmented(draw: st.DrawFn) -> tuple[str, list[str]]:
    text = draw(texts)
    cuts = sorted(draw(st.lists(st.integers(0, len(text)), max_size=len(text) + 5)))
    bounds = [0, *cuts, len(text)]
    return text, [text[a:b] for a, b in itertools.pairwise(bounds)]  # repeats: empty pieces


@settings(max_examples=1000, deadline=None)
@given(fragmented(), configs)
def test_fragmentation_never_changes_the_units(case: tuple[str, list[str]], kwargs: dict[str, Any]) -> None:
    text, fragments = case
    assert "".join(fragments) == text
    assert feed(fragments, **kwargs) == split_units(text, **kwargs)


@settings(max_examples=200, deadline=None)
@given(texts, configs)
def test_char_by_char_equals_whole(text: str, kwargs: dict[str, Any]) -> None:
    assert feed(list(text), **kwargs) == split_units(text, **kwargs)


@settings(max_examples=400, deadline=None)
@given(texts, configs)
def test_units_preserve_tokens_and_respect_limits(text: str, kwargs: dict[str, Any]) -> None:
    units = split_units(text, **kwargs)
    assert " ".join(units).split() == text.split()
    hard = kwargs.get("hard_limit", 300)
    for unit in units:
        assert unit and unit == " ".join(unit.split())  # stripped, single-spaced, no line breaks
        assert len(unit) <= hard or len(unit.split()) == 1
    if units and kwargs.get("first_unit", True):
        first = units[0].split()
        assert len([t for t in first if any(c.isalnum() for c in t)]) <= FIRST_MAX_WORDS
        assert len(units[0]) <= min(FIRST_MAX_CHARS, hard) or len(first) == 1


def cut_indices(units: list[str]) -> list[int]:
    """Index (into text.split()) of the last token of every unit but the last."""
    result, index = [], 0
    for unit in units[:-1]:
        index += len(unit.split())
        result.append(index - 1)
    return result


NEVER_BEFORE_A_CUT = {
    "Dr.",
    "Mr.",
    "Mrs.",
    "St.",
    "e.g.",
    "i.e.",
    "vs.",
    "U.S.",
    "J.",
    "K.",
    "3.14",
    "7:30",
    "https://example.com/a.b?x=1",
    "jane.doe@example.com",
    "Hello",
    "the",
    "Army",
}


@settings(max_examples=400, deadline=None)
@given(texts)
def test_sentence_mode_cuts_only_at_sentence_ends(text: str) -> None:
    """Below the soft limit and without the first-unit rule, every cut is a sentence end."""
    units = split_units(text, first_unit=False, soft_limit=10_000, hard_limit=10_000)
    matches = list(re.finditer(r"(\S+)(\s*)", text))
    tokens = [m.group(1) for m in matches]
    line_break = [bool(re.search(r"[\n\r]", m.group(2))) for m in matches]
    cuts = cut_indices(units)
    for i in cuts:
        before, after = tokens[i], tokens[i + 1]
        if not line_break[i]:
            assert before not in NEVER_BEFORE_A_CUT, (before, after)
            assert before.rstrip("\"')”*").endswith((".", "?", "!", "…")), (before, after)
            if before in {"etc.", "p.m.", "a.m.", "No.", "Inc.", "Well...", "..."}:
                assert after.lstrip("\"'(“*")[:1].isupper(), (before, after)
    # Conversely, a line break, "?" or "!" always ends a unit.
    for i, token in enumerate(tokens[:-1]):
        if line_break[i] or token.endswith(("?", "!", "?)")):
            assert i in cuts, token
