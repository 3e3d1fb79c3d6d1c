"""Reading one Wyoming event from a socket, bounded; the checks are ``voicewire.dialects.wyoming.framing``.

The ``wyoming`` package's ``async_read_event`` reads any length a header announces and turns a
malformed header into the end of the stream; this reads at most the listener's limits and says what
went wrong, so the client gets an ``error`` event. Writing uses the package's ``async_write_event``.
"""

from __future__ import annotations

import asyncio

from wyoming.event import Event

from voicewire.dialects.wyoming.framing import FrameLimits, complete, parse_header, skippable, too_large
from voicewire.exceptions import MalformedMessage, VoicewireError

__all__ = ["FrameError", "read_event"]

_SKIP_CHUNK = 1 << 16


class FrameError(Exception):
    """An event that could not be read: answer ``error``; ``fatal``: then close the connection."""

    def __init__(self, error: VoicewireError, *, fatal: bool) -> None:
        super().__init__(error.message)
        self.error = error
        self.fatal = fatal


async def read_event(reader: asyncio.StreamReader, limits: FrameLimits) -> Event | None:
    """The next event, or None when the client closed the connection (between events, or inside one).

    ``reader``'s buffer limit must be ``limits.header_bytes`` (``asyncio.start_server(limit=...)``).

    Raises:
        FrameError: a malformed or oversized event (see ``framing``).
    """
    while True:
        try:
            line = await reader.readuntil(b"\n")
        except asyncio.IncompleteReadError as exc:
            if not exc.partial.strip():
                return None
            raise FrameError(MalformedMessage("The connection ended inside a header line."), fatal=True) from None
        except asyncio.LimitOverrunError:
            error = MalformedMessage(f"Header line longer than {limits.header_bytes} bytes; this is not Wyoming.")
            raise FrameError(error, fatal=True) from None
        if line.strip():
            break  # blank lines between events are tolerated
    try:
        header = parse_header(line)
    except MalformedMessage as exc:
        raise FrameError(exc, fatal=True) from None
    refusal = too_large(header, limits)
    if refusal is not None:
        if not skippable(header, limits):
            raise FrameError(refusal, fatal=True)
        left = header.data_length + header.payload_length
        while left:
            got = await reader.read(min(left, _SKIP_CHUNK))
            if not got:
                return None
            left -= len(got)
        raise FrameError(refusal, fatal=False)
    try:
        data = await reader.readexactly(header.data_length) if header.data_length else b""
        payload = await reader.readexactly(header.payload_length) if header.payload_length else b""
    except asyncio.IncompleteReadError:
        return None
    try:
        return complete(header, data, payload)
    except MalformedMessage as exc:
        raise FrameError(exc, fatal=False) from None
