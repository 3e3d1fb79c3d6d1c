"""The pronunciation-dictionary bodies, in and out, as the Waves API has them."""

from __future__ import annotations

from typing import Any

import pytest

from voicewire.dialects.waves.dicts import (
    created_at,
    deleted_body,
    dict_body,
    parse_create,
    parse_delete,
    parse_update,
)
from voicewire.exceptions import InvalidField, MalformedMessage
from voicewire.text.lexicon import LexiconEntry, LexiconLimits

LIMITS = LexiconLimits(max_items=3, max_word_chars=10, max_pronunciation_chars=20)
ITEM = {"word": "SQL", "pronunciation": "sequel"}


def test_create_update_delete_bodies() -> None:
    assert parse_create({"items": [ITEM, {**ITEM, "case_sensitive": True}]}, LIMITS) == (
        LexiconEntry("SQL", "sequel"), LexiconEntry("SQL", "sequel", True)
    )  # fmt: skip
    assert parse_update({"id": " pd1 ", "items": []}, LIMITS) == ("pd1", ())  # PUT may empty a dictionary
    assert parse_delete({"id": "64f1234567890abcdef12345", "extra": 1}) == "64f1234567890abcdef12345"


@pytest.mark.parametrize(
    ("body", "field", "fragment"),
    [
        ({}, "items", "1 to 3 items"),
        ({"items": []}, "items", "1 to 3 items"),
        ({"items": [ITEM] * 4}, "items", "1 to 3 items"),
        ({"items": "SQL=sequel"}, "items", "1 to 3 items"),
        ({"items": [ITEM, "SQL"]}, "items[1]", "an object"),
        ({"items": [ITEM, {"word": "SQL"}]}, "items[1].pronunciation", "respelling"),
        ({"items": [{"word": "x" * 11, "pronunciation": "y"}]}, "items[0].word", "at most 10"),
    ],
)
def test_bad_create_bodies_name_the_field(body: dict[str, Any], field: str, fragment: str) -> None:
    with pytest.raises(InvalidField, match=fragment) as caught:
        parse_create(body, LIMITS)
    assert caught.value.field == field


@pytest.mark.parametrize("body", [{}, {"id": ""}, {"id": 5}, {"id": None}, {"id": "x" * 129}])
def test_an_id_is_required(body: dict[str, Any]) -> None:
    with pytest.raises(InvalidField, match="'id'"):
        parse_delete(body)
    with pytest.raises(InvalidField, match="'id'"):
        parse_update({**body, "items": []}, LIMITS)


@pytest.mark.parametrize("body", [[], "x", None, 5])
def test_a_body_must_be_an_object(body: Any) -> None:
    for parse in (lambda b: parse_create(b, LIMITS), lambda b: parse_update(b, LIMITS), parse_delete):
        with pytest.raises(MalformedMessage, match="JSON object"):
            parse(body)


def test_answers() -> None:
    items = (LexiconEntry("SQL", "sequel"), LexiconEntry("IBM", "eye bee em", True))
    assert dict_body("abc", items, 1693569600.0) == {
        "id": "abc",
        "items": [{"word": "SQL", "pronunciation": "sequel"},
                  {"word": "IBM", "pronunciation": "eye bee em", "case_sensitive": True}],
        "createdAt": "2023-09-01T12:00:00.000Z",
    }  # fmt: skip
    assert deleted_body("abc") == {"id": "abc", "deleted": True}
    assert created_at(1693569600.1234) == "2023-09-01T12:00:00.123Z"
    assert created_at(1693569600.9996) == "2023-09-01T12:00:01.000Z"
