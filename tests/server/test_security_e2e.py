"""The security model of SECURITY.md, against real servers: key guessing is braked per client, keys
never reach logs or error bodies, CORS is closed unless configured, bodies are size-limited."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator

import httpx
import pytest
import websockets
from websockets.sync.client import connect

from support.inprocess import InProcessServer, RecordingEngine
from support.server import RunningServer, start_server
from voicewire.engines.hibari import HibariEngine

TTS = "/waves/v1/tts"
LIVE = "/waves/v1/tts/live"
BODY = {"text": "Hi.", "voice_id": "heart"}
LIMIT = 20  # wrong keys a minute: a token back every 3 s, so the test can wait for one


@pytest.fixture(scope="module")
def braked(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    running = start_server(tmp_path_factory.mktemp("security"), extra_env={"VOICEWIRE_FAILED_AUTH_LIMIT": str(LIMIT)})
    yield running
    running.stop()


def test_key_guessing_is_braked_per_client_for_every_key(braked: RunningServer) -> None:
    # Guess until refused. The budget is LIMIT, plus a token back per 3 s the guessing took (on a
    # loaded CI box 20 requests can take longer than that): exactly LIMIT when it was quick.
    started, statuses = time.monotonic(), []
    with httpx.Client() as client:
        for n in range(LIMIT + 10):
            guess = f"vw_guess{n:04d}{'x' * 30}"
            refused = client.post(braked.url + TTS, json=BODY, headers={"Authorization": f"Bearer {guess}"})
            statuses.append(refused.status_code)
            if refused.status_code != 401:
                break
    refills = int((time.monotonic() - started) / (60 / LIMIT))
    assert statuses[:LIMIT] == [401] * LIMIT and len(statuses) <= LIMIT + refills + 1, statuses
    assert refused.status_code == 429 and refused.json()["code"] == "too_many_failed_attempts"
    wait = int(refused.headers["Retry-After"])
    assert 1 <= wait <= 3
    # While braked, even the right key is refused: a lucky guess would be refused too.
    assert httpx.post(braked.url + TTS, json=BODY, headers=braked.headers).status_code == 429
    with pytest.raises(websockets.exceptions.InvalidStatus) as info:
        connect(braked.ws_url + LIVE, additional_headers=braked.headers)
    assert info.value.response.status_code == 429
    # A missing key is no guess: it is a plain 401, not counted, and health needs no key at all.
    assert httpx.get(braked.url + "/waves/v1/health").status_code == 200
    time.sleep(wait + 0.2)
    good = httpx.post(braked.url + TTS, json=BODY, headers=braked.headers)
    assert good.status_code == 200 and len(good.content) > 1000
    # One token came back, not the whole budget.
    assert httpx.post(braked.url + TTS, json=BODY, headers={"Authorization": "Bearer vw_wrong"}).status_code == 401
    assert httpx.post(braked.url + TTS, json=BODY, headers={"Authorization": "Bearer vw_wrong"}).status_code == 429


def test_keys_never_reach_logs_or_error_bodies(tmp_path_factory: pytest.TempPathFactory) -> None:
    server = start_server(tmp_path_factory.mktemp("quiet"), units=2)  # a key made before: none is printed
    wrong = "vw_AbCdEf" + "Q" * 32
    try:
        bodies = [
            httpx.post(server.url + TTS, json=BODY, headers=server.headers).content,
            httpx.post(server.url + TTS, json=BODY, headers={"Authorization": f"Bearer {wrong}"}).text,
            httpx.post(server.url + TTS, json={"voice_id": 5}, headers=server.headers).text,
            httpx.post(server.url + LIVE, json=BODY, headers={"Authorization": f"Bearer {wrong}"}).text,
            httpx.get(server.url + "/waves/v1/voice/get-all-models", headers={"Authorization": wrong}).text,
        ]
        with connect(server.ws_url + LIVE, subprotocols=["voicewire", f"authorization.bearer.{server.key}"]) as ws:  # type: ignore[list-item]
            ws.send(json.dumps({**BODY, "voice_id": "nobody"}))
            bodies.append(ws.recv(timeout=30))
        with pytest.raises(websockets.exceptions.InvalidStatus) as info:
            connect(server.ws_url + LIVE, additional_headers={"Authorization": f"Bearer {wrong}"})
        bodies.append(info.value.response.body)
    finally:
        server.stop()
    log = server.output()
    assert "POST /waves/v1/tts" in log or '"/waves/v1/tts"' in log  # requests were logged...
    for body in [*bodies, log]:
        text = body if isinstance(body, str) else body.decode("latin-1")
        assert server.key not in text and wrong not in text  # ...but no key, right or wrong
        assert server.key[-16:] not in text  # not even part of its secret


@pytest.fixture(scope="module")
def engine(hibari_engine: HibariEngine) -> RecordingEngine:
    return RecordingEngine(hibari_engine)


def test_cors_is_closed_by_default(engine: RecordingEngine, tmp_path_factory: pytest.TempPathFactory) -> None:
    with InProcessServer(engine, tmp_path_factory.mktemp("cors-closed")) as server:
        url = f"http://127.0.0.1:{server.port}"
        preflight = httpx.options(url + TTS, headers={"Origin": "https://evil.example",
                                                       "Access-Control-Request-Method": "POST"})  # fmt: skip
        assert "access-control-allow-origin" not in preflight.headers
        simple = httpx.post(url + TTS, json=BODY, headers={**server.headers, "Origin": "https://evil.example"})
        assert simple.status_code == 200 and "access-control-allow-origin" not in simple.headers


def test_cors_opens_for_the_configured_origins(
    engine: RecordingEngine, tmp_path_factory: pytest.TempPathFactory
) -> None:
    allowed = "https://app.example"
    asks = {"Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "authorization,content-type"}
    with InProcessServer(engine, tmp_path_factory.mktemp("cors-open"), cors_origins=(allowed,)) as server:
        url = f"http://127.0.0.1:{server.port}"
        preflight = httpx.options(url + TTS, headers={"Origin": allowed, **asks})
        assert preflight.status_code == 200
        assert preflight.headers["access-control-allow-origin"] == allowed
        assert "authorization" in preflight.headers["access-control-allow-headers"].lower()
        simple = httpx.post(url + TTS, json=BODY, headers={**server.headers, "Origin": allowed})
        assert simple.headers["access-control-allow-origin"] == allowed
        other = httpx.options(url + TTS, headers={"Origin": "https://evil.example", **asks})
        assert other.status_code == 400 and "access-control-allow-origin" not in other.headers


def test_bodies_over_the_limit_are_refused_before_they_are_read(
    engine: RecordingEngine, tmp_path_factory: pytest.TempPathFactory
) -> None:
    with InProcessServer(engine, tmp_path_factory.mktemp("bodies")) as server:
        url = f"http://127.0.0.1:{server.port}"
        headers = {**server.headers, "Content-Type": "application/json"}
        declared = httpx.post(url + TTS, headers=headers, content=b"{" + b" " * (1 << 20) + b"}")
        assert declared.status_code == 413 and declared.json()["code"] == "body_too_large"

        def chunked() -> Iterator[bytes]:  # no Content-Length: counted as it arrives
            yield b'{"text": "'
            for _ in range(20):
                yield b"x" * 65536
            yield b'", "voice_id": "heart"}'

        streamed = httpx.post(url + TTS, headers=headers, content=chunked())
        assert streamed.status_code == 413 and "1048576 bytes" in streamed.json()["error"]
