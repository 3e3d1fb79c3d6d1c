"""Turn fields every dialect reads the same way: ``pronunciation_dicts`` and ``markup``.

Pure: each takes the decoded JSON value (``None`` when absent or null) and gives the ``TurnOptions``
value, or raises ``InvalidField`` naming the field, the value and what is allowed.
"""

from __future__ import annotations

import re

from voicewire.exceptions import InvalidField

__all__ = ["MARKUPS", "MAX_DICTS_PER_TURN", "read_markup", "read_pronunciation_dicts"]

MAX_DICTS_PER_TURN = 16
"""Dictionaries one turn may name."""
MARKUPS = ("ssml",)
_DICT_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")
_DICTS_ALLOWED = (
    f"a list of up to {MAX_DICTS_PER_TURN} ids of this key's pronunciation dictionaries "
    "(POST /waves/v1/pronunciation-dicts makes one; GET lists them)"
)


def read_pronunciation_dicts(value: object, field: str = "pronunciation_dicts") -> tuple[str, ...]:
    """Ids in the order given, each once."""
    if value is None:
        return ()
    if not isinstance(value, list) or len(value) > MAX_DICTS_PER_TURN:
        raise InvalidField(field, value, _DICTS_ALLOWED)
    for item in value:
        if not isinstance(item, str) or not _DICT_ID.fullmatch(item):
            raise InvalidField(field, item, _DICTS_ALLOWED)
    return tuple(dict.fromkeys(value))


def read_markup(value: object, field: str = "markup") -> str | None:
    """``"ssml"`` (any letter case) for speech markup; ``None``, ``"text"`` or ``"none"`` for plain text."""
    if value is None:
        return None
    if isinstance(value, str) and value.strip().lower() in ("text", "none", "plain"):
        return None
    if isinstance(value, str) and value.strip().lower() in MARKUPS:
        return value.strip().lower()
    raise InvalidField(field, value, "'ssml' for speech markup, or 'text' / null for plain text (the default)")
