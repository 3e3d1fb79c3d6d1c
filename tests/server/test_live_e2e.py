"""The live WebSocket and SSE endpoints over a real socket, with the official SDK and plain clients."""

from __future__ import annotations

import base64
import itertools
import json
import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx
import numpy as np
import pytest
import websockets
from smallestai import SmallestAI
from smallestai.environment import SmallestAIEnvironment
from smallestai.waves import TTSConfig, WavesStreamingTTS
from smallestai.waves.tts.types import TtsRequestMessage
from websockets.sync.client import ClientConnection, connect

from support.decode import decode, rms_db
from support.server import RunningServer

LIVE = "/waves/v1/tts/live"


def open_socket(server: RunningServer, path: str = LIVE, query: str = "", key: str | None = None) -> ClientConnection:
    return connect(server.ws_url + path + query, additional_headers={"Authorization": f"Bearer {key or server.key}"},
                   max_size=None, open_timeout=10)  # fmt: skip


def frames_until_done(ws: ClientConnection, timeout: float = 60) -> list[dict[str, Any]]:
    """Frames of one turn, up to and including its complete (or error) frame."""
    out = []
    while True:
        frame = json.loads(ws.recv(timeout=timeout))
        out.append(frame)
        if frame["status"] in ("complete", "error"):
            return out


def audio(frames: list[dict[str, Any]]) -> bytes:
    return b"".join(base64.b64decode(f["data"]["audio"]) for f in frames if f["status"] == "chunk")


def pcm(data: bytes) -> np.ndarray:
    return np.frombuffer(data, "<i2").astype(np.float32) / 32768


def shim(server: RunningServer, voice: str = "magnus") -> WavesStreamingTTS:
    tts = WavesStreamingTTS(TTSConfig(voice_id=voice, api_key=server.key, sample_rate=24000))
    tts.ws_url = server.ws_url + LIVE
    return tts


# -- the official SDK ----------------------------------------------------------------------------


def test_sdk_shim_synthesize(server: RunningServer) -> None:
    chunks = list(shim(server).synthesize("Hello from the streaming shim. It works."))
    samples = pcm(b"".join(chunks))
    assert 1.5 < samples.size / 24000 < 6 and rms_db(samples) > -35


def test_sdk_shim_streaming_word_by_word(server: RunningServer) -> None:
    words = (w + " " for w in "Streaming synthesis with chunked text input works word by word.".split())
    samples = pcm(b"".join(shim(server, "heart").synthesize_streaming(words)))
    assert 2.0 < samples.size / 24000 < 7 and rms_db(samples) > -35


def test_sdk_shim_streaming_session(server: RunningServer) -> None:
    tts = shim(server, "heart")
    chunks: list[bytes] = []
    reader = threading.Thread(target=lambda: chunks.extend(tts.start_streaming_session()))
    reader.start()
    deadline = time.monotonic() + 10
    while not tts.is_connected and time.monotonic() < deadline:
        time.sleep(0.01)
    for piece in ["The session ", "sends text ", "in chunks, ", "then flushes."]:
        tts.send_text_chunk(piece)
    tts.flush_buffer()
    reader.join(timeout=30)
    assert not reader.is_alive()
    samples = pcm(b"".join(chunks))
    assert 1.5 < samples.size / 24000 < 6 and rms_db(samples) > -35


@pytest.fixture(scope="module")
def fern(server: RunningServer) -> Iterator[SmallestAI]:
    env = SmallestAIEnvironment(atoms=server.url, waves=server.url, waves_ws=server.ws_url, payment=server.url)
    with httpx.Client(timeout=60) as http:
        yield SmallestAI(api_key=server.key, environment=env, httpx_client=http)


def test_fern_client_several_turns_on_one_connection(fern: SmallestAI) -> None:
    texts = ["First turn.", "Second turn, a little longer.", "Third and last turn."]
    request_ids = []
    with fern.waves.tts.connect(request_options={"additional_query_parameters": {"timeout": 30}}) as socket:
        for i, text in enumerate(texts):
            voice = "heart" if i % 2 else "magnus"
            socket.synthesize_streaming_tts(
                TtsRequestMessage(text=text, voice_id=voice, continue_=False, sample_rate=24000)
            )
            chunks, completes = [], 0
            for message in socket:
                if message.status == "chunk":
                    chunks.append(base64.b64decode(message.data.audio))
                elif message.status == "complete":
                    completes += 1
                    request_ids.append(message.request_id)
                    break
                else:
                    pytest.fail(f"unexpected frame {message}")
            assert completes == 1 and rms_db(pcm(b"".join(chunks))) > -35
    assert len(set(request_ids)) == 3


def test_fern_client_streamed_turn(fern: SmallestAI) -> None:
    with fern.waves.tts.connect() as socket:
        for word in "An LLM sends tokens one at a time.".split():
            socket.synthesize_streaming_tts(TtsRequestMessage(text=word + " ", voice_id="heart", continue_=True))
        socket.synthesize_streaming_tts(TtsRequestMessage(text="", voice_id="heart", flush=True))
        statuses = []
        for message in socket:
            statuses.append(message.status)
            if message.status == "complete":
                break
    assert statuses.count("complete") == 1 and statuses.count("chunk") >= 2


# -- handshake ------------------------------------------------------------------------------------


@pytest.mark.parametrize("key", ["", "vw_wrong"])
def test_handshake_without_a_valid_key_is_refused_with_401(server: RunningServer, key: str) -> None:
    with pytest.raises(websockets.exceptions.InvalidStatus) as info:
        connect(server.ws_url + LIVE, additional_headers={"Authorization": f"Bearer {key}"} if key else {})
    assert info.value.response.status_code == 401
    assert b"API key" in info.value.response.body


def test_a_browser_sends_its_key_as_a_subprotocol(server: RunningServer) -> None:
    # Browsers cannot set headers on a WebSocket; the playground offers the key as a subprotocol and
    # the server must name the one it accepted, or the browser drops the connection.
    protocols = ["voicewire", f"authorization.bearer.{server.key}"]
    with connect(server.ws_url + LIVE, subprotocols=protocols) as ws:  # type: ignore[arg-type]
        assert ws.subprotocol == "voicewire"
        ws.send(json.dumps({"text": "Hi.", "voice_id": "heart"}))
        assert frames_until_done(ws)[-1]["status"] == "complete"
    with pytest.raises(websockets.exceptions.InvalidStatus) as info:
        connect(server.ws_url + LIVE, subprotocols=["voicewire", "authorization.bearer.vw_wrong"])  # type: ignore[list-item]
    assert info.value.response.status_code == 401


@pytest.mark.parametrize("value", ["0", "-1", "abc", "1.5", ""])
def test_bad_timeout_parameter_refuses_the_handshake(server: RunningServer, value: str) -> None:
    with pytest.raises(websockets.exceptions.InvalidStatus) as info:
        open_socket(server, query=f"?timeout={value}")
    assert info.value.response.status_code == 400 and b"'timeout'" in info.value.response.body


def test_idle_timeout_message_and_close_code(server: RunningServer) -> None:
    with open_socket(server, query="?timeout=1") as ws:
        started = time.monotonic()
        frame = json.loads(ws.recv(timeout=5))
        elapsed = time.monotonic() - started
        assert frame["status"] == "error" and frame["message"] == "Connection timed out after 1 seconds of inactivity"
        with pytest.raises(websockets.exceptions.ConnectionClosedOK):
            ws.recv(timeout=5)
        assert ws.close_code == 1000
    assert 0.9 < elapsed < 3


def test_idle_timeout_never_cuts_a_turn(server: RunningServer) -> None:
    """A slow reader keeps the turn's audio going out for longer than the timeout: all of it arrives."""
    text = "This turn has several sentences. Each one is spoken in full. The reader is slow. Nothing is cut."
    with open_socket(server, query="?timeout=1") as ws:
        ws.send(json.dumps({"text": text, "voice_id": "heart", "sample_rate": 44100}))
        frames = []
        while True:
            time.sleep(0.25)
            frame = json.loads(ws.recv(timeout=10))
            frames.append(frame)
            if frame["status"] == "complete":
                break
        assert all(f["status"] == "chunk" for f in frames[:-1]) and len(frames) > 4
        after = json.loads(ws.recv(timeout=5))
        assert after["message"] == "Connection timed out after 1 seconds of inactivity"


# -- audio ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(("fmt", "rate"), [("pcm", 16000), ("wav", 24000), ("mp3", 22050), ("mulaw", 8000),
                                           ("alaw", 44100)])  # fmt: skip
def test_every_format_is_one_stream_per_turn(server: RunningServer, fmt: str, rate: int) -> None:
    text = "One stream per turn. Units join seamlessly, in every format."
    with open_socket(server) as ws:
        for _ in range(2):  # two turns: each is its own complete stream
            ws.send(json.dumps({"text": text, "voice_id": "heart", "output_format": fmt, "sample_rate": rate}))
            frames = frames_until_done(ws)
            data = audio(frames)
            if fmt == "wav":
                assert data.count(b"RIFF") == 1 and data[4:8] == b"\xff\xff\xff\xff"
            samples, declared = decode(data, fmt, rate)
            assert declared == rate
            assert 2.5 < samples.size / rate < 7 and rms_db(samples) > -35


def test_chunk_frames_stay_under_64_kib(server: RunningServer) -> None:
    text = "A long sentence that makes a lot of audio at the highest sample rate, so it must be split into frames."
    with open_socket(server) as ws:
        ws.send(json.dumps({"text": text, "voice_id": "magnus", "sample_rate": 44100}))
        chunks = [f for f in frames_until_done(ws) if f["status"] == "chunk"]
    assert max(len(f["data"]["audio"]) for f in chunks) <= 65536
    assert sum(len(base64.b64decode(f["data"]["audio"])) for f in chunks) > 3 * 65536


def test_word_timestamps_for_numbers_money_and_abbreviations(server: RunningServer) -> None:
    text = "Dr. Smith paid $100 on March 3rd, 2024."
    with open_socket(server) as ws:
        ws.send(json.dumps({"text": text, "voice_id": "heart", "word_timestamps": True, "sample_rate": 24000}))
        frames = frames_until_done(ws)
    words, heard = [], 0.0
    for frame in frames:
        if frame["status"] == "word_timestamp":
            # sent no later than the chunk in which the word starts: that audio has not arrived yet
            assert heard <= frame["data"]["start"] + 1e-3
            words.append(frame["data"])
        elif frame["status"] == "chunk":
            heard += len(base64.b64decode(frame["data"]["audio"])) / 2 / 24000
    assert [w["word"] for w in words] == text.split()
    assert [w["id"] for w in words] == list(range(8))
    for a, b in itertools.pairwise(words):
        assert a["start"] < a["end"] <= b["start"]
    assert words[-1]["end"] <= heard
    assert words[3]["end"] - words[3]["start"] > 0.5  # "$100" is "one hundred dollars"


def test_max_buffer_flush_ms_speaks_a_stalled_buffer(server: RunningServer) -> None:
    with open_socket(server) as ws:
        ws.send(json.dumps({"text": "Well, let me think about", "voice_id": "heart", "continue": True,
                            "max_buffer_flush_ms": 300}))  # fmt: skip
        got = []
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and sum(1 for f in got if f["status"] == "chunk") < 2:
            got.append(json.loads(ws.recv(timeout=5)))
        assert [f["status"] for f in got].count("chunk") >= 2 and "complete" not in [f["status"] for f in got]
        ws.send(json.dumps({"text": " it.", "voice_id": "heart", "flush": True}))
        assert frames_until_done(ws)[-1]["status"] == "complete"


def test_keepalive_and_a_flush_with_nothing_open(server: RunningServer) -> None:
    with open_socket(server) as ws:
        ws.send(json.dumps({"text": " ", "voice_id": "heart"}))
        ws.send(json.dumps({"text": "", "voice_id": "heart", "flush": True}))
        frame = json.loads(ws.recv(timeout=5))
        assert frame["status"] == "complete"  # the keepalive produced nothing before it


# -- bad input --------------------------------------------------------------------------------------

BAD_FRAMES: list[tuple[str | bytes, str]] = [
    ("not json at all", "not valid JSON"),
    (b"\x00\x01binary", "Binary"),
    ("[1, 2, 3]", "JSON object"),
    ('{"text": 12, "voice_id": "heart"}', "'text'"),
    ('{"text": "Hi.", "voice_id": "nobody"}', "'voice_id'"),
    ('{"text": "Hi.", "voice_id": "heart", "speed": 7}', "'speed'"),
    ('{"text": "Hi.", "voice_id": "heart", "sample_rate": "fast"}', "'sample_rate'"),
    ('{"text": "Hi.", "voice_id": "heart", "output_format": "ogg"}', "'output_format'"),
    ('{"text": "Hi.", "voice_id": "heart", "language": "fr"}', "'language'"),
    ('{"text": "Hi.", "voice_id": "heart", "flush": "please"}', "'flush'"),
    (json.dumps({"text": "x" * (1 << 20), "voice_id": "heart"}), "over the limit"),
    (json.dumps({"text": "word " * 200, "voice_id": "heart"}), "over the limit"),
]


def test_bad_frames_get_errors_and_everyone_keeps_working(server: RunningServer) -> None:
    other_ok: list[bool] = []

    def other_client() -> None:
        with open_socket(server) as ws:
            for _ in range(3):
                ws.send(json.dumps({"text": "I am a well behaved client.", "voice_id": "magnus"}))
                frames = frames_until_done(ws)
                other_ok.append(frames[-1]["status"] == "complete" and len(audio(frames)) > 10_000)

    neighbour = threading.Thread(target=other_client)
    neighbour.start()
    with open_socket(server) as ws:
        for raw, fragment in BAD_FRAMES:
            ws.send(raw)
            frame = json.loads(ws.recv(timeout=10))
            assert frame["status"] == "error" and fragment in frame["message"], (raw[:40], frame)
        ws.send(json.dumps({"text": "Still open and still speaking.", "voice_id": "heart"}))
        assert frames_until_done(ws)[-1]["status"] == "complete"
    neighbour.join(timeout=60)
    assert other_ok == [True, True, True]


def test_text_over_the_turn_limit_ends_that_turn_only(server: RunningServer) -> None:
    with open_socket(server) as ws:
        ws.send(json.dumps({"text": "This turn starts", "voice_id": "heart", "continue": True}))
        ws.send(json.dumps({"text": " and goes on" * 60, "voice_id": "heart", "continue": True}))
        frames = frames_until_done(ws)
        assert frames[-1]["status"] == "error" and frames[-1]["code"] == "text_too_long"
        assert "request_id" in frames[-1]
        ws.send(json.dumps({"text": "A fresh turn.", "voice_id": "heart"}))
        fresh = frames_until_done(ws)
        assert fresh[-1]["status"] == "complete" and fresh[-1]["request_id"] != frames[-1]["request_id"]


# -- other URLs -------------------------------------------------------------------------------------


def test_legacy_websocket_url(server: RunningServer) -> None:
    with open_socket(server, path="/waves/v1/lightning-v3.1/get_speech/stream") as ws:
        ws.send(json.dumps({"text": "Old URL.", "voice_id": "magnus", "sample_rate": 24000}))
        assert frames_until_done(ws)[-1]["status"] == "complete"


@pytest.mark.parametrize("path", [LIVE, "/waves/v1/lightning-v3.1/stream"])
def test_sse_frames(server: RunningServer, path: str) -> None:
    body = {"text": "Server sent events. Two sentences.", "voice_id": "heart", "sample_rate": 24000,
            "request_id": "sse-1"}  # fmt: skip
    with httpx.stream("POST", server.url + path, headers=server.headers, json=body, timeout=60) as r:
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/event-stream")
        lines = [line for line in r.iter_lines() if line]
    frames = [json.loads(line.removeprefix("data: ")) for line in lines]
    assert all(line.startswith("data: ") for line in lines)
    assert [f["status"] for f in frames].count("complete") == 1 and frames[-1]["status"] == "complete"
    assert frames[-1]["message"] == "All chunks sent" and frames[-1]["done"] is True
    assert all(f["external_request_id"] == "sse-1" for f in frames)
    assert 1.5 < len(audio(frames)) / 2 / 24000 < 6


def test_sse_with_a_lone_surrogate_in_the_text_streams_to_the_end(server: RunningServer) -> None:
    """Regression (found by scripts/fuzz): a word frame echoing a lone surrogate (sent as a JSON
    escape) could not be encoded as UTF-8 and broke the stream; it now goes out escaped."""
    body = {"text": "Odd\ud800 word. Fine.", "voice_id": "heart", "word_timestamps": True}
    headers = {**server.headers, "Content-Type": "application/json"}
    with httpx.stream("POST", server.url + LIVE, headers=headers, content=json.dumps(body), timeout=60) as r:
        frames = [json.loads(line.removeprefix("data: ")) for line in r.iter_lines() if line]
    assert frames[-1]["status"] == "complete"
    assert [f["data"]["word"] for f in frames if f["status"] == "word_timestamp"] == ["Odd\ud800", "word.", "Fine."]


def test_sse_bad_request_is_plain_json(server: RunningServer) -> None:
    r = httpx.post(server.url + LIVE, headers=server.headers, json={"text": "Hi.", "voice_id": "heart", "speed": 9})
    assert r.status_code == 400 and "'speed'" in r.json()["error"]
