"""``POST /v1/audio/speech`` with the official ``openai`` SDK pointed at voicewire's base URL."""

from __future__ import annotations

import base64
import io
import json
from collections.abc import Iterator

import httpx
import openai
import pytest
import soundfile

from support.decode import decode, rms_db
from support.server import RunningServer

TEXT = "The quick brown fox jumps over the lazy dog."


@pytest.fixture(scope="module")
def client(server: RunningServer) -> Iterator[openai.OpenAI]:
    with httpx.Client(timeout=60) as http:
        yield openai.OpenAI(base_url=server.url + "/v1", api_key=server.key, http_client=http, max_retries=0)


def check_speech(samples: object, rate: int) -> None:
    import numpy as np

    array = np.asarray(samples, np.float32)
    assert 1.8 < array.size / rate < 5.5 and rms_db(array) > -35


@pytest.mark.parametrize("voice", ["alloy", "onyx", "heart"])
def test_mp3_by_default(client: openai.OpenAI, voice: str) -> None:
    data = client.audio.speech.create(model="tts-1", voice=voice, input=TEXT).content
    samples, rate = decode(data, "mp3", 24000)
    assert rate == 24000
    check_speech(samples, rate)


@pytest.mark.parametrize("fmt", ["wav", "pcm", "flac"])
def test_other_formats(client: openai.OpenAI, fmt: str) -> None:
    data = client.audio.speech.create(model="gpt-4o-mini-tts", voice="nova", input=TEXT, response_format=fmt).content
    if fmt == "flac":
        samples, rate = soundfile.read(io.BytesIO(data), dtype="float32")
        assert rate == 24000
    else:
        samples, rate = decode(data, fmt, 24000)
    check_speech(samples, rate)


def test_streaming_response(client: openai.OpenAI) -> None:
    with client.audio.speech.with_streaming_response.create(model="tts-1", voice="echo", input=TEXT,
                                                            response_format="pcm") as response:  # fmt: skip
        pieces = list(response.iter_bytes(4096))
    assert len(pieces) > 3
    samples, rate = decode(b"".join(pieces), "pcm", 24000)
    check_speech(samples, rate)


def test_speed_is_honoured(client: openai.OpenAI) -> None:
    def seconds(speed: float) -> float:
        data = client.audio.speech.create(model="tts-1", voice="alloy", input=TEXT, response_format="pcm", speed=speed)
        return len(data.content) / 2 / 24000

    assert seconds(2.0) < 0.7 * seconds(1.0)


def test_sse_events(server: RunningServer) -> None:
    body = {"model": "tts-1", "voice": "alloy", "input": TEXT, "response_format": "pcm", "stream_format": "sse"}
    with httpx.stream("POST", server.url + "/v1/audio/speech", headers=server.headers, json=body, timeout=60) as r:
        assert r.headers["content-type"].startswith("text/event-stream")
        events = [json.loads(line.removeprefix("data: ")) for line in r.iter_lines() if line]
    assert {e["type"] for e in events[:-1]} == {"speech.audio.delta"}
    assert events[-1]["type"] == "speech.audio.done" and events[-1]["usage"]["input_tokens"] == 9
    samples, rate = decode(b"".join(base64.b64decode(e["audio"]) for e in events[:-1]), "pcm", 24000)
    check_speech(samples, rate)


@pytest.mark.parametrize(
    ("fields", "param", "fragment"),
    [({"response_format": "opus"}, "response_format", "mp3, wav, flac or pcm"),
     ({"response_format": "aac"}, "response_format", "opus and aac are not made"),
     ({"voice": "nobody"}, "voice", "alloy"),
     ({"speed": 3.0}, "speed", "0.5 to 2.0"),
     ({"input": ""}, "input", "non-empty"),
     ({"stream_format": "ws"}, "stream_format", "'sse'"),
     ({"stream_format": False}, "stream_format", "'sse'"),  # false is a value, not "absent" (found by the fuzzer)
     ({"response_format": ""}, "response_format", "mp3, wav, flac or pcm"),
     ({"response_format": ["mp3"]}, "response_format", "mp3, wav, flac or pcm")],
)  # fmt: skip
def test_bad_requests_name_the_field(
    client: openai.OpenAI, fields: dict[str, object], param: str, fragment: str
) -> None:
    args = {"model": "tts-1", "voice": "alloy", "input": TEXT, **fields}
    with pytest.raises(openai.BadRequestError) as info:
        client.audio.speech.create(**args)  # type: ignore[arg-type]
    error = info.value.body
    assert isinstance(error, dict) and error["param"] == param and fragment in error["message"]


def test_keys_are_checked(server: RunningServer) -> None:
    with httpx.Client(timeout=60) as http:
        bad = openai.OpenAI(base_url=server.url + "/v1", api_key="vw_wrong", http_client=http, max_retries=0)
        with pytest.raises(openai.AuthenticationError):
            bad.audio.speech.create(model="tts-1", voice="alloy", input=TEXT)
