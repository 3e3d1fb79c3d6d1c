"""Wyoming framing without I/O: headers are checked, lengths bounded, data merged as the package does."""

from __future__ import annotations

import json

import pytest
from wyoming.event import Event

from voicewire.dialects.wyoming.framing import FrameLimits, Header, complete, parse_header, skippable, too_large
from voicewire.exceptions import FrameTooLarge, MalformedMessage


def test_a_header_with_inline_data_and_lengths() -> None:
    line = b'{"type": "synthesize", "version": "1.10.2", "data": {"text": "Hi."}, "data_length": 5}\n'
    assert parse_header(line) == Header("synthesize", {"text": "Hi."}, 5, 0)


def test_the_data_segment_is_merged_into_inline_data_and_the_payload_kept() -> None:
    header = parse_header(b'{"type": "audio-chunk", "data": {"rate": 1, "width": 2}, "data_length": 11}')
    event = complete(header, b'{"rate": 9}', b"\x01\x02")
    assert event == Event("audio-chunk", {"rate": 9, "width": 2}, b"\x01\x02")


@pytest.mark.parametrize(
    ("line", "says"),
    [
        (b"\x00\xff\n", "is not JSON"),
        (b"[1, 2]\n", "not a JSON object"),
        (b'{"data": {}}\n', "no 'type'"),
        (b'{"type": ""}\n', "no 'type'"),
        (b'{"type": "x", "data": [1]}\n', "'data' [1]"),
        (b'{"type": "x", "data_length": -1}\n', "'data_length' has value -1"),
        (b'{"type": "x", "payload_length": true}\n', "'payload_length' has value True"),
        (b'{"type": "x", "payload_length": 1.5}\n', "'payload_length' has value 1.5"),
        (b"[" * 100_000 + b"\n", "is not JSON"),
    ],
    ids=["binary", "array", "no-type", "empty-type", "data-array", "negative", "bool", "float", "deep"],
)
def test_a_malformed_header_is_refused_naming_what_is_wrong(line: bytes, says: str) -> None:
    with pytest.raises(MalformedMessage, match=r".") as caught:
        parse_header(line)
    assert says in caught.value.message and caught.value.code == "malformed_message"


def test_data_that_is_not_an_object_is_refused() -> None:
    header = parse_header(b'{"type": "synthesize", "data_length": 2}')
    with pytest.raises(MalformedMessage, match="must be a JSON object"):
        complete(header, b"[]", b"")


def test_limits_leave_room_for_the_longest_text_escaped() -> None:
    limits = FrameLimits.for_text(10_000)
    data = json.dumps({"text": "\U0001f600" * 10_000}).encode()  # ensure_ascii: 12 bytes per emoji
    assert len(data) <= limits.data_bytes
    assert too_large(Header("synthesize", {}, len(data), 0), limits) is None


def test_oversized_events_are_refused_and_skipped_up_to_the_skip_limit() -> None:
    limits = FrameLimits(data_bytes=100, payload_bytes=10, skip_bytes=1000)
    big_data = Header("synthesize", {}, 101, 0)
    big_payload = Header("audio-chunk", {}, 0, 11)
    for header in (big_data, big_payload):
        refusal = too_large(header, limits)
        assert isinstance(refusal, FrameTooLarge) and refusal.code == "frame_too_large"
        assert skippable(header, limits)
    assert not skippable(Header("synthesize", {}, 1001, 0), limits)
    assert too_large(Header("synthesize", {}, 100, 10), limits) is None
