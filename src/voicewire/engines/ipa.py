"""IPA from a pronunciation dictionary or markup, in each engine's own phoneme set.

``Utterance.phonemes`` carries IPA as a person writes it (``/ˈmɑːɹməleɪd/`` without the slashes:
stress before the syllable, length marks, ``g`` or ``ɡ``, ``r`` for the English r, tie bars). Each
engine says it in the symbols its model was trained on:

- ``to_misaki``: misaki's set, which hibari (and Kokoro) read: diphthongs as one letter (``eɪ`` ->
  ``A``, ``aɪ`` -> ``I``, ``aʊ`` -> ``W``, ``ɔɪ`` -> ``Y``, ``oʊ`` -> ``O``), ``ʤ`` and ``ʧ``, the American
  r-colored vowels as ``ɜɹ`` / ``əɹ``, the flap as ``T``, no length marks, stress right before its vowel.
- ``to_espeak``: espeak-ng's IPA, which Piper voices read, one symbol per item, kept to the symbols
  of the voice's ``phoneme_id_map``.

A symbol an engine has no id for is dropped (never an error: the text was checked when the dictionary
was made; an unusual symbol degrades the word, not the turn).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Collection

__all__ = ["MISAKI_VOWELS", "to_espeak", "to_misaki"]

MISAKI_VOWELS = frozenset("AIOQWYaeiouæɐɑɒɔəɘɚɛɜɞɤɨɪɯɵʉʊʌᵊᵻ")
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
    out: list[str] = []
    stress = ""
    for c in text:
        if c in _STRESS:
            stress = c  # misaki writes stress right before the stressed vowel
        elif c == " ":
            out.append(stress + " " if stress else " ")
            stress = ""
        elif c in vocabulary:
            if stress and c in MISAKI_VOWELS:
                out.append(stress)
                stress = ""
            out.append(c)
    return "".join(out).strip()


def to_espeak(ipa: str, symbols: Collection[str], *, english: bool = True) -> list[str]:
    """``ipa`` as espeak-ng symbols a voice has ids for (``symbols``: its ``phoneme_id_map`` keys).
    ``english``: ``r`` is the English approximant ``ɹ``, as espeak writes it for English voices."""
    text = _common(ipa)
    for old, new in _ESPEAK:
        text = text.replace(old, new)
    if english:
        text = text.replace("r", "ɹ")
    return [c for c in unicodedata.normalize("NFD", text) if c in symbols]
