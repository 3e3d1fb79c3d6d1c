"""A one-shot answer in a whole-file format: a one-sentence WAV on an idle server is sent as it is made,
its size bounded before its samples; otherwise it is made whole. The real app on a real socket, joe
with the model's noise off (so two requests give the same samples)."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import numpy as np
import pytest

from support.decode import decode
from support.inprocess import InProcessServer, RecordingEngine
from voicewire.engines.piper import PiperEngine

SENTENCE = "The birch canoe slid on the smooth planks."


@pytest.fixture(scope="module")
def server(quiet_piper: PiperEngine, tmp_path_factory: pytest.TempPathFactory) -> Iterator[InProcessServer]:
    with InProcessServer(RecordingEngine(quiet_piper), tmp_path_factory.mktemp("oneshot"), units=2) as running:
        yield running


def answer(server: InProcessServer, text: str, fmt: str, rate: int) -> httpx.Response:
    server.wait_idle()
    server.engine.calls.clear()
    r = httpx.post(f"http://127.0.0.1:{server.port}/waves/v1/tts", headers=server.headers, timeout=60,
                   json={"text": text, "voice_id": "joe", "output_format": fmt, "sample_rate": rate})  # fmt: skip
    assert r.status_code == 200, r.text
    return r


def wav_data(r: httpx.Response, rate: int) -> bytes:
    """The WAV's samples, after checking that its header, its sizes and the Content-Length agree."""
    assert int(r.headers["content-length"]) == len(r.content) and r.content[:4] == b"RIFF"
    assert int.from_bytes(r.content[4:8], "little") == len(r.content) - 8
    assert int.from_bytes(r.content[40:44], "little") == len(r.content) - 44
    assert decode(r.content, "wav", rate)[1] == rate
    return r.content[44:]


@pytest.mark.parametrize("rate", [22050, 44100])
def test_a_one_sentence_wav_is_the_streamed_audio_then_silence_to_the_size_sent_first(
    server: InProcessServer, rate: int
) -> None:
    pcm = answer(server, SENTENCE, "pcm", rate).content
    r = answer(server, SENTENCE, "wav", rate)
    assert server.engine.calls == ["synthesize_blocks"]  # decoded window by window, sent as made
    data = wav_data(r, rate)
    assert len(data) > len(pcm) and data[: len(pcm)] == pcm
    padding = data[len(pcm) :]
    assert padding == bytes(len(padding)) and len(padding) < rate  # the model's trailing silence: under 0.5 s


def test_a_wav_of_several_sentences_is_made_whole(server: InProcessServer) -> None:
    text = "The birch canoe slid. It was smooth."
    pcm = np.frombuffer(answer(server, text, "pcm", 22050).content, "<i2").astype(int)
    r = answer(server, text, "wav", 22050)
    assert server.engine.calls == ["synthesize", "synthesize"]  # one call per sentence, no windows
    data = np.frombuffer(wav_data(r, 22050), "<i2").astype(int)
    assert data.shape == pcm.shape and np.max(np.abs(data - pcm)) <= 1  # windows agree with a whole decode


def test_a_one_sentence_wav_is_made_whole_while_other_synthesis_runs(server: InProcessServer) -> None:
    pcm = np.frombuffer(answer(server, SENTENCE, "pcm", 22050).content, "<i2").astype(int)
    machine = server.runtime.pool.scheduler.machine
    machine.start()  # a call running elsewhere on the machine (another process's, say)
    try:
        r = answer(server, SENTENCE, "wav", 22050)
    finally:
        machine.finish()
    assert server.engine.calls == ["synthesize"]
    data = np.frombuffer(wav_data(r, 22050), "<i2").astype(int)
    assert data.shape == pcm.shape and np.max(np.abs(data - pcm)) <= 1
