"""hibari: a 7.9 MB Kokoro-distilled English model at 24 kHz.

We use hibari's pieces (G2P, vocabulary, DSP, voice registry and downloader) but run the ONNX graph
ourselves, with one extra graph output: the per-phoneme duration tensor that feeds the length
regulator. The audio stays bit-identical; the durations give exact word spans and the length of the
start and end pads (14 units = 350 ms of leading silence on every call).

Words with phonemes (``Utterance.phonemes``: IPA from a pronunciation dictionary or markup) are given
to hibari's G2P as its own ``[word](/phonemes/)`` links, in misaki's symbols (``engines.ipa``), so the
rest of the unit is read in context as always.

Voice ``heart`` ships in the wheel. The others are separate files: an installed one lies in
voicewire's voices folder (``<home>/voices/hibari``) or in hibari's own cache (``HIBARI_HOME``). Nothing
is downloaded here: a voice whose file is missing is refused at once (``VoiceNotInstalled``), since a
download on a synthesis worker would stall every stream behind it.

The voices are those of hibari's registry (``hibari.voices.VOICES``) plus any installed from a
mirror's registry (``voicewire voices install``): each of those has a ``<name>.voice.json`` beside
its model file in the voices folder, holding its registry entry. ``rescan`` looks at the folder again.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from voicewire.engines.base import Engine, EngineAudio, Utterance, VoiceInfo, spans_from_durations
from voicewire.engines.budget import VoiceBudget
from voicewire.engines.ipa import to_misaki
from voicewire.engines.onnx import session_options
from voicewire.exceptions import EngineError, UnknownVoice, VoiceNotInstalled, VoicewireError

__all__ = ["REGISTRY_FIELDS", "SIDECAR_SUFFIX", "HibariEngine", "english_g2p", "registry"]

SAMPLE_RATE = 24_000
SAMPLES_PER_UNIT = 600  # one duration unit = 2 frames of 300 samples
DURATION_TENSOR = "/Cast_32_output_0"
MAX_PHONEMES = 400  # hibari's own limit per model call; longer units are split at a word
PAUSE_SYMBOLS = frozenset(';:,.!?—…"“”() ')
GAIN = 1.4  # heart speaks at about -25 dBFS RMS (peaks ~0.35); this brings it near Piper's -22.5 dBFS
SIDECAR_SUFFIX = ".voice.json"
REGISTRY_FIELDS = ("kokoro", "language", "accent", "gender", "file", "bytes", "sha256")
"""What a registry entry must hold (hibari's ``assets/voices.json``; ``british`` is optional)."""


def registry(voices_dir: Path | None) -> dict[str, dict[str, Any]]:
    """hibari's own registry plus the entries of the voices installed from another registry
    (``<voices_dir>/<name>.voice.json``). A sidecar that cannot be read, or that names a voice of
    hibari's own registry, is ignored."""
    from hibari.voices import VOICES

    entries: dict[str, dict[str, Any]] = dict(VOICES)
    if voices_dir is None or not voices_dir.is_dir():
        return entries
    for path in sorted(voices_dir.glob("*" + SIDECAR_SUFFIX)):
        name = path.name[: -len(SIDECAR_SUFFIX)]
        try:
            entry = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if name in VOICES or not isinstance(entry, dict) or any(f not in entry for f in REGISTRY_FIELDS):
            continue
        if os.path.basename(str(entry["file"])) != str(entry["file"]) or str(entry["file"]).startswith("."):
            continue  # a file name, never a path
        entries[name] = {**entry, "bundled": False}
    return entries


_G2P: dict[bool, Any] = {}
_G2P_LOCK = threading.Lock()


def english_g2p(british: bool) -> Any:
    """hibari's English G2P (the misaki lexicon, ~117 MB), one per process and accent: hibari and
    Kokoro's English voices share it."""
    with _G2P_LOCK:
        g2p = _G2P.get(british)
        if g2p is None:
            from hibari.g2p import G2P

            g2p = G2P(british=british)
            _ = g2p.oov  # the OOV net loads lazily; load it now, not inside a request
            _G2P[british] = g2p
    return g2p


@dataclass(frozen=True)
class _Phonemes:
    ids: list[int]
    owner: list[int | None]
    lead_in: list[int | None]
    text: str


@dataclass(frozen=True)
class _Loaded:
    session: Any  # onnxruntime.InferenceSession with the duration output
    g2p: Any  # hibari.g2p.G2P


class HibariEngine(Engine):
    name = "hibari"
    sample_rate = SAMPLE_RATE

    def __init__(self, *, threads: int = 1, voices_dir: Path | None = None, budget: VoiceBudget | None = None) -> None:
        """``budget``: shared with the other engines of the process (default: one of its own, no limit)."""
        self._threads = threads
        self._voices_dir = voices_dir
        self._budget = budget if budget is not None else VoiceBudget()
        self._registry: dict[str, dict[str, Any]] = registry(voices_dir)
        self._loaded: dict[str, _Loaded] = {}
        self._lock = threading.Lock()
        self._vocab: dict[str, int] | None = None

    # -- catalog ---------------------------------------------------------------------------
    def voices(self) -> Sequence[VoiceInfo]:
        return [self._info(name, entry) for name, entry in self._registry.items()]

    def rescan(self) -> None:
        """Registry entries installed or removed since (``voices()`` checks the files on each call).
        A loaded voice whose file or entry is gone keeps speaking until the budget lets it go."""
        self._registry = registry(self._voices_dir)
        for voice_id in list(self._loaded):
            entry = self._registry.get(voice_id)
            if entry is None or self._installed_path(entry) is None:
                self._budget.retire(self, voice_id)

    def _info(self, name: str, entry: dict[str, Any]) -> VoiceInfo:
        return VoiceInfo(
            voice_id=name,
            engine=self.name,
            display_name=name.capitalize(),
            languages=(str(entry["language"]),),
            sample_rate=SAMPLE_RATE,
            accent=str(entry["accent"]).lower(),
            gender=str(entry["gender"]),
            age="young",
            description=f"hibari voice distilled from Kokoro {entry['kokoro']}",
            installed=self._installed_path(entry) is not None,
        )

    def _installed_path(self, entry: dict[str, Any]) -> str | None:
        """The voice's model file on this machine, or None: bundled, voicewire's folder, hibari's cache."""
        from hibari.voices import ASSETS, cache_dir

        if entry.get("bundled"):
            return os.path.join(ASSETS, str(entry["file"]))
        places = [os.path.join(cache_dir(), str(entry["file"]))]
        if self._voices_dir is not None:
            places.insert(0, str(self._voices_dir / str(entry["file"])))
        return next((p for p in places if os.path.isfile(p)), None)

    # -- loading ---------------------------------------------------------------------------
    def load(self, voice_id: str) -> None:
        self._voice(voice_id)

    def _voice(self, voice_id: str) -> _Loaded:
        loaded = self._loaded.get(voice_id)
        if loaded is not None:
            self._budget.used(self, voice_id)
            return loaded
        if voice_id not in self._registry:
            raise UnknownVoice(voice_id, self._registry)
        with self._lock:
            loaded = self._loaded.get(voice_id)
            fresh = loaded is None
            if loaded is None:
                try:
                    loaded = self._load(voice_id)
                except VoicewireError:
                    raise
                except Exception as exc:  # a corrupt model file, an onnxruntime refusal
                    raise EngineError(f"Voice {voice_id!r} ({self.name}) could not be loaded: {exc}") from exc
                self._loaded[voice_id] = loaded
        if fresh:
            self._budget.loaded(self, voice_id)  # outside our lock: it may unload one of our voices
        else:
            self._budget.used(self, voice_id)
        return loaded

    def unload(self, voice_id: str) -> None:
        self._loaded.pop(voice_id, None)

    def _load(self, voice_id: str) -> _Loaded:
        import onnx
        import onnxruntime as ort

        entry = self._registry[voice_id]
        path = self._weights(voice_id, entry)
        model = onnx.load(path)
        if all(out.name != DURATION_TENSOR for out in model.graph.output):
            extra = onnx.ValueInfoProto()
            extra.name = DURATION_TENSOR
            model.graph.output.append(extra)
        session = ort.InferenceSession(
            model.SerializeToString(), session_options(self._threads, arena=True), providers=["CPUExecutionProvider"]
        )
        loaded = _Loaded(session=session, g2p=english_g2p(bool(entry.get("british"))))
        self._run(loaded, ["Warm", "up."], 1.0, ())
        return loaded

    def _weights(self, voice_id: str, entry: dict[str, Any]) -> str:
        path = self._installed_path(entry)
        if path is None:
            raise VoiceNotInstalled(voice_id, f"{entry['bytes'] / 1e6:.1f} MB")
        return path

    # -- synthesis -------------------------------------------------------------------------
    def synthesize(self, voice_id: str, utterance: Utterance) -> EngineAudio:
        loaded = self._voice(voice_id)
        try:
            return self._run(loaded, utterance.words, utterance.speed, utterance.phonemes)
        except (ValueError, RuntimeError, KeyError, IndexError) as exc:
            raise EngineError(f"hibari failed on voice {voice_id!r}: {exc}") from exc

    def _run(
        self, loaded: _Loaded, words: Sequence[str], speed: float, phonemes: Sequence[str | None]
    ) -> EngineAudio:
        ph = self._phonemize(loaded.g2p, words, phonemes)
        ids = ph.ids
        if len(ids) - 2 > MAX_PHONEMES and len(words) > 1:
            return self._run_halves(loaded, words, speed, phonemes)
        if len(ids) < 3:  # nothing but pads: hibari itself returns no audio here
            return EngineAudio(
                samples=np.zeros(0, np.float32),
                sample_rate=SAMPLE_RATE,
                word_spans=tuple((0, 0) for _ in words),
            )
        from hibari import dsp

        out = loaded.session.run(None, {"ids": np.asarray([ids], np.int64), "speed": np.asarray([speed], np.float32)})
        durations = np.asarray(out[6], dtype=np.int64)
        audio = dsp.synth(*(o[0] for o in out[:6]), np.random.default_rng())
        audio = np.clip(audio * GAIN, -1.0, 1.0).astype(np.float32, copy=False)
        return EngineAudio(
            samples=audio,
            sample_rate=SAMPLE_RATE,
            word_spans=spans_from_durations(
                durations, ph.owner, len(words), SAMPLES_PER_UNIT, lead_in=ph.lead_in, lead_share=1.0
            ),
            lead=int(durations[0]) * SAMPLES_PER_UNIT,
            tail=int(durations[-1]) * SAMPLES_PER_UNIT,
            phonemes=ph.text,
        )

    def _run_halves(
        self, loaded: _Loaded, words: Sequence[str], speed: float, phonemes: Sequence[str | None]
    ) -> EngineAudio:
        """A unit too long for one call: two calls joined at a pad, spans shifted to match."""
        cut = _split_point(words)
        first = self._run(loaded, words[:cut], speed, phonemes[:cut])
        second = self._run(loaded, words[cut:], speed, phonemes[cut:])
        head = first.samples[: len(first.samples) - first.tail]
        shift = len(head) - second.lead
        return EngineAudio(
            samples=np.concatenate([head, second.samples[second.lead :]]),
            sample_rate=SAMPLE_RATE,
            word_spans=first.word_spans + tuple((a + shift, b + shift) for a, b in second.word_spans),
            lead=first.lead,
            tail=second.tail,
            phonemes=first.phonemes + " " + second.phonemes,
        )

    def _phonemize(self, g2p: Any, words: Sequence[str], phonemes: Sequence[str | None] = ()) -> _Phonemes:
        """Phoneme ids (with both pads) and, for each id, the input word it belongs to or leads into."""
        vocab = self._vocab_map()
        tokens = g2p.phonemize_tokens(g2p.tokenize(self._g2p_text(words, phonemes)))
        chars: list[tuple[str, int | None, int | None]] = []  # symbol, owner word, word it leads into
        word = 0
        last = len(words) - 1
        for tk in tokens:
            ps = tk.phonemes if tk.phonemes is not None else g2p.unk
            mine = None if all(c in PAUSE_SYMBOLS for c in ps) else min(word, last)
            chars.extend((c, mine, None) for c in ps)
            if tk.whitespace:
                word += 1
                chars.append((" ", None, min(word, last)))
        while chars and chars[-1][0] == " ":
            chars.pop()
        while chars and chars[0][0] == " ":
            chars.pop(0)
        kept = [(vocab[c], w, lead) for c, w, lead in chars if c in vocab]
        return _Phonemes(
            ids=[0, *(i for i, _, _ in kept), 0],
            owner=[None, *(w for _, w, _ in kept), None],
            lead_in=[None, *(lead for _, _, lead in kept), None],
            text="".join(c for c, _, _ in chars),
        )

    def _g2p_text(self, words: Sequence[str], phonemes: Sequence[str | None]) -> str:
        """The words for hibari's G2P; a word with IPA becomes a ``[word](/misaki phonemes/)`` link, its
        sentence mark after the link."""
        if not any(p is not None for p in phonemes):
            return " ".join(words)
        vocab = self._vocab_map()
        parts = []
        for word, ipa in zip(words, phonemes, strict=True):
            ps = None if ipa is None else to_misaki(ipa, vocab)
            if not ps:
                parts.append(word)
                continue
            core = word.rstrip(_MARKS)
            parts.append(f"[{_link_text(core)}](/{ps}/){word[len(core):]}")
        return " ".join(parts)

    def _vocab_map(self) -> dict[str, int]:
        if self._vocab is None:
            from hibari.tts import ASSETS

            with open(os.path.join(ASSETS, "vocab.json"), encoding="utf-8") as f:
                self._vocab = {str(k): int(v) for k, v in json.load(f).items()}
        return self._vocab

    def close(self) -> None:
        with self._lock:
            self._loaded.clear()
        self._budget.forget(self)


_MARKS = ".,;:!?"


def _link_text(word: str) -> str:
    """A word as the text of a G2P link: no brackets or parentheses, never empty."""
    text = "".join(c for c in word if c not in "[]()")
    return text or "word"


def _split_point(words: Sequence[str]) -> int:
    """Middle-most word boundary, preferring one after clause punctuation."""
    middle = len(words) // 2
    candidates = [i + 1 for i, w in enumerate(words[:-1]) if w[-1:] in ",;:.!?"]
    if candidates:
        return min(candidates, key=lambda i: abs(i - middle))
    return max(1, middle)

