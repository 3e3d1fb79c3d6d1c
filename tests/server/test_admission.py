"""Admission control over a real socket: past the measured capacity, a new stream is refused at once
(429 / an ``error`` frame with code ``server_busy``) instead of every stream starting to stutter; a
sync request, which nobody plays in real time, waits in line for ``busy_wait`` seconds first."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator

import httpx
import pytest
from websockets.sync.client import ClientConnection, connect

from support.inprocess import InProcessServer, RecordingEngine
from voicewire.engines.hibari import HibariEngine

OPEN_TURN = {"text": "The first part of a long answer is spoken, and", "voice_id": "heart", "continue": True}


@pytest.fixture(scope="module")
def tight(hibari_engine: HibariEngine, tmp_path_factory: pytest.TempPathFactory) -> Iterator[InProcessServer]:
    """Room for one real-time hibari stream (cost ~0.015 per worker-second): utilization 0.02 of one
    worker. A sync request waits up to 1 s in line."""
    with InProcessServer(RecordingEngine(hibari_engine), tmp_path_factory.mktemp("tight"), units=8,
                         synthesis_workers=1, utilization=0.02, busy_wait=1.0) as server:  # fmt: skip
        yield server


def socket_to(server: InProcessServer) -> ClientConnection:
    return connect(f"ws://127.0.0.1:{server.port}/waves/v1/tts/live", additional_headers=server.headers)


def test_a_stream_past_capacity_is_refused_at_once(tight: InProcessServer) -> None:
    with socket_to(tight) as holder, socket_to(tight) as other:
        holder.send(json.dumps(OPEN_TURN))  # an open turn keeps its stream admitted
        assert json.loads(holder.recv(timeout=20))["status"] == "chunk"

        other.send(json.dumps({"text": "Me too, please.", "voice_id": "heart"}))
        frame = json.loads(other.recv(timeout=20))
        assert frame["status"] == "error" and frame["code"] == "server_busy" and "capacity" in frame["message"]

        r = httpx.post(f"http://127.0.0.1:{tight.port}/waves/v1/tts", headers=tight.headers,
                       json={"text": "And me.", "voice_id": "heart"}, timeout=20)  # fmt: skip
        assert r.status_code == 429 and r.headers["retry-after"] == "1" and r.json()["code"] == "server_busy"
        assert "for 1 s" in r.json()["error"]  # it waited its turn in line first

        holder.send(json.dumps({"text": " that is all.", "voice_id": "heart", "flush": True}))
        while json.loads(holder.recv(timeout=20))["status"] != "complete":
            pass
        other.send(json.dumps({"text": "Now there is room.", "voice_id": "heart"}))  # the socket stayed open
        frames = [json.loads(other.recv(timeout=20))]
        while frames[-1]["status"] not in ("complete", "error"):
            frames.append(json.loads(other.recv(timeout=20)))
        assert frames[-1]["status"] == "complete"


def test_without_admission_control_nothing_is_refused(
    hibari_engine: HibariEngine, tmp_path_factory: pytest.TempPathFactory
) -> None:
    server = InProcessServer(RecordingEngine(hibari_engine), tmp_path_factory.mktemp("open"), units=8,
                             synthesis_workers=1, utilization=0.02, admission=False)  # fmt: skip
    with server, socket_to(server) as holder, socket_to(server) as other:
        holder.send(json.dumps(OPEN_TURN))
        assert json.loads(holder.recv(timeout=20))["status"] == "chunk"
        other.send(json.dumps({"text": "Me too, please.", "voice_id": "heart"}))
        frames = [json.loads(other.recv(timeout=20))]
        while frames[-1]["status"] not in ("complete", "error"):
            frames.append(json.loads(other.recv(timeout=20)))
        assert frames[-1]["status"] == "complete"


def test_a_sync_request_waits_in_line_and_is_served_when_a_stream_ends(
    hibari_engine: HibariEngine, tmp_path_factory: pytest.TempPathFactory
) -> None:
    answers: list[httpx.Response] = []
    tight = InProcessServer(RecordingEngine(hibari_engine), tmp_path_factory.mktemp("line"), units=8,
                            synthesis_workers=1, utilization=0.02, busy_wait=15.0)  # fmt: skip
    with tight, socket_to(tight) as holder:
        holder.send(json.dumps(OPEN_TURN))
        assert json.loads(holder.recv(timeout=20))["status"] == "chunk"
        asked = threading.Thread(target=lambda: answers.append(httpx.post(
            f"http://127.0.0.1:{tight.port}/waves/v1/tts", headers=tight.headers,
            json={"text": "Worth the wait.", "voice_id": "heart", "output_format": "wav"}, timeout=20)))  # fmt: skip
        asked.start()
        time.sleep(0.3)  # in line now
        assert not answers
        holder.send(json.dumps({"text": " that is all.", "voice_id": "heart", "flush": True}))
        while json.loads(holder.recv(timeout=20))["status"] != "complete":
            pass
        asked.join(20)
    assert answers and answers[0].status_code == 200 and answers[0].content[:4] == b"RIFF"
