"""/metrics, /readyz and the access log, over a real socket (the metrics registry is process-wide, so
every check is a difference between two scrapes)."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families
from websockets.sync.client import connect

from support.inprocess import InProcessServer, RecordingEngine
from voicewire.engines.hibari import HibariEngine


@pytest.fixture(scope="module")
def server(hibari_engine: HibariEngine, tmp_path_factory: pytest.TempPathFactory) -> Iterator[InProcessServer]:
    with InProcessServer(RecordingEngine(hibari_engine), tmp_path_factory.mktemp("metrics"), units=4) as running:
        yield running


def scrape(server: InProcessServer) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    r = httpx.get(f"http://127.0.0.1:{server.port}/metrics")  # no key needed
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/plain")
    samples = {}
    for family in text_string_to_metric_families(r.text):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


def value(samples: dict[tuple[str, tuple[tuple[str, str], ...]], float], name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def speak_everywhere(server: InProcessServer) -> None:
    base = f"http://127.0.0.1:{server.port}"
    body = {"text": "Count me in.", "voice_id": "heart", "sample_rate": 8000}
    assert httpx.post(base + "/waves/v1/tts", headers=server.headers, json=body).status_code == 200
    with httpx.stream("POST", base + "/waves/v1/tts/live", headers=server.headers, json=body) as r:
        assert list(r.iter_lines())
    with connect(f"ws://127.0.0.1:{server.port}/waves/v1/tts/live", additional_headers=server.headers) as ws:
        ws.send(json.dumps(body))
        while json.loads(ws.recv(timeout=20))["status"] != "complete":
            pass
    assert httpx.post(base + "/waves/v1/tts", json=body).status_code == 401
    assert httpx.post(base + "/waves/v1/tts", headers=server.headers, json={**body, "speed": 9}).status_code == 400


def test_metrics_count_what_happened(server: InProcessServer) -> None:
    before = scrape(server)
    speak_everywhere(server)
    after = scrape(server)

    def grew(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    assert grew("voicewire_requests_total", endpoint="/waves/v1/tts", status="200") == 1
    assert grew("voicewire_requests_total", endpoint="/waves/v1/tts", status="401") == 1
    assert grew("voicewire_requests_total", endpoint="/waves/v1/tts", status="400") == 1
    assert grew("voicewire_requests_total", endpoint="/waves/v1/tts/live", status="200") == 1
    assert grew("voicewire_requests_total", endpoint="websocket", status="101") == 1
    assert grew("voicewire_requests_total", endpoint="websocket turn", status="complete") == 1
    assert grew("voicewire_auth_failures_total") == 1
    for endpoint in ("sync", "sse", "websocket"):
        assert grew("voicewire_first_audio_seconds_count", engine="hibari", endpoint=endpoint) == 1
    assert grew("voicewire_synthesis_realtime_factor_count", engine="hibari") >= 3
    assert grew("voicewire_queue_wait_seconds_count") >= 3
    for kind in ("sync", "sse", "turn"):
        assert value(after, "voicewire_active", kind=kind, engine="hibari") == 0  # all finished
    assert value(after, "voicewire_ready") == 1


def test_live_event_loop_tasks(server: InProcessServer) -> None:
    speak_everywhere(server)
    tasks = value(scrape(server), "voicewire_event_loop_tasks")
    assert tasks >= 2  # at least uvicorn's own task and the sampler's


def test_readiness(server: InProcessServer) -> None:
    r = httpx.get(f"http://127.0.0.1:{server.port}/readyz")
    assert r.status_code == 200 and r.json() == {"ready": True}


def test_one_access_line_per_request_or_turn_and_never_the_key(
    server: InProcessServer, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="voicewire.access"):
        speak_everywhere(server)
    lines = [json.loads(r.getMessage()) for r in caplog.records if r.name == "voicewire.access"]
    assert server.key not in caplog.text
    served = [line for line in lines if line.get("audio_seconds")]
    assert sorted(line["event"] for line in served) == ["request", "request", "turn"]
    for line in served:
        assert line["key"] == "flow" and line["model"] == "lightning_v3.1" and line["voice"] == "heart"
        assert line["characters"] == len("Count me in.") and 0.3 < line["audio_seconds"] < 3
        assert 0 < line["first_audio_ms"] < 5000 and line["status"] in (200, "complete")
    refused = sorted((line["status"], line["error"]) for line in lines if "error" in line)
    assert refused == [(400, "invalid_field"), (401, "unauthorized")]
