"""Which input word each phoneme of a phonemized clause belongs to.

espeak-ng phonemizes a whole clause at once, and its phoneme "words" are not the text's words: it
joins unstressed function words ("in the" -> ``ɪnðə``, "could have" -> ``kˌʊdɐv``). Phonemizing word
by word would give exact boundaries but lose the in-context reading ("to" -> ``tuː`` alone, ``tə`` in
a sentence). So we synthesize the in-context phonemes and align them, character by character, with
the concatenated phonemes of each word read alone; stress marks are ignored while aligning.
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence

__all__ = ["STRESS_MARKS", "assign_owners"]

STRESS_MARKS = frozenset("ˈˌːˑ")
_PAUSES = frozenset(" ,.;:!?—…\"'()")


def assign_owners(phonemes: Sequence[str], words_alone: Sequence[str]) -> list[int | None]:
    """Owner word of each phoneme in ``phonemes`` (None for spaces, punctuation and pauses).

    Args:
        phonemes: the in-context phoneme symbols of the whole unit, with ``" "`` between phoneme words.
        words_alone: for each input word, its phonemes when read on its own.

    Returns:
        A list as long as ``phonemes``. Owners never decrease along the list.
    """
    slots = _phoneme_words(phonemes)
    n_slots = max((s for s in slots if s is not None), default=-1) + 1
    if n_slots == len(words_alone):  # the common case: espeak kept the text's word boundaries
        return _fill_stress(phonemes, slots)
    return _fill_stress(phonemes, _align(phonemes, words_alone))


def _phoneme_words(phonemes: Sequence[str]) -> list[int | None]:
    slots: list[int | None] = []
    word = -1
    in_word = False
    for p in phonemes:
        if p in _PAUSES:
            slots.append(None)
            in_word = False
            continue
        if not in_word:
            word += 1
            in_word = True
        slots.append(word)
    return slots


def _align(phonemes: Sequence[str], words_alone: Sequence[str]) -> list[int | None]:
    reference: list[str] = []
    ref_owner: list[int] = []
    for i, alone in enumerate(words_alone):
        for c in alone:
            if c not in STRESS_MARKS and c not in _PAUSES:
                reference.append(c)
                ref_owner.append(i)
    target_idx = [k for k, p in enumerate(phonemes) if p not in STRESS_MARKS and p not in _PAUSES]
    target = [phonemes[k] for k in target_idx]
    owners: list[int | None] = [None] * len(phonemes)
    if not reference:
        return owners
    matcher = difflib.SequenceMatcher(None, reference, target, autojunk=False)
    mapped: list[int | None] = [None] * len(target)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "delete":
            continue
        for j in range(j1, j2):
            if tag == "equal":
                src = i1 + (j - j1)
            elif i2 > i1:  # replace: spread the target over the reference span
                src = i1 + (j - j1) * (i2 - i1) // (j2 - j1)
            else:  # insert: belongs with what came before (or the first word)
                src = max(i1 - 1, 0)
            mapped[j] = ref_owner[min(src, len(ref_owner) - 1)]
    last = 0
    for j, k in enumerate(target_idx):
        owner = mapped[j]
        last = max(last, owner if owner is not None else last)
        owners[k] = last
    return owners


def _fill_stress(phonemes: Sequence[str], owners: list[int | None]) -> list[int | None]:
    """Stress and length marks belong to the phoneme they modify (the next or previous one)."""
    out = list(owners)
    for k, p in enumerate(phonemes):
        if p in STRESS_MARKS and out[k] is None:
            nxt = next((out[j] for j in range(k + 1, len(out)) if out[j] is not None), None)
            prev = next((out[j] for j in range(k - 1, -1, -1) if out[j] is not None), None)
            out[k] = nxt if nxt is not None else prev
    return out
