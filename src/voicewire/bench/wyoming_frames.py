"""The Wyoming protocol's framing without I/O: encode an event, read events from bytes as they arrive.

An event on the wire is one line of JSON ending in a newline::

    {"type": "audio-chunk", "version": "1.5.3", "data_length": 52, "payload_length": 2048}

followed by ``data_length`` bytes of JSON (an object, merged into the line's own ``data`` if it has
one) and then ``payload_length`` bytes of payload (PCM for ``audio-chunk``). Both lengths are
optional. This is what the ``wyoming`` package's ``async_read_event`` / ``async_write_event`` do;
unlike ``async_read_event``, a malformed frame raises instead of reading as the end of the stream.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

__all__ = ["WyomingEvent", "WyomingReader", "encode_event"]

VERSION = "1.5.3"
"""The protocol version our events carry (servers read it but do not check it)."""

MAX_HEADER = 1 << 16
"""A header line longer than this is not Wyoming (the real ones are under 200 bytes)."""


@dataclass(frozen=True)
class WyomingEvent:
    """One event: its type, its data (the header's and the data segment's, merged) and its payload."""

    type: str
    data: dict[str, Any] = field(default_factory=dict)
    payload: bytes = b""


def encode_event(event: WyomingEvent) -> bytes:
    """The bytes of ``event`` on the wire, data in a data segment as the ``wyoming`` package writes it."""
    header: dict[str, Any] = {"type": event.type, "version": VERSION}
    data = json.dumps(event.data, ensure_ascii=False).encode() if event.data else b""
    if data:
        header["data_length"] = len(data)
    if event.payload:
        header["payload_length"] = len(event.payload)
    return json.dumps(header, ensure_ascii=False).encode() + b"\n" + data + event.payload


class WyomingReader:
    """Reads events from a byte stream fed in pieces of any size.

    Feed bytes with :meth:`receive_data`, then take the complete events with :meth:`events_received`;
    a partial event stays buffered until the rest arrives.
    """

    def __init__(self) -> None:
        self._buffer = bytearray()
        self._header: dict[str, Any] | None = None
        self._events: list[WyomingEvent] = []

    def receive_data(self, data: bytes) -> None:
        """Add bytes from the stream.

        After calling this method, call :meth:`events_received` for the events it completed.

        Raises:
            ValueError: a header line is not a JSON object with a string ``type``, a length is not a
                non-negative integer, the data segment is not a JSON object, or a header line is
                longer than :data:`MAX_HEADER` bytes.
        """
        self._buffer += data
        while self._parse_one():
            pass

    def events_received(self) -> list[WyomingEvent]:
        """The events completed since the last call, in order."""
        events, self._events = self._events, []
        return events

    @property
    def at_boundary(self) -> bool:
        """True when every byte received belongs to a complete event (a stream may end here)."""
        return self._header is None and not self._buffer

    def _parse_one(self) -> bool:
        if self._header is None:
            end = self._buffer.find(b"\n")
            if end < 0:
                if len(self._buffer) > MAX_HEADER:
                    start = bytes(self._buffer[:80])
                    raise ValueError(f"Wyoming header line longer than {MAX_HEADER} bytes: {start!r}")
                return False
            line = bytes(self._buffer[:end])
            del self._buffer[: end + 1]
            self._header = _header(line)
        data_length, payload_length = self._header["data_length"], self._header["payload_length"]
        if len(self._buffer) < data_length + payload_length:
            return False
        data = dict(self._header.get("data") or {})
        if data_length:
            extra = _json(bytes(self._buffer[:data_length]), "data segment")
            if not isinstance(extra, dict):
                raise ValueError(f"Wyoming data segment is not a JSON object: {extra!r}")
            data.update(extra)
        payload = bytes(self._buffer[data_length : data_length + payload_length])
        del self._buffer[: data_length + payload_length]
        self._events.append(WyomingEvent(self._header["type"], data, payload))
        self._header = None
        return True


def _json(raw: bytes, what: str) -> Any:
    try:
        return json.loads(raw)
    except ValueError:
        raise ValueError(f"Wyoming {what} is not JSON: {raw[:80]!r}") from None


def _header(line: bytes) -> dict[str, Any]:
    header = _json(line, "header line")
    if not isinstance(header, dict) or not isinstance(header.get("type"), str):
        raise ValueError(f"Wyoming header line has no string 'type': {line[:80]!r}")
    if not isinstance(header.get("data") or {}, dict):
        raise ValueError(f"Wyoming header's 'data' is not an object: {header['data']!r}")
    return {**header, "data_length": _length(header, "data_length"),
            "payload_length": _length(header, "payload_length")}  # fmt: skip


def _length(header: dict[str, Any], name: str) -> int:
    value = header.get(name) or 0
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise ValueError(f"Wyoming header has {name} {value!r}; expected a non-negative integer.")
    return value
