"""JobRunner with the real Piper voice: units block by block into a LiveSession, no sockets.

The runner needs only ``services.catalog`` and ``services.pool``; the decoder is wrapped to count
its calls, which shows when each piece of audio went out.
"""

from __future__ import annotations

import asyncio
import base64
import dataclasses
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest

from voicewire.engines.catalog import Catalog
from voicewire.engines.piper import PiperEngine
from voicewire.protocol.session import LiveSession
from voicewire.server.jobs import JobRunner
from voicewire.synthesis.pool import SynthesisPool

TEXT = "The birch canoe slid on the smooth planks, and the crowd on the shore cheered loudly for a while."


class CountingSession:
    """An onnxruntime session that counts its runs."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.calls = 0

    def run(self, *args: Any) -> Any:
        self.calls += 1
        return self.inner.run(*args)

    def get_inputs(self) -> Any:
        return self.inner.get_inputs()


@pytest.fixture
def joe(piper_engine: PiperEngine) -> tuple[PiperEngine, CountingSession]:
    """joe with a counted decoder and the model's noise off (the same text gives the same audio)."""
    loaded = piper_engine._voice("joe")
    decoder = CountingSession(loaded.decoder)
    inference = {**loaded.config.get("inference", {}), "noise_scale": 0.0, "noise_w": 0.0}
    engine = PiperEngine()
    engine._loaded["joe"] = dataclasses.replace(
        loaded, decoder=decoder, config={**loaded.config, "inference": inference}
    )
    return engine, decoder


def speak(engine: PiperEngine, on_progress: Callable[[LiveSession], None] | None,
          ) -> tuple[LiveSession, list[dict[str, Any]]]:  # fmt: skip
    """One turn of TEXT through a runner; every frame the session gave out."""
    session = LiveSession(now=0.0)
    session.receive_message({"text": TEXT, "voice_id": "joe", "word_timestamps": True}, 0.0)
    frames: list[dict[str, Any]] = []

    def progress() -> None:
        assert on_progress is not None
        on_progress(session)
        frames.extend(session.frames_to_send())

    async def run() -> None:
        pool = SynthesisPool(1)
        services = SimpleNamespace(catalog=Catalog([engine], {}), pool=pool)
        runner = JobRunner(services, session, on_progress=None if on_progress is None else progress)  # type: ignore[arg-type]
        try:
            for job in session.jobs_to_run():
                await runner.run(job)
                frames.extend(session.frames_to_send())
        finally:
            pool.close()

    asyncio.run(run())
    return session, frames


def pcm(frames: list[dict[str, Any]]) -> np.ndarray:
    data = b"".join(base64.b64decode(f["data"]["audio"]) for f in frames if f["status"] == "chunk")
    return np.frombuffer(data, "<i2").astype(np.int32)


def test_first_audio_goes_out_before_the_unit_is_decoded(joe: tuple[PiperEngine, CountingSession]) -> None:
    engine, decoder = joe
    progress: list[tuple[int, list[str]]] = []

    def note(session: LiveSession) -> None:
        progress.append((decoder.calls, [f["status"] for f in session._frames]))

    _, frames = speak(engine, note)
    calls, statuses = progress[0]
    assert calls == 1 and "chunk" in statuses  # the first window's audio, on its way
    assert decoder.calls >= 4  # both units took more than one window
    assert [f["status"] for f in frames].count("complete") == 1 and frames[-1]["status"] == "complete"


def test_streamed_units_sound_like_whole_units(joe: tuple[PiperEngine, CountingSession]) -> None:
    engine, _ = joe
    _, streamed = speak(engine, lambda session: None)
    _, whole = speak(engine, None)
    a, b = pcm(streamed), pcm(whole)
    assert a.shape == b.shape and np.max(np.abs(a - b)) <= 1  # windowed decoding is within 1e-6
    words = [[(f["data"]["word"], f["data"]["start"], f["data"]["end"]) for f in frames
              if f["status"] == "word_timestamp"] for frames in (streamed, whole)]  # fmt: skip
    assert words[0] == words[1] and len(words[0]) == len(TEXT.split())
    heard = 0.0
    for frame in streamed:  # every word's timing before the audio in which it starts
        if frame["status"] == "word_timestamp":
            assert heard <= frame["data"]["start"] + 1e-3
        elif frame["status"] == "chunk":
            heard += len(base64.b64decode(frame["data"]["audio"])) / 2 / 44100


def test_a_closing_session_stops_the_unit_between_windows(joe: tuple[PiperEngine, CountingSession]) -> None:
    engine, decoder = joe

    def close(session: LiveSession) -> None:
        session.close = (1000, "bye")

    _, frames = speak(engine, close)
    assert decoder.calls == 1  # nothing decoded after the first window, no later unit started
    statuses = [f["status"] for f in frames]
    assert "chunk" in statuses and "complete" not in statuses
