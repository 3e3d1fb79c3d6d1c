"""Output formats: names on the wire, aliases, content types, and which sample rates each allows."""

from __future__ import annotations

from collections.abc import Mapping

__all__ = [
    "CONTENT_TYPES",
    "FORMATS",
    "FORMAT_ALIASES",
    "MAX_SAMPLE_RATE",
    "MIN_SAMPLE_RATE",
    "MP3_SAMPLE_RATES",
    "canonical_format",
]

FORMATS = ("pcm", "wav", "mp3", "mulaw", "alaw")
"""Canonical names. ``pcm`` is signed 16-bit little-endian mono, ``mulaw``/``alaw`` are G.711."""

FORMAT_ALIASES: Mapping[str, str] = {"ulaw": "mulaw"}

CONTENT_TYPES: Mapping[str, str] = {
    "pcm": "audio/pcm",
    "wav": "audio/wav",
    "mp3": "audio/mpeg",
    "mulaw": "audio/basic",
    "alaw": "audio/x-alaw-basic",
}

MIN_SAMPLE_RATE = 8000
MAX_SAMPLE_RATE = 44100

MP3_SAMPLE_RATES = (8000, 11025, 12000, 16000, 22050, 24000, 32000, 44100)
"""MPEG-1/2/2.5 rates up to our maximum; LAME cannot encode any other rate."""


def canonical_format(name: str) -> str | None:
    """The canonical name of a format (``ulaw`` -> ``mulaw``), or None when unknown."""
    name = name.strip().lower()
    name = FORMAT_ALIASES.get(name, name)
    return name if name in FORMATS else None
