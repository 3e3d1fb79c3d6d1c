"""Joins between units of real engine audio: no clicks, at the engine rate and resampled."""

from __future__ import annotations

import numpy as np
import pytest

from voicewire.engines.base import Engine
from voicewire.synthesis.render import TurnRenderer
from voicewire.synthesis.units import prepare_all
from voicewire.text.chunker import Chunker

TEXT = (
    "Streaming delivers audio in real time for voice assistants. It starts at once, sentence by sentence, "
    "and the listener never hears where one unit ends and the next begins."
)


def streamed_units(text: str) -> list[str]:
    """The units a word-by-word LLM stream produces."""
    chunker = Chunker()
    units: list[str] = []
    for word in text.split():
        units += chunker.add(word + " ")
    return units + chunker.flush()


@pytest.mark.parametrize("engine_name", ["hibari", "piper"])
@pytest.mark.parametrize("rate", [None, 44100, 8000])
def test_no_click_at_any_join(request: pytest.FixtureRequest, engine_name: str, rate: int | None) -> None:
    # Piper without the model's noise: one fixed rendering, not a new draw of durations and pauses per
    # run (with the noise, 3 runs in 15 put a plosive's resampled onset into the 2 ms before a join).
    engine: Engine = request.getfixturevalue("hibari_engine" if engine_name == "hibari" else "quiet_piper")
    voice = "heart" if engine_name == "hibari" else "joe"
    units = list(prepare_all(streamed_units(TEXT)))
    assert len(units) >= 3
    out_rate = rate or next(v.sample_rate for v in engine.voices() if v.voice_id == voice)
    renderer = TurnRenderer("pcm", out_rate)
    pieces = [renderer.add(u, engine.synthesize(voice, u.utterance(1.0))).audio for u in units]
    pieces.append(renderer.finish())
    signal = np.frombuffer(b"".join(pieces), "<i2").astype(np.float64)
    joins = np.cumsum([len(p) // 2 for p in pieces])[:-2]
    window = max(8, out_rate // 500)  # 2 ms each side
    for j in joins:
        step = abs(signal[j] - signal[j - 1])
        local = np.max(np.abs(np.diff(signal[j - window : j + window])))
        before = np.max(np.abs(signal[j - window : j]))
        assert step <= local + 1, (j, step, local)
        # The unit before a join ends in its pause; after the join the next onset is 3 ms away, and at
        # low rates the resampler's filter spreads a sharp onset (a plosive) into that window.
        assert before < 0.01 * 32768, "a join must follow the pause of the unit before it"
