"""The engine interface: an utterance (spoken-form words, a language, a speed) in, float audio with
per-word sample spans out.

An engine never sees the client's raw text: ``voicewire.text`` has already turned it into spoken-form
words (no digits, no symbols; sentence punctuation attached), so every engine reads numbers, dates
and abbreviations the same way. An engine knows nothing of any wire protocol (Waves, OpenAI,
Wyoming): it has voices, languages and audio. It is called from worker threads, never from the
event loop, and must be safe to call from several threads at once.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

__all__ = ["Engine", "EngineAudio", "Samples", "UnitStream", "Utterance", "VoiceInfo"]

Samples = npt.NDArray[np.float32]


@dataclass(frozen=True, kw_only=True)
class VoiceInfo:
    """One voice of an engine, as the catalogs show it."""

    voice_id: str
    engine: str
    display_name: str
    languages: tuple[str, ...]
    """BCP 47 tags of what the voice speaks, its own language first (``("en-US",)``)."""
    sample_rate: int
    """Rate of the audio this voice is synthesized at."""
    accent: str = ""
    gender: str = ""
    age: str = ""
    description: str = ""
    installed: bool = True
    """False for a voice the catalog knows but whose files are not on this machine."""

    @property
    def language(self) -> str:
        """The voice's own language (BCP 47)."""
        return self.languages[0]


@dataclass(frozen=True, kw_only=True)
class Utterance:
    """What one engine call speaks.

    ``phonemes`` is empty, or holds one entry per word: None to read the word, or IPA to say
    instead of it (a pronunciation dictionary or markup chose it). Engines that cannot take
    phonemes read the word.

    The IPA is as a person writes it, without slashes: stress before the syllable, length marks,
    ``g`` or ``ɡ``, tie bars, possibly several words separated by spaces. The word itself still
    carries the sentence mark that follows it (``"Qzvkt,"``): say the mark after the phonemes. An
    engine converts the IPA to its own symbols (``voicewire.engines.ipa``: ``to_misaki`` for
    misaki-based models such as hibari and Kokoro, ``to_espeak`` for Piper voices) and still gives
    one span per word.
    """

    words: tuple[str, ...]
    """Spoken-form words, sentence punctuation attached."""
    language: str = "en-US"
    """BCP 47 tag of the words."""
    speed: float = 1.0
    """0.5-2.0, through the model's own duration control (never time-stretching)."""
    phonemes: tuple[str | None, ...] = ()

    @classmethod
    def of(cls, words: Sequence[str], *, language: str = "en-US", speed: float = 1.0) -> Utterance:
        return cls(words=tuple(words), language=language, speed=speed)


@dataclass(frozen=True, kw_only=True)
class EngineAudio:
    """What an engine made of one unit.

    ``word_spans[i]`` is the ``[start, end)`` sample range of input word ``i``, from the model's own
    durations. ``lead`` and ``tail`` are the samples the model spends on its start and end pads:
    silence by construction, which the renderer trims.
    """

    samples: Samples
    sample_rate: int
    word_spans: tuple[tuple[int, int], ...]
    lead: int = 0
    tail: int = 0
    phonemes: str = field(default="", repr=False)


@dataclass(frozen=True, kw_only=True)
class UnitStream:
    """One unit's audio still being made: all of ``EngineAudio`` but the samples, then the samples in
    blocks.

    Each of ``blocks`` is one blocking model call that makes one block (run it on a worker thread).
    They are independent: several may run at once, on several workers, in any order (onnxruntime
    sessions are safe to call from several threads), so a listener can be given the second block
    as soon as the first. In order, the blocks concatenate into ``length`` samples, which equal the
    unit's ``EngineAudio.samples``. The first block is small, so a listener can hear the unit before
    the rest of it is made.
    """

    sample_rate: int
    word_spans: tuple[tuple[int, int], ...]
    length: int
    """Samples in all the blocks together."""
    blocks: Sequence[Callable[[], Samples]] = field(repr=False)
    lead: int = 0
    tail: int = 0
    phonemes: str = field(default="", repr=False)

    @classmethod
    def whole(cls, audio: EngineAudio) -> UnitStream:
        """``audio`` as a stream of one block."""
        return cls(
            sample_rate=audio.sample_rate,
            word_spans=audio.word_spans,
            length=len(audio.samples),
            blocks=(lambda: audio.samples,),
            lead=audio.lead,
            tail=audio.tail,
            phonemes=audio.phonemes,
        )

    def collect(self) -> EngineAudio:
        """The rest of the blocks, made now, as one ``EngineAudio`` (for a stream not yet started)."""
        samples = np.concatenate([np.zeros(0, np.float32), *(make() for make in self.blocks)])
        samples = samples.astype(np.float32, copy=False)
        return EngineAudio(
            samples=samples,
            sample_rate=self.sample_rate,
            word_spans=self.word_spans,
            lead=self.lead,
            tail=self.tail,
            phonemes=self.phonemes,
        )


class Engine(ABC):
    """A family of voices that share one implementation (``hibari``, ``piper``).

    Implementations load lazily: constructing one is cheap; ``load(voice)`` does the work.
    """

    name: str
    sample_rate: int

    @abstractmethod
    def voices(self) -> Sequence[VoiceInfo]:
        """Every voice this engine knows, installed or not."""
        raise NotImplementedError("The 'voices' method must be implemented.")

    @abstractmethod
    def load(self, voice_id: str) -> None:
        """Make ``voice_id`` ready to speak: read weights, build sessions, warm up.

        Blocking and idempotent; call it from a worker thread.

        Raises:
            VoiceNotInstalled: the voice's files are not on this machine.
            UnknownVoice: the engine has no such voice.
        """
        raise NotImplementedError("The 'load' method must be implemented.")

    @abstractmethod
    def synthesize(self, voice_id: str, utterance: Utterance) -> EngineAudio:
        """Speak ``utterance`` (one unit) with ``voice_id``.

        Returns audio at the voice's rate with one span per word of the utterance. Loads the voice
        if needed. Thread-safe; blocking.

        Raises:
            EngineError: the model failed.
            VoiceNotInstalled: the voice's files are not on this machine (nothing is downloaded here).
        """
        raise NotImplementedError("The 'synthesize' method must be implemented.")

    def synthesize_blocks(self, voice_id: str, utterance: Utterance, *, batch: bool = False) -> UnitStream:
        """``synthesize``, for a listener who should hear the start before the end is made.

        This call does the work that fixes the unit's length and word spans; the stream's blocks
        do the rest, one model call each. Collected, the stream equals what ``synthesize`` returns
        (within 1e-5; sampled models such as VITS draw new noise on every call, so compare the two
        at zero noise). The default is one block: all of ``synthesize``, done in this call.

        ``batch``: only the first block is wanted early (nobody plays the rest in real time: a sync
        body), so the engine may make the rest in fewer, larger calls.

        Raises:
            EngineError: the model failed (here, or in the call that makes a block).
        """
        return UnitStream.whole(self.synthesize(voice_id, utterance))

    def close(self) -> None:  # noqa: B027 - optional hook, most engines hold nothing to release
        """Release sessions; the engine may be loaded again afterwards."""

    def rescan(self) -> None:  # noqa: B027 - optional hook, for engines whose voices live in a folder
        """Look at the voices folder again, so ``voices()`` shows voices installed or removed since.

        Called by ``Catalog.refresh`` on a worker thread while other threads synthesize. A removed
        voice that is loaded must keep speaking for the turns that use it (see ``engines.budget``).
        """

    def unload(self, voice_id: str) -> None:  # noqa: B027 - optional hook, for engines that load per voice
        """Drop ``voice_id``'s loaded model, if any; a call using it finishes with it, and the next
        use loads it again. Called by the memory budget (``engines.budget``)."""


def spans_from_durations(
    durations: Sequence[int] | npt.NDArray[np.int64],
    owner: Sequence[int | None],
    n_words: int,
    scale: int,
    *,
    lead_in: Sequence[int | None] | None = None,
    lead_share: float = 1.0,
) -> tuple[tuple[int, int], ...]:
    """Per-word sample spans from per-symbol durations.

    ``owner[k]`` is the input word that symbol ``k`` belongs to (None for pads, pauses and
    punctuation); ``durations[k] * scale`` is the number of samples symbol ``k`` lasts.
    ``lead_in[k]`` names the word that a between-words symbol (a space) leads into: in both models
    the next word already sounds during the space, so the last ``lead_share`` of it counts as the
    start of that word (measured against a word-by-word reference: without it starts are 50-90 ms
    late). A word with no symbol of its own gets an empty span where it would have been.
    """
    lengths = np.asarray(durations, dtype=np.int64) * scale
    ends = np.cumsum(lengths)
    starts = ends - lengths
    first: list[float | None] = [None] * n_words
    last: list[int | None] = [None] * n_words
    for k, word in enumerate(owner):
        if word is None:
            continue
        if first[word] is None:
            first[word] = float(starts[k])
        last[word] = int(ends[k])
    for k, word in enumerate(lead_in or ()):
        if word is not None and first[word] is not None:
            first[word] = min(first[word] or 0.0, float(ends[k]) - lead_share * float(lengths[k]))
    spans: list[tuple[int, int]] = []
    cursor = 0
    for i in range(n_words):
        begin, end = first[i], last[i]
        if begin is None or end is None:
            spans.append((cursor, cursor))
            continue
        a = max(round(begin), cursor)
        spans.append((a, max(a, end)))
        cursor = max(a, end)
    return tuple(spans)
