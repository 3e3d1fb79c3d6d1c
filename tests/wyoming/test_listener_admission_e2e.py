"""Admission on the Wyoming listener of a real ``voicewire serve --wyoming``, with room for one
real-time stream: a stream past capacity is refused at once (Home Assistant plays it as it comes),
while a one-shot ``synthesize`` waits in line (Home Assistant keeps the whole answer before it plays
any of it, so nobody hears it in real time) and is answered once the stream ends."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest
from wyoming.client import AsyncTcpClient
from wyoming.error import Error
from wyoming.tts import Synthesize, SynthesizeChunk, SynthesizeStart, SynthesizeStop, SynthesizeVoice

from support.server import RunningServer, free_port, start_server
from support.wyoming_client import Groups, read_until

HEART = SynthesizeVoice(name="heart")


@pytest.fixture(scope="module")
def port(tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    """One synthesis worker, of which real-time streams may take 2 % (room for one hibari stream, as
    in tests/server/test_admission.py); a one-shot waits up to 30 s in line."""
    port = free_port()
    env = {"VOICEWIRE_SYNTHESIS_WORKERS": "1", "VOICEWIRE_UTILIZATION": "0.02", "VOICEWIRE_BUSY_WAIT": "30",
           "VOICEWIRE_WYOMING_UNITS": "4", "VOICEWIRE_PRELOAD": "heart"}  # fmt: skip
    running: RunningServer = start_server(tmp_path_factory.mktemp("wyoming-busy"), "--wyoming",
                                          f"tcp://127.0.0.1:{port}", extra_env=env)  # fmt: skip
    try:
        yield port
    finally:
        running.stop()


def test_a_stream_past_capacity_is_refused_and_a_one_shot_waits_its_turn(port: int) -> None:
    async def run() -> tuple[Error, bool, Groups]:
        async with AsyncTcpClient("127.0.0.1", port) as holder:
            # An open stream keeps its turn, and so its place in the capacity, until synthesize-stop.
            await holder.write_event(SynthesizeStart(voice=HEART).event())
            await holder.write_event(SynthesizeChunk(text="The first part of a long answer is spoken, and").event())
            assert (await read_until(holder, "audio-start", "error"))[-1].type == "audio-start"  # type: ignore[union-attr]

            async with AsyncTcpClient("127.0.0.1", port) as other:
                await other.write_event(SynthesizeStart(voice=HEART).event())
                await other.write_event(SynthesizeChunk(text="Me too, please. ").event())
                refused = (await read_until(other, "error", "audio-start"))[-1]
                assert refused is not None and refused.type == "error"

            async with AsyncTcpClient("127.0.0.1", port) as patient:
                await patient.write_event(Synthesize(text="Worth the wait.", voice=HEART).event())
                answer = asyncio.ensure_future(read_until(patient, "audio-stop", "error"))
                await asyncio.sleep(1.0)
                waited = not answer.done()  # in line, neither answered nor refused

                await holder.write_event(SynthesizeChunk(text=" that is all.").event())
                await holder.write_event(SynthesizeStop().event())
                assert (await read_until(holder, "synthesize-stopped", "error"))[-1].type == "synthesize-stopped"  # type: ignore[union-attr]

                groups = Groups()
                for event in await answer:
                    assert event is not None and event.type != "error", event
                    groups.add(event)
        return Error.from_event(refused), waited, groups

    refused, waited, groups = asyncio.run(run())
    assert refused.code == "server_busy" and "capacity" in refused.text
    assert waited
    assert groups.starts == groups.stops == 1 and groups.rate == 24000
    assert len(groups.pcm) > 0.5 * 24000 * 2  # "Worth the wait." is more than half a second of speech
