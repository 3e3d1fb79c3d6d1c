"""Number words per language: Hindi's own table, num2words where it covers the language."""

from __future__ import annotations

import pytest

from voicewire.text import numerals


@pytest.mark.parametrize(
    ("n", "words"),
    [
        (0, "शून्य"), (7, "सात"), (15, "पंद्रह"), (21, "इक्कीस"), (45, "पैंतालीस"), (67, "सड़सठ"), (99, "निन्यानवे"),
        (100, "एक सौ"), (123, "एक सौ तेईस"), (1000, "एक हज़ार"), (2024, "दो हज़ार चौबीस"),
        (100000, "एक लाख"), (1234567, "बारह लाख चौंतीस हज़ार पाँच सौ सड़सठ"), (10**7, "एक करोड़"), (10**9, "एक अरब"),
    ],
)  # fmt: skip
def test_hindi_cardinals(n: int, words: str) -> None:
    assert " ".join(numerals.cardinal(n, "hi")) == words


def test_every_hindi_number_below_a_hundred_has_its_own_word() -> None:
    below = [numerals.cardinal(n, "hi") for n in range(100)]
    assert all(len(w) == 1 for w in below) and len({w[0] for w in below}) == 100


@pytest.mark.parametrize(
    ("lang", "n", "words"),
    [
        ("es", 21, "veintiuno"), ("fr", 80, "quatre-vingts"), ("it", 2024, "duemilaventiquattro"),
        ("pt", 2024, "dois mil e vinte e quatro"), ("de", 21, "einundzwanzig"), ("ja", 2024, "二千二十四"),
        ("zh", 2024, "二千零二十四"), ("en", 2024, "two thousand twenty-four"), ("es", -3, "menos tres"),
    ],
)  # fmt: skip
def test_cardinals(lang: str, n: int, words: str) -> None:
    assert " ".join(numerals.cardinal(n, lang)) == words


def test_huge_numbers_are_read_digit_by_digit() -> None:
    assert numerals.cardinal(10**25, "es")[:2] == ["uno", "cero"]
    assert numerals.cardinal(10**25, "zh") == ["一" + "零" * 25]


def test_time_and_money() -> None:
    assert numerals.time_of_day(14, 30, "hi") == ["चौदह", "बजकर", "तीस", "मिनट"]
    assert numerals.time_of_day(9, 5, "ja") == ["九時五分"]
    assert numerals.money("1", "", "€", "es") == ["uno", "euro"]
    assert numerals.money("0", "50", "$", "en") == ["fifty", "cents"]
