"""The sync API end to end: a real server on a real socket, the official SDK, independent decoders."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from smallestai import SmallestAI
from smallestai.core.api_error import ApiError
from smallestai.environment import SmallestAIEnvironment

from support.decode import decode, rms_db
from support.server import RunningServer

TEXT = "The quick brown fox jumps over the lazy dog."


def sdk(server: RunningServer, http: httpx.Client, key: str) -> SmallestAI:
    """The official SDK pointed at our server (API.md section 6), on a client the test closes."""
    env = SmallestAIEnvironment(atoms=server.url + "/atoms/v1", waves=server.url, waves_ws=server.ws_url,
                                payment=server.url)  # fmt: skip
    return SmallestAI(api_key=key, environment=env, httpx_client=http)


@pytest.fixture(scope="module")
def client(server: RunningServer) -> Iterator[SmallestAI]:
    with httpx.Client(timeout=60) as http:
        yield sdk(server, http, server.key)


@pytest.mark.parametrize(
    ("fmt", "rate", "voice"),
    [("pcm", 8000, "heart"), ("pcm", 22050, "magnus"), ("pcm", 44100, "heart"),
     ("wav", 8000, "magnus"), ("wav", 22050, "heart"), ("wav", 44100, "magnus"),
     ("mp3", 8000, "heart"), ("mp3", 22050, "magnus"), ("mp3", 44100, "heart"),
     ("mulaw", 8000, "magnus"), ("ulaw", 22050, "heart"), ("alaw", 8000, "heart"), ("alaw", 44100, "magnus")],
)  # fmt: skip
def test_every_format_decodes(client: SmallestAI, fmt: str, rate: int, voice: str) -> None:
    data = b"".join(client.waves.synthesize_tts(text=TEXT, voice_id=voice, output_format=fmt, sample_rate=rate))
    samples, declared = decode(data, fmt, rate)
    assert declared == rate
    seconds = samples.size / rate
    assert 1.8 < seconds < 5.5, seconds  # nine words at a normal pace
    assert rms_db(samples) > -35, "audio is (nearly) silent"
    if fmt == "wav":
        assert data[:4] == b"RIFF" and int.from_bytes(data[40:44], "little") == len(data) - 44


def test_default_format_is_pcm_at_44100(server: RunningServer) -> None:
    r = httpx.post(
        server.url + "/waves/v1/tts", headers=server.headers, json={"text": "Hi there.", "voice_id": "heart"}
    )
    assert r.status_code == 200 and r.headers["content-type"] == "audio/pcm"
    assert 0.4 < len(r.content) / 2 / 44100 < 2.0


def test_speed_changes_duration(client: SmallestAI) -> None:
    def seconds(speed: float) -> float:
        data = b"".join(client.waves.synthesize_tts(text=TEXT, voice_id="heart", speed=speed, sample_rate=24000))
        return len(data) / 2 / 24000

    normal, fast, slow = seconds(1.0), seconds(2.0), seconds(0.5)
    assert fast < 0.7 * normal and slow > 1.5 * normal


def test_ids_are_echoed(client: SmallestAI) -> None:
    with client.waves.with_raw_response.synthesize_tts(text="Hi.", voice_id="heart", request_id="abc-1",
                                                       session_id="sess.2") as response:  # fmt: skip
        assert response.headers["x-external-request-id"] == "abc-1"
        assert response.headers["x-external-session-id"] == "sess.2"


def test_legacy_alias(server: RunningServer) -> None:
    r = httpx.post(server.url + "/waves/v1/lightning-v3.1/get_speech", headers=server.headers,
                   json={"text": "Old clients still work.", "voice_id": "magnus", "output_format": "wav"})  # fmt: skip
    assert r.status_code == 200 and r.content[:4] == b"RIFF"


def test_nothing_speakable_is_refused(server: RunningServer) -> None:
    """Issue 13: text that is empty once normalized is a clear 400 (it was an empty 200 body)."""
    r = httpx.post(server.url + "/waves/v1/tts", headers=server.headers,
                   json={"text": "🙂 ... !!", "voice_id": "heart", "output_format": "wav"})  # fmt: skip
    assert r.status_code == 400 and "text" in r.json()["error"] and "nothing is left to say" in r.json()["error"]


def test_voice_catalogs(client: SmallestAI) -> None:
    voices = client.waves.get_voices(model="lightning-v3.1").voices
    ids = {v.voice_id for v in voices}
    assert {"heart", "joe", "magnus", "fenrir"} <= ids
    heart = next(v for v in voices if v.voice_id == "heart")
    assert heart.tags is not None and heart.tags.language == ["english"] and heart.tags.gender == "female"
    everything = client.waves.voices.get_all_voice_models()
    assert {"heart", "magnus"} <= {v.voice_id for v in everything.voices or []}


def test_pro_catalog_lists_piper_voices_only(server: RunningServer) -> None:
    r = httpx.get(server.url + "/waves/v1/lightning-v3.1-pro/get_voices", headers=server.headers)
    ids = {v["voiceId"] for v in r.json()["voices"]}
    assert "joe" in ids and "magnus" in ids and "heart" not in ids
    r = httpx.get(server.url + "/waves/v1/lightning-v9/get_voices", headers=server.headers)
    assert r.status_code == 404 and "lightning_v3.1" in r.json()["error"]


def test_health_needs_no_key(server: RunningServer) -> None:
    r = httpx.get(server.url + "/waves/v1/health")
    assert r.status_code == 200 and r.json()["status"] == "ok"


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer vw_nope"}, {"Authorization": "Basic abc"}])
@pytest.mark.parametrize(("method", "path"), [("POST", "/waves/v1/tts"), ("GET", "/waves/v1/lightning-v3.1/get_voices"),
                                              ("GET", "/waves/v1/voice/get-all-models")])  # fmt: skip
def test_every_endpoint_needs_a_key(server: RunningServer, headers: dict[str, str], method: str, path: str) -> None:
    r = httpx.request(method, server.url + path, headers=headers, json={"text": "Hi.", "voice_id": "heart"})
    assert r.status_code == 401
    body = r.json()
    assert "API key" in body["error"] and "vw_nope" not in body["error"]


def test_sdk_sees_401(server: RunningServer) -> None:
    with httpx.Client(timeout=60) as http, pytest.raises(ApiError) as info:
        b"".join(sdk(server, http, "vw_wrong").waves.synthesize_tts(text="Hi.", voice_id="heart"))
    assert info.value.status_code == 401


BAD_BODIES: list[tuple[Any, int, str]] = [
    ({"text": "Hi."}, 400, "'voice_id'"),
    ({"voice_id": "heart"}, 400, "'text'"),
    ({"text": "Hi.", "voice_id": "heart", "sample_rate": 96000}, 400, "8000 to 44100"),
    ({"text": "Hi.", "voice_id": "heart", "output_format": "mp3", "sample_rate": 12345}, 400, "mp3"),
    ({"text": "Hi.", "voice_id": "heart", "speed": 3}, 400, "0.5 to 2.0"),
    ({"text": "Hi.", "voice_id": "heart", "output_format": "ogg"}, 400, "pcm, wav, mp3, mulaw, alaw"),
    ({"text": "Hi.", "voice_id": "heart", "model": "lightning_v2"}, 400, "lightning_v3.1_pro"),
    ({"text": "Hi.", "voice_id": "heart", "language": "hi"}, 400, "'en'"),
    ({"text": "Hi.", "voice_id": "nobody"}, 400, "get_voices"),
    ({"text": "x " * 300, "voice_id": "heart"}, 400, "limit of 500 characters"),
    ([1, 2], 400, "JSON object"),
]


@pytest.mark.parametrize(("body", "status", "fragment"), BAD_BODIES)
def test_bad_input_is_a_clear_400(server: RunningServer, body: Any, status: int, fragment: str) -> None:
    r = httpx.post(server.url + "/waves/v1/tts", headers=server.headers, json=body)
    assert r.status_code == status
    assert fragment in r.json()["error"]
    assert "Traceback" not in r.text


@pytest.mark.parametrize("raw", [b"", b"{not json", b"\xff\xfe", json.dumps({"a": 1}).encode() * 2])
def test_unparseable_bodies(server: RunningServer, raw: bytes) -> None:
    r = httpx.post(server.url + "/waves/v1/tts", headers={**server.headers, "Content-Type": "application/json"},
                   content=raw)  # fmt: skip
    assert r.status_code == 400 and "JSON" in r.json()["error"]


def test_a_voice_that_is_listed_but_not_installed_is_refused_at_once(server: RunningServer) -> None:
    started = time.monotonic()
    r = httpx.post(server.url + "/waves/v1/tts", headers=server.headers, json={"text": "Hi.", "voice_id": "fable"})
    assert time.monotonic() - started < 2  # nothing is downloaded while the request waits
    assert r.status_code == 400 and r.json()["code"] == "voice_not_installed"
    assert "'fable'" in r.json()["error"] and "voicewire voices install fable" in r.json()["error"]


def test_engine_failure_is_a_500_and_the_server_keeps_serving(server: RunningServer) -> None:
    r = httpx.post(server.url + "/waves/v1/tts", headers=server.headers, json={"text": "Hi.", "voice_id": "broken"})
    assert r.status_code == 500
    assert "'broken'" in r.json()["error"] and "Traceback" not in r.text
    ok = httpx.post(
        server.url + "/waves/v1/tts", headers=server.headers, json={"text": "Still here.", "voice_id": "heart"}
    )
    assert ok.status_code == 200 and len(ok.content) > 10_000


def test_unknown_path_and_method(server: RunningServer) -> None:
    assert httpx.get(server.url + "/nope", headers=server.headers).status_code == 404
    r = httpx.get(server.url + "/waves/v1/tts", headers=server.headers)
    assert r.status_code == 405 and "error" in r.json()


def test_home_voices_folder_is_listed(server: RunningServer) -> None:
    assert (Path(server.home) / "voices" / "piper" / "broken.onnx").exists()
    r = httpx.get(server.url + "/waves/v1/lightning-v3.1/get_voices", headers=server.headers)
    assert "broken" in {v["voiceId"] for v in r.json()["voices"]}
