"""Cancellation and backpressure, observed at the engine.

The real app on uvicorn on a real socket, in this process, with the real hibari engine wrapped in a
recorder that notes when every unit's synthesis starts. That is what these guarantees are about: a
client that leaves stops its synthesis within one unit, and a client that reads slowly makes
synthesis wait instead of piling audio up in the server.
"""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Iterator

import httpx
import pytest
from websockets.sync.client import connect

from support.inprocess import InProcessServer, RecordingEngine
from voicewire.engines.hibari import HibariEngine

SENTENCE = "This is sentence number {n} of a long answer that a client may leave early."


@pytest.fixture(scope="module")
def flow_server(hibari_engine: HibariEngine, tmp_path_factory: pytest.TempPathFactory) -> Iterator[InProcessServer]:
    with InProcessServer(RecordingEngine(hibari_engine), tmp_path_factory.mktemp("flow")) as server:
        yield server


def long_text(sentences: int) -> str:
    return " ".join(SENTENCE.format(n=n) for n in range(sentences))


def test_closing_the_socket_stops_synthesis_within_one_unit(flow_server: InProcessServer) -> None:
    engine = flow_server.engine
    engine.starts.clear()
    with connect(f"ws://127.0.0.1:{flow_server.port}/waves/v1/tts/live", additional_headers=flow_server.headers) as ws:
        ws.send(json.dumps({"text": long_text(40), "voice_id": "heart", "sample_rate": 24000}))
        first = json.loads(ws.recv(timeout=10))
        assert first["status"] == "chunk"
    closed = time.monotonic()
    time.sleep(1.0)
    after = [t for t in engine.starts if t > closed]
    assert len(after) <= 1, f"{len(after)} units started after the client left"
    assert len(engine.starts) < 10  # 40 units were asked for


def test_sse_client_that_leaves_stops_synthesis(flow_server: InProcessServer) -> None:
    engine = flow_server.engine
    engine.starts.clear()
    url = f"http://127.0.0.1:{flow_server.port}/waves/v1/tts/live"
    body = {"text": long_text(40), "voice_id": "heart", "sample_rate": 24000}
    with httpx.stream("POST", url, headers=flow_server.headers, json=body, timeout=30) as r:
        next(r.iter_lines())
    closed = time.monotonic()
    time.sleep(1.0)
    assert len([t for t in engine.starts if t > closed]) <= 1
    assert len(engine.starts) < 10


def test_a_slow_reader_makes_synthesis_wait_and_loses_nothing(flow_server: InProcessServer) -> None:
    engine = flow_server.engine
    engine.starts.clear()
    sentences = 80
    text = long_text(sentences)
    # max_queue=1: the client library buffers one message, so the kernel's socket buffers are all that
    # sits between the server and the reader that does not read.
    with connect(f"ws://127.0.0.1:{flow_server.port}/waves/v1/tts/live", additional_headers=flow_server.headers,
                 max_queue=1, max_size=None) as ws:  # fmt: skip
        ws.send(json.dumps({"text": text, "voice_id": "heart", "sample_rate": 44100, "word_timestamps": True}))
        time.sleep(3.0)  # synthesizing everything would take about one second
        during_pause = len(engine.starts)
        frames = []
        while True:
            frame = json.loads(ws.recv(timeout=30))
            frames.append(frame)
            if frame["status"] in ("complete", "error"):
                break
    assert during_pause < sentences * 0.5, f"{during_pause} of {sentences} units made while nobody read"
    assert frames[-1]["status"] == "complete", frames[-1]
    words = [f["data"] for f in frames if f["status"] == "word_timestamp"]
    assert [w["id"] for w in words] == list(range(len(text.split())))
    seconds = sum(len(base64.b64decode(f["data"]["audio"])) for f in frames if f["status"] == "chunk") / 2 / 44100
    assert words[-1]["end"] <= seconds < words[-1]["end"] + 1.0
