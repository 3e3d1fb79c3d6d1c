"""The Wyoming listener of a real ``voicewire serve --wyoming``, driven by the ``wyoming`` package's
own client (``AsyncTcpClient``), as Home Assistant drives it. One server for the module."""

from __future__ import annotations

import asyncio
import re
import socket
import time
from collections.abc import Iterator

import httpx
import pytest
from wyoming.client import AsyncTcpClient
from wyoming.error import Error
from wyoming.event import Event, async_read_event
from wyoming.info import Describe, Info
from wyoming.tts import Synthesize, SynthesizeChunk, SynthesizeStart, SynthesizeStop, SynthesizeVoice

from support.judge import MAX_SENTENCE_WER, transcribe, wer
from support.server import RunningServer, free_port, start_server
from support.wyoming_client import Groups, read_until
from voicewire.config import DEFAULT_ALIASES

MAX_TEXT_CHARS = 2000


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[RunningServer, int]]:
    port = free_port()
    env = {"VOICEWIRE_WYOMING_UNITS": "2", "VOICEWIRE_MAX_TEXT_CHARS": str(MAX_TEXT_CHARS)}
    running = start_server(tmp_path_factory.mktemp("wyoming"), "--wyoming", f"tcp://127.0.0.1:{port}", extra_env=env)
    try:
        yield running, port
    finally:
        running.stop()


def client(port: int) -> AsyncTcpClient:
    return AsyncTcpClient("127.0.0.1", port)


def test_describe_lists_every_installed_voice_and_streaming(server: tuple[RunningServer, int]) -> None:
    async def run() -> Info:
        async with client(server[1]) as c:
            await c.write_event(Describe().event())
            event = (await read_until(c, "info"))[-1]
            assert event is not None
            return Info.from_event(event)

    info = asyncio.run(run())
    [program] = info.tts
    assert program.installed and program.supports_synthesize_streaming
    voices = {v.name: v for v in program.voices}
    assert {"heart", "joe"} <= set(voices)
    assert "magnus" not in voices  # an alias resolves by name but is not listed twice
    for voice in voices.values():
        assert voice.installed and voice.attribution.name and voice.description
        assert voice.languages and voice.speakers is None
    assert voices["heart"].languages == voices["joe"].languages == ["en_US"]
    assert voices["jf_alpha"].languages[0] == "ja_JP"  # Kokoro's voices: their own language first
    installed = httpx.get(f"{server[0].url}/waves/v1/voice/get-all-models", headers=server[0].headers).json()["voices"]
    assert set(voices) == {v["voiceId"] for v in installed if v["installed"] and v["voiceId"] not in DEFAULT_ALIASES}


def test_one_shot_synthesize_is_one_group_the_judge_understands(server: tuple[RunningServer, int]) -> None:
    text = "The birch canoe slid on the smooth planks. Glue the sheet to the dark blue background."

    async def run() -> tuple[Groups, list[Event | None]]:
        async with client(server[1]) as c:
            await c.write_event(Synthesize(text=text, voice=SynthesizeVoice(name="joe")).event())
            events = await read_until(c, "audio-stop", "error")
            # the connection stays open for the next request, and nothing else came for this one
            await c.write_event(Describe().event())
            after = await read_until(c, "info")
        groups = Groups()
        for event in events:
            assert event is not None
            groups.add(event)
        return groups, after

    groups, after = asyncio.run(run())
    assert (groups.starts, groups.stops) == (1, 1)
    assert [e.type for e in after if e is not None] == ["info"]
    assert groups.rate == 22050
    samples = groups.samples()
    assert 4.0 < len(samples) / groups.rate < 12.0
    assert wer(text, transcribe(samples, groups.rate)) <= MAX_SENTENCE_WER


def test_streamed_text_starts_audio_after_the_first_sentence(server: tuple[RunningServer, int]) -> None:
    first = "The small pup gnawed a hole in the sock."
    rest = ["The fish tw", "isted and turned on the", " bent hook. Press the pants", " and sew a button on the vest."]
    full = first + " " + "".join(rest)
    voice = SynthesizeVoice(name="heart")

    async def run() -> tuple[list[Event | None], list[Event | None]]:
        async with client(server[1]) as c:
            await c.write_event(SynthesizeStart(voice=voice).event())
            for piece in ("The small pup gn", "awed a hole in the sock.", " "):
                await c.write_event(SynthesizeChunk(text=piece).event())
            # Audio of the first sentence comes before the rest of the text is even sent.
            early = await read_until(c, "audio-chunk", "error")
            for piece in rest:
                await c.write_event(SynthesizeChunk(text=piece).event())
            await c.write_event(Synthesize(text=full, voice=voice).event())  # compatibility copy: ignored
            await c.write_event(SynthesizeStop().event())
            late = await read_until(c, "synthesize-stopped", "error")
            await c.write_event(Describe().event())
            late += await read_until(c, "info")
        return early, late

    early, late = asyncio.run(run())
    assert [e.type for e in early if e is not None] == ["audio-start", "audio-chunk"]
    events = [e for e in early + late if e is not None]
    kinds = [e.type for e in events]
    assert kinds[-2:] == ["synthesize-stopped", "info"] and "error" not in kinds
    groups = Groups()
    for event in events[:-2]:
        groups.add(event)
    assert groups.starts == groups.stops >= 1  # the compatibility synthesize added no group of its own
    assert groups.rate == 24000
    assert wer(full, transcribe(groups.samples(), groups.rate)) <= MAX_SENTENCE_WER


def test_an_unknown_voice_is_an_error_and_the_connection_goes_on(server: tuple[RunningServer, int]) -> None:
    async def run() -> tuple[list[Event | None], list[Event | None], list[Event | None]]:
        async with client(server[1]) as c:
            await c.write_event(Synthesize(text="Hello there.", voice=SynthesizeVoice(name="nobody")).event())
            one_shot = await read_until(c, "error", "audio-stop")
            await c.write_event(SynthesizeStart(voice=SynthesizeVoice(name="nobody")).event())
            await c.write_event(SynthesizeChunk(text="Hello there. This is not spoken.").event())
            await c.write_event(SynthesizeStop().event())
            stream = await read_until(c, "synthesize-stopped")
            await c.write_event(Synthesize(text="Hello there.", voice=SynthesizeVoice(name="heart")).event())
            good = await read_until(c, "audio-stop", "error")
        return one_shot, stream, good

    one_shot, stream, good = asyncio.run(run())
    [error] = [Error.from_event(e) for e in one_shot if e is not None]
    assert error.code == "unknown_voice" and "'voice.name'" in error.text and "heart" in error.text
    assert [e.type for e in stream if e is not None] == ["error", "synthesize-stopped"]
    assert good[0] is not None and good[0].type == "audio-start"
    assert good[-1] is not None and good[-1].type == "audio-stop"


def test_a_huge_text_is_refused_and_the_connection_goes_on(server: tuple[RunningServer, int]) -> None:
    over = "word " * (MAX_TEXT_CHARS // 5 + 1)
    huge = "x" * 2_000_000  # more than a synthesize event may carry: read past, not kept

    async def run() -> list[list[Event | None]]:
        answers = []
        async with client(server[1]) as c:
            for text in (over, huge):
                await c.write_event(Synthesize(text=text).event())
                answers.append(await read_until(c, "error", "audio-stop"))
            await c.write_event(Describe().event())
            answers.append(await read_until(c, "info"))
        return answers

    over_answer, huge_answer, describe = asyncio.run(run())
    assert [(e.type, e.data["code"]) for e in over_answer if e is not None] == [("error", "text_too_long")]
    assert str(MAX_TEXT_CHARS) in over_answer[0].data["text"]  # type: ignore[union-attr]
    assert [(e.type, e.data["code"]) for e in huge_answer if e is not None] == [("error", "frame_too_large")]
    assert [e.type for e in describe if e is not None] == ["info"]


@pytest.mark.parametrize(
    ("garbage", "says"),
    [
        (b"\x00\xff\xfe not json at all\n", "is not JSON"),
        (b'{"type": "synthesize", "data_length": "twelve"}\n{"text": "Hi."}', "'data_length'"),
        (b'["describe"]\n', "not a JSON object"),
        (b"A" * 200_000, "longer than"),  # no newline: a header line without end
    ],
    ids=["binary", "bad-length", "not-an-object", "endless-line"],
)
def test_garbage_is_answered_with_error_then_closed_and_others_are_served(
    server: tuple[RunningServer, int], garbage: bytes, says: str
) -> None:
    async def run() -> tuple[list[Event | None], bool]:
        reader, writer = await asyncio.open_connection("127.0.0.1", server[1])
        try:
            writer.write(garbage)
            await writer.drain()
            got: list[Event | None] = []
            while not got or got[-1] is not None:
                got.append(await asyncio.wait_for(async_read_event(reader), 10))
        finally:
            writer.close()
        async with client(server[1]) as c:  # everyone else is still served
            await c.write_event(Describe().event())
            served = (await read_until(c, "info"))[-1] is not None
        return got, served

    got, served = asyncio.run(run())
    assert [e.type if e else None for e in got] == ["error", None]  # an error, then the server closed
    assert got[0] is not None and says in got[0].data["text"] and got[0].data["code"] == "malformed_message"
    assert served


def _metric(text: str, name: str, **labels: str) -> float:
    wanted = ",".join(f'{k}="{v}"' for k, v in sorted(labels.items()))
    for line in text.splitlines():
        match = re.fullmatch(rf"{name}\{{(.*)\}} (\S+)", line)
        if match and ",".join(sorted(match.group(1).split(","))) == wanted:
            return float(match.group(2))
    return 0.0


def test_a_client_that_leaves_mid_stream_stops_synthesis(server: tuple[RunningServer, int]) -> None:
    running, port = server
    sentences = [f"Sentence number {n} is read slowly and with care by the voice. " for n in range(1, 40)]

    def scrape() -> str:
        return httpx.get(f"{running.url}/metrics", timeout=5).text

    closed_before = _metric(scrape(), "voicewire_requests_total", endpoint="wyoming turn", status="closed")

    async def listen_then_leave() -> int:
        async with client(port) as c:
            await c.write_event(SynthesizeStart(voice=SynthesizeVoice(name="heart")).event())
            for sentence in sentences:  # about 2 minutes of speech, as an LLM would write it
                await c.write_event(SynthesizeChunk(text=sentence).event())
            heard = 0
            deadline = time.monotonic() + 0.7
            while time.monotonic() < deadline:  # listen for a moment: synthesis is running
                event = await asyncio.wait_for(c.read_event(), 10)
                assert event is not None and event.type != "error"
                heard += len(event.payload or b"")
        # leaving: the socket is closed here, mid-stream, with most of the text not yet spoken
        return heard

    heard = asyncio.run(listen_then_leave())
    assert heard > 0
    deadline = time.monotonic() + 15
    while _metric(scrape(), "voicewire_requests_total", endpoint="wyoming turn", status="closed") <= closed_before:
        assert time.monotonic() < deadline, "the turn of a client that left never ended"
        time.sleep(0.1)
    calls = _metric(scrape(), "voicewire_synthesis_realtime_factor_count", engine="hibari")
    time.sleep(1.5)
    text = scrape()
    assert _metric(text, "voicewire_synthesis_realtime_factor_count", engine="hibari") == calls  # nothing more made
    assert _metric(text, "voicewire_active", kind="wyoming", engine="hibari") == 0
    assert _metric(text, "voicewire_active", kind="wyoming connection", engine="-") == 0


def test_the_listener_binds_loopback_only(server: tuple[RunningServer, int]) -> None:
    outside = _non_loopback_address()
    if outside is None:
        pytest.fail("this machine has no non-loopback IPv4 address to try the listener from")
    with pytest.raises(OSError), socket.create_connection((outside, server[1]), timeout=2):
        pass


def _non_loopback_address() -> str | None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("224.0.0.251", 5353))
        except OSError:
            return None
        address = str(probe.getsockname()[0])
    return None if address.startswith("127.") else address


def test_the_listeners_own_units_bound_its_turns(server: tuple[RunningServer, int]) -> None:
    """Two units (the module's server): two open streams hold them, a third turn is refused, and gets
    in once one of them ends."""
    opening = "The first sentence is complete. And the second"

    async def open_stream(c: AsyncTcpClient) -> list[Event | None]:
        await c.write_event(SynthesizeStart(voice=SynthesizeVoice(name="heart")).event())
        await c.write_event(SynthesizeChunk(text=opening).event())
        return await read_until(c, "audio-chunk", "error")

    async def run() -> tuple[list[Event | None], list[Event | None]]:
        async with client(server[1]) as one, client(server[1]) as two, client(server[1]) as three:
            for holder in (one, two):
                assert (await open_stream(holder))[-1].type == "audio-chunk"  # type: ignore[union-attr]
            refused = await read_until_after(three, Synthesize(text="Me too, please.").event(), "error", "audio-stop")
            await one.write_event(SynthesizeStop().event())
            await read_until(one, "synthesize-stopped")
            served = await read_until_after(three, Synthesize(text="Now there is room.").event(), "error", "audio-stop")
            for holder in (two,):
                await holder.write_event(SynthesizeStop().event())
                await read_until(holder, "synthesize-stopped")
        return refused, served

    refused, served = asyncio.run(run())
    [error] = [e for e in refused if e is not None]
    assert error.data["code"] == "limit_exceeded" and "--wyoming-units" in error.data["text"]
    assert [e.type for e in served if e is not None][-1] == "audio-stop"


async def read_until_after(c: AsyncTcpClient, event: Event, *types: str) -> list[Event | None]:
    await c.write_event(event)
    return await read_until(c, *types)
