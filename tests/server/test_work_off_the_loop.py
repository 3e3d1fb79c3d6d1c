"""Every piece of synthesis work runs on the synthesis workers, never on the event loop, on every
transport: text normalization, the engine, resampling and MP3 encoding.

Defect: MP3 encoding and text preparation ran on the event loop, where admission did not count them
(MP3 first audio p95 was 483 ms at 100 streams against 95 ms for pcm). The real app on a real socket,
the real hibari engine; the normalizer and the MP3 encoder are wrapped to note the thread they run on.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator

import httpx
import pytest
from websockets.sync.client import connect

from support.inprocess import InProcessServer, RecordingEngine
from voicewire.audio.encoders import Mp3Encoder
from voicewire.engines.hibari import HibariEngine
from voicewire.synthesis import units


@pytest.fixture(scope="module")
def server(hibari_engine: HibariEngine, tmp_path_factory: pytest.TempPathFactory) -> Iterator[InProcessServer]:
    with InProcessServer(RecordingEngine(hibari_engine), tmp_path_factory.mktemp("off-loop"), units=2) as running:
        yield running


@pytest.fixture
def threads(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    seen: list[str] = []
    normalize, encode = units.read, Mp3Encoder.encode

    def noted_normalize(*args, **kwargs):  # type: ignore[no-untyped-def]
        seen.append(threading.current_thread().name)
        return normalize(*args, **kwargs)

    def noted_encode(self: Mp3Encoder, samples):  # type: ignore[no-untyped-def]
        seen.append(threading.current_thread().name)
        return encode(self, samples)

    monkeypatch.setattr(units, "read", noted_normalize)
    monkeypatch.setattr(Mp3Encoder, "encode", noted_encode)
    return seen


TEXT = "Normalization and encoding on a worker: 3 units, 2 sentences. Here is the second one."


def test_sync_and_sse(server: InProcessServer, threads: list[str]) -> None:
    base = f"http://127.0.0.1:{server.port}"
    body = {"text": TEXT, "voice_id": "heart", "output_format": "mp3", "sample_rate": 24000}
    for path in ("/waves/v1/tts", "/waves/v1/tts/live"):
        r = httpx.post(base + path, headers=server.headers, json=body, timeout=30)
        assert r.status_code == 200
    r = httpx.post(base + "/v1/audio/speech", headers=server.headers, timeout=30,
                   json={"input": TEXT, "voice": "heart", "response_format": "mp3"})  # fmt: skip
    assert r.status_code == 200 and len(r.content) > 1000
    assert len(threads) >= 9 and all(name.startswith("voicewire-synth") for name in threads), threads


def test_live_socket(server: InProcessServer, threads: list[str]) -> None:
    with connect(f"ws://127.0.0.1:{server.port}/waves/v1/tts/live", additional_headers=server.headers) as ws:
        for word in TEXT.split():
            ws.send(json.dumps({"text": word + " ", "voice_id": "heart", "output_format": "mp3",
                                "sample_rate": 24000, "continue": True}))  # fmt: skip
        ws.send(json.dumps({"text": "", "voice_id": "heart", "flush": True}))
        while json.loads(ws.recv(timeout=30))["status"] not in ("complete", "error"):
            pass
    assert len(threads) >= 3 and all(name.startswith("voicewire-synth") for name in threads), threads
