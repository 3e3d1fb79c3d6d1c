"""Voices installed and removed while a real server (``voicewire serve --workers 2``) runs: the new
voice speaks through the Waves API within seconds in every worker, a playing stream is untouched,
and a voice removed in the middle of a turn finishes that turn.

The voices come from the loopback mirror: ``testheart`` (hibari, heart's model under a name of a
mirror's registry: it loads in about a second) and ``testjoe`` (Piper, joe's model under another
name; its install prepares the model, so the server's first use only opens sessions). Kokoro
voices install at the file level (test_install.py): their engine is not in this build.
"""

from __future__ import annotations

import base64
import json
import os
import threading
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pytest
from click.testing import CliRunner, Result
from websockets.sync.client import connect

from support.server import RunningServer, start_server
from support.voice_mirror import DEAD_URL, Mirror
from voicewire.cli import main

LONG = (
    "The birch canoe slid on the smooth planks. Glue the sheet to the dark blue background. "
    "It is easy to tell the depth of a well. These days a chicken leg is a rare dish. "
    "Rice is often served in round bowls. The juice of lemons makes fine punch."
)
HOT_RELOAD_S = 5.0


def cli(args: Sequence[str], home: Path, url: str) -> Result:
    env: dict[str, str | None] = {k: None for k in os.environ if k.startswith("VOICEWIRE_")}
    env.update({"VOICEWIRE_HOME": str(home), "VOICEWIRE_VOICES_URL": url, "no_proxy": "127.0.0.1",
                "NO_PROXY": "127.0.0.1"})  # fmt: skip
    result = CliRunner().invoke(main, list(args), env=env, prog_name="voicewire")
    assert result.exit_code == 0, (result.output, result.exception)
    return result


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    home = tmp_path_factory.mktemp("hot-home")
    # Admission off: requests sent at once to reach both workers wait their turn instead of a 429.
    env = {"VOICEWIRE_PRELOAD": "heart", "VOICEWIRE_ADMISSION": "false", "HIBARI_HOME": str(home / "hibari"),
           "https_proxy": DEAD_URL, "HTTPS_PROXY": DEAD_URL}  # fmt: skip
    running = start_server(home, "--workers", "2", extra_env=env, units=16)
    yield running
    running.stop()


def speak(server: RunningServer, voice: str, text: str = "Hello from a voice installed just now.") -> httpx.Response:
    body = {"text": text, "voice_id": voice, "output_format": "pcm", "sample_rate": 24000}
    return httpx.post(f"{server.url}/waves/v1/tts", json=body, headers=server.headers, timeout=60)


def speech_seconds(response: httpx.Response) -> float:
    samples = np.frombuffer(response.content, "<i2").astype(np.float32) / 32768
    assert float(np.sqrt(np.mean(samples**2))) > 0.01, "silence"
    return samples.size / 24000


def everyone_speaks(server: RunningServer, voice: str, requests: int = 8) -> list[int]:
    """``requests`` requests at once, so that both worker processes take some."""
    with ThreadPoolExecutor(requests) as pool:
        return [r.status_code for r in pool.map(lambda _: speak(server, voice, "Both workers."), range(requests))]


class SseStream(threading.Thread):
    """An SSE stream read to its end in the background: its chunks and how it ended."""

    def __init__(self, server: RunningServer, voice: str, text: str) -> None:
        super().__init__(daemon=True)
        self.server, self.voice, self.text = server, voice, text
        self.audio = bytearray()
        self.events: list[str] = []
        self.started = threading.Event()

    def run(self) -> None:
        body = {"text": self.text, "voice_id": self.voice, "output_format": "pcm", "sample_rate": 24000}
        with httpx.stream("POST", f"{self.server.url}/waves/v1/tts/live", json=body, headers=self.server.headers,
                          timeout=120) as response:  # fmt: skip
            for line in response.iter_lines():
                if not line.startswith("data: "):
                    continue
                event = json.loads(line[6:])
                self.events.append(event["status"])
                if event["status"] == "chunk":
                    self.audio += base64.b64decode(event["data"]["audio"])
                    self.started.set()


def test_a_voice_installed_while_a_stream_plays_speaks_within_seconds(server: RunningServer, session_mirror: Mirror,
                                                                       tmp_path: Path) -> None:  # fmt: skip
    before = speak(server, "testheart")
    assert before.status_code == 400 and before.json()["code"] == "unknown_voice"
    baseline = SseStream(server, "heart", LONG)
    baseline.run()
    stream = SseStream(server, "heart", LONG)
    stream.start()
    assert stream.started.wait(30)
    cli(["voices", "install", "testheart"], server.home, session_mirror.url)
    installed = time.monotonic()
    while speak(server, "testheart").status_code != 200:
        assert time.monotonic() - installed < HOT_RELOAD_S, "the new voice was not served within 5 s"
        time.sleep(0.1)
    first = time.monotonic() - installed
    time.sleep(max(0.0, HOT_RELOAD_S - first))
    assert everyone_speaks(server, "testheart") == [200] * 8  # every worker has it by now
    stream.join(120)
    assert stream.events[-1] == "complete" and "error" not in stream.events
    assert len(stream.audio) == len(baseline.audio)  # the playing stream lost nothing
    voices = httpx.get(f"{server.url}/waves/v1/lightning-v3.1/get_voices", headers=server.headers).json()["voices"]
    installed_flags = {v["voiceId"]: v["installed"] for v in voices}
    assert installed_flags["testheart"] is True and installed_flags["emma"] is False


def test_an_installed_piper_voice_speaks_and_a_removed_one_finishes_its_turn(
    server: RunningServer, session_mirror: Mirror
) -> None:
    cli(["voices", "install", "testjoe"], server.home, session_mirror.url)
    # The install prepared the model for the server: its graphs with durations, cut, and the windows check.
    prepared = sorted(p.name.split(".", 1)[1] for p in (server.home / "cache" / "piper").glob("testjoe-*"))
    assert "front.onnx" in prepared and "decoder.onnx" in prepared and any(".windows-" in p for p in prepared)
    deadline = time.monotonic() + 60
    response = speak(server, "testjoe")
    while response.status_code != 200:
        assert time.monotonic() < deadline, response.text
        time.sleep(0.2)
        response = speak(server, "testjoe")
    assert 1.5 < speech_seconds(response) < 6.0
    assert everyone_speaks(server, "testjoe", 4) == [200] * 4

    # A turn of about a minute of audio: more than the socket buffers hold, so while the client does
    # not read, the server's bounded queues hold its synthesis back and the turn cannot end early.
    turn = " ".join([LONG] * 4)
    with connect(server.ws_url + "/waves/v1/tts/live", additional_headers=server.headers, max_size=None) as ws:
        ws.send(json.dumps({"text": turn, "voice_id": "testjoe", "output_format": "pcm", "sample_rate": 24000}))
        frames: list[dict[str, Any]] = [json.loads(ws.recv(timeout=60))]
        assert frames[0]["status"] == "chunk"
        cli(["voices", "remove", "testjoe"], server.home, DEAD_URL)
        removed = time.monotonic()
        while speak(server, "testjoe").status_code != 400:  # the server has seen the removal
            assert time.monotonic() - removed < HOT_RELOAD_S
            time.sleep(0.1)
        time.sleep(max(0.0, HOT_RELOAD_S - (time.monotonic() - removed)))  # and so has every worker
        while frames[-1]["status"] not in ("complete", "error"):
            frames.append(json.loads(ws.recv(timeout=60)))
        assert frames[-1]["status"] == "complete", frames[-1]
        pcm = b"".join(base64.b64decode(f["data"]["audio"]) for f in frames if f["status"] == "chunk")
        assert len(pcm) / 2 / 24000 > 40.0  # the whole turn, 24 sentences
        ws.send(json.dumps({"text": "And now?", "voice_id": "testjoe"}))
        refused = json.loads(ws.recv(timeout=30))
    assert refused["status"] == "error" and "voicewire voices install testjoe" in refused["message"]
    after = speak(server, "testjoe")
    assert after.status_code == 400 and after.json()["code"] == "voice_not_installed"
