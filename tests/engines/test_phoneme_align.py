from __future__ import annotations

import pytest

from voicewire.engines.phoneme_align import assign_owners


def symbols(text: str) -> list[str]:
    return list(text)


def owners_by_word(phonemes: str, alone: list[str]) -> list[str]:
    owners = assign_owners(symbols(phonemes), alone)
    words: dict[int, str] = {}
    for p, who in zip(phonemes, owners, strict=True):
        if who is not None:
            words[who] = words.get(who, "") + p
    return [words.get(i, "") for i in range(len(alone))]


def test_one_phoneme_word_per_word() -> None:
    assert owners_by_word("haɪ ðɛɹ.", ["haɪ", "ðɛɹ"]) == ["haɪ", "ðɛɹ"]


def test_merged_words_are_split_back() -> None:
    # espeak: "in the house" -> "ɪnðə hˈaʊs"; alone: "ɪn", "ðə", "hˈaʊs"
    assert owners_by_word("ɪnðə hˈaʊs", ["ˈɪn", "ðˈə", "hˈaʊs"]) == ["ɪn", "ðə", "hˈaʊs"]


def test_context_forms_still_align() -> None:
    # "to" alone is tuː, in context tə; "of the" merged with a reduced vowel
    got = owners_by_word("wˈɔnt tə ɡˌoʊ ʌvðə wˈeɪ", ["wˈɔnt", "tˈuː", "ɡˈoʊ", "ˈʌv", "ðˈə", "wˈeɪ"])
    assert got == ["wˈɔnt", "tə", "ɡˌoʊ", "ʌv", "ðə", "wˈeɪ"]


def test_pauses_and_punctuation_belong_to_no_word() -> None:
    owners = assign_owners(symbols("haɪ, ðɛɹ."), ["haɪ", "ðɛɹ"])
    assert owners[3] is None and owners[4] is None and owners[-1] is None


@pytest.mark.parametrize(
    ("phonemes", "alone"),
    [
        ("ɪnðə hˈaʊs", ["ɪn", "ðə", "haʊs"]),
        ("kʊdɐv bˌɪn", ["kʊd", "hæv", "bɪn"]),
        ("a b c", ["a", "b", "c"]),
        ("abc", ["x", "y", "z"]),
    ],
)
def test_owners_never_decrease(phonemes: str, alone: list[str]) -> None:
    owners = [o for o in assign_owners(symbols(phonemes), alone) if o is not None]
    assert owners == sorted(owners)
    assert all(0 <= o < len(alone) for o in owners)
