"""Reading events from a stream, bounded: what a client's bytes become (a StreamReader fed by hand)."""

from __future__ import annotations

import asyncio

import pytest
from wyoming.event import Event

from voicewire.dialects.wyoming.framing import FrameLimits
from voicewire.wyoming.frames import FrameError, read_event

LIMITS = FrameLimits(header_bytes=1000, data_bytes=100, payload_bytes=50, skip_bytes=10_000)


def read_all(data: bytes) -> list[Event | FrameError | None]:
    async def run() -> list[Event | FrameError | None]:
        reader = asyncio.StreamReader(limit=LIMITS.header_bytes)
        reader.feed_data(data)
        reader.feed_eof()
        out: list[Event | FrameError | None] = []
        while not out or (out[-1] is not None and not (isinstance(out[-1], FrameError) and out[-1].fatal)):
            try:
                out.append(await read_event(reader, LIMITS))
            except FrameError as exc:
                out.append(exc)
        return out

    return asyncio.run(run())


def test_events_with_data_and_payload_then_the_end() -> None:
    got = read_all(b'{"type":"describe"}\n\n{"type":"x","data_length":8,"payload_length":2}\n{"a": 1}hi')
    assert got == [Event("describe"), Event("x", {"a": 1}, b"hi"), None]


def test_an_oversized_event_is_skipped_and_reading_goes_on() -> None:
    got = read_all(b'{"type":"synthesize","data_length":200}\n' + b"x" * 200 + b'{"type":"describe"}\n')
    assert isinstance(got[0], FrameError) and not got[0].fatal and got[0].error.code == "frame_too_large"
    assert got[1:] == [Event("describe"), None]


def test_bad_data_is_an_error_for_that_event_only() -> None:
    got = read_all(b'{"type":"synthesize","data_length":3}\n[1]{"type":"describe"}\n')
    assert isinstance(got[0], FrameError) and not got[0].fatal
    assert got[1:] == [Event("describe"), None]


@pytest.mark.parametrize(
    "data",
    [b"not json\n", b"x" * 2000, b'{"type":"x","data_length":20000}\n', b'{"type":"desc'],
    ids=["garbage", "endless-line", "beyond-skipping", "cut-header"],
)
def test_what_cannot_be_read_past_is_fatal(data: bytes) -> None:
    [error] = read_all(data)
    assert (isinstance(error, FrameError) and error.fatal and error.error.code == "malformed_message") or (
        isinstance(error, FrameError) and error.fatal and error.error.code == "frame_too_large"
    )


def test_a_client_that_leaves_inside_an_event_is_the_end() -> None:
    assert read_all(b'{"type":"x","data_length":10}\n{"a"') == [None]
