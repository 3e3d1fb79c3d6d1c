"""The requests of ``voicewire bench soak``: one function per kind, each a whole request (or a whole
WebSocket connection), judged by what came back.

A kind returns ``"ok"`` when the server served it as it should and ``"expected"`` when it refused it
as it should (a bad field, a wrong key); anything else raises ``Unexpected``. A 429 or an ``error``
frame with the code ``server_busy`` (admission control at capacity) raises ``Busy``: a correct
answer under load, counted apart. Every kind takes the request's index, which picks its text and
format, so a run is the same every time.
"""

from __future__ import annotations

import base64
import http.client
import json
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import urlsplit

from websockets.exceptions import InvalidStatus
from websockets.sync.client import ClientConnection, connect

from voicewire.bench.mp3frames import FrameCounter

__all__ = ["KINDS", "Busy", "Kind", "Outcome", "Target", "Unexpected"]

Outcome = Literal["ok", "expected"]
TIMEOUT = 60.0
"""Seconds any one read may take before the request counts as unexpected (a hang)."""

SHORT = ("Hello there.", "Your order has shipped.", "See you at seven.", "Thanks for calling!", "It is 9:30 am.")
LONGER = "The birch canoe slid on the smooth planks. Glue the sheet to the dark blue background. It is easy to tell."
"""Three units, so a client that leaves after the first audio leaves mid-turn."""
WORDS = "Hello there, how are you today?"


class Unexpected(Exception):
    """The server answered in a way the contract does not allow."""


class Busy(Exception):
    """The server refused for capacity (``server_busy``)."""


@dataclass(frozen=True)
class Target:
    url: str
    key: str

    @property
    def ws_url(self) -> str:
        parts = urlsplit(self.url)
        return f"{'wss' if parts.scheme == 'https' else 'ws'}://{parts.netloc}/waves/v1/tts/live"


# -- HTTP -------------------------------------------------------------------------------------------


def _connection(target: Target) -> http.client.HTTPConnection:
    parts = urlsplit(target.url)
    cls = http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
    return cls(parts.hostname or "127.0.0.1", parts.port, timeout=TIMEOUT)


def _post(
    conn: http.client.HTTPConnection, target: Target, path: str, body: dict[str, Any], key: str | None = None
) -> http.client.HTTPResponse:
    headers = {"Authorization": f"Bearer {target.key if key is None else key}", "Content-Type": "application/json"}
    conn.request("POST", path, json.dumps(body).encode(), headers)
    return conn.getresponse()


def _require(response: http.client.HTTPResponse, path: str, status: int = 200) -> None:
    if response.status == status:
        return
    text = response.read()[:300].decode("utf-8", "replace")
    if response.status == 429 and "server_busy" in text:
        raise Busy(text)
    raise Unexpected(f"POST {path} answered {response.status} (wanted {status}): {text}")


def _fetch(target: Target, path: str, body: dict[str, Any], status: int = 200, key: str | None = None) -> bytes:
    conn = _connection(target)
    try:
        response = _post(conn, target, path, body, key)
        _require(response, path, status)
        return response.read()
    finally:
        conn.close()


def _check_audio(fmt: str, audio: bytes) -> None:
    if not audio:
        raise Unexpected(f"an empty {fmt} body")
    if fmt == "wav" and (audio[:4] != b"RIFF" or int.from_bytes(audio[4:8], "little") != len(audio) - 8):
        raise Unexpected(f"not a complete WAV file ({len(audio)} bytes, starts {audio[:12]!r})")
    if fmt == "mp3" and FrameCounter().feed(audio) == 0:
        raise Unexpected(f"no MPEG frame in {len(audio)} bytes of mp3")
    if fmt == "pcm" and len(audio) % 2:
        raise Unexpected(f"an odd number of bytes ({len(audio)}) of 16-bit pcm")


def sync(fmt: str, rate: int, voice: str = "heart") -> Callable[[Target, int], Outcome]:
    def run(target: Target, i: int) -> Outcome:
        body = {"text": SHORT[i % len(SHORT)], "voice_id": voice, "output_format": fmt, "sample_rate": rate}
        _check_audio(fmt, _fetch(target, "/waves/v1/tts", body))
        return "ok"

    return run


def openai(target: Target, i: int) -> Outcome:
    fmt = ("mp3", "wav", "pcm")[i % 3]
    body = {"model": "tts-1", "input": SHORT[i % len(SHORT)], "voice": "alloy", "response_format": fmt}
    _check_audio(fmt, _fetch(target, "/v1/audio/speech", body))
    return "ok"


def _events(raw: bytes) -> list[dict[str, Any]]:
    return [json.loads(line[6:]) for line in raw.split(b"\n") if line.startswith(b"data: ")]


def sse(target: Target, i: int) -> Outcome:
    timestamps = i % 2 == 0
    body = {"text": SHORT[i % len(SHORT)], "voice_id": "heart", "sample_rate": 24000, "word_timestamps": timestamps}
    frames = _events(_fetch(target, "/waves/v1/tts/live", body))
    _check_turn(frames, words=timestamps)
    return "ok"


def _check_turn(frames: Sequence[dict[str, Any]], *, words: bool = False) -> None:
    statuses = [f.get("status") for f in frames]
    if not statuses or statuses[-1] != "complete" or "chunk" not in statuses:
        raise Unexpected(f"a turn that did not end with audio and complete: {statuses[-5:]} {frames[-1:]}")
    if words and "word_timestamp" not in statuses:
        raise Unexpected("word_timestamps asked, none sent")


def drop_http(path: str, body: dict[str, Any]) -> Callable[[Target, int], Outcome]:
    """Read the first bytes of a streamed body, then hang up."""

    def run(target: Target, i: int) -> Outcome:
        conn = _connection(target)
        try:
            response = _post(conn, target, path, body)
            _require(response, path)
            if not response.read1(1024):
                raise Unexpected(f"POST {path}: 200 with no body")
        finally:
            conn.close()
        return "ok"

    return run


def bad_field(target: Target, i: int) -> Outcome:
    body = {"text": "Too fast.", "voice_id": "heart", "speed": 9}
    answer = json.loads(_fetch(target, "/waves/v1/tts", body, status=400))
    if answer.get("code") != "invalid_field":
        raise Unexpected(f"a bad speed answered {answer}")
    return "expected"


def bad_key(target: Target, i: int) -> Outcome:
    body = {"text": "Let me in.", "voice_id": "heart"}
    answer = json.loads(_fetch(target, "/waves/v1/tts", body, status=401, key="vw_wrong"))
    if answer.get("code") != "unauthorized":
        raise Unexpected(f"a wrong key answered {answer}")
    return "expected"


# -- WebSocket --------------------------------------------------------------------------------------


_ABORTED = logging.getLogger("voicewire.bench.soak.aborted")
_ABORTED.addHandler(logging.NullHandler())
_ABORTED.propagate = False
"""For sockets the soak drops on purpose: their reader thread may log the broken stream as an error."""


def _ws(target: Target, key: str | None = None, logger: logging.Logger | None = None) -> ClientConnection:
    headers = {"Authorization": f"Bearer {target.key if key is None else key}"}
    return connect(target.ws_url, additional_headers=headers, compression=None, max_size=None,
                   open_timeout=TIMEOUT, logger=logger)  # fmt: skip


def _turn(ws: ClientConnection, messages: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """Send a turn's messages, then read its frames up to ``complete`` or ``error``."""
    for message in messages:
        ws.send(json.dumps(message))
    frames: list[dict[str, Any]] = []
    while True:
        frame = json.loads(ws.recv(timeout=TIMEOUT))
        frames.append(frame)
        if frame.get("status") == "error" and frame.get("code") == "server_busy":
            raise Busy(frame.get("message"))
        if frame.get("status") in ("complete", "error"):
            return frames


def ws_oneshot(voice: str) -> Callable[[Target, int], Outcome]:
    def run(target: Target, i: int) -> Outcome:
        with _ws(target) as ws:
            _check_turn(_turn(ws, [{"text": SHORT[i % len(SHORT)], "voice_id": voice, "sample_rate": 24000}]))
        return "ok"

    return run


def ws_words(target: Target, i: int) -> Outcome:
    settings = {"voice_id": "heart", "sample_rate": 16000, "output_format": "mulaw"}
    messages = [{"text": w + " ", "continue": True, **settings} for w in WORDS.split()]
    with _ws(target) as ws:
        _check_turn(_turn(ws, [*messages, {"text": "", "flush": True}]))
    return "ok"


def ws_two_turns(target: Target, i: int) -> Outcome:
    with _ws(target) as ws:
        _check_turn(_turn(ws, [{"text": SHORT[i % len(SHORT)], "voice_id": "heart", "sample_rate": 24000}]))
        # New voice settings on the same socket: the second turn is mp3 at another rate.
        second = {"text": SHORT[(i + 1) % len(SHORT)], "voice_id": "heart", "output_format": "mp3"}
        _check_turn(_turn(ws, [{**second, "sample_rate": 22050}]))
    return "ok"


def ws_timestamps(target: Target, i: int) -> Outcome:
    with _ws(target) as ws:
        frames = _turn(ws, [{"text": WORDS, "voice_id": "heart", "sample_rate": 24000, "word_timestamps": True}])
    _check_turn(frames, words=True)
    words = [f["data"]["word"] for f in frames if f.get("status") == "word_timestamp"]
    if words != WORDS.split():
        raise Unexpected(f"word timestamps for {words}, wanted {WORDS.split()}")
    return "ok"


def ws_bad_frame(target: Target, i: int) -> Outcome:
    """A frame with a bad field gets an error frame; the socket goes on serving."""
    with _ws(target) as ws:
        frames = _turn(ws, [{"text": "Too fast.", "voice_id": "heart", "speed": 9}])
        if frames[-1].get("code") != "invalid_field":
            raise Unexpected(f"a bad speed answered {frames[-1]}")
        _check_turn(_turn(ws, [{"text": SHORT[i % len(SHORT)], "voice_id": "heart"}]))
    return "expected"


def ws_bad_key(target: Target, i: int) -> Outcome:
    try:
        with _ws(target, key="vw_wrong"):
            pass
    except InvalidStatus as exc:
        if exc.response.status_code == 401:
            return "expected"
        raise Unexpected(f"a wrong key's handshake answered {exc.response.status_code}") from None
    raise Unexpected("a wrong key's handshake was accepted")


def ws_drop(abort: bool) -> Callable[[Target, int], Outcome]:
    """Leave after the first chunk: with a close frame, or (``abort``) by closing the TCP socket."""

    def run(target: Target, i: int) -> Outcome:
        with _ws(target, logger=_ABORTED if abort else None) as ws:
            ws.send(json.dumps({"text": LONGER, "voice_id": "heart", "sample_rate": 24000}))
            while (frame := json.loads(ws.recv(timeout=TIMEOUT))).get("status") != "chunk":
                if frame.get("status") in ("complete", "error"):
                    raise Unexpected(f"a turn ended before its first chunk: {frame}")
            if not base64.b64decode(frame["data"]["audio"]):
                raise Unexpected("an empty chunk")
            if abort:
                ws.close_socket()  # no close frame: the TCP connection just ends
        return "ok"

    return run


_SSE_LONGER = {"text": LONGER, "voice_id": "heart", "sample_rate": 24000}
_SYNC_LONGER = {"text": LONGER, "voice_id": "heart", "sample_rate": 24000, "output_format": "pcm"}


@dataclass(frozen=True)
class Kind:
    name: str
    weight: int
    """Requests of this kind in each round of the mix."""
    run: Callable[[Target, int], Outcome]


KINDS = (
    Kind("sync-pcm", 4, sync("pcm", 24000)),
    Kind("sync-wav", 3, sync("wav", 24000)),
    Kind("sync-mp3", 3, sync("mp3", 44100)),
    Kind("sync-mulaw", 3, sync("mulaw", 8000)),
    Kind("sync-piper", 2, sync("wav", 22050, voice="magnus")),
    Kind("openai", 3, openai),
    Kind("sse", 5, sse),
    Kind("ws-oneshot", 5, ws_oneshot("heart")),
    Kind("ws-piper", 2, ws_oneshot("magnus")),
    Kind("ws-words", 4, ws_words),
    Kind("ws-two-turns", 3, ws_two_turns),
    Kind("ws-timestamps", 3, ws_timestamps),
    Kind("drop-sync", 3, drop_http("/waves/v1/tts", _SYNC_LONGER)),
    Kind("drop-sse", 3, drop_http("/waves/v1/tts/live", _SSE_LONGER)),
    Kind("drop-ws", 2, ws_drop(abort=False)),
    Kind("drop-ws-abort", 2, ws_drop(abort=True)),
    Kind("bad-field", 2, bad_field),
    Kind("bad-key", 2, bad_key),
    Kind("ws-bad-key", 1, ws_bad_key),
    Kind("ws-bad-frame", 1, ws_bad_frame),
)
"""The mix: 56 requests a round, hibari's ``heart`` mostly, Piper's ``magnus`` with short texts."""
