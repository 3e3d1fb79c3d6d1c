"""Concurrency units on one host: `voicewire serve --workers 2` on one port, keys and limits in the
embedded SQLite store, observed by sampling the store while a burst runs."""

from __future__ import annotations

import contextlib
import json
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import websockets
from websockets.sync.client import connect

from support.server import RunningServer, start_server
from voicewire.auth.sqlite import SqliteStore

TEXT = "A request that takes a little while, so that the burst finds every unit busy at once."


@pytest.fixture(scope="module")
def workers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    home = tmp_path_factory.mktemp("workers-home")
    server = start_server(home, "--workers", "2", extra_env={"VOICEWIRE_WORKERS": "2"}, units=1)
    yield server
    server.stop()


def make_key(server: RunningServer, units: int, name: str) -> tuple[str, str]:
    """(key, key id) made with the real CLI against the server's home."""
    done = subprocess.run([sys.executable, "-m", "voicewire", "keys", "create", "--name", name, "--units", str(units)],
                          env=server.env, capture_output=True, text=True, check=True)  # fmt: skip
    key = done.stdout.strip()
    return key, key[3:11]


class Sampler:
    """Reads a key's active syntheses from the store every few ms while a burst runs."""

    def __init__(self, db: Path, key_id: str) -> None:
        self.store = SqliteStore(db)
        self.key_id = key_id
        self.seen: list[int] = []
        self.running = True
        self.thread = threading.Thread(target=self.run)

    def run(self) -> None:
        while self.running:
            self.seen.append(self.store.active(self.key_id, "synthesis"))
            time.sleep(0.002)

    def __enter__(self) -> Sampler:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.running = False
        self.thread.join()
        self.store.close()


def burst(urls: list[str], key: str, count: int = 50) -> list[httpx.Response]:
    start = threading.Barrier(count)
    responses: list[httpx.Response] = []

    def one(i: int) -> None:
        start.wait(timeout=30)
        body = {"text": TEXT, "voice_id": "magnus", "sample_rate": 8000}
        responses.append(httpx.post(urls[i % len(urls)] + "/waves/v1/tts", json=body, timeout=120,
                                    headers={"Authorization": f"Bearer {key}"}))  # fmt: skip

    threads = [threading.Thread(target=one, args=(i,)) for i in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=180)
    return responses


def worker_pids(server: RunningServer) -> list[int]:
    children = Path(f"/proc/{server.process.pid}/task/{server.process.pid}/children").read_text().split()
    return [int(pid) for pid in children]


def test_two_processes_serve_one_port(workers: RunningServer) -> None:
    pids = worker_pids(workers)
    assert len(pids) >= 2  # two workers (plus, possibly, multiprocessing's resource tracker)


def test_a_burst_never_has_more_active_than_units(workers: RunningServer) -> None:
    key, key_id = make_key(workers, 2, "burst")
    with Sampler(workers.home / "voicewire.db", key_id) as sampler:
        responses = burst([workers.url], key)
    ok = [r for r in responses if r.status_code == 200]
    refused = [r for r in responses if r.status_code == 429]
    assert len(ok) + len(refused) == 50 and len(ok) >= 2
    assert max(sampler.seen) == 2, sampler.seen
    for r in refused:
        assert r.headers["retry-after"] == "1"
        body = r.json()
        assert (
            body["code"] == "limit_exceeded" and "'burst'" in body["error"] and "2 concurrency units" in body["error"]
        )
    wait_active(workers, key_id, 0)  # every unit is freed as its request ends


@contextlib.contextmanager
def busy_request(server: RunningServer, key: str) -> Iterator[None]:
    """A streamed sync request that keeps its unit until the block ends (the client then leaves)."""
    long_text = " ".join([TEXT] * 30)
    with httpx.stream("POST", server.url + "/waves/v1/tts", timeout=120, headers={"Authorization": f"Bearer {key}"},
                      json={"text": long_text, "voice_id": "magnus", "output_format": "pcm"}) as busy:  # fmt: skip
        chunks = busy.iter_raw()  # kept: a dropped iterator would close the response
        next(chunks)  # audio flows: the unit is taken
        yield


def wait_active(server: RunningServer, key_id: str, count: int) -> None:
    store = SqliteStore(server.home / "voicewire.db")
    deadline = time.monotonic() + 20
    while store.active(key_id, "synthesis") != count:
        assert time.monotonic() < deadline, f"active syntheses never reached {count}"
        time.sleep(0.02)
    store.close()


def test_429_on_sse_and_on_a_websocket_turn(workers: RunningServer) -> None:
    key, key_id = make_key(workers, 1, "shapes")
    headers = {"Authorization": f"Bearer {key}"}
    with connect(workers.ws_url + "/waves/v1/tts/live", additional_headers=headers) as ws:
        with busy_request(workers, key):
            wait_active(workers, key_id, 1)
            r = httpx.post(workers.url + "/waves/v1/tts/live", headers=headers,
                           json={"text": "Hi.", "voice_id": "heart"})  # fmt: skip
            assert r.status_code == 429 and r.headers["retry-after"] == "1" and r.json()["code"] == "limit_exceeded"
            ws.send(json.dumps({"text": "Refused turn.", "voice_id": "heart"}))
            frame = json.loads(ws.recv(timeout=20))
            assert frame["status"] == "error" and frame["code"] == "limit_exceeded" and "request_id" in frame
        wait_active(workers, key_id, 0)  # the busy client left: its unit is free
        ws.send(json.dumps({"text": "Now there is room.", "voice_id": "heart"}))  # the socket stayed open
        frames = []
        while not frames or frames[-1]["status"] not in ("complete", "error"):
            frames.append(json.loads(ws.recv(timeout=30)))
        assert frames[-1]["status"] == "complete"


def test_a_key_has_five_sockets_per_unit(workers: RunningServer) -> None:
    key, _ = make_key(workers, 1, "sockets")
    headers = {"Authorization": f"Bearer {key}"}
    url = workers.ws_url + "/waves/v1/tts/live"
    with contextlib.ExitStack() as stack:
        sockets = [stack.enter_context(connect(url, additional_headers=headers)) for _ in range(5)]
        with pytest.raises(websockets.exceptions.InvalidStatus) as info, connect(url, additional_headers=headers):
            pass
        assert info.value.response.status_code == 429
        assert b"5 per unit" in info.value.response.body
        sockets[0].close()
        time.sleep(0.3)  # the slot is freed when the server sees the close
        stack.enter_context(connect(url, additional_headers=headers))


def test_usage_is_counted_per_key(workers: RunningServer) -> None:
    key, key_id = make_key(workers, 1, "usage")
    headers = {"Authorization": f"Bearer {key}"}
    text = "Count these characters."
    assert httpx.post(workers.url + "/waves/v1/tts", headers=headers,
                      json={"text": text, "voice_id": "heart", "sample_rate": 8000}).status_code == 200  # fmt: skip
    with httpx.stream("POST", workers.url + "/waves/v1/tts/live", headers=headers,
                      json={"text": text, "voice_id": "heart", "sample_rate": 8000}) as r:  # fmt: skip
        assert r.status_code == 200 and list(r.iter_lines())
    with connect(workers.ws_url + "/waves/v1/tts/live", additional_headers=headers) as ws:
        ws.send(json.dumps({"text": text, "voice_id": "heart", "sample_rate": 8000}))
        while json.loads(ws.recv(timeout=30))["status"] != "complete":
            pass
    time.sleep(0.5)
    done = subprocess.run([sys.executable, "-m", "voicewire", "keys", "usage"], env=workers.env, capture_output=True,
                          text=True, check=True)  # fmt: skip
    row = next(line.split() for line in done.stdout.splitlines() if line.startswith(key_id))
    requests, characters, seconds = int(row[2]), int(row[3]), float(row[4])
    assert (requests, characters) == (3, 3 * len(text))
    assert 3 * 0.6 < seconds < 3 * 3.0  # about a second of speech each


@pytest.mark.parametrize("endpoint", ["sync-pcm", "sse", "openai-pcm"])
def test_a_one_unit_key_can_send_its_next_request_the_moment_the_last_one_ends(
    workers: RunningServer, endpoint: str
) -> None:
    """A streamed response frees its unit before its last byte goes out, so a client that reads it to
    the end and sends again at once (to the other worker, here) is never refused. Regression: the
    unit was freed just after the response ended, and a scale-out test lost that race in CI."""
    key, _ = make_key(workers, 1, f"sequential-{endpoint}")
    path, body = {
        "sync-pcm": ("/waves/v1/tts", {"text": "Next, please.", "voice_id": "heart"}),
        "sse": ("/waves/v1/tts/live", {"text": "Next, please.", "voice_id": "heart"}),
        "openai-pcm": ("/v1/audio/speech", {"input": "Next, please.", "voice": "alloy", "response_format": "pcm"}),
    }[endpoint]
    statuses = []
    with httpx.Client(base_url=workers.url, headers={"Authorization": f"Bearer {key}"}, timeout=60) as client:
        for _ in range(30):
            with client.stream("POST", path, json=body) as response:
                response.read()
                statuses.append(response.status_code)
    assert statuses == [200] * 30


def test_a_one_unit_key_can_start_a_turn_on_another_socket_the_moment_complete_arrives(
    workers: RunningServer,
) -> None:
    """The unit of a WebSocket turn is free before its ``complete`` goes out (after all its audio)."""
    key, _ = make_key(workers, 1, "sequential-ws")
    headers = {"Authorization": f"Bearer {key}"}
    url = workers.ws_url + "/waves/v1/tts/live"
    outcomes = []
    with connect(url, additional_headers=headers) as a, connect(url, additional_headers=headers) as b:
        for i in range(20):
            ws = (a, b)[i % 2]
            ws.send(json.dumps({"text": "Next, please.", "voice_id": "heart"}))
            while True:
                frame = json.loads(ws.recv(timeout=30))
                if frame["status"] in ("complete", "error"):
                    outcomes.append(frame.get("code", frame["status"]))
                    break
    assert outcomes == ["complete"] * 20
