"""pronunciation_dicts and markup, as every dialect reads them (Waves bodies, live messages, OpenAI)."""

from __future__ import annotations

from typing import Any

import pytest

from voicewire.dialects import openai
from voicewire.dialects.turn_fields import MAX_DICTS_PER_TURN, read_markup, read_pronunciation_dicts
from voicewire.dialects.waves.request import parse_request
from voicewire.exceptions import InvalidField

ID = "64f1234567890abcdef12345"


def test_pronunciation_dicts() -> None:
    assert read_pronunciation_dicts(None) == ()
    assert read_pronunciation_dicts([]) == ()
    assert read_pronunciation_dicts([ID, "pd_1", ID]) == (ID, "pd_1")  # in order, each once
    assert len(read_pronunciation_dicts([f"d{i}" for i in range(MAX_DICTS_PER_TURN)])) == MAX_DICTS_PER_TURN


@pytest.mark.parametrize(
    "value", [ID, [ID, 5], [""], ["a b"], ["../x"], ["x" * 65], [f"d{i}" for i in range(MAX_DICTS_PER_TURN + 1)],
              {"id": ID}, True],
)  # fmt: skip
def test_bad_pronunciation_dicts_name_the_field(value: Any) -> None:
    with pytest.raises(InvalidField, match=r"pronunciation_dicts.*up to 16 ids") as caught:
        read_pronunciation_dicts(value)
    assert caught.value.field == "pronunciation_dicts"


@pytest.mark.parametrize(("value", "expected"), [(None, None), ("ssml", "ssml"), (" SSML ", "ssml"), ("text", None),
                                                 ("none", None), ("plain", None)])  # fmt: skip
def test_markup(value: Any, expected: str | None) -> None:
    assert read_markup(value) == expected


@pytest.mark.parametrize("value", ["xml", "", True, 1, ["ssml"]])
def test_bad_markup_names_the_allowed_values(value: Any) -> None:
    with pytest.raises(InvalidField, match="'ssml' for speech markup"):
        read_markup(value)


def test_the_waves_body_carries_them() -> None:
    body = {"text": "Hi <b>", "voice_id": "magnus", "pronunciation_dicts": [ID], "markup": "ssml"}
    options = parse_request(body).options
    assert options.pronunciation_dicts == (ID,) and options.markup == "ssml"
    plain = parse_request({"text": "1 < 2", "voice_id": "magnus"}).options
    assert plain.pronunciation_dicts == () and plain.markup is None  # markup is opt-in
    with pytest.raises(InvalidField, match="'markup'"):
        parse_request({**body, "markup": "html"})


def test_the_openai_body_carries_them_as_extra_fields() -> None:
    body = {"model": "tts-1", "input": "Hi", "voice": "alloy", "pronunciation_dicts": [ID], "markup": "ssml"}
    options = openai.parse(body, voice_exists=lambda _: True).request.options
    assert options.pronunciation_dicts == (ID,) and options.markup == "ssml"
    with pytest.raises(InvalidField, match="'pronunciation_dicts'"):
        openai.parse({**body, "pronunciation_dicts": "one"}, voice_exists=lambda _: True)
