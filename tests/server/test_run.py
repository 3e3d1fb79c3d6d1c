"""`voicewire serve` as a process: its first start, and how it stops (SIGTERM drains)."""

from __future__ import annotations

import io
import json
import os
import resource
import signal
import socket
import subprocess
import sys
import time
import wave
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
import websockets
from websockets.sync.client import connect

from support.server import RunningServer, start_server
from voicewire.auth.sqlite import SqliteStore
from voicewire.config import Settings
from voicewire.server.run import share_cores

CLEAN_EXIT = (0, -signal.SIGTERM)
"""uvicorn re-raises the SIGTERM it handled once its shutdown is done (systemd counts that as a clean
stop); the --workers supervisor exits 0."""

LONG = " ".join(f"Sentence {n} of a turn that is still going out when the server is told to stop." for n in range(12))


def test_the_first_start_prints_a_key(tmp_path: Path) -> None:
    server = start_server(tmp_path, wait_ready=False)  # printed before the voices load
    try:
        assert server.key.startswith("vw_")
        assert server.key not in (tmp_path / "voicewire.db").read_bytes().decode("latin-1")
        assert "shown once" in server.output()
    finally:
        server.stop()


def serve_once(home: Path, limit_file_bytes: int | None = None) -> subprocess.CompletedProcess[str]:
    """``voicewire serve`` on ``home``; with ``limit_file_bytes``, files can grow only that far (EFBIG),
    which is how a full disk looks to a process: every write past a point fails."""

    def limit() -> None:
        if limit_file_bytes is not None:
            signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a failed write, not a killed process
            resource.setrlimit(resource.RLIMIT_FSIZE, (limit_file_bytes, limit_file_bytes))

    env = {**os.environ, "VOICEWIRE_HOME": str(home)}
    return subprocess.run([sys.executable, "-m", "voicewire", "serve", "--port", "0"], env=env, text=True,
                          capture_output=True, timeout=60, preexec_fn=limit)  # fmt: skip


def test_a_home_that_cannot_be_a_folder_is_a_clear_error_at_start(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the home should be")
    done = serve_once(blocker / "home")
    assert done.returncode == 2
    assert f"VOICEWIRE_HOME {str(blocker / 'home')!r} is not writable" in done.stderr
    assert "Traceback" not in done.stderr and "VOICEWIRE_HOME (or --home)" in done.stderr


def test_a_full_disk_is_a_clear_error_at_start(tmp_path: Path) -> None:
    done = serve_once(tmp_path / "home", limit_file_bytes=4096)
    assert done.returncode == 2
    assert "is not writable: File too large" in done.stderr and "free some disk space" in done.stderr
    assert "Traceback" not in done.stderr
    assert list((tmp_path / "home").iterdir()) == []  # the probe is gone again


def refused(server: RunningServer) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", server.port)) != 0


def test_sigterm_lets_the_running_turn_finish_then_closes_with_1001(tmp_path: Path) -> None:
    server = start_server(tmp_path, units=2)
    try:
        with connect(server.ws_url + "/waves/v1/tts/live", additional_headers=server.headers, max_size=None) as ws:
            ws.send(json.dumps({"text": LONG, "voice_id": "heart", "sample_rate": 44100}))
            frames = [json.loads(ws.recv(timeout=20))]
            server.process.send_signal(signal.SIGTERM)
            time.sleep(0.3)
            assert refused(server), "a stopping server must not accept new connections"
            while frames[-1]["status"] not in ("complete", "error"):
                time.sleep(0.02)  # a slow reader (about 50 frames of 0.1 s per second): audio still going out
                frames.append(json.loads(ws.recv(timeout=20)))
            assert frames[-1]["status"] == "complete" and len(frames) > 10
            with pytest.raises(websockets.exceptions.ConnectionClosed):
                ws.recv(timeout=20)
            assert ws.close_code == 1001
        assert server.process.wait(timeout=30) in CLEAN_EXIT
        assert "timeout graceful shutdown exceeded" not in server.output()
        store = SqliteStore(tmp_path / "voicewire.db")
        key_id = server.key[3:11]
        assert store.active(key_id, "synthesis") == 0 and store.active(key_id, "socket") == 0
        store.close()
    finally:
        server.stop()


def test_a_turn_left_open_is_closed_at_the_drain_deadline(tmp_path: Path) -> None:
    server = start_server(tmp_path, units=1, extra_env={"VOICEWIRE_DRAIN_TIMEOUT": "1"})
    try:
        with connect(server.ws_url + "/waves/v1/tts/live", additional_headers=server.headers) as ws:
            # A first chunk proves the turn is open before the signal (a SIGTERM that came before the
            # server read the text found no turn and closed at once: CI saw 10 ms).
            ws.send(json.dumps({"text": "This turn is open. It waits for more", "voice_id": "heart", "continue": True}))
            assert json.loads(ws.recv(timeout=20))["status"] == "chunk"
            started = time.monotonic()
            server.process.send_signal(signal.SIGTERM)
            with pytest.raises(websockets.exceptions.ConnectionClosed):
                while True:
                    ws.recv(timeout=20)
            assert ws.close_code == 1001
            assert 0.8 < time.monotonic() - started < 6
        assert server.process.wait(timeout=30) in CLEAN_EXIT
    finally:
        server.stop()


def test_several_workers_stop_on_sigterm(tmp_path: Path) -> None:
    server = start_server(tmp_path, "--workers", "2", extra_env={"VOICEWIRE_WORKERS": "2"}, units=1)
    try:
        with connect(server.ws_url + "/waves/v1/tts/live", additional_headers=server.headers) as ws:
            ws.send(json.dumps({"text": "Goodbye.", "voice_id": "heart"}))
            assert json.loads(ws.recv(timeout=20))["status"] in ("chunk", "complete")
            server.process.send_signal(signal.SIGTERM)
            deadline = time.monotonic() + 5
            while not refused(server):  # the listening socket closes once the signal is handled
                assert time.monotonic() < deadline, "a stopping server must not accept new connections"
                time.sleep(0.02)
            with pytest.raises(websockets.exceptions.ConnectionClosed):
                while True:
                    ws.recv(timeout=20)
            assert ws.close_code == 1001
        assert server.process.wait(timeout=60) == 0
    finally:
        server.stop()


def worker_pids(server: RunningServer) -> list[int]:
    """The supervisor's worker processes (multiprocessing's spawned children, not its resource tracker)."""
    children = Path(f"/proc/{server.process.pid}/task/{server.process.pid}/children").read_text().split()
    return [int(pid) for pid in children if b"spawn_main" in Path(f"/proc/{pid}/cmdline").read_bytes()]


def test_a_worker_started_again_keeps_the_server_not_ready_until_it_has_loaded(tmp_path: Path) -> None:
    """Readiness is the server's, not one process's: while a worker that died is started again and
    loads its voices, the other process answers the probes too, and says not ready."""
    server = start_server(tmp_path, "--workers", "2", extra_env={"VOICEWIRE_WORKERS": "2"})
    try:
        workers = worker_pids(server)
        assert len(workers) == 2
        os.kill(workers[0], signal.SIGKILL)
        deadline = time.monotonic() + 60
        while server.output().count("Started server process") < 3:  # the new one has its runtime
            assert time.monotonic() < deadline, server.output()
            time.sleep(0.02)
        answers = []
        while not answers or not answers[-1][0]:
            assert time.monotonic() < deadline + 60, server.output()
            ready = httpx.get(server.url + "/waves/v1/health", timeout=5).json()["ready"]
            answers.append((ready, server.output().count("= voices loaded")))  # logged before it says ready
            time.sleep(0.02)
        assert answers[0][0] is False  # the process that stayed up answers too, and waits for its neighbour
        assert all(loaded == 3 for ready, loaded in answers if ready)
    finally:
        server.stop()


def test_two_workers_open_piper_sessions_for_lone_calls_and_serve_with_them(tmp_path: Path) -> None:
    """The default server (two processes, lone-call sessions on) speaks Piper once each process has
    its sessions for calls alone on the machine, and while both run calls side by side."""
    env = {"VOICEWIRE_WORKERS": "2", "VOICEWIRE_LONE_THREADS": "2"}
    server = start_server(tmp_path, "--workers", "2", extra_env=env, units=4)
    try:
        deadline = time.monotonic() + 60
        while server.log.read_text().count("threads for a call alone on the machine") < 2:
            assert time.monotonic() < deadline, server.log.read_text()
            time.sleep(0.1)
        body = {"text": "The birch canoe slid on the smooth planks.", "voice_id": "joe", "output_format": "wav",
                "sample_rate": 22050}

        def speak() -> bytes:
            answer = httpx.post(server.url + "/waves/v1/tts", json=body, headers=server.headers, timeout=60)
            assert answer.status_code == 200, answer.text
            return answer.content

        alone = speak()
        with ThreadPoolExecutor(4) as pool:
            beside = list(pool.map(lambda _: speak(), range(4)))
        for wav in (alone, *beside):
            with wave.open(io.BytesIO(wav)) as audio:
                assert audio.getframerate() == 22050 and audio.getnframes() / 22050 > 1.5
    finally:
        server.stop()


@pytest.mark.parametrize(("cores", "processes", "threads"), [(2, 2, 2), (2, 1, 2), (8, 2, 4), (2, 4, 2), (16, 4, 4)])
def test_processes_share_the_cores_with_two_synthesis_workers_at_least(cores: int, processes: int,
                                                                        threads: int) -> None:  # fmt: skip
    """Each process has two workers or more (a lone stream's next unit is made beside the one being
    decoded), and the processes' capacity together promises what the cores can give, no more."""
    shared = share_cores(Settings(workers=processes, utilization=0.8), cores)
    assert shared.synthesis_workers == threads
    budget = shared.synthesis_workers * shared.utilization * processes
    assert budget == pytest.approx(0.8 * cores)
