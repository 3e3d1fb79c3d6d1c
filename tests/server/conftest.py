"""One real server for the end-to-end tests of this folder (started once per session)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator

import pytest

from support.server import RunningServer, start_server


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    home = tmp_path_factory.mktemp("sync-home")
    broken = home / "voices" / "piper"
    broken.mkdir(parents=True)
    # A voice whose model is corrupt: loading it fails inside onnxruntime (an engine failure).
    from voicewire.engines.piper import bundled_voices

    shutil.copyfile(bundled_voices()[0].config, broken / "broken.onnx.json")
    (broken / "broken.onnx").write_bytes(b"this is not an onnx model")
    # hibari's downloader is pointed at a dead proxy: the "offline" path is tested whatever the network.
    offline = {
        "HIBARI_HOME": str(home / "hibari"),
        "https_proxy": "http://127.0.0.1:9",
        "HTTPS_PROXY": "http://127.0.0.1:9",
    }
    running = start_server(home, extra_env={"VOICEWIRE_MAX_TEXT_CHARS": "500", **offline}, units=16)
    yield running
    running.stop()


@pytest.fixture(scope="session")
def fuzz_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    """The server the HTTP and WebSocket fuzzers share: no brake on wrong keys (the fuzzers send them
    on purpose), short texts (a valid request is synthesized for real, and there are many), offline."""
    home = tmp_path_factory.mktemp("fuzz-home")
    env = {
        "VOICEWIRE_FAILED_AUTH_LIMIT": "0",
        "VOICEWIRE_MAX_TEXT_CHARS": "300",
        "HIBARI_HOME": str(home / "hibari"),
        "https_proxy": "http://127.0.0.1:9",
        "HTTPS_PROXY": "http://127.0.0.1:9",
    }
    running = start_server(home, extra_env=env, units=64)
    yield running
    running.stop()


@pytest.fixture
def clean_fuzz_log(fuzz_server: RunningServer) -> Iterator[None]:
    """After each fuzz test, whatever ran before it: nothing it sent reached the server's last-resort
    handler (no traceback, no internal error in what the server logged meanwhile)."""
    before = len(fuzz_server.output())
    yield
    logged = fuzz_server.output()[before:]
    assert "Traceback" not in logged and "internal error" not in logged, logged[-3000:]
