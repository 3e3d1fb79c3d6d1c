"""What the Wyoming listener reads, on a real ``voicewire serve --wyoming`` driven by the ``wyoming``
package's client: the listener's pronunciation dictionary (``VOICEWIRE_WYOMING_PRONUNCIATION_DICTS``,
made by a key through the store, as ``POST /waves/v1/pronunciation-dicts`` makes it) and speech markup
(``text_format: "ssml"``, one-shot and streamed with a tag cut across chunks)."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Iterator

import numpy as np
import numpy.typing as npt
import pytest
from wyoming.client import AsyncTcpClient
from wyoming.event import Event
from wyoming.tts import Synthesize, SynthesizeChunk, SynthesizeStart, SynthesizeStop, SynthesizeVoice

from support.judge import transcribe
from support.server import RunningServer, free_port, start_server
from support.wyoming_client import Groups, read_until
from voicewire.auth.open import open_store
from voicewire.text.lexicon import LexiconEntry

HEART = SynthesizeVoice(name="heart")
BREAK = '<speak>The first part.<break time="1200ms"/>The second part.</speak>'


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[RunningServer, int]]:
    home = tmp_path_factory.mktemp("wyoming-reading")
    store = open_store("", home)
    record, _ = store.create("operator", 1)
    made = store.create_dict(record.key_id, [LexiconEntry("Zorblax", "Lancelot")], limit=10)
    store.close()
    port = free_port()
    env = {"VOICEWIRE_WYOMING_PRONUNCIATION_DICTS": made.dict_id, "VOICEWIRE_PRELOAD": "heart"}
    running = start_server(home, "--wyoming", f"tcp://127.0.0.1:{port}", extra_env=env)
    try:
        yield running, port
    finally:
        running.stop()


def longest_pause(samples: npt.NDArray[np.float32], rate: int) -> float:
    """Seconds of the longest run of 10 ms frames below -45 dBFS, inside the audio (not at its ends)."""
    frame = rate // 100
    levels = [float(np.max(np.abs(samples[i : i + frame]))) for i in range(0, len(samples) - frame, frame)]
    loud = [i for i, level in enumerate(levels) if level > 10 ** (-45 / 20)]
    gaps = [b - a for a, b in itertools.pairwise(loud)]
    return max(gaps, default=0) / 100


async def answer(port: int, *events: Event, until: str = "audio-stop") -> tuple[Groups, list[Event | None]]:
    async with AsyncTcpClient("127.0.0.1", port) as client:
        for event in events:
            await client.write_event(event)
        got = await read_until(client, until, "error")
        if got[-1] is not None and got[-1].type == "error" and until != "error":
            got += await read_until(client, until)
    groups = Groups()
    for event in got:
        if event is not None:
            groups.add(event)
    return groups, got


def test_the_listeners_dictionary_is_applied(server: tuple[RunningServer, int]) -> None:
    groups, _ = asyncio.run(answer(server[1], Synthesize(text="Zorblax rode away.", voice=HEART).event()))
    heard = transcribe(groups.samples(), groups.rate).lower()
    assert "lancelot" in heard, heard


def test_one_shot_markup_is_read_and_its_break_is_silence(server: tuple[RunningServer, int]) -> None:
    event = Synthesize(text=BREAK, voice=HEART, text_format="ssml").event()
    groups, _ = asyncio.run(answer(server[1], event))
    samples = groups.samples()
    assert longest_pause(samples, groups.rate) >= 1.1
    heard = transcribe(samples, groups.rate).lower()
    assert "speak" not in heard and "break" not in heard and "second part" in heard, heard


def test_a_markup_stream_is_spoken_at_its_stop_with_a_tag_cut_across_chunks(server: tuple[RunningServer, int]) -> None:
    cut = BREAK.index("time=")
    events = [SynthesizeStart(voice=HEART, text_format="ssml").event(),
              SynthesizeChunk(text=BREAK[:cut]).event(), SynthesizeChunk(text=BREAK[cut:]).event(),
              SynthesizeStop().event()]  # fmt: skip
    groups, got = asyncio.run(answer(server[1], *events, until="synthesize-stopped"))
    assert got[-1] is not None and got[-1].type == "synthesize-stopped"
    assert (groups.starts, groups.stops) == (1, 1)
    assert longest_pause(groups.samples(), groups.rate) >= 1.1


def test_malformed_markup_is_an_error_naming_where_and_the_connection_goes_on(
    server: tuple[RunningServer, int],
) -> None:
    async def run() -> tuple[list[Event | None], list[Event | None]]:
        async with AsyncTcpClient("127.0.0.1", server[1]) as client:
            await client.write_event(Synthesize(text="<speak>Open <emphasis>", voice=HEART, text_format="ssml").event())
            refused = await read_until(client, "error", "audio-stop")
            await client.write_event(Synthesize(text="Still here.", voice=HEART).event())
            after = await read_until(client, "audio-stop", "error")
        return refused, after

    refused, after = asyncio.run(run())
    error = refused[-1]
    assert error is not None and error.type == "error" and "line 1" in str(error.data.get("text")), error
    assert after[-1] is not None and after[-1].type == "audio-stop"
