"""The live WebSocket: a thin shell that runs a dialect session (the Waves live protocol, the SDK's
streaming-tts socket, the v4 turn protocol) on a Starlette WebSocket.

The connection's tasks, flow control and turn lifecycle are ``runtime.connection.TurnConnection``'s
(shared with the Wyoming listener); this module adds the handshake and the frames on the socket. A
slow reader slows synthesis down instead of growing a buffer; nothing is dropped. The sequencer
bounds what one socket may queue (turns, characters not yet spoken): past it, a new turn is refused
with an ``error`` frame.

Limits: the connection holds one of its key's socket slots (five per unit) while it is open; a turn
holds a synthesis unit from its first synthesis until its last frame goes out, and its key is
checked again when it starts (a revoked key gets an ``error`` frame, then a 4401 close). A turn
refused for limits gets one ``error`` frame; the socket stays open.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any, Protocol

from starlette.websockets import WebSocket, WebSocketDisconnect

from voicewire import metrics
from voicewire.auth.keys import ApiKey
from voicewire.dialects.waves.live import MAX_FRAME_BYTES, WavesLiveSession
from voicewire.dialects.waves.request import retired_route
from voicewire.dialects.waves.streaming import StreamingTtsSession
from voicewire.dialects.waves.v4 import LightningV4Session
from voicewire.exceptions import InvalidField, ModelRetired, NotFound
from voicewire.protocol.sequencer import Turn, TurnSequencer
from voicewire.protocol.turn import TurnOptions
from voicewire.runtime.connection import MAX_UNSENT, Closed, TurnConnection
from voicewire.runtime.runtime import Runtime
from voicewire.server.auth import authenticate, offered_subprotocol
from voicewire.server.common import runtime_of
from voicewire.server.errors import error_response

__all__ = [
    "LiveSession",
    "lightning_v4_socket",
    "live_socket",
    "serve_socket",
    "streaming_tts_socket",
    "unknown_socket",
]

logger = logging.getLogger("voicewire.server")



class LiveSession(Protocol):
    """What the adapter needs of a dialect's session (``WavesLiveSession`` is one)."""

    sequencer: TurnSequencer
    close: tuple[int, str] | None

    def receive_text(self, data: str, now: float) -> None: ...

    def receive_binary(self, data: bytes, now: float) -> None: ...

    def receive_oversized(self, size: int, now: float) -> None: ...

    def outgoing(self) -> list[str | bytes]: ...


async def live_socket(websocket: WebSocket) -> None:
    """``/waves/v1/tts/live`` and the legacy per-model URL: the Waves live protocol."""
    await _waves_socket(websocket, WavesLiveSession)


async def streaming_tts_socket(websocket: WebSocket) -> None:
    """``/waves/v1/streaming-tts/stream``: the SDK's older streaming socket (``is_streaming``/``is_final``)."""
    await _waves_socket(websocket, StreamingTtsSession)


async def lightning_v4_socket(websocket: WebSocket) -> None:
    """``/waves/v1/lightning-v4/live``: the v4 turn protocol (one voice per socket, from the query)."""
    runtime = runtime_of(websocket)

    def session(timeout: float) -> LiveSession:
        def check_voice(options: TurnOptions) -> None:
            runtime.catalog.resolve(options.voice_id).language(options.language)

        return LightningV4Session(websocket.query_params, now=time.monotonic(), idle_timeout=timeout,
                                  max_turn_chars=runtime.settings.max_text_chars, check_voice=check_voice)  # fmt: skip

    await serve_socket(websocket, runtime, session, endpoint="websocket v4")


async def _waves_socket(websocket: WebSocket, kind: type[WavesLiveSession]) -> None:
    runtime = runtime_of(websocket)

    def session(timeout: float) -> LiveSession:
        def check_voice(options: TurnOptions) -> None:
            runtime.catalog.resolve(options.voice_id).language(options.language)

        return kind(now=time.monotonic(), idle_timeout=timeout, max_turn_chars=runtime.settings.max_text_chars,
                    check_voice=check_voice)  # fmt: skip

    await serve_socket(websocket, runtime, session, endpoint="websocket")


async def serve_socket(
    websocket: WebSocket, runtime: Runtime, make_session: Callable[[float], LiveSession], *, endpoint: str
) -> None:
    """Run a dialect session on ``websocket``: handshake (key, socket slot), then the four tasks."""
    try:
        key = await authenticate(runtime, websocket)
        timeout = _timeout(websocket, runtime.settings.idle_timeout)
        slot = runtime.admission.connection(key)
        await slot.__aenter__()
    except Exception as exc:
        # Refused before accepting: the client sees an HTTP status (401 bad key, 429 too many sockets).
        response = error_response(exc)
        metrics.REQUESTS.labels("websocket", str(response.status_code)).inc()
        await websocket.send_denial_response(response)
        return
    metrics.REQUESTS.labels("websocket", "101").inc()
    metrics.ACTIVE.labels("websocket", "-").inc()
    connection: _Connection | None = None
    try:
        await websocket.accept(subprotocol=offered_subprotocol(websocket.headers))
        connection = _Connection(runtime, websocket, make_session(timeout), key, endpoint)
        runtime.connections.add(connection)
        await connection.run()
    finally:
        if connection is not None:
            runtime.connections.discard(connection)
            await connection.release_all()
        await slot.__aexit__(None, None, None)
        metrics.ACTIVE.labels("websocket", "-").dec()


async def unknown_socket(websocket: WebSocket) -> None:
    """A WebSocket handshake on a path with no socket: refused with the JSON 404 (or, for a retired
    model's route, 410) that an HTTP request there gets."""
    retired = retired_route(websocket.url.path)
    error = ModelRetired(*retired) if retired else NotFound(f"No WebSocket endpoint at {websocket.url.path}.")
    response = error_response(error)
    metrics.REQUESTS.labels("websocket", str(response.status_code)).inc()
    await websocket.send_denial_response(response)


def _timeout(websocket: WebSocket, default: float) -> float:
    raw = websocket.query_params.get("timeout")
    if raw is None:
        return default
    if not raw.isdigit() or int(raw) < 1:
        raise InvalidField("timeout", raw, "a positive integer number of seconds (query parameter)")
    return float(int(raw))


class _Connection(TurnConnection[str | bytes]):
    """A live WebSocket's turns (``runtime.connection``) over Starlette's WebSocket."""

    kind = "websocket"
    gone = (Closed, OSError, WebSocketDisconnect)

    def __init__(
        self, runtime: Runtime, websocket: WebSocket, session: LiveSession, key: ApiKey, endpoint: str
    ) -> None:
        super().__init__(runtime, session.sequencer, key, endpoint=endpoint, dict_owner=key.key_id)
        self.websocket = websocket
        self.session = session

    def _outgoing(self) -> list[tuple[str | bytes, int]]:
        return [(frame, len(frame)) for frame in self.session.outgoing()]

    def _session_close(self) -> tuple[int, str] | None:
        return self.session.close

    def _turn_log(self, turn: Turn) -> dict[str, Any]:
        return {"event": "turn", "kind": "turn", "request_id": turn.meta.get("request_id"),
                "session_id": getattr(self.session, "session_id", None), "model": turn.meta.get("model"),
                "voice": turn.options.voice_id}  # fmt: skip

    async def _read(self) -> None:
        while True:
            while self.unsent >= MAX_UNSENT:  # the client is not reading: stop reading it too
                await self._wait()
            message = await self.websocket.receive()
            now = time.monotonic()
            if message["type"] == "websocket.disconnect":
                raise Closed
            text: str | None = message.get("text")
            data: bytes | None = message.get("bytes")
            if text is not None:
                if len(text) > MAX_FRAME_BYTES:
                    self.session.receive_oversized(len(text.encode("utf-8", "surrogatepass")), now)
                else:
                    self.session.receive_text(text, now)
            elif data is not None:
                self.session.receive_binary(data, now)
            self._pump()

    async def _send(self, frame: str | bytes) -> None:
        if isinstance(frame, bytes):
            await self.websocket.send_bytes(frame)
        else:
            await self.websocket.send_text(frame)

    async def _close(self, why: tuple[int, str]) -> None:
        await self.websocket.close(*why)
