"""Frame serialization: compact, readable, and always valid UTF-8."""

from __future__ import annotations

import json

import pytest

from voicewire.protocol.jsontext import to_json


@pytest.mark.parametrize(
    "obj",
    [
        {"status": "complete", "done": True},
        {"word": "שלום", "id": 0},
        {"word": "👩‍👩‍👧", "message": "e\u0301"},
        {"word": "\ud800", "id": 1},  # a lone surrogate a client sent as a JSON escape
        {"message": "voice_id '\udfff x' is not a voice", "code": "unknown_voice"},
    ],
)
def test_any_frame_round_trips_through_utf8(obj: dict[str, object]) -> None:
    text = to_json(obj)
    assert json.loads(text.encode("utf-8").decode("utf-8")) == obj


def test_text_stays_readable_unless_it_cannot_be_utf8() -> None:
    assert to_json({"word": "שלום"}) == '{"word":"שלום"}'
    assert to_json({"word": "\ud800 שלום"}) == '{"word":"\\ud800 \\u05e9\\u05dc\\u05d5\\u05dd"}'
