"""The speech markup parser: what each element does, errors with positions, hostile input."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given

from support.fuzz import HOSTILE_MARKUP, count_case, fuzz_settings, markup_documents
from voicewire.exceptions import InvalidMarkup
from voicewire.text.chunker import split_units
from voicewire.text.ssml import MAX_DEPTH, PARAGRAPH_PAUSE, SENTENCE_PAUSE, MarkedText, UnitMarkup, parse_ssml


def units(marked: MarkedText) -> list[tuple[str, UnitMarkup]]:
    """The chunker's units of the marked text, each with its markup (found where the last ended)."""
    out, cursor = [], 0
    for unit in split_units(marked.text, first_unit=False):
        start = marked.locate(unit, cursor)
        assert start >= 0, (unit, marked.text)
        cursor = start + len(unit)
        out.append((unit, marked.unit(start, cursor)))
    return out


def test_plain_text_and_whitespace() -> None:
    marked = parse_ssml("<speak>\n  Hello,\t  world.\n</speak>")
    assert marked.text == "Hello, world." and marked.fixed == () and dict(marked.pauses) == {}


def test_a_break_ends_a_unit_and_sets_its_pause() -> None:
    marked = parse_ssml('Wait <break time="700ms"/> for it. Then <break time="1.5s"/>go.')
    assert [(u, m.pause) for u, m in units(marked)] == [("Wait", 0.7), ("for it.", None), ("Then", 1.5), ("go.", None)]


@pytest.mark.parametrize(
    ("tag", "seconds"),
    [('<break strength="none"/>', None), ('<break strength="x-weak"/>', 0.1), ('<break strength="weak"/>', 0.2),
     ("<break/>", 0.4), ('<break strength="medium"/>', 0.4), ('<break strength="strong"/>', 0.7),
     ('<break strength="x-strong"/>', 1.2), ('<break time="0ms"/>', None), ('<break time="2S"/>', 2.0)],
)  # fmt: skip
def test_break_strengths_and_times(tag: str, seconds: float | None) -> None:
    marked = parse_ssml(f"one {tag} two")
    assert marked.pauses.get(3) == seconds
    assert marked.text == ("one\ntwo" if seconds else "one two")


def test_breaks_in_a_row_add_up_and_a_leading_one_is_silence_before_the_text() -> None:
    marked = parse_ssml('<break time="1s"/>Hi<break time="200ms"/><break time="300ms"/> there<break time="2s"/>')
    assert units(marked) == [("Hi", UnitMarkup(pause=0.5, lead=1.0)), ("there", UnitMarkup(pause=2.0))]


def test_paragraphs_and_sentences_are_boundaries_with_pauses_but_none_at_the_ends() -> None:
    marked = parse_ssml("<speak><p><s>One</s><s>Two</s></p><p>Three</p></speak>")
    assert [(u, m.pause) for u, m in units(marked)] == [("One", SENTENCE_PAUSE), ("Two", PARAGRAPH_PAUSE),
                                                         ("Three", None)]  # fmt: skip
    explicit = parse_ssml('<p>One<break time="50ms"/></p><p>Two</p>')
    assert explicit.pauses[3] == 0.05  # a break where a paragraph ends replaces the paragraph's pause


def test_say_as_sub_and_phoneme_fix_their_content() -> None:
    marked = parse_ssml(
        'Spell <say-as interpret-as="characters">vwx</say-as>, see <sub alias="World Wide Web">WWW</sub> '
        'and <phoneme alphabet="ipa" ph="ˈmɑːɹməleɪd">Qzv</phoneme>.'
    )
    assert marked.text == "Spell vwx, see WWW and Qzv."
    assert [(marked.text[f.start : f.end], f.words, f.ipa, f.say) for f in marked.fixed] == [
        ("vwx", ("V", "W", "X"), None, None),
        ("WWW", (), None, "World Wide Web"),
        ("Qzv", ("Qzv",), "ˈmɑːɹməleɪd", None),
    ]


def test_markup_inside_say_as_is_read_as_its_text() -> None:
    marked = parse_ssml('<say-as interpret-as="characters">a<break time="1s"/><b>b</b></say-as> c')
    assert marked.text == "ab c" and dict(marked.pauses) == {}
    assert [(f.start, f.end, f.words) for f in marked.fixed] == [(0, 2, ("eigh", "B"))]


def test_prosody_rate_multiplies_within_the_range_and_its_edges_are_boundaries() -> None:
    marked = parse_ssml(
        'Normal <prosody rate="150%">fast <prosody rate="x-fast">very</prosody> again</prosody>. Back'
    )
    assert [(u, m.rate) for u, m in units(marked)] == [("Normal", 1.0), ("fast", 1.5), ("very", 2.0),
                                                       ("again.", 1.5), ("Back", 1.0)]  # fmt: skip
    assert [(u, m.rate) for u, m in units(parse_ssml('<prosody rate="slow" pitch="high">x</prosody>'))] == [
        ("x", 0.75)
    ]


def test_unknown_elements_read_as_text_and_xml_niceties() -> None:
    marked = parse_ssml(
        '<?xml version="1.0"?><!-- a comment --><speak version="1.1" xml:lang="en-US"><emphasis level="strong">'
        "Big</emphasis> <voice name='x'>deal</voice><mark name=\"m\"/> AT&amp;T &lt;3 &#65;&#x42; "
        "<![CDATA[<raw> & more]]></speak>"
    )
    assert marked.text == "Big deal AT&T <3 AB <raw> & more"


@pytest.mark.parametrize(
    ("doc", "position", "fragment"),
    [
        ("<speak>Hello", "line 1, column 13 (character 12)", "<speak> opened at character 0 is never closed"),
        ("Hi </p>", "column 4 (character 3)", "</p> closes nothing"),
        ("<p><s>x</p></s>", "character 7", "</p> closes <s> opened at character 3"),
        ("AT&T", "character 2", "'&' starts no entity"),
        ("a &nbsp; b", "character 2", "unknown entity '&nbsp;'"),
        ("&#0; &#xD800;", "character 0", "names no character"),
        ("one\ntwo <", "line 2, column 5 (character 8)", "'<' starts no tag"),
        ('<break time="1s">', "character 0", "never closed"),
        ('<break time=1s/>', "character 0", "is malformed"),
        ('<break time="soon"/>', "character 0", "must be a duration"),
        ('<break time="11s"/>', "character 0", "at most 10 s"),
        ('<break strength="loud"/>', "character 0", "must be one of none, x-weak"),
        ('<say-as>12</say-as>', "character 0", "needs interpret-as"),
        ('<say-as interpret-as="date">31/31/31</say-as>', "character 0", "is no date"),
        ('<say-as interpret-as="emoji">x</say-as>', "character 0", "is not read"),
        ("<sub>WWW</sub>", "character 0", "needs an alias"),
        ('<phoneme alphabet="x-sampa" ph="a">b</phoneme>', "character 0", "use 'ipa'"),
        ('<phoneme ph="123">b</phoneme>', "character 0", "in IPA"),
        ('<prosody rate="3">x</prosody>', "character 0", "from 0.5 to 2.0"),
        ('<prosody rate="fast-ish">x</prosody>', "character 0", "from 0.5 to 2.0"),
        ("<!-- open", "character 0", "never closed with '-->'"),
        ("<![CDATA[ open", "character 0", "never closed with ']]>'"),
        ("<? open", "character 0", "never closed with '?>'"),
        ('<!DOCTYPE speak [<!ENTITY lol "lol">]><speak>&lol;</speak>', "character 0", "are not allowed"),
    ],
)
def test_malformed_markup_names_the_position(doc: str, position: str, fragment: str) -> None:
    with pytest.raises(InvalidMarkup) as caught:
        parse_ssml(doc)
    assert position in caught.value.message and fragment in caught.value.message, caught.value.message
    assert caught.value.code == "invalid_markup"


def test_limits() -> None:
    parse_ssml("<a>" * MAX_DEPTH + "x" + "</a>" * MAX_DEPTH)
    with pytest.raises(InvalidMarkup, match="nest deeper than 32"):
        parse_ssml("<a>" * (MAX_DEPTH + 1) + "x" + "</a>" * (MAX_DEPTH + 1))
    with pytest.raises(InvalidMarkup, match="more than 16 attributes"):
        parse_ssml("<a " + " ".join(f'a{i}="1"' for i in range(17)) + "/>")
    with pytest.raises(InvalidMarkup, match="over 1000 characters"):
        parse_ssml('<sub alias="' + "x" * 1001 + '">y</sub>')
    with pytest.raises(InvalidMarkup, match="more than 120 s"):
        parse_ssml('<break time="10s"/>' * 13)


@pytest.mark.parametrize("doc", HOSTILE_MARKUP, ids=range(len(HOSTILE_MARKUP)))
def test_hostile_markup_is_refused(doc: str) -> None:
    with pytest.raises(InvalidMarkup):
        parse_ssml(doc)


# -- random documents --------------------------------------------------------------------------------

@fuzz_settings(scale=1.0, database=None)
@given(markup_documents())
def test_any_document_is_read_or_refused_cleanly(doc: str) -> None:
    """Never any error but InvalidMarkup; what is read is consistent: units are found in order, spans and
    pauses lie within the text."""
    count_case("markup")
    try:
        marked = parse_ssml(doc)
    except InvalidMarkup as exc:
        assert 0 <= exc.position <= len(doc) and "character" in exc.message
        return
    n = len(marked.text)
    assert "\n\n" not in marked.text and "  " not in marked.text and marked.text == marked.text.strip()
    assert all(0 <= f.start < f.end <= n for f in marked.fixed)
    assert all(a.end <= b.start for a, b in itertools.pairwise(marked.fixed))  # sorted, none overlapping
    assert all(0 <= k <= n and v > 0 for k, v in marked.pauses.items())
    assert all(0.5 <= rate <= 2.0 for _, rate in marked.rates)
    found = units(marked)
    assert " ".join(u for u, _ in found).split() == marked.text.split()
