"""One Wyoming client connection: a thin shell that runs a ``WyomingSession`` on a TCP stream.

The connection's tasks, flow control and turn lifecycle are ``runtime.connection.TurnConnection``'s,
as on the live WebSocket; this module reads events with the bounded reader (``frames``) and writes
them with the ``wyoming`` package's ``async_write_event``. When the client closes the connection (or
it breaks), every task is cancelled: the unit being synthesized is thrown away, the ones queued
never run, and the turn's unit is given back (access log: ``closed``).
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

from wyoming.event import Event, async_write_event

from voicewire.auth.keys import ApiKey
from voicewire.dialects.wyoming.framing import FrameLimits
from voicewire.dialects.wyoming.session import WyomingSession
from voicewire.errors import public_error
from voicewire.exceptions import LimitExceeded, VoicewireError
from voicewire.protocol.sequencer import Turn
from voicewire.runtime.connection import MAX_UNSENT, Closed, TurnConnection
from voicewire.runtime.runtime import Runtime
from voicewire.wyoming.frames import FrameError, read_event

__all__ = ["ENDPOINT", "WyomingConnection", "listener_error"]

logger = logging.getLogger("voicewire.wyoming")

ENDPOINT = "wyoming"
"""The ``endpoint`` of Wyoming turns in metrics and the access log."""
_SESSION_CLOSE = (1000, "session over")
"""Wyoming has no close codes: any reason closes the stream once what is queued is written."""


def listener_error(exc: BaseException, units: int) -> VoicewireError:
    """The error a Wyoming client sees: the listener's units in the words of its settings, not a key's."""
    error = public_error(exc)
    if type(error) is LimitExceeded:  # a key's "use a key with more units" means nothing here
        return LimitExceeded(
            f"The Wyoming listener's {units} concurrency unit{'s' if units != 1 else ''} are all in use ({units} "
            f"turns at once, {5 * units} open connections). Retry shortly, or raise --wyoming-units "
            "(VOICEWIRE_WYOMING_UNITS).",
            error.retry_after,
        )
    return error


class WyomingConnection(TurnConnection[Event]):
    """A client connection until it closes; ``run`` it once, then ``release_all``.

    Audio is not paced: a Wyoming client reads a response to its end (Home Assistant plays it as
    it comes), so audio goes out as it is made.
    """

    kind = "wyoming"
    paced = False

    def __init__(
        self,
        runtime: Runtime,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        session: WyomingSession,
        owner: ApiKey,
        limits: FrameLimits,
        client: str,
    ) -> None:
        # The listener has no keys: its dictionaries are the ones its settings name, whoever made them.
        super().__init__(runtime, session.sequencer, owner, endpoint=ENDPOINT, dict_owner=None)
        self.reader = reader
        self.writer = writer
        self.session = session
        self.owner = owner
        self.limits = limits
        self.client = client
        self.reading = True

    def _outgoing(self) -> list[tuple[Event, int]]:
        return [(event, len(event.payload or b"") + 256) for event in self.session.outgoing()]

    def _session_close(self) -> tuple[int, str] | None:
        return _SESSION_CLOSE if self.session.close else None

    def _turn_log(self, turn: Turn) -> dict[str, Any]:
        return {"event": "turn", "kind": ENDPOINT, "endpoint": ENDPOINT, "voice": turn.options.voice_id,
                "client": self.client}  # fmt: skip

    def _error(self, exc: BaseException) -> VoicewireError:
        return listener_error(exc, self.owner.units)

    async def _read(self) -> None:
        while self.reading:
            while self.unsent >= MAX_UNSENT:  # the client is not reading: stop reading it too
                await self._wait()
            try:
                event = await read_event(self.reader, self.limits)
            except FrameError as exc:
                self.session.receive_error(exc.error, time.monotonic(), fatal=exc.fatal)
                self.reading = not exc.fatal  # after a broken header nothing more can be read
                self._pump()
                continue
            if event is None:
                raise Closed  # the client left: cancel whatever it asked for
            self.session.receive_event(event, time.monotonic())
            self._pump()

    async def _send(self, frame: Event) -> None:
        await async_write_event(frame, self.writer)

    async def _close(self, why: tuple[int, str]) -> None:
        pass  # the listener closes the stream once run() returns
