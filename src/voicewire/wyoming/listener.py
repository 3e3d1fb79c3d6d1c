"""The Wyoming TCP listener: Home Assistant's TTS protocol on the runtime every other listener uses.

``voicewire serve --wyoming tcp://127.0.0.1:10200`` starts one in each server process, beside the
HTTP app, on the same event loop and ``Runtime``: the same catalog (voices and aliases), admission,
synthesis pool, metrics and drain. One ``WyomingConnection`` serves each client.

Wyoming has no keys. The listener admits against its own owner (``Admission.listener_owner``), whose
``wyoming_units`` bound the turns it synthesizes at once (and its open connections, five per unit),
through the same leases, capacity tickets, usage records and access log as any key. The owner's id
names the host and port, so with ``--workers N`` (the processes share the listening socket, as they
share the HTTP one) the units bound the listener as a whole, through the shared store.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import time

from wyoming.error import Error
from wyoming.event import async_write_event

from voicewire import __version__, metrics
from voicewire.auth.keys import ApiKey
from voicewire.config import wyoming_address
from voicewire.dialects.wyoming.framing import FrameLimits
from voicewire.dialects.wyoming.session import ListenerDefaults, WyomingSession
from voicewire.engines.base import VoiceInfo
from voicewire.protocol.turn import TurnOptions
from voicewire.runtime.runtime import Runtime
from voicewire.wyoming.connection import WyomingConnection, listener_error

__all__ = ["WyomingListener", "bind_socket"]

logger = logging.getLogger("voicewire.wyoming")


# A client still sending when the server hangs up (a header line without end) would get a TCP reset on
# close, and a reset discards what the client has not read yet: the ``error`` event explaining why.
# Bounded: at most this long, this much, and a client that goes quiet is closed at once.
_LINGER_S = 2.0
_LINGER_BYTES = 1 << 20
_LINGER_QUIET_S = 0.2


async def _lingering_close(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Half-close, then read and drop what the client still sends (bounded), so the close is clean."""
    with contextlib.suppress(Exception):
        if writer.can_write_eof():
            writer.write_eof()

        async def drop() -> None:
            left = _LINGER_BYTES
            while left > 0 and (got := await asyncio.wait_for(reader.read(min(left, 65536)), _LINGER_QUIET_S)):
                left -= len(got)

        await asyncio.wait_for(drop(), _LINGER_S)


def bind_socket(uri: str) -> socket.socket:
    """A listening TCP socket on ``tcp://HOST:PORT`` (for the supervisor of ``--workers N`` to share).

    Raises:
        ConfigError: ``uri`` is not ``tcp://HOST:PORT``.
        OSError: the address cannot be bound.
    """
    host, port = wyoming_address(uri)
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
        sock.listen(128)
    except OSError:
        sock.close()
        raise
    sock.set_inheritable(True)
    return sock


class WyomingListener:
    """Accepts Wyoming clients on one address until ``close``."""

    def __init__(self, runtime: Runtime, uri: str, *, sock: socket.socket | None = None) -> None:
        """``sock``: an already bound socket to accept on (the supervisor's); else ``uri`` is bound."""
        settings = runtime.settings
        self.runtime = runtime
        self.uri = uri
        self.host, self.port = wyoming_address(uri)
        self._sock = sock
        self.limits = FrameLimits.for_text(settings.max_text_chars)
        self.defaults = ListenerDefaults(voice=settings.wyoming_voice,
                                         pronunciation_dicts=settings.wyoming_pronunciation_dicts)  # fmt: skip
        self.owner: ApiKey | None = None
        self._server: asyncio.Server | None = None
        self._handlers: set[asyncio.Task[None]] = set()

    @property
    def bound_port(self) -> int:
        """The port accepted on (the configured one, or the one the system chose for port 0)."""
        if self._server is None or not self._server.sockets:
            return self.port
        return int(self._server.sockets[0].getsockname()[1])

    async def start(self) -> None:
        """Check the default voice, make the owner, start accepting.

        Raises:
            UnknownVoice, VoiceNotInstalled: ``wyoming_voice`` is not a voice of this server.
            OSError: the address cannot be bound.
        """
        settings = self.runtime.settings
        self.runtime.catalog.resolve(settings.wyoming_voice)  # a wrong default fails the start, not each turn
        key_id = f"wyoming@{socket.gethostname()}:{self.port}"
        self.owner = self.runtime.admission.listener_owner(key_id, "wyoming", settings.wyoming_units)
        if self._sock is not None:
            self._server = await asyncio.start_server(self._accept, sock=self._sock, limit=self.limits.header_bytes)
        else:
            self._server = await asyncio.start_server(self._accept, self.host, self.port,
                                                      limit=self.limits.header_bytes)  # fmt: skip
        logger.info("= Wyoming listener on tcp://%s:%d (%d units)", self.host, self.bound_port, settings.wyoming_units)

    def stop_accepting(self) -> None:
        """New connections are refused from now on; open ones go on (``runtime.drain`` ends them)."""
        if self._server is not None:
            self._server.close()

    async def close(self) -> None:
        """Stop accepting, close what is still open, wait for the handlers."""
        self.stop_accepting()
        for task in list(self._handlers):
            task.cancel()
        for task in list(self._handlers):
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task

    # -- one client -----------------------------------------------------------------------------------
    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._handlers.add(task)
        try:
            await self._serve(reader, writer)
            await _lingering_close(reader, writer)
        except asyncio.CancelledError:
            # The listener is closing (``close``): the connection ends at once. Not raised on: the
            # stream server's done-callback would log a cancelled handler as an error.
            pass
        finally:
            self._handlers.discard(task)
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        assert self.owner is not None
        peer = writer.get_extra_info("peername")
        client = str(peer[0]) if isinstance(peer, tuple) and peer else "?"
        slot = self.runtime.admission.connection(self.owner)
        try:
            await slot.__aenter__()
        except Exception as exc:  # draining, or every connection slot in use: say so, then close
            error = listener_error(exc, self.owner.units)
            metrics.REQUESTS.labels("wyoming connection", error.code).inc()
            with contextlib.suppress(ConnectionError):
                await async_write_event(Error(text=error.message, code=error.code).event(), writer)
            return
        metrics.REQUESTS.labels("wyoming connection", "accepted").inc()
        metrics.ACTIVE.labels("wyoming connection", "-").inc()
        connection: WyomingConnection | None = None
        try:
            settings = self.runtime.settings
            session = WyomingSession(now=time.monotonic(), resolve=self._resolve, voices=self._voices,
                                     version=__version__, defaults=self.defaults, idle_timeout=settings.idle_timeout,
                                     max_text_chars=settings.max_text_chars)  # fmt: skip
            connection = WyomingConnection(self.runtime, reader, writer, session, self.owner, self.limits, client)
            self.runtime.connections.add(connection)
            await connection.run()
        finally:
            if connection is not None:
                self.runtime.connections.discard(connection)
                await connection.release_all()
            await slot.__aexit__(None, None, None)
            metrics.ACTIVE.labels("wyoming connection", "-").dec()

    def _resolve(self, options: TurnOptions) -> VoiceInfo:
        voice = self.runtime.catalog.resolve(options.voice_id)
        voice.language(options.language)
        return voice.info

    def _voices(self) -> list[VoiceInfo]:
        """The catalog's local voices (aliases resolve by name but are not listed twice)."""
        return [info for listed, info in self.runtime.catalog.voices() if listed == info.voice_id]
