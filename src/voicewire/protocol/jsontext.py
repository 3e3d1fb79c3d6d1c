"""JSON for frames, bodies and log lines: compact valid UTF-8 out, bounded nesting in."""

from __future__ import annotations

import json
from collections.abc import Mapping

from voicewire.exceptions import MalformedMessage

__all__ = ["MAX_NESTING", "check_nesting", "to_json"]

MAX_NESTING = 32
"""Deepest nesting of arrays and objects a body or frame may have (the request shapes need 3)."""


def to_json(obj: object) -> str:
    """Compact JSON text for a frame or a log line that is always valid UTF-8.

    Non-ASCII text stays as it is (a word of Hebrew is not six times longer), except when it holds a
    lone surrogate: a client may send one as a JSON escape (``"\\ud800"``), it is echoed in word
    frames and error messages, and it cannot be encoded as UTF-8, so that text is written with ASCII
    escapes throughout, which every JSON parser reads back to the same string.
    """
    text = json.dumps(obj, separators=(",", ":"), ensure_ascii=False)
    if not text.isascii():
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            return json.dumps(obj, separators=(",", ":"))
    return text


def check_nesting(body: object) -> None:
    """Refuse a decoded body nested deeper than ``MAX_NESTING``.

    A value a few hundred levels deep decodes, but showing it in an error message (``repr``) can
    then run out of stack: the frame or request would fail with a RecursionError instead of a 400.

    Raises:
        MalformedMessage: the body is nested too deeply.
    """
    level, depth = [body], 0
    while level:  # breadth first, without recursion
        depth += 1
        if depth > MAX_NESTING:
            raise MalformedMessage(f"JSON nested deeper than {MAX_NESTING} levels; send a flat JSON object.")
        below: list[object] = []
        for value in level:
            if isinstance(value, Mapping):
                below.extend(value.values())
            elif isinstance(value, list):
                below.extend(value)
        level = below
