"""What a turn asks for, apart from any wire protocol: the request every dialect is translated into.

A turn is one stretch of speech in one voice and one format: a sync request, an SSE stream, a
WebSocket turn, an OpenAI request, a Wyoming ``synthesize``, a CLI run. Dialects (``voicewire.dialects``)
parse their own messages into these; everything below them (admission, the pipeline, engines)
sees only these.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["TurnOptions", "TurnRequest", "WordTiming"]


@dataclass(frozen=True, kw_only=True)
class TurnOptions:
    """How a turn is spoken: fixed when the turn opens, validated by the dialect."""

    voice_id: str
    """As the client named it (an alias or a local voice id)."""
    language: str = "auto"
    """``auto`` or a language code as the client sent it; resolved against the voice when the turn opens."""
    speed: float = 1.0
    """0.5-2.0, through the model's duration control."""
    sample_rate: int = 44100
    output_format: str = "pcm"
    """What the renderer makes: ``pcm`` (s16le), ``wav`` (header once, sizes unknown), ``mp3``,
    ``mulaw``, ``alaw``. A whole-file format (a WAV with exact sizes, FLAC) is assembled by the
    endpoint from ``pcm``."""
    word_timestamps: bool = False
    pronunciation_dicts: tuple[str, ...] = ()
    """Ids of the key's pronunciation dictionaries to apply, in order."""
    markup: str | None = None
    """``None`` (plain text) or ``"ssml"``."""
    number_language: str | None = None
    """Language numbers, money, dates and times are read in (Waves ``number_pronunciation_language``),
    as the client sent it; None: the turn's language. Resolved against the voice like ``language``."""
    math_notation: bool = False
    """Read operators between numbers as words (``5 × 3`` -> five times three)."""


@dataclass(frozen=True, kw_only=True)
class TurnRequest:
    """A whole text to speak at once (everything but the live socket, whose text arrives in pieces)."""

    text: str
    options: TurnOptions


@dataclass(frozen=True, slots=True)
class WordTiming:
    """When a word of the client's text is spoken, in seconds from the start of its turn's audio."""

    index: int
    """Position of the word in the turn, from 0."""
    word: str
    """The word as the client wrote it."""
    start: float
    end: float
