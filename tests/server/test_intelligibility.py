"""Intelligibility through the HTTP API: an offline Whisper judge listens to what the server says.

This is what catches audio that decodes but is garbled (wrong joins, lost words, bad resampling).
Sentences go in groups of six per request, so the test also covers joining many units in one body.
Thresholds and their justification: ``tests/support/judge.py`` (measured 1.3 % for hibari, 2-4.3 %
for Piper; the limit of 10 % still fails audio with every other 20 ms zeroed, which scores 21 %).
"""

from __future__ import annotations

import httpx
import numpy as np
import pytest

from support.judge import MAX_CORPUS_WER, corpus_wer, transcribe
from support.sentences import ALL
from support.server import RunningServer

GROUP = 6
RATE = 16_000  # Whisper's own rate: the server resamples from 24 / 22.05 kHz


@pytest.mark.parametrize("voice", ["heart", "magnus"])
def test_engine_is_intelligible_through_the_api(server: RunningServer, voice: str) -> None:
    pairs = []
    for i in range(0, len(ALL), GROUP):
        text = " ".join(ALL[i : i + GROUP])
        r = httpx.post(
            server.url + "/waves/v1/tts",
            headers=server.headers,
            json={"text": text, "voice_id": voice, "sample_rate": RATE, "output_format": "pcm"},
            timeout=120,
        )
        assert r.status_code == 200, r.text
        samples = np.frombuffer(r.content, "<i2").astype(np.float32) / 32768
        pairs.append((text, transcribe(samples, RATE)))
    score = corpus_wer(pairs)
    assert score <= MAX_CORPUS_WER, (score, pairs)
