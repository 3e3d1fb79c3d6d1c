"""IPA from a pronunciation dictionary or markup, in each engine's own phoneme set.

``Utterance.phonemes`` carries IPA as a person writes it (``/ˈmɑːɹməleɪd/`` without the slashes:
stress before the syllable, length marks, ``g`` or ``ɡ``, ``r`` for the English r, tie bars). Each
engine says it in the symbols its model was trained on:

- ``to_misaki``: misaki's set, which hibari (and Kokoro) read: diphthongs as one letter (``eɪ`` ->
  ``A``, ``aɪ`` -> ``I``, ``aʊ`` -> ``W``, ``ɔɪ`` -> ``Y``, ``oʊ`` -> ``O``), ``ʤ`` and ``ʧ``, the American
  r-colored vowels as ``ɜɹ`` / ``əɹ``, the flap as ``T``, no length marks, stress right before its vowel.
- ``to_espeak``: espeak-ng's IPA, which Piper voices read, one symbol per item, kept to the symbols
  of the voice's ``phoneme_id_map``; stress right before its vowel too, as espeak-ng writes it (Piper
  voices given ``ˈm...`` were heard adding a vowel: "the amarmal aid" for /ˈmɑːɹməleɪd/).

A symbol an engine has no id for is dropped (never an error: the text was checked when the dictionary
was made; an unusual symbol degrades the word, not the turn).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Collection, Iterable

__all__ = ["ESPEAK_VOWELS", "MISAKI_VOWELS", "to_espeak", "to_misaki"]

MISAKI_VOWELS = frozenset("AIOQWYaeiouæɐɑɒɔəɘɚɛɜɞɤɨɪɯɵʉʊʌᵊᵻ")
ESPEAK_VOWELS = frozenset("aeiouyæøœɐɑɒɔəɘɚɛɜɝɞɤɨɪɯɵɶʉʊʌʏᵻ")
_STRESS = "ˈˌ"
_COMMON = {"'": "ˈ", "ˑ": "", ".": "", "‿": "", "\u0361": "", "\u035c": "", "g": "ɡ", "ɫ": "l", "ʍ": "w"}
_MISAKI = [
    ("d͡ʒ", "ʤ"), ("t͡ʃ", "ʧ"), ("dʒ", "ʤ"), ("tʃ", "ʧ"), ("ts", "ʦ"), ("dz", "ʣ"),
    ("eɪ", "A"), ("aɪ", "I"), ("aʊ", "W"), ("ɔɪ", "Y"), ("oʊ", "O"), ("əʊ", "O"),
    ("ɜː", "ɜɹ"), ("ɝ", "ɜɹ"), ("ɚ", "əɹ"), ("ɾ", "T"), ("r", "ɹ"), ("ː", ""),
]  # fmt: skip
_ESPEAK = [("ʤ", "dʒ"), ("ʧ", "tʃ"), ("ʦ", "ts"), ("ʣ", "dz"), ("ɝ", "ɜː")]


def _common(ipa: str) -> str:
    text = unicodedata.normalize("NFC", ipa)
    return "".join(_COMMON.get(c, c) for c in text)


def to_misaki(ipa: str, vocabulary: Collection[str]) -> str:
    """``ipa`` in misaki's symbols, keeping only those in ``vocabulary`` (and spaces)."""
    text = _common(ipa)
    for old, new in _MISAKI:
        text = text.replace(old, new)
    return "".join(_stress_on_vowels(text, vocabulary, MISAKI_VOWELS)).strip()


def _stress_on_vowels(symbols: Iterable[str], known: Collection[str], vowels: Collection[str]) -> list[str]:
    """The symbols in ``known`` (and spaces), each stress mark moved to right before the next vowel."""
    out: list[str] = []
    stress = ""
    for c in symbols:
        if c in _STRESS:
            stress = c
        elif c == " ":
            out.append(stress + " " if stress else " ")
            stress = ""
        elif c in known:
            if stress and c in vowels:
                out.append(stress)
                stress = ""
            out.append(c)
    return out


def to_espeak(ipa: str, symbols: Collection[str], *, english: bool = True) -> list[str]:
    """``ipa`` as espeak-ng symbols a voice has ids for (``symbols``: its ``phoneme_id_map`` keys).
    ``english``: ``r`` is the English approximant ``ɹ``, as espeak writes it for English voices."""
    text = _common(ipa)
    for old, new in _ESPEAK:
        text = text.replace(old, new)
    if english:
        text = text.replace("r", "ɹ")
    return _stress_on_vowels(unicodedata.normalize("NFD", text), symbols, ESPEAK_VOWELS)
