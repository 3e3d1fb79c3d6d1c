"""Scale-out: two replicas on two ports share keys and limits through a real redis-server."""

from __future__ import annotations

import contextlib
import json
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import numpy as np
import pytest
import websockets
from websockets.sync.client import ClientConnection, connect

from support.judge import transcribe
from support.redis_server import RedisServer, redis_server
from support.server import RunningServer, start_server
from voicewire.auth.redis import RedisStore

TEXT = "A request that takes a little while, so that the burst finds every unit busy at once."
SENTENCE = "Replicas share one key's limits through Redis, and a long request holds its unit."
MEDIUM = " ".join([SENTENCE] * 4)
TTL = 2.0


@dataclass
class Cluster:
    redis: RedisServer
    a: RunningServer
    b: RunningServer


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    with redis_server(tmp_path_factory.mktemp("redis")) as redis:
        env = {"VOICEWIRE_STORE": redis.url, "VOICEWIRE_LEASE_TTL": str(TTL)}
        a = start_server(tmp_path_factory.mktemp("replica-a"), extra_env=env, units=16)
        b = start_server(tmp_path_factory.mktemp("replica-b"), extra_env=env)
        b.key = a.key  # one store: a key made for one replica works on every replica
        try:
            yield Cluster(redis, a, b)
        finally:
            a.stop()
            b.stop()


def make_key(cluster: Cluster, units: int, name: str) -> tuple[str, str]:
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "voicewire",
            "keys",
            "create",
            "--store",
            cluster.redis.url,
            "--name",
            name,
            "--units",
            str(units),
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    key = done.stdout.strip()
    return key, key[3:11]


def post(server: RunningServer, key: str, text: str = TEXT, timeout: float = 120) -> httpx.Response:
    return httpx.post(server.url + "/waves/v1/tts", headers={"Authorization": f"Bearer {key}"}, timeout=timeout,
                      json={"text": text, "voice_id": "magnus", "sample_rate": 8000})  # fmt: skip


def in_background(server: RunningServer, key: str, text: str) -> threading.Thread:
    def run() -> None:
        with contextlib.suppress(httpx.TransportError):  # the replica may be killed under it
            post(server, key, text)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread


@contextlib.contextmanager
def holding_a_unit(server: RunningServer, key: str) -> Iterator[ClientConnection]:
    """A WebSocket turn left open: it holds one of the key's units, for as long as the test needs,
    from its first synthesis until it ends (here, at the end of the with-block)."""
    with connect(server.ws_url + "/waves/v1/tts/live", additional_headers={"Authorization": f"Bearer {key}"}) as ws:
        ws.send(json.dumps({"text": "The first part of a long answer is spoken, and", "voice_id": "heart",
                            "continue": True}))  # fmt: skip
        assert json.loads(ws.recv(timeout=20))["status"] == "chunk"
        yield ws
        ws.send(json.dumps({"text": " the rest comes now.", "voice_id": "heart", "flush": True}))
        while json.loads(ws.recv(timeout=20))["status"] != "complete":
            pass


def wait_active(store: RedisStore, key_id: str, count: int, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while store.active(key_id, "synthesis") != count:
        assert time.monotonic() < deadline, f"active syntheses never reached {count}"
        time.sleep(0.02)


def test_a_key_made_once_works_on_both_replicas(cluster: Cluster) -> None:
    key, _ = make_key(cluster, 1, "both")
    assert post(cluster.a, key).status_code == 200
    assert post(cluster.b, key).status_code == 200


def test_a_dictionary_made_through_one_replica_is_used_by_the_next_request_on_the_other(cluster: Cluster) -> None:
    key, _ = make_key(cluster, 2, "dicts")
    other, _ = make_key(cluster, 1, "dicts-other")

    def dicts(server: RunningServer, method: str, body: object, who: str = key) -> httpx.Response:
        return httpx.request(method, server.url + "/waves/v1/pronunciation-dicts", timeout=30,
                             headers={"Authorization": f"Bearer {who}"}, content=json.dumps(body))  # fmt: skip

    def heard(server: RunningServer, dict_id: str) -> str:
        r = httpx.post(server.url + "/waves/v1/tts", headers={"Authorization": f"Bearer {key}"}, timeout=60,
                       json={"text": "Please pass the Qzvkt to me.", "voice_id": "heart", "sample_rate": 16000,
                             "pronunciation_dicts": [dict_id]})  # fmt: skip
        assert r.status_code == 200, r.text
        return transcribe(np.frombuffer(r.content, "<i2").astype(np.float32) / 32768, 16000).lower()

    made = dicts(cluster.a, "POST", {"items": [{"word": "qzvkt", "pronunciation": "marmalade"}]})
    dict_id = made.json()["id"]
    assert [d["id"] for d in dicts(cluster.b, "GET", None).json()] == [dict_id]
    assert dicts(cluster.b, "GET", None, who=other).json() == []
    borrowed = httpx.post(cluster.b.url + "/waves/v1/tts", headers={"Authorization": f"Bearer {other}"}, timeout=30,
                          json={"text": "Hi.", "voice_id": "heart", "pronunciation_dicts": [dict_id]})  # fmt: skip
    assert borrowed.status_code == 400 and "pronunciation_dicts" in borrowed.json()["error"]
    assert "marmalade" in heard(cluster.b, dict_id)
    pineapple = [{"word": "qzvkt", "pronunciation": "pineapple"}]
    assert dicts(cluster.b, "PUT", {"id": dict_id, "items": pineapple}).is_success
    assert "pineapple" in heard(cluster.a, dict_id)  # the change, on the next request, on the other replica
    assert dicts(cluster.a, "DELETE", {"id": dict_id}).json() == {"id": dict_id, "deleted": True}
    gone = httpx.post(cluster.b.url + "/waves/v1/tts", headers={"Authorization": f"Bearer {key}"}, timeout=30,
                      json={"text": "Hi.", "voice_id": "heart", "pronunciation_dicts": [dict_id]})  # fmt: skip
    assert gone.status_code == 400 and "pronunciation_dicts" in gone.json()["error"]


def test_a_burst_across_two_replicas_never_exceeds_the_units(cluster: Cluster) -> None:
    key, key_id = make_key(cluster, 2, "burst")
    store = RedisStore(cluster.redis.url)
    seen: list[int] = []
    sampling = True

    def sample() -> None:
        while sampling:
            seen.append(store.active(key_id, "synthesis"))
            time.sleep(0.002)

    sampler = threading.Thread(target=sample)
    sampler.start()
    start = threading.Barrier(50)
    codes: list[int] = []

    def one(i: int) -> None:
        start.wait(timeout=30)
        codes.append(post(cluster.a if i % 2 else cluster.b, key).status_code)

    threads = [threading.Thread(target=one, args=(i,)) for i in range(50)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=180)
    sampling = False
    sampler.join()
    assert sorted(set(codes)) == [200, 429] and len(codes) == 50
    assert max(seen) == 2
    wait_active(store, key_id, 0, timeout=5)
    store.close()


def test_one_replica_refuses_what_the_other_holds(cluster: Cluster) -> None:
    key, key_id = make_key(cluster, 1, "shared")
    store = RedisStore(cluster.redis.url)
    busy = in_background(cluster.a, key, MEDIUM)
    wait_active(store, key_id, 1)
    r = post(cluster.b, key)
    assert r.status_code == 429 and r.json()["code"] == "limit_exceeded"
    busy.join(timeout=120)
    wait_active(store, key_id, 0, timeout=5)
    assert post(cluster.b, key).status_code == 200
    store.close()


def test_unreachable_redis_fails_closed_and_recovers_without_over_admitting(cluster: Cluster) -> None:
    key, key_id = make_key(cluster, 1, "outage")
    store = RedisStore(cluster.redis.url)
    with holding_a_unit(cluster.a, key):  # the key's only unit, held through the outage
        wait_active(store, key_id, 1)
        cluster.redis.pause()
        try:
            time.sleep(TTL + 0.5)  # longer than a lease lives without renewal
            r = post(cluster.b, key, timeout=30)
            assert r.status_code == 503
            assert r.json()["code"] == "store_unavailable" and "unreachable" in r.json()["error"]
        finally:
            cluster.redis.resume()
        time.sleep(1.0)  # replica A puts its lease back as soon as Redis answers again
        r = post(cluster.b, key)
        assert r.status_code == 429, "a replica admitted work over the key's limit after the outage"
    wait_active(store, key_id, 0, timeout=5)
    assert post(cluster.b, key).status_code == 200
    store.close()


def test_a_killed_replica_frees_its_units_within_the_ttl(
    cluster: Cluster, tmp_path_factory: pytest.TempPathFactory
) -> None:
    env = {"VOICEWIRE_STORE": cluster.redis.url, "VOICEWIRE_LEASE_TTL": str(TTL)}
    doomed = start_server(tmp_path_factory.mktemp("replica-c"), extra_env=env)
    key, key_id = make_key(cluster, 1, "crash")
    store = RedisStore(cluster.redis.url)
    with contextlib.suppress(websockets.exceptions.ConnectionClosed), holding_a_unit(doomed, key):
        wait_active(store, key_id, 1)
        doomed.process.send_signal(signal.SIGKILL)
        doomed.process.wait()
        killed = time.monotonic()
        assert post(cluster.b, key).status_code == 429  # the lease outlives its process...
        wait_active(store, key_id, 0, timeout=TTL + 2)  # ...by at most its ttl
        assert time.monotonic() - killed <= TTL + 0.5
    assert post(cluster.b, key).status_code == 200
    store.close()
