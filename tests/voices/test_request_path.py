"""No network on the request path: a voice the catalog lists but this machine lacks is refused at once,
with no connection attempted, and the catalog endpoints say which voices are installed.

The app runs in this process (real runtime, real engines' catalog, real socket) so that an audit
hook sees every ``connect`` the process makes; only the test's own connections to the server are
expected.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from support.server import free_port
from voicewire.auth.store import MemoryStore
from voicewire.config import DEFAULT_ALIASES, Settings
from voicewire.engines.listed import CATALOG_FILE
from voicewire.runtime.runtime import Runtime
from voicewire.server.app import create_app
from voicewire.server.run import DrainingServer, uvicorn_config

_connects: list[Any] | None = None


def _audit(event: str, args: tuple[Any, ...]) -> None:
    if event == "socket.connect" and _connects is not None:
        _connects.append(args[1])


sys.addaudithook(_audit)  # hooks cannot be removed: this one records only while a test asks


@pytest.fixture
def connects() -> Iterator[list[Any]]:
    global _connects
    _connects = []
    try:
        yield _connects
    finally:
        _connects = None


@pytest.fixture(scope="module")
def app_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, dict[str, str]]]:
    import threading

    home = tmp_path_factory.mktemp("request-path-home")
    (home / "voices").mkdir()
    listed = {"voices": [{"voice_id": "testjoe", "engine": "piper", "language": "en-US", "sample_rate": 22050},
                         {"voice_id": "af_heart", "engine": "kokoro", "language": "en-US", "sample_rate": 24000}]}
    (home / "voices" / CATALOG_FILE).write_text(json.dumps(listed), encoding="utf-8")
    store = MemoryStore()
    _, key = store.create("tests", 4)
    settings = Settings(home=home, preload=(), port=free_port(), log_level="warning")
    runtime = Runtime(settings, store=store)  # the real catalog: engines, folders, the listed file
    server = DrainingServer(uvicorn_config(settings, create_app(runtime)), runtime)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline
        time.sleep(0.02)
    yield f"http://127.0.0.1:{settings.port}", {"Authorization": f"Bearer {key}"}
    server.should_exit = True
    thread.join(timeout=20)


@pytest.mark.parametrize("voice", ["testjoe", "fenrir", "af_heart"])
@pytest.mark.parametrize("path", ["/waves/v1/tts", "/waves/v1/tts/live"])
def test_a_listed_voice_that_is_not_installed_is_refused_at_once(app_server: tuple[str, dict[str, str]],
                                                                  connects: list[Any], voice: str,
                                                                  path: str) -> None:  # fmt: skip
    url, headers = app_server
    port = int(url.rsplit(":", 1)[1])
    with httpx.Client(base_url=url, headers=headers, timeout=10) as client:
        client.get("/waves/v1/health")  # the connection is open before the clock starts
        started = time.perf_counter()
        response = client.post(path, json={"text": "Hello there.", "voice_id": voice})
        elapsed = time.perf_counter() - started
    assert response.status_code == 400, response.text
    body = response.json()
    assert body["code"] == "voice_not_installed"
    assert f"`voicewire voices install {voice}`" in body["error"]
    assert elapsed < 0.1, f"refused after {elapsed * 1000:.0f} ms"
    assert [a for a in connects if not (isinstance(a, tuple) and a[:2] == ("127.0.0.1", port))] == []
    assert connects, "the guard saw not even the test's own connection"


def test_the_catalog_marks_what_is_installed(app_server: tuple[str, dict[str, str]]) -> None:
    url, headers = app_server
    voices = httpx.get(f"{url}/waves/v1/lightning-v3.1/get_voices", headers=headers).json()["voices"]
    installed = {v["voiceId"]: v["installed"] for v in voices}
    assert installed["heart"] is True and installed["joe"] is True and installed["magnus"] is True
    assert installed["testjoe"] is False and installed["fenrir"] is False
    assert installed["af_heart"] is False  # a Kokoro voice the catalog lists, not installed here
    pro = httpx.get(f"{url}/waves/v1/lightning_v3.1_pro/get_voices", headers=headers).json()["voices"]
    joe_aliases = {alias for alias, voice in DEFAULT_ALIASES.items() if voice == "joe"}
    kokoro = {v["voiceId"] for v in voices if v["voiceId"].startswith(("jf_", "jm_", "af_"))}
    assert {"jf_alpha", "af_heart"} <= kokoro  # Kokoro's voices are Pro voices too (Japanese is a Pro language)
    assert {v["voiceId"] for v in pro} == {"joe", "testjoe", *joe_aliases, *kokoro}
    models = httpx.get(f"{url}/waves/v1/voice/get-all-models", headers=headers).json()["voices"]
    assert {v["voiceId"]: v["installed"] for v in models}["testjoe"] is False


def test_an_unknown_voice_is_not_confused_with_a_listed_one(app_server: tuple[str, dict[str, str]],
                                                             connects: list[Any]) -> None:  # fmt: skip
    url, headers = app_server
    response = httpx.post(f"{url}/waves/v1/tts", headers=headers, json={"text": "Hi.", "voice_id": "nobody"})
    assert response.status_code == 400 and response.json()["code"] == "unknown_voice"
    assert "testjoe" not in response.json()["error"]  # suggestions are voices that can speak


def test_the_guard_sees_outbound_connections(connects: list[Any]) -> None:
    """The check above can fail: a connection attempt anywhere in the process is recorded."""
    import socket

    with socket.socket() as s, pytest.raises(OSError):
        s.settimeout(1)
        s.connect(("127.0.0.1", 9))
    assert ("127.0.0.1", 9) in connects
