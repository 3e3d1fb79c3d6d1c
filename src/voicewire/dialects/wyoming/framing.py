"""Wyoming framing, checked and bounded, without I/O: what the listener does with each part it reads.

An event on the wire is a JSON header line ending in ``\\n`` (``{"type", "data"?, "data_length"?,
"payload_length"?, "version"?}``), then ``data_length`` bytes of JSON merged into the header's
``data``, then ``payload_length`` bytes of payload. The ``wyoming`` package reads the same way but
reads a malformed header as the end of the stream and any announced length in full; here:

- the header line is at most ``FrameLimits.header_bytes``; a line that is not a JSON object with a
  string ``type`` and well-formed lengths is ``MalformedMessage``: the listener answers ``error``
  and closes that connection, as nothing after it can be trusted to be where it says;
- data over ``FrameLimits.data_bytes`` or a payload over ``payload_bytes`` is ``FrameTooLarge``: the
  listener reads the bytes past without keeping them, answers ``error`` and goes on (the framing is
  intact) unless the event announces more than ``skip_bytes`` in all, which closes the connection;
- a data segment that is not a JSON object is ``MalformedMessage`` for that event only.

The listener reads the line, calls ``parse_header``, then ``too_large``; reads (or skips) the data
and payload; then ``complete`` gives the event.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from wyoming.event import Event

from voicewire.exceptions import FrameTooLarge, MalformedMessage

__all__ = ["FrameLimits", "Header", "complete", "parse_header", "skippable", "too_large"]


@dataclass(frozen=True, kw_only=True)
class FrameLimits:
    """How much of one event the listener reads."""

    header_bytes: int = 1 << 16
    """Longest header line (real ones are under 200 bytes; ``data`` may be inline, text and all)."""
    data_bytes: int = 1 << 16
    """Largest data segment kept and parsed."""
    payload_bytes: int = 1 << 20
    """Largest payload read (a TTS server is sent none; ``audio-chunk`` payloads are ignored)."""
    skip_bytes: int = 64 << 20
    """Most an oversized event may announce and still be skipped (beyond it the connection closes)."""

    @classmethod
    def for_text(cls, max_text_chars: int) -> FrameLimits:
        """Room for a text of ``max_text_chars`` characters as JSON, escaped (``\\uXXXX``: 6 bytes
        per character, 12 for a surrogate pair), so a text over the limit is read and refused as
        ``text_too_long`` instead of being cut off by the framing."""
        room = 12 * max_text_chars + (1 << 14)
        return cls(header_bytes=max(1 << 16, room), data_bytes=max(1 << 16, room))


@dataclass(frozen=True)
class Header:
    """A parsed header line: what to read next, and the data it carried inline."""

    type: str
    data: dict[str, Any]
    data_length: int
    payload_length: int


def parse_header(line: bytes) -> Header:
    """The header of the next event (``line`` without or with its ``\\n``).

    Raises:
        MalformedMessage: not UTF-8 JSON, not an object, no string ``type``, inline ``data`` that is
            not an object, or a length that is not a whole number of bytes.
    """
    try:
        header = json.loads(line)
    except (ValueError, RecursionError):
        raise MalformedMessage(
            f"Header line {_show(line)} is not JSON; each Wyoming event starts with one JSON object on a line."
        ) from None
    if not isinstance(header, dict):
        raise MalformedMessage(f"Header line {_show(line)} is not a JSON object with a 'type'.")
    kind = header.get("type")
    if not isinstance(kind, str) or not kind:
        raise MalformedMessage(f'Header line {_show(line)} has no \'type\' string (e.g. "describe", "synthesize").')
    data = header.get("data")
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise MalformedMessage(f"Header of {kind!r} has 'data' {_show(data)}; it must be a JSON object.")
    return Header(kind, data, _length(header, "data_length"), _length(header, "payload_length"))


def too_large(header: Header, limits: FrameLimits) -> FrameTooLarge | None:
    """The refusal of an event whose data or payload is over the limits (None: read it)."""
    if header.data_length > limits.data_bytes:
        return FrameTooLarge(
            f"Event {header.type!r} announces {header.data_length} bytes of data; the limit is {limits.data_bytes} "
            "bytes (a 'synthesize' text is limited by its characters: split a longer text into several events)."
        )
    if header.payload_length > limits.payload_bytes:
        return FrameTooLarge(
            f"Event {header.type!r} announces a payload of {header.payload_length} bytes; the limit is "
            f"{limits.payload_bytes} bytes."
        )
    return None


def skippable(header: Header, limits: FrameLimits) -> bool:
    """True if an oversized event is small enough to read past (else the connection closes)."""
    return header.data_length + header.payload_length <= limits.skip_bytes


def complete(header: Header, data: bytes, payload: bytes) -> Event:
    """The event, its data segment merged into the header's ``data`` (as the ``wyoming`` package does).

    Raises:
        MalformedMessage: the data segment is not a JSON object (the next event is still readable).
    """
    merged = dict(header.data)
    if data:
        try:
            extra = json.loads(data)
        except (ValueError, RecursionError):
            raise MalformedMessage(f"Data of event {header.type!r} is not JSON: {_show(data)}.") from None
        if not isinstance(extra, dict):
            raise MalformedMessage(f"Data of event {header.type!r} is {_show(extra)}; it must be a JSON object.")
        merged.update(extra)
    return Event(type=header.type, data=merged, payload=payload or None)


def _length(header: dict[str, Any], name: str) -> int:
    value = header.get(name)
    if value is None:
        return 0
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise MalformedMessage(
            f"Header field {name!r} has value {_show(value)}; allowed: a whole number of bytes (0 or more)."
        )
    return value


def _show(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."
