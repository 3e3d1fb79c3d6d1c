"""The Waves pronunciation-dictionary API (``/waves/v1/pronunciation-dicts``): bodies in, bodies out.

As the hosted service has it (``docs/protocol.md``): one path for all four methods, the id in the
JSON body (DELETE too), 200 for every success.

- ``GET``: a bare array of ``{"id", "items", "createdAt"}``.
- ``POST {"items": [{"word", "pronunciation"}, ...]}`` (at least one item): ``{"id", "items", "createdAt"}``.
- ``PUT {"id", "items"}``: ``{"id", "items"}``.
- ``DELETE {"id"}``: ``{"id", "deleted": true}``.

An item may also say ``"case_sensitive": true`` (a voicewire addition; it is echoed only when true).
Pure: no I/O.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from typing import Any

from voicewire.exceptions import InvalidField, MalformedMessage
from voicewire.text.lexicon import LexiconEntry, LexiconLimits, check_entry

__all__ = ["created_at", "deleted_body", "dict_body", "items_body", "parse_create", "parse_delete", "parse_update"]


def parse_create(body: object, limits: LexiconLimits) -> tuple[LexiconEntry, ...]:
    """The items of a ``POST`` body.

    Raises:
        MalformedMessage: the body is not a JSON object.
        InvalidField: ``items`` is missing, empty, too long, or an item is bad (named ``items[i].word``).
    """
    return _items(_object(body, "{'items': [{'word': ..., 'pronunciation': ...}]}"), limits, at_least=1)


def parse_update(body: object, limits: LexiconLimits) -> tuple[str, tuple[LexiconEntry, ...]]:
    """The id and items of a ``PUT`` body."""
    obj = _object(body, "{'id': ..., 'items': [...]}")
    return _id(obj), _items(obj, limits, at_least=0)


def parse_delete(body: object) -> str:
    """The id of a ``DELETE`` body."""
    return _id(_object(body, "{'id': ...}"))


def items_body(items: Sequence[LexiconEntry]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for item in items:
        row: dict[str, Any] = {"word": item.word, "pronunciation": item.pronunciation}
        if item.case_sensitive:
            row["case_sensitive"] = True
        out.append(row)
    return out


def created_at(seconds: float) -> str:
    """ISO 8601 in UTC with milliseconds and ``Z``, as the hosted ``createdAt``: ``2023-09-01T12:00:00.000Z``."""
    whole = int(seconds)
    millis = round((seconds - whole) * 1000)
    if millis == 1000:
        whole, millis = whole + 1, 0
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(whole)) + f".{millis:03d}Z"


def dict_body(dict_id: str, items: Sequence[LexiconEntry], created: float) -> dict[str, Any]:
    """A dictionary, as ``GET`` lists it and ``POST`` answers."""
    return {"id": dict_id, "items": items_body(items), "createdAt": created_at(created)}


def deleted_body(dict_id: str) -> dict[str, Any]:
    return {"id": dict_id, "deleted": True}


def _object(body: object, shape: str) -> Mapping[str, Any]:
    if not isinstance(body, Mapping):
        raise MalformedMessage(f"Expected a JSON object {shape}.")
    return body


def _id(body: Mapping[str, Any]) -> str:
    value = body.get("id")
    if not isinstance(value, str) or not value.strip() or len(value) > 128:
        raise InvalidField("id", value, "the id of one of your pronunciation dictionaries (a string)")
    return value.strip()


def _items(body: Mapping[str, Any], limits: LexiconLimits, *, at_least: int) -> tuple[LexiconEntry, ...]:
    items = body.get("items")
    allowed = (
        f"a list of {at_least} to {limits.max_items} items "
        "{'word': ..., 'pronunciation': ...} (VOICEWIRE_DICT_MAX_ITEMS)"
    )
    if not isinstance(items, list) or not at_least <= len(items) <= limits.max_items:
        raise InvalidField("items", items if not isinstance(items, list) else f"{len(items)} items", allowed)
    out = []
    for i, item in enumerate(items):
        if not isinstance(item, Mapping):
            raise InvalidField(f"items[{i}]", item, "an object {'word': ..., 'pronunciation': ...}")
        out.append(check_entry(i, item.get("word"), item.get("pronunciation"), item.get("case_sensitive"), limits))
    return tuple(out)
