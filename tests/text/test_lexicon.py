"""The pronunciation-dictionary matcher and the checks an entry passes."""

from __future__ import annotations

import pytest

from voicewire.exceptions import InvalidField
from voicewire.text.lexicon import Lexicon, LexiconEntry, LexiconLimits, check_entry, is_ipa

LIMITS = LexiconLimits(max_items=10, max_word_chars=20, max_pronunciation_chars=30)


def found(lexicon: Lexicon, text: str) -> list[tuple[str, str]]:
    """What matched, and which entry's word matched it."""
    return [(text[m.start : m.end], m.entry.word) for m in lexicon.find(text)]


def test_whole_words_only() -> None:
    lx = Lexicon([LexiconEntry("cat", "kat"), LexiconEntry("5", "five-ish")])
    assert found(lx, "cat concat cats catalog (cat) cat.") == [("cat", "cat"), ("cat", "cat"), ("cat", "cat")]
    assert found(lx, "5 and 3.5 and 5.0 and 1,5 and 5, then 5.") == [("5", "5"), ("5", "5"), ("5", "5")]


def test_a_word_is_found_where_it_stands_whole_not_inside_a_longer_word_before_it() -> None:
    lx = Lexicon([LexiconEntry("cat", "kat"), LexiconEntry("cat food", "kat-food")])
    text = "concatcat catalog, cat; tomcat cat food cat"
    assert [(m.start, m.end) for m in lx.find(text)] == [(19, 22), (31, 39), (40, 43)]
    assert found(lx, "bobcat's cat's") == [("cat's", "cat")]


def test_tokens_with_digits_and_dots_can_be_entries() -> None:
    lx = Lexicon([LexiconEntry("C3PO", "see three pee oh"), LexiconEntry("v2.5", "version two point five")])
    assert found(lx, "C3PO runs v2.5, not v2.5.1 or xv2.5.") == [("C3PO", "C3PO"), ("v2.5", "v2.5")]


def test_case_insensitive_unless_the_entry_says_otherwise() -> None:
    lx = Lexicon([LexiconEntry("sql", "sequel"), LexiconEntry("IBM", "eye bee em", case_sensitive=True)])
    assert found(lx, "SQL, Sql and sql; IBM not ibm or Ibm") == [("SQL", "sql"), ("Sql", "sql"), ("sql", "sql"),
                                                                  ("IBM", "IBM")]  # fmt: skip


def test_longest_entry_first_then_case_sensitive_then_order() -> None:
    lx = Lexicon([
        LexiconEntry("New York", "first"),
        LexiconEntry("New York City", "longest"),
        LexiconEntry("new york", "later duplicate"),
        LexiconEntry("New York", "exact case", case_sensitive=True),
    ])  # fmt: skip
    matches = lx.find("New York City and New York and new york")
    assert [m.entry.pronunciation for m in matches] == ["longest", "exact case", "first"]


def test_hyphen_separates_and_possessive_is_kept() -> None:
    lx = Lexicon([LexiconEntry("Kubernetes", "koo-ber-net-ees")])
    matches = lx.find("Kubernetes-based, Kubernetes's and Kubernetes’s pods; Kubernetess")
    assert [(m.start, m.end, m.possessive) for m in matches] == [(0, 10, False), (18, 30, True), (35, 47, True)]
    words = [r.words for r in lx.readings("Kubernetes's pods")]
    assert words == [("koo-ber-net-ees's",)]


def test_entries_that_start_or_end_with_punctuation() -> None:
    lx = Lexicon([LexiconEntry(".NET", "dot net"), LexiconEntry("AT&T", "A T and T"), LexiconEntry("Dr.", "doctor")])
    assert found(lx, "Use .NET at AT&T, asked Dr. Who; ASP.NET is not one.") == [
        (".NET", ".NET"), ("AT&T", "AT&T"), ("Dr.", "Dr.")
    ]  # fmt: skip


def test_offsets_survive_letters_whose_lower_case_is_longer() -> None:
    lx = Lexicon([LexiconEntry("zoë", "zoey")])
    text = "İİ Zoë and İ zoë"  # "İ".lower() is two characters
    assert [text[m.start : m.end] for m in lx.find(text)] == ["Zoë", "zoë"]


def test_readings_give_respelling_words_or_ipa_with_the_text_as_fallback() -> None:
    lx = Lexicon([LexiconEntry("gif", "jiff"), LexiconEntry("Qzv", "/ˈmɑːɹməleɪd/")])
    readings = lx.readings("A gif, a Qzv's.")
    assert [(r.start, r.end, r.words, r.ipa) for r in readings] == [
        (2, 5, ("jiff",), None),
        (9, 14, ("Qzv's",), "ˈmɑːɹməleɪdz"),
    ]


def test_an_empty_lexicon_and_one_with_no_match() -> None:
    assert Lexicon([]).find("anything") == [] and len(Lexicon([])) == 0
    assert Lexicon([LexiconEntry("x", "y")]).find("") == []


def test_cost_is_linear_in_the_text_not_the_entries() -> None:
    """A thousand entries sharing a first letter run do not make a scan quadratic: only entries whose
    first run of letters matches the text's are tried."""
    lx = Lexicon([LexiconEntry(f"word{i}", "w") for i in range(1000)])
    assert len(lx) == 1000
    text = " ".join(f"word{i}" for i in range(0, 2000, 7))
    assert len(lx.find(text)) == len([i for i in range(0, 2000, 7) if i < 1000])


@pytest.mark.parametrize(
    ("word", "pronunciation", "case", "field", "fragment"),
    [
        (None, "x", None, "items[2].word", "non-empty"),
        ("   ", "x", None, "items[2].word", "non-empty"),
        ("a" * 21, "x", None, "items[2].word", "at most 20"),
        ("!!!", "x", None, "items[2].word", "letter or digit"),
        ("tab\x07", "x", None, "items[2].word", "printable"),
        ("ok", "", None, "items[2].pronunciation", "respelling"),
        ("ok", 5, None, "items[2].pronunciation", "respelling"),
        ("ok", "b" * 31, None, "items[2].pronunciation", "at most 30"),
        ("ok", "/abc", None, "items[2].pronunciation", "closed with a slash"),
        ("ok", "/ab1/", None, "items[2].pronunciation", "IPA"),
        ("ok", "/ /", None, "items[2].pronunciation", "IPA"),
        ("ok", "!!", None, "items[2].pronunciation", "something to say"),
        ("ok", "fine", "yes", "items[2].case_sensitive", "true or false"),
    ],
)
def test_bad_entries_name_the_item_and_the_field(word: object, pronunciation: object, case: object, field: str,
                                                 fragment: str) -> None:  # fmt: skip
    with pytest.raises(InvalidField, match=fragment) as caught:
        check_entry(2, word, pronunciation, case, LIMITS)
    assert caught.value.field == field


def test_good_entries_are_tidied() -> None:
    entry = check_entry(0, "  New   York ", "  noo   york ", None, LIMITS)
    assert entry == LexiconEntry("New York", "noo york", False)
    ipa = check_entry(0, "tomato", "/təˈmɑːtoʊ/", True, LIMITS)
    assert ipa.ipa == "təˈmɑːtoʊ" and ipa.case_sensitive
    assert check_entry(0, "x", "/njuː jɔːk/", False, LIMITS).ipa == "njuː jɔːk"


def test_is_ipa() -> None:
    assert is_ipa("ˈmɑːɹməleɪd") and is_ipa("d͡ʒʌdʒ") and is_ipa("njuː jɔːk")
    assert not is_ipa("") and not is_ipa("ab1") and not is_ipa("a!b") and not is_ipa("ˈː")
