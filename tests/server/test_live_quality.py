"""How streamed speech sounds: the Whisper judge and the pauses, through the live WebSocket.

The real app on a real socket with both real engines; Piper with its noise scales at zero, so each
text gives the same samples every time and one reading is the whole story (with noise, a reading
varies, and the comparison of streamed and whole speech would measure the noise)."""

from __future__ import annotations

import base64
import itertools
import json
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest
from websockets.sync.client import connect

from support.inprocess import InProcessServer, RecordingEngine
from support.judge import MAX_CORPUS_WER, corpus_wer, transcribe
from support.sentences import PLAIN
from voicewire.engines.hibari import HibariEngine
from voicewire.engines.piper import PiperEngine

RATE = 16_000
GROUPS = [" ".join(PLAIN[i : i + 4]) for i in range(0, 12, 4)]


@pytest.fixture(scope="module")
def server(hibari_engine: HibariEngine, tmp_path_factory: pytest.TempPathFactory) -> Iterator[InProcessServer]:
    quiet_piper = PiperEngine(cache_dir=tmp_path_factory.mktemp("piper-cache"), noise=False)
    with InProcessServer(RecordingEngine(hibari_engine), tmp_path_factory.mktemp("quality"), more=[quiet_piper],
                         aliases={"magnus": "joe"}) as running:  # fmt: skip
        yield running
    quiet_piper.close()


def speak(server: InProcessServer, text: str, voice: str, word_by_word: bool) -> tuple[np.ndarray, list[Any]]:
    frames = []
    url = f"ws://127.0.0.1:{server.port}/waves/v1/tts/live"
    with connect(url, additional_headers=server.headers, max_size=None) as ws:
        base = {"voice_id": voice, "sample_rate": RATE, "word_timestamps": True}
        if word_by_word:
            for word in text.split():
                ws.send(json.dumps({**base, "text": word + " ", "continue": True}))
            ws.send(json.dumps({**base, "text": "", "flush": True}))
        else:
            ws.send(json.dumps({**base, "text": text}))
        while True:
            frame = json.loads(ws.recv(timeout=60))
            frames.append(frame)
            if frame["status"] in ("complete", "error"):
                break
    assert frames[-1]["status"] == "complete"
    pcm = b"".join(base64.b64decode(f["data"]["audio"]) for f in frames if f["status"] == "chunk")
    words = [f["data"] for f in frames if f["status"] == "word_timestamp"]
    return np.frombuffer(pcm, "<i2").astype(np.float32) / 32768, words


@pytest.mark.parametrize("voice", ["heart", "magnus"])
def test_word_by_word_is_as_intelligible_as_one_shot(server: InProcessServer, voice: str) -> None:
    streamed = [(text, transcribe(speak(server, text, voice, True)[0], RATE)) for text in GROUPS]
    whole = [(text, transcribe(speak(server, text, voice, False)[0], RATE)) for text in GROUPS]
    streamed_wer, whole_wer = corpus_wer(streamed), corpus_wer(whole)
    assert streamed_wer <= MAX_CORPUS_WER, streamed
    assert streamed_wer <= whole_wer + 0.04, (streamed_wer, whole_wer, streamed)


def silences(samples: np.ndarray, threshold_db: float = -45.0) -> list[tuple[float, float]]:
    """(start, length) in seconds of every run of 10 ms frames quieter than the threshold."""
    frame = RATE // 100
    n = samples.size // frame
    level = 20 * np.log10(np.sqrt(np.mean(samples[: n * frame].reshape(n, frame) ** 2, axis=1)) + 1e-9)
    quiet = level < threshold_db
    runs, i = [], 0
    while i < n:
        if quiet[i]:
            j = i
            while j < n and quiet[j]:
                j += 1
            runs.append((i / 100, (j - i) / 100))
            i = j
        else:
            i += 1
    return runs


@pytest.mark.parametrize("voice", ["heart", "magnus"])
def test_pauses_between_units_sound_natural(server: InProcessServer, voice: str) -> None:
    """What a listener hears: a sentence pause between sentences, no hole inside one (not even where the
    short first unit was cut off), measured as silence in the signal between consecutive words."""
    text = "The first sentence arrives one word at a time. Then a second one follows, with a clause. The end."
    samples, words = speak(server, text, voice, True)
    assert [w["word"] for w in words] == text.split()
    runs = silences(samples)
    for a, b in itertools.pairwise(words):
        gap = max((length for start, length in runs if a["start"] < start < b["start"]), default=0.0)
        if a["word"].endswith("."):
            assert 0.2 <= gap <= 0.8, (a, b, gap)
        else:
            assert gap <= 0.45, (a, b, gap)
