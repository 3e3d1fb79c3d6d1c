"""``/waves/v1/pronunciation-dicts``: the key's pronunciation dictionaries (GET, POST, PUT, DELETE).

The bodies are the Waves dialect's (``voicewire.dialects.waves.dicts``); a dictionary belongs to the
key that made it, and another key sees it as one that does not exist (404, never 403: its id says
nothing). Store calls run off the event loop.
"""

from __future__ import annotations

import asyncio

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from voicewire.config import Settings
from voicewire.dialects.waves import dicts as dialect
from voicewire.server.auth import authenticate
from voicewire.server.common import read_json, runtime_of
from voicewire.server.errors import error_response
from voicewire.text.lexicon import LexiconLimits

__all__ = ["limits_of", "pronunciation_dicts"]


def limits_of(settings: Settings) -> LexiconLimits:
    return LexiconLimits(max_items=settings.dict_max_items, max_word_chars=settings.dict_max_word_chars,
                         max_pronunciation_chars=settings.dict_max_pronunciation_chars)  # fmt: skip


async def pronunciation_dicts(request: Request) -> Response:
    runtime = runtime_of(request)
    store = runtime.store
    try:
        key = await authenticate(runtime, request)
        owner = key.key_id
        if request.method == "GET":
            found = await asyncio.to_thread(store.list_dicts, owner)
            return JSONResponse([dialect.dict_body(d.dict_id, d.items, d.created_at) for d in found])
        body = await read_json(request, expect="a JSON object with 'items' or 'id'")
        limits = limits_of(runtime.settings)
        if request.method == "POST":
            items = dialect.parse_create(body, limits)
            limit = runtime.settings.dict_max_per_key
            made = await asyncio.to_thread(lambda: store.create_dict(owner, items, limit=limit))
            return JSONResponse(dialect.dict_body(made.dict_id, made.items, made.created_at))
        if request.method == "PUT":
            dict_id, items = dialect.parse_update(body, limits)
            changed = await asyncio.to_thread(store.update_dict, owner, dict_id, items)
            return JSONResponse({"id": changed.dict_id, "items": dialect.items_body(changed.items)})
        dict_id = dialect.parse_delete(body)
        await asyncio.to_thread(store.delete_dict, owner, dict_id)
        return JSONResponse(dialect.deleted_body(dict_id))
    except Exception as exc:
        return error_response(exc)
