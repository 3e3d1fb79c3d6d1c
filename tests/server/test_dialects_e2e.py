"""The other live dialects and routes, on a real server over real sockets: continuations on the wire
(a cancelled context says nothing more), the SDK's streaming-tts socket, the v4 turn protocol (as
Pipecat's SmallestLightningV4TTSService speaks it: that service is not in a released pipecat, so
this client sends its frames), retired models' routes and unknown WebSocket paths, and the fields
old clients still send."""

from __future__ import annotations

import base64
import json
import time
import uuid
from typing import Any

import httpx
import pytest
import websockets
from smallestai import SmallestAI
from smallestai.environment import SmallestAIEnvironment
from smallestai.waves.streaming_tts.types import StreamTtsRequestMessage
from websockets.sync.client import ClientConnection, connect

from support.server import RunningServer

LIVE = "/waves/v1/tts/live"
V4 = "/waves/v1/lightning-v4/live"
LONG = "The birch canoe slid on the smooth planks, and the crowd on the shore cheered loudly. " * 5  # < 500


def open_socket(server: RunningServer, path: str = LIVE, **headers: str) -> ClientConnection:
    return connect(server.ws_url + path, additional_headers={**server.headers, **headers}, max_size=None)


def until(ws: ClientConnection, done: Any, timeout: float = 60) -> list[dict[str, Any]]:
    frames = []
    while True:
        frames.append(json.loads(ws.recv(timeout=timeout)))
        if done(frames[-1]):
            return frames


# -- continuations on the wire -----------------------------------------------------------------------


def test_a_cancelled_context_sends_nothing_after_the_next_context_begins(server: RunningServer) -> None:
    with open_socket(server) as ws:
        ws.send(json.dumps({"text": LONG, "voice_id": "sophia", "context_id": "barge", "continue": True}))
        first = json.loads(ws.recv(timeout=30))
        assert first["status"] == "chunk" and first["context_id"] == "barge"
        ws.send(json.dumps({"voice_id": "sophia", "context_id": "barge", "cancel_request": True}))
        ws.send(json.dumps({"text": "A new context.", "voice_id": "sophia", "context_id": "next"}))
        frames = until(ws, lambda f: f.get("context_id") == "next" and f["status"] in ("complete", "error"))
    started = next(i for i, f in enumerate(frames) if f.get("context_id") == "next")
    assert all(f.get("context_id") != "barge" for f in frames[started:])
    assert frames[-1]["status"] == "complete"


def test_fields_old_clients_send_are_accepted(server: RunningServer) -> None:
    headers = {"x-expire-content": "true", "X-Source": "livekit"}
    body = {"text": "Old fields.", "voice_id": "magnus", "consistency": 0.5, "similarity": 0.1, "enhancement": 1,
            "complete_backoff_ms": 100, "language": "auto", "add_wav_header": False}  # fmt: skip
    r = httpx.post(server.url + "/waves/v1/tts", headers={**server.headers, **headers}, json=body, timeout=60)
    assert r.status_code == 200 and len(r.content) > 20_000
    with open_socket(server, **headers) as ws:
        ws.send(json.dumps(body))
        assert until(ws, lambda f: f["status"] in ("complete", "error"))[-1]["status"] == "complete"


def test_a_turn_with_nothing_speakable_still_gets_a_short_chunk(server: RunningServer) -> None:
    """Clients wait for a first chunk before they end a turn (VideoSDK 10 s, LiveKit 10 s then retries)."""
    with open_socket(server) as ws:
        ws.send(json.dumps({"text": "...", "voice_id": "heart", "sample_rate": 24000}))
        frames = until(ws, lambda f: f["status"] in ("complete", "error"))
    chunks = [base64.b64decode(f["data"]["audio"]) for f in frames if f["status"] == "chunk"]
    assert frames[-1]["status"] == "complete" and 0 < sum(map(len, chunks)) <= 2 * 24000 * 0.05


# -- the SDK's streaming-tts socket ------------------------------------------------------------------


def test_sdk_streaming_tts_socket(server: RunningServer) -> None:
    url = server.url
    env = SmallestAIEnvironment(atoms=url, waves=url, waves_ws=server.ws_url, payment=url)
    client = SmallestAI(api_key=server.key, environment=env)
    pcm = b""
    with client.waves.streaming_tts.connect() as sock:
        for text, final in (("Hello from the ", False), ("streaming socket.", True)):
            sock.synthesize_streaming(StreamTtsRequestMessage(voice_id="magnus", text=text, is_streaming=True,
                                                              is_final=final, sample_rate=24000))  # fmt: skip
        for message in sock:  # its iterator ends only when the server closes: stop at complete
            if message.status == "chunk":
                assert message.data.sample_rate == 24000 and message.data.format == "pcm"
                pcm += base64.b64decode(message.data.audio)
            elif message.status in ("complete", "error"):
                assert message.status == "complete"
                break
    assert 1.0 < len(pcm) / 2 / 24000 < 4.0


# -- the v4 turn protocol ----------------------------------------------------------------------------


def v4(server: RunningServer, **query: str) -> ClientConnection:
    params = {"voice_id": "brannock", "language": "en", "sample_rate": "24000", "output_format": "pcm", **query}
    return connect(server.ws_url + V4 + "?" + "&".join(f"{k}={v}" for k, v in params.items()),
                   additional_headers={**server.headers, "X-Source": "pipecat"}, max_size=None)  # fmt: skip


def v4_frames(ws: ClientConnection, until_event: str, turn_id: str) -> tuple[list[dict[str, Any]], bytes]:
    events, audio = [], b""
    while True:
        message = ws.recv(timeout=60)
        if isinstance(message, bytes):
            audio += message
            continue
        events.append(json.loads(message))
        if events[-1].get("event") == until_event and events[-1].get("turn_id") == turn_id:
            return events, audio


def test_v4_turns_ready_speak_and_end(server: RunningServer) -> None:
    with v4(server) as ws:
        ready = [json.loads(ws.recv(timeout=10)) for _ in range(2)]
        assert [r["event"] for r in ready] == ["ready", "ready"] and ready[1]["sample_rate"] == 24000
        turns = [str(uuid.uuid4()) for _ in range(2)]
        for turn_id, text in zip(turns, ["Hello there.", "How are you today?"], strict=True):
            ws.send(json.dumps({"event": "speak", "turn_id": turn_id, "text": text}))
        for turn_id in turns:
            events, audio = v4_frames(ws, "turn_end", turn_id)
            assert [e["event"] for e in events if e.get("turn_id") == turn_id] == ["turn_start", "turn_end"]
            assert 0.5 < len(audio) / 2 / 24000 < 3.0
        ws.send(json.dumps({"event": "end"}))
        with pytest.raises(websockets.exceptions.ConnectionClosedOK):
            ws.recv(timeout=10)
        assert ws.close_code == 1000


def test_v4_interrupt_says_what_was_sent_and_heard(server: RunningServer) -> None:
    with v4(server) as ws:
        [ws.recv(timeout=10) for _ in range(2)]
        turn_id = str(uuid.uuid4())
        ws.send(json.dumps({"event": "speak", "turn_id": turn_id, "text": LONG}))
        audio = b""
        while len(audio) < 2 * 24000 * 1.5:  # 1.5 s of audio out, then the user speaks over it
            message = ws.recv(timeout=30)
            if isinstance(message, bytes):
                audio += message
        ws.send(json.dumps({"event": "interrupt", "played_ms": 700}))
        events, _ = v4_frames(ws, "interrupted", turn_id)
        interrupted = events[-1]
        sent, heard = interrupted["sent"], interrupted["heard"]
        assert 1.5 <= sent["seconds"] < 8 and heard["seconds"] == 0.7
        assert LONG.startswith(sent["text"]) and sent["text"].startswith(heard["text"]) and heard["words"] >= 1
        assert sent["words"] > heard["words"]
        # Nothing more of that turn; the socket goes on.
        next_turn = str(uuid.uuid4())
        ws.send(json.dumps({"event": "speak", "turn_id": next_turn, "text": "Next."}))
        events, _ = v4_frames(ws, "turn_end", next_turn)
        assert all(e.get("turn_id") != turn_id for e in events)


@pytest.mark.parametrize(
    ("query", "code"),
    [({"voice_id": "nobody"}, "invalid_voice"), ({"sample_rate": "12345"}, "invalid_query"),
     ({"output_format": "mp3"}, "invalid_query"), ({"speed": "9"}, "invalid_query")],
)  # fmt: skip
def test_v4_a_bad_query_is_an_error_and_a_close(server: RunningServer, query: dict[str, str], code: str) -> None:
    with v4(server, **query) as ws:
        error = json.loads(ws.recv(timeout=10))
        assert error["event"] == "error" and error["code"] == code and error["message"]
        with pytest.raises(websockets.exceptions.ConnectionClosed):
            ws.recv(timeout=10)
        assert ws.close_code == 1008


def test_v4_a_bad_frame_is_an_error_and_the_socket_goes_on(server: RunningServer) -> None:
    with v4(server) as ws:
        [ws.recv(timeout=10) for _ in range(2)]
        for bad in ("not json", json.dumps({"event": "dance"}), json.dumps({"event": "speak", "text": "no id"})):
            ws.send(bad)
            error = json.loads(ws.recv(timeout=10))
            assert error["event"] == "error" and error["code"] == "bad_frame", error
        turn_id = str(uuid.uuid4())
        ws.send(json.dumps({"event": "speak", "turn_id": turn_id, "text": "Still here."}))
        _, audio = v4_frames(ws, "turn_end", turn_id)
        assert audio


# -- routes ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/waves/v1/nothing/here", "/elsewhere"])
def test_an_unknown_websocket_path_is_the_json_404(server: RunningServer, path: str) -> None:
    with pytest.raises(websockets.exceptions.InvalidStatus) as refused:
        connect(server.ws_url + path, additional_headers=server.headers, open_timeout=10)
    response = refused.value.response
    assert response.status_code == 404 and json.loads(response.body)["code"] == "not_found"


@pytest.mark.parametrize("path", ["/waves/v1/lightning-v2/get_speech/stream", "/waves/v1/lightning/get_speech/stream"])
def test_a_retired_model_s_socket_is_410_gone(server: RunningServer, path: str) -> None:
    with pytest.raises(websockets.exceptions.InvalidStatus) as refused:
        connect(server.ws_url + path, additional_headers=server.headers, open_timeout=10)
    response = refused.value.response
    body = json.loads(response.body)
    assert response.status_code == 410 and body["error_code"] == "MODEL_DEPRECATED"
    assert body["recommended_endpoint"] == "/waves/v1/lightning-v3.1/get_speech/stream"


RETIRED = ["/waves/v1/lightning/get_speech", "/waves/v1/lightning-large/stream", "/waves/v1/lightning-v2/get_speech",
           "/waves/v1/prof-voice-cloning/clone"]  # fmt: skip


@pytest.mark.parametrize("path", RETIRED)
def test_retired_models_routes_are_410_gone(server: RunningServer, path: str) -> None:
    started = time.monotonic()
    r = httpx.post(server.url + path, headers=server.headers, json={"text": "Hi.", "voice_id": "emily"})
    body = r.json()
    assert r.status_code == 410 and body["code"] == "model_retired" and body["error_code"] == "MODEL_DEPRECATED"
    assert body["recommended_model"] == "lightning_v3.1" and "lightning_v3.1" in body["error"]
    assert time.monotonic() - started < 5
