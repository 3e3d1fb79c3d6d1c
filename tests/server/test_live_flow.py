"""Cancellation, backpressure, bounds, shutdown and revocation, observed at the engine and the server.

The real app on uvicorn on a real socket, in this process, with the real hibari engine wrapped in a
recorder that notes when every unit's synthesis starts. That is what these guarantees are about: a
client that leaves stops its synthesis within one unit; a client that reads slowly makes synthesis
wait instead of piling audio up in the server; a client that sends far more than can be spoken is
refused the excess; a server shutting down closes every socket even while it writes to a slow one;
a revoked key stops working on a socket already open. Waits are for conditions (the server idle, a
frame), never for a guessed length of time.
"""

from __future__ import annotations

import base64
import json
import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection, connect

from support.inprocess import InProcessServer, RecordingEngine
from voicewire.engines.hibari import HibariEngine

SENTENCE = "This is sentence number {n} of a long answer that a client may leave early."


@pytest.fixture(scope="module")
def flow_server(hibari_engine: HibariEngine, tmp_path_factory: pytest.TempPathFactory) -> Iterator[InProcessServer]:
    # key_cache_ttl 0: every turn asks the store whether its key still stands (the default is 5 s).
    with InProcessServer(RecordingEngine(hibari_engine), tmp_path_factory.mktemp("flow"), units=4,
                         key_cache_ttl=0.0) as server:  # fmt: skip
        yield server


def long_text(sentences: int) -> str:
    return " ".join(SENTENCE.format(n=n) for n in range(sentences))


def open_socket(server: InProcessServer, key: str | None = None, **options: Any) -> ClientConnection:
    headers = {"Authorization": f"Bearer {key}"} if key else server.headers
    return connect(f"ws://127.0.0.1:{server.port}/waves/v1/tts/live", additional_headers=headers, **options)


def turn(ws: ClientConnection) -> list[dict[str, Any]]:
    frames = []
    while True:
        frames.append(json.loads(ws.recv(timeout=30)))
        if frames[-1]["status"] in ("complete", "error"):
            return frames


def test_closing_the_socket_stops_synthesis_within_one_unit(flow_server: InProcessServer) -> None:
    engine = flow_server.engine
    engine.starts.clear()
    with open_socket(flow_server) as ws:
        ws.send(json.dumps({"text": long_text(40), "voice_id": "heart", "sample_rate": 24000}))
        first = json.loads(ws.recv(timeout=10))
        assert first["status"] == "chunk"
        started_before_leaving = len(engine.starts)
    flow_server.wait_idle()
    # What was queued or running when the client left: at most the unit playing and the one prepared
    # ahead of it, and one more that a worker had already picked up.
    assert len(engine.starts) - started_before_leaving <= 2
    assert len(engine.starts) < 10  # 40 units were asked for


def test_sse_client_that_leaves_stops_synthesis(flow_server: InProcessServer) -> None:
    engine = flow_server.engine
    engine.starts.clear()
    url = f"http://127.0.0.1:{flow_server.port}/waves/v1/tts/live"
    body = {"text": long_text(40), "voice_id": "heart", "sample_rate": 24000}
    with httpx.stream("POST", url, headers=flow_server.headers, json=body, timeout=30) as r:
        next(r.iter_lines())
    flow_server.wait_idle()
    assert len(engine.starts) < 10


def test_a_slow_reader_makes_synthesis_wait_and_loses_nothing(flow_server: InProcessServer) -> None:
    engine = flow_server.engine
    engine.starts.clear()
    sentences = 80
    text = long_text(sentences)
    # max_queue=1: the client library buffers one message, so the kernel's socket buffers are all that
    # sits between the server and the reader that does not read.
    with open_socket(flow_server, max_queue=1, max_size=None) as ws:
        ws.send(json.dumps({"text": text, "voice_id": "heart", "sample_rate": 44100, "word_timestamps": True}))
        first = json.loads(ws.recv(timeout=10))  # under way
        flow_server.wait_synthesis_paused()  # the workers stop: the socket is full, nobody reads
        during_pause = len(engine.starts)
        frames = [first, *turn(ws)]
    assert during_pause < sentences * 0.5, f"{during_pause} of {sentences} units made while nobody read"
    assert frames[-1]["status"] == "complete", frames[-1]
    words = [f["data"] for f in frames if f["status"] == "word_timestamp"]
    assert [w["id"] for w in words] == list(range(len(text.split())))
    seconds = sum(len(base64.b64decode(f["data"]["audio"])) for f in frames if f["status"] == "chunk") / 2 / 44100
    assert words[-1]["end"] <= seconds < words[-1]["end"] + 1.0


def test_a_socket_that_floods_turns_is_refused_the_excess(flow_server: InProcessServer) -> None:
    """Defect: one socket on a one-unit key could queue thousands of turns (tens of millions of
    characters) in seconds. Turns and characters queued per socket are bounded; the excess gets a
    ``queue_full`` error frame and is dropped, and the socket goes on."""
    turns = 400
    frames: list[dict[str, Any]] = []
    with open_socket(flow_server, max_size=None) as ws:
        done = threading.Event()

        def read() -> None:  # read as the frames come, so the server never stops reading for backpressure
            ended = 0
            while ended < turns:
                frame = json.loads(ws.recv(timeout=60))
                frames.append(frame)
                ended += frame["status"] in ("complete", "error")
            done.set()

        reader = threading.Thread(target=read, daemon=True)
        reader.start()
        for n in range(turns):  # sent in a burst: far faster than they can be spoken
            ws.send(json.dumps({"text": f"Turn {n}, hello there.", "voice_id": "heart", "sample_rate": 8000}))
        assert done.wait(timeout=60)
        refused = [f for f in frames if f["status"] == "error"]
        completed = [f for f in frames if f["status"] == "complete"]
        assert len(refused) > turns / 2 and {f["code"] for f in refused} == {"queue_full"}
        assert "turns are already queued" in refused[0]["message"] and "request_id" not in refused[0]
        assert len(completed) >= 16  # the first turns, up to the bound, are spoken
        ws.send(json.dumps({"text": "The socket still works.", "voice_id": "heart"}))
        assert turn(ws)[-1]["status"] == "complete"


def test_a_shutdown_closes_a_socket_that_is_being_written_to(
    hibari_engine: HibariEngine, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """Defect: a close_now() that came while the writer was blocked sending to a slow client, with a
    frame queued after it, made the writer loop without awaiting once the send went through: the
    event loop froze, and no socket of that process got its 1001 close."""
    with InProcessServer(RecordingEngine(hibari_engine), tmp_path_factory.mktemp("drain")) as server:
        with open_socket(server, max_queue=1, max_size=None) as ws:
            ws.send(json.dumps({"text": long_text(60), "voice_id": "heart", "sample_rate": 44100}))
            ws.recv(timeout=10)
            server.wait_synthesis_paused()  # the writer is blocked on the full socket, frames queued behind it
            drain = threading.Thread(target=server.in_loop, args=(lambda: server.runtime.drain(timeout=0.0),))
            drain.start()  # draining with no time to wait: close_now() at once
            while not server.runtime.draining:
                time.sleep(0.01)
            ws.send("this is not json")  # answered with an error frame: queued after the close began
            with pytest.raises(ConnectionClosed) as closed:
                while True:  # read on: the blocked send goes through, then the socket must close
                    ws.recv(timeout=10)
            assert closed.value.rcvd is not None and closed.value.rcvd.code == 1001
        drain.join(timeout=10)
        assert not drain.is_alive()
        # The loop is alive: it still answers (503 while draining).
        health = httpx.get(f"http://127.0.0.1:{server.port}/waves/v1/health", timeout=5)
        assert health.status_code == 503


def test_a_revoked_key_stops_an_open_socket_at_its_next_turn(flow_server: InProcessServer) -> None:
    """Defect: the key was checked only at the handshake, so a revoked key kept its open sockets."""
    record, key = flow_server.runtime.store.create("soon-revoked", 1)
    with open_socket(flow_server, key) as ws:
        ws.send(json.dumps({"text": "Before revocation.", "voice_id": "heart"}))
        assert turn(ws)[-1]["status"] == "complete"
        flow_server.runtime.store.revoke(record.key_id)
        ws.send(json.dumps({"text": "After revocation.", "voice_id": "heart"}))
        error = turn(ws)[-1]
        assert error["status"] == "error" and error["code"] == "unauthorized" and "revoked" in error["message"]
        with pytest.raises(ConnectionClosed) as closed:
            ws.recv(timeout=10)
        assert closed.value.rcvd is not None and closed.value.rcvd.code == 4401
