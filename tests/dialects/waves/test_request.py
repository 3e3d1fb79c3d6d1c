from __future__ import annotations

from typing import Any

import pytest

from voicewire.dialects.waves.request import VoiceSettings, canonical_model, parse_request
from voicewire.exceptions import InvalidField, MalformedMessage
from voicewire.protocol.turn import TurnOptions

BASE = {"text": "Hello.", "voice_id": "magnus"}


def test_defaults_follow_the_contract() -> None:
    request = parse_request(BASE)
    assert request.text == "Hello."
    assert request.settings == VoiceSettings(
        options=TurnOptions(
            voice_id="magnus",
            sample_rate=44100,
            speed=1.0,
            language="auto",
            output_format="pcm",
            word_timestamps=False,
        ),
        model="lightning_v3.1",
    )
    assert request.request_id is None and request.session_id is None


def test_null_means_absent_and_extras_are_ignored() -> None:
    body = {**BASE, "model": None, "speed": None, "sample_rate": None, "similarity": 0.5, "enhancement": 1}
    assert parse_request(body).settings == parse_request(BASE).settings


@pytest.mark.parametrize(
    ("field", "value", "expected"),
    [
        ("sample_rate", 8000, 8000),
        ("sample_rate", 44100, 44100),
        ("sample_rate", 22050.0, 22050),
        ("sample_rate", 12345, 12345),
        ("speed", 0.5, 0.5),
        ("speed", 2, 2.0),
        ("output_format", "ulaw", "mulaw"),
        ("output_format", "WAV", "wav"),
        ("model", "lightning_v3.1_pro", "lightning_v3.1_pro"),
        ("model", "lightning-v3.1-pro", "lightning_v3.1_pro"),
        ("language", "EN", "en"),
        ("word_timestamps", True, True),
    ],
)
def test_valid_values(field: str, value: Any, expected: Any) -> None:
    settings = parse_request({**BASE, field: value}).settings
    assert getattr(settings if field == "model" else settings.options, field) == expected


@pytest.mark.parametrize(
    ("body", "field", "allowed_fragment"),
    [
        ({"voice_id": "magnus"}, "text", "required"),
        ({**BASE, "text": 5}, "text", "string"),
        ({**BASE, "text": "   "}, "text", "empty"),
        ({"text": "Hi"}, "voice_id", "required"),
        ({**BASE, "voice_id": ""}, "voice_id", "non-empty"),
        ({**BASE, "voice_id": 7}, "voice_id", "non-empty"),
        ({**BASE, "sample_rate": 7999}, "sample_rate", "8000 to 44100"),
        ({**BASE, "sample_rate": 48000}, "sample_rate", "8000 to 44100"),
        ({**BASE, "sample_rate": "24000"}, "sample_rate", "integer"),
        ({**BASE, "sample_rate": 22050.5}, "sample_rate", "integer"),
        ({**BASE, "sample_rate": True}, "sample_rate", "integer"),
        ({**BASE, "sample_rate": 12345, "output_format": "mp3"}, "sample_rate", "22050"),
        ({**BASE, "speed": 0.49}, "speed", "0.5 to 2.0"),
        ({**BASE, "speed": 2.01}, "speed", "0.5 to 2.0"),
        ({**BASE, "speed": float("nan")}, "speed", "0.5 to 2.0"),
        ({**BASE, "speed": "fast"}, "speed", "0.5 to 2.0"),
        ({**BASE, "output_format": "flac"}, "output_format", "pcm, wav, mp3, mulaw, alaw"),
        ({**BASE, "output_format": 3}, "output_format", "pcm"),
        ({**BASE, "model": "lightning_v9"}, "model", "lightning_v3.1, lightning_v3.1_pro"),
        ({**BASE, "language": 1}, "language", "language code"),
        ({**BASE, "word_timestamps": "yes"}, "word_timestamps", "true or false"),
        ({**BASE, "request_id": "has space"}, "request_id", "A-Z"),
        ({**BASE, "session_id": "x" * 129}, "session_id", "128"),
    ],
)
def test_bad_fields_name_field_value_and_allowed(body: dict[str, Any], field: str, allowed_fragment: str) -> None:
    with pytest.raises(InvalidField) as info:
        parse_request(body)
    assert info.value.field == field
    message = str(info.value)
    assert repr(field) in message
    assert allowed_fragment in message


def test_long_values_are_shortened_in_messages() -> None:
    with pytest.raises(InvalidField) as info:
        parse_request({**BASE, "output_format": "x" * 10_000})
    assert len(str(info.value)) < 300


@pytest.mark.parametrize("body", [[], "text", 5, None, True])
def test_non_objects_are_malformed(body: Any) -> None:
    with pytest.raises(MalformedMessage, match="JSON object"):
        parse_request(body)


def test_empty_text_allowed_where_the_protocol_allows_it() -> None:
    assert parse_request({**BASE, "text": ""}, allow_empty_text=True).text == ""


def test_ids_are_kept() -> None:
    request = parse_request({**BASE, "request_id": "abc-1", "session_id": "s.1_x"})
    assert (request.request_id, request.session_id) == ("abc-1", "s.1_x")


def test_canonical_model() -> None:
    assert canonical_model("lightning-v3.1") == "lightning_v3.1"
    assert canonical_model("nope") is None


def test_number_pronunciation_language_and_math_notation() -> None:
    options = parse_request({**BASE, "language": "en", "number_pronunciation_language": "HI", "math_notation": True})
    assert options.options.number_language == "hi" and options.options.math_notation is True
    assert options.options.language == "en"
    # without 'language', the number language is the synthesis language too (the Waves rule)
    alone = parse_request({**BASE, "number_pronunciation_language": "es"}).options
    assert alone.language == "es" and alone.number_language == "es"
    # 'auto' or null: numbers follow the turn's language
    for value in ("auto", None):
        assert parse_request({**BASE, "number_pronunciation_language": value}).options.number_language is None
    assert parse_request(BASE).options.math_notation is False


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({**BASE, "number_pronunciation_language": 5}, "number_pronunciation_language"),
        ({**BASE, "math_notation": "yes"}, "math_notation"),
        ({**BASE, "math_notation": 1}, "math_notation"),
    ],
)
def test_bad_number_language_or_math_notation(body: dict[str, Any], field: str) -> None:
    with pytest.raises(InvalidField) as info:
        parse_request(body)
    assert info.value.field == field
