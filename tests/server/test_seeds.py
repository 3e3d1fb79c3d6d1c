"""The Waves documentation's code samples, run against voicewire with only the URL and the key changed.

``tests/seeds/`` holds verbatim copies of the three samples of the "Streaming TTS" page. The plain
``websockets`` sample uses the pre-14 API (``connect(extra_headers=...)``), so it runs in
``.venv-seeds`` (websockets 13.1, made by ``scripts/test``), the environment it was written for.
"""

from __future__ import annotations

import os
import runpy
import subprocess
import wave
from pathlib import Path

import numpy as np
import pytest

from support.decode import rms_db
from support.server import RunningServer

SEEDS = Path(__file__).parent.parent / "seeds"
SEED_PYTHON = Path(__file__).parents[2] / ".venv-seeds" / "bin" / "python"


def seed_python() -> str:
    if not SEED_PYTHON.exists():
        pytest.fail(f"{SEED_PYTHON} is missing: run ./scripts/test, which prepares it (websockets 13.1).")
    return str(SEED_PYTHON)


def run_sample(name: str, replacements: dict[str, str], server: RunningServer, cwd: Path, python: str) -> None:
    source = (SEEDS / name).read_text(encoding="utf-8")
    for old, new in replacements.items():
        assert old in source, f"{name} no longer contains {old!r}"
        source = source.replace(old, new)
    script = cwd / name
    script.write_text(source, encoding="utf-8")
    env = {**os.environ, "SMALLEST_API_KEY": server.key}
    done = subprocess.run([python, str(script)], cwd=cwd, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr


def check_wav(path: Path, min_seconds: float) -> None:
    with wave.open(str(path)) as w:
        assert (w.getnchannels(), w.getsampwidth(), w.getframerate()) == (1, 2, 24000)
        samples = np.frombuffer(w.readframes(w.getnframes()), "<i2").astype(np.float32) / 32768
    assert samples.size / 24000 > min_seconds
    assert rms_db(samples) > -35


def test_websocket_sample(server: RunningServer, tmp_path: Path) -> None:
    run_sample("waves_websocket_sample.py", {"wss://api.smallest.ai": server.ws_url}, server, tmp_path,
               seed_python())  # fmt: skip
    check_wav(tmp_path / "streamed.wav", 3.0)


def test_sse_sample(server: RunningServer, tmp_path: Path) -> None:
    run_sample("waves_sse_sample.py", {"https://api.smallest.ai": server.url}, server, tmp_path, seed_python())
    check_wav(tmp_path / "sse_output.wav", 2.0)


def test_sdk_streaming_sample(server: RunningServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The SDK sample: its key literal is replaced, and the shim's URL (a class attribute) is pointed here."""
    from smallestai.waves import WavesStreamingTTS

    source = (SEEDS / "waves_sdk_streaming_sample.py").read_text(encoding="utf-8")
    assert 'api_key="YOUR_API_KEY"' in source
    monkeypatch.setattr(WavesStreamingTTS, "WS_URL", server.ws_url + "/waves/v1/tts/live")
    script = tmp_path / "sdk_sample.py"
    script.write_text(source.replace('api_key="YOUR_API_KEY"', f'api_key="{server.key}"'), encoding="utf-8")
    namespace = runpy.run_path(str(script), run_name="__main__")
    pcm = b"".join(namespace["audio_chunks"])
    samples = np.frombuffer(pcm, "<i2").astype(np.float32) / 32768
    assert samples.size / 24000 > 1.5 and rms_db(samples) > -35
