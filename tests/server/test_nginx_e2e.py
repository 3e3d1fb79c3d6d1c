"""deploy/nginx.conf, tested: Debian's nginx on loopback in front of two replicas that share one
redis-server. Only the replicas' addresses, the listen port and the log folder are substituted; the
official SDK's sync and live calls go through it, and a key's limit holds across both replicas."""

from __future__ import annotations

import base64
import contextlib
import itertools
import json
import os
import pwd
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
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
from support.redis_server import RedisServer, redis_server
from support.server import Loopback, RunningServer, free_port, start_server
from voicewire.auth.redis import RedisStore

CONF = Path(__file__).resolve().parents[2] / "deploy" / "nginx.conf"
PROXY_ADDRESS = "127.0.0.5"
"""nginx connects to the replicas from this address, as a proxy on another host would (not 127.0.0.1,
which uvicorn trusts by default)."""
BRAKE = 5
"""Wrong keys per minute an address may send (per replica process) before all its keys are refused."""
LIVE = "/waves/v1/tts/live"
SENTENCE = "Every replica behind the proxy shares one key's limits through Redis."
LONG = " ".join([SENTENCE] * 8)  # a few seconds of Piper synthesis: it outlasts the burst


@dataclass
class Proxy(Loopback):
    process: subprocess.Popen[bytes]
    port: int
    folder: Path

    def access_log(self) -> list[str]:
        path = self.folder / "logs" / "voicewire.access.log"
        return path.read_text(encoding="utf-8").splitlines() if path.exists() else []

    def error_log(self) -> str:
        return (self.folder / "error.log").read_text(encoding="utf-8", errors="replace")

    def stop(self) -> None:
        if self.process.poll() is None:
            pid = int((self.folder / "nginx.pid").read_text().strip())
            assert pid == self.process.pid, "the pid file names another process than the nginx we started"
            os.kill(pid, signal.SIGTERM)  # fast shutdown: the master stops its workers, then exits
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


@dataclass
class Cluster:
    redis: RedisServer
    a: RunningServer
    b: RunningServer
    proxy: Proxy

    @property
    def key(self) -> str:
        return self.a.key


def render(conf: str, replicas: list[int], port: int, logs: Path) -> str:
    """deploy/nginx.conf with loopback addresses, a free port and a log folder of its own."""
    substitutions = [
        ("server 10.0.0.11:8000 ", f"server 127.0.0.1:{replicas[0]} "),
        ("server 10.0.0.12:8000 ", f"server 127.0.0.1:{replicas[1]} "),
        ("listen 80;", f"listen 127.0.0.1:{port};"),
        ("/var/log/nginx/", f"{logs}/"),
        ("    proxy_http_version 1.1;\n", f"    proxy_http_version 1.1;\n    proxy_bind {PROXY_ADDRESS};\n"),
    ]
    for old, new in substitutions:
        assert conf.count(old) == 1, f"deploy/nginx.conf should have {old!r} exactly once (the test substitutes it)"
        conf = conf.replace(old, new)
    assert "/var/" not in conf and "/run/" not in conf, "the sample config writes outside the test's folder"
    return conf


def main_conf(folder: Path) -> str:
    """The parts of nginx.conf that are the host's, not voicewire's: all inside ``folder``."""
    # Started as root, nginx would run its workers as nobody, who cannot enter pytest's 0700 folders.
    user = f"user {pwd.getpwuid(os.geteuid()).pw_name};" if os.geteuid() == 0 else ""
    return f"""{user}
worker_processes 1;
pid {folder}/nginx.pid;
error_log {folder}/error.log notice;
events {{ worker_connections 512; }}
http {{
    access_log {folder}/logs/other.access.log;
    client_body_temp_path {folder}/temp/client_body;
    proxy_temp_path {folder}/temp/proxy;
    fastcgi_temp_path {folder}/temp/fastcgi;
    uwsgi_temp_path {folder}/temp/uwsgi;
    scgi_temp_path {folder}/temp/scgi;
    include {folder}/voicewire.conf;
}}
"""


def start_nginx(folder: Path, replicas: list[int]) -> Proxy:
    binary = shutil.which("nginx") or shutil.which("nginx", path="/usr/sbin:/sbin")
    if binary is None:
        pytest.fail("nginx is not installed: .ci/run installs it (apt-get install nginx).")
    port = free_port()
    (folder / "logs").mkdir()
    (folder / "temp").mkdir()
    (folder / "voicewire.conf").write_text(render(CONF.read_text(encoding="utf-8"), replicas, port, folder / "logs"))
    (folder / "nginx.conf").write_text(main_conf(folder))
    command = [binary, "-p", f"{folder}/", "-c", str(folder / "nginx.conf"), "-e", str(folder / "error.log")]
    checked = subprocess.run([*command, "-t"], capture_output=True, text=True)
    if checked.returncode != 0:
        pytest.fail(f"nginx -t refused deploy/nginx.conf:\n{checked.stderr}")
    process = subprocess.Popen([*command, "-g", "daemon off;"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 10
    while True:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return Proxy(process, port, folder)
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            pytest.fail(f"nginx did not start:\n{(folder / 'error.log').read_text(errors='replace')}")
        time.sleep(0.02)


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    with redis_server(tmp_path_factory.mktemp("redis")) as redis, contextlib.ExitStack() as stack:
        env = {"VOICEWIRE_STORE": redis.url, "VOICEWIRE_LEASE_TTL": "5", "VOICEWIRE_FAILED_AUTH_LIMIT": str(BRAKE)}
        args = ("--forwarded-allow-ips", PROXY_ADDRESS)  # as deploy/nginx.conf says to start the replicas
        with ThreadPoolExecutor(2) as pool:  # both replicas load their engines at the same time
            started = [pool.submit(start_server, tmp_path_factory.mktemp(f"replica-{name}"), *args, extra_env=env,
                                   units=16) for name in "ab"]  # fmt: skip
            for future in started:
                if future.exception() is None:  # stop the one that started if the other did not
                    stack.callback(future.result().stop)
            a, b = (future.result() for future in started)
        proxy = start_nginx(tmp_path_factory.mktemp("nginx"), [a.port, b.port])
        stack.callback(proxy.stop)
        yield Cluster(redis, a, b, proxy)


def sdk(cluster: Cluster, http: httpx.Client) -> SmallestAI:
    url, ws_url = cluster.proxy.url, cluster.proxy.ws_url
    env = SmallestAIEnvironment(atoms=url, waves=url, waves_ws=ws_url, payment=url)
    return SmallestAI(api_key=cluster.key, environment=env, httpx_client=http)


def pcm(data: bytes) -> np.ndarray:
    return np.frombuffer(data, "<i2").astype(np.float32) / 32768


def served_by(cluster: Cluster, lines: list[str]) -> set[int]:
    """Replica ports that answered the access-log ``lines`` (the last upstream of each)."""
    ports = set()
    for line in lines:
        found = re.search(r"upstream=(\S+(?:, \S+)*) upstream_status", line)
        assert found, line
        ports.add(int(found.group(1).split(", ")[-1].rsplit(":", 1)[1]))
    return ports


# -- the official SDK, through nginx ---------------------------------------------------------------


def test_health_and_errors_pass_through(cluster: Cluster) -> None:
    health = httpx.get(cluster.proxy.url + "/waves/v1/health", timeout=10)
    assert health.status_code == 200 and health.json() == {"status": "ok", "ready": True}
    missing = httpx.get(cluster.proxy.url + "/waves/v1/nothing", headers=cluster.a.headers, timeout=10)
    assert missing.status_code == 404 and missing.json()["code"] == "not_found"  # voicewire's JSON, not nginx's
    big = httpx.post(cluster.proxy.url + "/waves/v1/tts", headers=cluster.a.headers, timeout=10,
                     json={"text": "x" * (1 << 20), "voice_id": "heart"})  # fmt: skip
    assert big.status_code == 413 and big.json()["code"] == "body_too_large"
    unauthorized = httpx.post(cluster.proxy.url + "/waves/v1/tts", json={"text": "Hi.", "voice_id": "heart"})
    assert unauthorized.status_code == 401 and unauthorized.json()["code"] == "unauthorized"


def test_a_client_sending_wrong_keys_is_braked_and_another_client_is_not(cluster: Cluster) -> None:
    """Behind the proxy each client keeps its own address: one client's wrong keys brake that client
    only (before --forwarded-allow-ips, every client looked like nginx and all were locked out)."""
    url = cluster.proxy.url + "/waves/v1/voice/get-all-models"

    def client(address: str) -> httpx.Client:
        return httpx.Client(transport=httpx.HTTPTransport(local_address=address), timeout=10)

    with client("127.0.0.2") as guesser, client("127.0.0.3") as honest:
        codes = [guesser.get(url, headers={"Authorization": f"Bearer vw_wrong{i:04d}"}).status_code
                 for i in range(2 * BRAKE + 2)]  # both replicas see more than BRAKE wrong keys  # fmt: skip
        assert codes[0] == 401 and codes[-1] == 429
        braked = guesser.get(url, headers=cluster.a.headers)
        assert braked.status_code == 429 and braked.json()["code"] == "too_many_failed_attempts"
        for _ in range(2):  # both replicas
            assert honest.get(url, headers=cluster.a.headers).status_code == 200
        assert honest.get(url, headers={"Authorization": "Bearer vw_wrongkey"}).status_code == 401


def test_sdk_sync_call(cluster: Cluster) -> None:
    with httpx.Client(timeout=60) as http:
        data = b"".join(sdk(cluster, http).waves.synthesize_tts(
            text="Hello through the proxy. The whole file comes back at once.", voice_id="magnus",
            output_format="wav", sample_rate=24000))  # fmt: skip
    samples, rate = decode(data, "wav", 24000)
    assert rate == 24000 and 2.0 < samples.size / rate < 7 and rms_db(samples) > -35


def test_sdk_streaming_shim(cluster: Cluster) -> None:
    tts = WavesStreamingTTS(TTSConfig(voice_id="heart", api_key=cluster.key, sample_rate=24000))
    tts.ws_url = cluster.proxy.ws_url + LIVE
    samples = pcm(b"".join(tts.synthesize("The WebSocket is upgraded by the proxy. Audio streams back.")))
    assert 2.0 < samples.size / 24000 < 7 and rms_db(samples) > -35


def test_fern_client_two_turns_on_one_connection(cluster: Cluster) -> None:
    request_ids = []
    with httpx.Client(timeout=60) as http, sdk(cluster, http).waves.tts.connect() as ws:
        for text, voice in [("The first turn, in one voice.", "heart"), ("The second turn, in another.", "magnus")]:
            ws.synthesize_streaming_tts(TtsRequestMessage(text=text, voice_id=voice, continue_=False,
                                                          sample_rate=24000))  # fmt: skip
            chunks = []
            for message in ws:
                if message.status == "chunk":
                    chunks.append(base64.b64decode(message.data.audio))
                elif message.status == "complete":
                    request_ids.append(message.request_id)
                    break
                else:
                    pytest.fail(f"unexpected frame {message}")
            samples = pcm(b"".join(chunks))
            assert 1.0 < samples.size / 24000 < 5 and rms_db(samples) > -35
    assert len(set(request_ids)) == 2


LONG_SENTENCE = (
    "The second sentence is much longer than the first one and it keeps going for quite a while "
    "without a single pause so that the engine needs a good part of a second to speak it and even "
    "a voice that streams a sentence piece by piece must first read all of it before any sound."
)


def test_sse_frames_are_not_buffered(cluster: Cluster) -> None:
    """A short first sentence, then long ones: its frame must arrive before the next sentence is made.

    A buffering proxy holds the tail of each response until more data comes, so the first frame
    would only be complete once the second sentence's audio pushes it out (measured with
    ``proxy_buffering on`` and X-Accel-Buffering ignored: first frame at 0.81 s, the next 1 ms later;
    as shipped: 0.14 s, then 0.95 s). The long sentence keeps that gap even if SSE comes to stream
    sentences block by block: Piper reads a whole sentence before its first block.

    Plain httpx: the SDK's ``synthesize_sse_tts`` parses each event as a string and drops every frame.
    """
    assert 250 < len(LONG_SENTENCE) < 300  # one unit: the chunker cuts sentences over 300 characters
    text = "Hello there. " + " ".join([LONG_SENTENCE] * 2)
    body = {"text": text, "voice_id": "magnus", "sample_rate": 8000, "output_format": "mulaw"}
    arrivals: list[float] = []
    frames: list[dict[str, Any]] = []
    started = time.monotonic()
    with httpx.stream("POST", cluster.proxy.url + LIVE, headers=cluster.a.headers, json=body, timeout=60) as r:
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/event-stream")
        for line in r.iter_lines():
            if line:
                arrivals.append(time.monotonic() - started)
                frames.append(json.loads(line.removeprefix("data: ")))
    statuses = [f["status"] for f in frames]
    assert statuses.count("complete") == 1 and statuses[-1] == "complete" and statuses.count("chunk") >= 4
    chunks = [base64.b64decode(f["data"]["audio"]) for f in frames if f["status"] == "chunk"]
    samples, _ = decode(b"".join(chunks), "mulaw", 8000)
    assert samples.size / 8000 > 20 and rms_db(samples) > -35
    # mulaw at 8 kHz: one byte per sample. "Hello there." is under 2 s; the first frame past 2 s of
    # audio belongs to the long sentence, made well after the first sentence's frames went out.
    heard = itertools.accumulate(len(c) / 8000 for c in chunks)
    later = next(i for i, seconds in enumerate(heard) if seconds > 2.0)
    first, second, last = arrivals[0], arrivals[later], arrivals[-1]
    assert second - first > 0.25, f"frames at {arrivals[: later + 1]} s: the first sentence was held back"
    assert first < 0.25 * last, f"the first frame came at {first:.2f} s, the last at {last:.2f} s: buffered"


# -- one key's limit across both replicas ----------------------------------------------------------


def make_key(cluster: Cluster, units: int, name: str) -> tuple[str, str]:
    command = ["keys", "create", "--store", cluster.redis.url, "--name", name, "--units", str(units)]
    done = subprocess.run([sys.executable, "-m", "voicewire", *command], capture_output=True, text=True, check=True)
    key = done.stdout.strip()
    return key, key[3:11]


def wait_active(store: RedisStore, key_id: str, count: int, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while store.active(key_id, "synthesis") != count:
        assert time.monotonic() < deadline, f"active syntheses never reached {count}"
        time.sleep(0.01)


def open_socket(cluster: Cluster, key: str) -> ClientConnection:
    return connect(cluster.proxy.ws_url + LIVE, additional_headers={"Authorization": f"Bearer {key}"},
                   open_timeout=10)  # fmt: skip


def test_a_one_unit_key_holds_across_both_replicas(cluster: Cluster) -> None:
    key, key_id = make_key(cluster, 1, "behind-nginx")
    headers = {"Authorization": f"Bearer {key}"}
    store = RedisStore(cluster.redis.url)
    seen: list[int] = []
    sampling = threading.Event()

    def sample() -> None:
        while not sampling.is_set():
            seen.append(store.active(key_id, "synthesis"))
            time.sleep(0.002)

    sampler = threading.Thread(target=sample)
    sampler.start()
    long_result: list[httpx.Response] = []
    busy = threading.Thread(target=lambda: long_result.append(httpx.post(
        cluster.proxy.url + "/waves/v1/tts", headers=headers, timeout=120,
        json={"text": LONG, "voice_id": "magnus", "output_format": "wav", "sample_rate": 8000})))  # fmt: skip
    try:
        before = len(cluster.proxy.access_log())
        busy.start()
        wait_active(store, key_id, 1)
        refused = []
        for i in range(6):  # round-robin: three land on each replica
            path = LIVE if i % 3 == 2 else "/waves/v1/tts"
            refused.append(httpx.post(cluster.proxy.url + path, headers=headers, timeout=30,
                                      json={"text": "Refused, wherever it lands.", "voice_id": "heart"}))  # fmt: skip
        with open_socket(cluster, key) as ws:  # a WebSocket turn is refused too, in an error frame
            ws.send(json.dumps({"text": "A turn over the limit.", "voice_id": "heart"}))
            frame = json.loads(ws.recv(timeout=10))
        assert busy.is_alive(), "the long request ended before the burst did: the test proved nothing"
        time.sleep(0.2)  # nginx writes its access log line once the response is over
        burst = cluster.proxy.access_log()[before:]
    finally:
        busy.join(timeout=120)
        sampling.set()
        sampler.join()
    assert [r.status_code for r in refused] == [429] * 6
    assert all(r.json()["code"] == "limit_exceeded" and r.headers["retry-after"] == "1" for r in refused)
    assert frame["status"] == "error" and frame["code"] == "limit_exceeded"
    refused_lines = [line for line in burst if '"POST ' in line and " 429 " in line]
    assert len(refused_lines) == 6
    assert served_by(cluster, refused_lines) == {cluster.a.port, cluster.b.port}, "one replica got every request"
    assert max(seen) == 1, "the store held more than the key's one unit"
    assert long_result and long_result[0].status_code == 200
    samples, _ = decode(long_result[0].content, "wav", 8000)
    assert samples.size / 8000 > 20
    wait_active(store, key_id, 0, timeout=5)
    after = httpx.post(cluster.proxy.url + "/waves/v1/tts", headers=headers, timeout=60,
                       json={"text": "Now there is room again.", "voice_id": "heart"})  # fmt: skip
    assert after.status_code == 200 and len(after.content) > 8000
    store.close()


def test_five_sockets_per_unit_across_both_replicas(cluster: Cluster) -> None:
    key, _ = make_key(cluster, 1, "sockets-behind-nginx")
    before = len(cluster.proxy.access_log())
    with contextlib.ExitStack() as stack:
        for _ in range(5):
            stack.enter_context(open_socket(cluster, key))
        with pytest.raises(websockets.exceptions.InvalidStatus) as refused:
            open_socket(cluster, key)
        assert refused.value.response.status_code == 429
        assert json.loads(refused.value.response.body)["code"] == "limit_exceeded"
    time.sleep(0.2)
    upgraded = [line for line in cluster.proxy.access_log()[before:] if '"GET ' + LIVE in line and " 101 " in line]
    assert served_by(cluster, upgraded) == {cluster.a.port, cluster.b.port}
    with open_socket(cluster, key) as ws:  # the sockets' slots came back when they closed
        ws.send(json.dumps({"text": "Room again.", "voice_id": "heart"}))
        assert json.loads(ws.recv(timeout=10))["status"] == "chunk"


# -- a rolling restart (last: it stops replica B) ---------------------------------------------------


def frames_until_done(ws: ClientConnection) -> list[dict[str, Any]]:
    frames = []
    while not frames or frames[-1]["status"] not in ("complete", "error"):
        frames.append(json.loads(ws.recv(timeout=30)))
    return frames


def test_sigterm_drains_a_replica_and_nginx_routes_around_it(cluster: Cluster) -> None:
    """A replica stopped with SIGTERM finishes its turn, closes its socket with 1001 through nginx, and
    stops listening: nginx sends every new request to the other replica, and none fails."""
    turn = json.dumps({"text": " ".join([SENTENCE] * 4), "voice_id": "magnus", "sample_rate": 8000})
    outcomes = []
    with contextlib.ExitStack() as stack:
        # round-robin: one socket on each replica
        sockets = [stack.enter_context(open_socket(cluster, cluster.key)) for _ in range(2)]
        for ws in sockets:
            ws.send(turn)
        for ws in sockets:
            assert json.loads(ws.recv(timeout=10))["status"] == "chunk"
        cluster.b.process.send_signal(signal.SIGTERM)  # while both turns are being spoken
        for ws in sockets:
            frames = frames_until_done(ws)
            assert frames[-1]["status"] == "complete", frames[-1]  # the turn on B was not cut
        assert cluster.b.process.wait(timeout=40) in (0, -signal.SIGTERM)  # uvicorn re-raises SIGTERM
        errors_before = len(cluster.proxy.error_log())
        for ws in sockets:
            try:
                ws.recv(timeout=1)
                outcomes.append("frame")
            except TimeoutError:
                ws.send(json.dumps({"text": "Still here.", "voice_id": "heart"}))
                outcomes.append("open" if frames_until_done(ws)[-1]["status"] == "complete" else "broken")
            except websockets.exceptions.ConnectionClosed:
                outcomes.append(f"closed {ws.close_code}")
    assert sorted(outcomes) == ["closed 1001", "open"]
    before = len(cluster.proxy.access_log())
    with httpx.Client(timeout=60) as http:
        for i in range(4):
            body = {"text": f"Request {i} finds the replica that is left.", "voice_id": "heart"}
            r = http.post(cluster.proxy.url + "/waves/v1/tts", headers=cluster.a.headers, json=body)
            assert r.status_code == 200 and len(r.content) > 8000
        assert http.get(cluster.proxy.url + "/waves/v1/health").json()["ready"] is True
    time.sleep(0.2)
    assert served_by(cluster, cluster.proxy.access_log()[before:]) == {cluster.a.port}
    # nginx did try B: its connection was refused, and the request went on to A.
    assert f"127.0.0.1:{cluster.b.port}" in cluster.proxy.error_log()[errors_before:]
