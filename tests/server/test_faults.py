"""Faults on a live server: an engine that fails in the middle of a turn, and clients that leave at
every point of one. The real app on uvicorn on a real socket, the real hibari engine; the only
stand-in is the failure itself, injected on a marked word so it lands mid-turn."""

from __future__ import annotations

import base64
import json
import socket
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from websockets.sync.client import ClientConnection, connect

from support.inprocess import InProcessServer, RecordingEngine
from voicewire.engines.base import EngineAudio, UnitStream, Utterance
from voicewire.engines.hibari import HibariEngine
from voicewire.exceptions import EngineError

LIVE = "/waves/v1/tts/live"
FAILING = "First sentence is spoken. Then the model breaks at kaboom here. The third is never reached."
TURN = "One sentence comes first, then another. A second sentence follows it! And a third one ends the turn."


class FaultyEngine(RecordingEngine):
    """hibari, except that a unit holding the word ``kaboom`` fails like a broken model; ``bug``
    fails like a bug in an engine (a plain exception, not an EngineError)."""

    def synthesize(self, voice_id: str, utterance: Utterance) -> EngineAudio:
        lowered = [w.lower().strip(".,!?") for w in utterance.words]
        if "kaboom" in lowered:
            raise EngineError("The model failed on this unit (injected).")
        if "bug" in lowered:
            raise ZeroDivisionError("division by zero")
        return super().synthesize(voice_id, utterance)

    def synthesize_blocks(self, voice_id: str, utterance: Utterance, *, batch: bool = False) -> UnitStream:
        return UnitStream.whole(self.synthesize(voice_id, utterance))  # the faults are in synthesize


@pytest.fixture(scope="module")
def server(hibari_engine: HibariEngine, tmp_path_factory: pytest.TempPathFactory) -> Iterator[InProcessServer]:
    # One unit: a turn that leaked its unit would make every later turn of this module fail.
    with InProcessServer(FaultyEngine(hibari_engine), tmp_path_factory.mktemp("faults"), units=1) as running:
        yield running


def open_socket(server: InProcessServer) -> ClientConnection:
    return connect(f"ws://127.0.0.1:{server.port}{LIVE}", additional_headers=server.headers, open_timeout=10)


def turn_frames(ws: ClientConnection) -> list[dict[str, Any]]:
    frames = []
    while True:
        frame = json.loads(ws.recv(timeout=30))
        frames.append(frame)
        if frame["status"] in ("complete", "error"):
            return frames


def speak(ws: ClientConnection, text: str, **fields: Any) -> None:
    ws.send(json.dumps({"text": text, "voice_id": "heart", "word_timestamps": True, **fields}))


# -- an engine failure mid-turn ----------------------------------------------------------------------


@pytest.mark.parametrize(("marker", "code"), [("kaboom", "engine_error"), ("bug", "engine_error")])
def test_an_engine_failure_mid_turn_is_an_error_frame_and_the_socket_goes_on(
    server: InProcessServer, marker: str, code: str
) -> None:
    with open_socket(server) as ws:
        speak(ws, FAILING.replace("kaboom", marker))
        frames = turn_frames(ws)
        statuses = [f["status"] for f in frames]
        assert "chunk" in statuses[:-1]  # the first sentence was spoken before the failure
        error = frames[-1]
        assert error["status"] == "error" and error["code"] == code
        assert error["request_id"] == frames[0]["request_id"]
        assert "Traceback" not in error["message"]
        words = [f["data"]["word"] for f in frames if f["status"] == "word_timestamp"]
        assert words[:4] == ["First", "sentence", "is", "spoken."] and "third" not in words
        # The same socket, the next turn: spoken whole.
        speak(ws, "The next turn works.")
        after = turn_frames(ws)
        assert after[-1]["status"] == "complete" and after[0]["request_id"] != error["request_id"]
        assert sum(len(base64.b64decode(f["data"]["audio"])) for f in after if f["status"] == "chunk") > 24000


def test_an_engine_failure_mid_sse_stream_ends_it_with_an_error_frame(server: InProcessServer) -> None:
    url = f"http://127.0.0.1:{server.port}{LIVE}"
    body = {"text": FAILING, "voice_id": "heart"}
    with httpx.stream("POST", url, headers=server.headers, json=body, timeout=30) as response:
        assert response.status_code == 200
        frames = [json.loads(line[5:]) for line in response.iter_lines() if line.startswith("data:")]
    assert [f["status"] for f in frames][-1] == "error" and "chunk" in [f["status"] for f in frames]
    assert frames[-1]["code"] == "engine_error"
    ok = httpx.post(f"http://127.0.0.1:{server.port}/waves/v1/tts", headers=server.headers,
                    json={"text": "Still serving.", "voice_id": "heart"}, timeout=30)  # fmt: skip
    assert ok.status_code == 200


def test_an_engine_failure_before_the_first_byte_is_a_json_500(server: InProcessServer) -> None:
    r = httpx.post(f"http://127.0.0.1:{server.port}/waves/v1/tts", headers=server.headers,
                   json={"text": "Kaboom at once.", "voice_id": "heart"}, timeout=30)  # fmt: skip
    assert r.status_code == 500 and r.json()["code"] == "engine_error"


# -- clients that leave ------------------------------------------------------------------------------


def idle(server: InProcessServer, baseline_tasks: int) -> bool:
    svc = server.runtime
    return (
        server.tasks() <= baseline_tasks
        and svc.limiter.held == 0
        and svc.store.active(server.key_id, "synthesis") == 0  # in the store too, not only in memory
        and svc.store.active(server.key_id, "socket") == 0
        and svc.pool.scheduler.busy == 0
        and svc.pool.scheduler.queued == 0
        and svc.pool.capacity.streams == 0
        and not svc.connections
    )


def wait_idle(server: InProcessServer, baseline_tasks: int) -> None:
    deadline = time.monotonic() + 10
    while not idle(server, baseline_tasks):
        svc = server.runtime
        assert time.monotonic() < deadline, (
            f"still running: tasks {server.tasks()} (baseline {baseline_tasks}), leases {svc.limiter.held}, "
            f"in the store {svc.store.active(server.key_id, 'synthesis')}, busy {svc.pool.scheduler.busy}, "
            f"streams {svc.pool.capacity.streams}"
        )
        time.sleep(0.05)


def settled_tasks(server: InProcessServer) -> int:
    """The server's task count once it stops falling (earlier tests' connections wound down)."""
    counts = [server.tasks()]
    while len(counts) < 4 or len(set(counts[-4:])) > 1:
        time.sleep(0.1)
        counts.append(server.tasks())
    return counts[-1]


def leave(ws: ClientConnection, abruptly: bool) -> None:
    if abruptly:  # the peer vanishes: no close frame, the TCP connection is reset
        ws.socket.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
        ws.socket.close()
    else:
        ws.close()


def test_a_client_that_leaves_at_any_point_of_a_turn_leaves_nothing_running(server: InProcessServer) -> None:
    baseline = settled_tasks(server)
    with open_socket(server) as ws:  # the whole turn once, to know its frames
        speak(ws, TURN)
        total = len(turn_frames(ws))
    wait_idle(server, baseline)
    assert total > 10
    # Every early frame (the turn's start is where its work is set up), then points spread over the
    # rest and the last ones: each leave replays the turn in real time up to that frame.
    points = sorted({*range(4), *range(4, total, max(1, total // 8)), total - 2, total - 1})
    for after in points:
        for abruptly in (False, True):
            with open_socket(server) as ws:
                speak(ws, TURN)
                for _ in range(after):  # the pacer may cut a turn into fewer frames than the first time
                    if json.loads(ws.recv(timeout=30))["status"] in ("complete", "error"):
                        break
                leave(ws, abruptly)
            wait_idle(server, baseline)
    # Also: left with a turn open and a timed flush pending, and left before sending anything.
    for abruptly in (False, True):
        with open_socket(server) as ws:
            speak(ws, "An open turn with a timer", **{"continue": True, "max_buffer_flush_ms": 300})
            leave(ws, abruptly)
        wait_idle(server, baseline)
        with open_socket(server) as ws:
            leave(ws, abruptly)
        wait_idle(server, baseline)
    # The key has one unit: had anything kept it, this turn would be refused.
    with open_socket(server) as ws:
        speak(ws, "Nothing was left behind.")
        last = turn_frames(ws)[-1]
        assert last["status"] == "complete", last
