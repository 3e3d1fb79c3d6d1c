"""``GET /openapi.json``: the OpenAPI 3.1 description of the HTTP API, a static file beside this module.

Hand-written, not generated: the request ranges and error shapes are the contract of
docs/protocol.md, and tests/server/test_openapi.py checks that every HTTP route is in it.
"""

from __future__ import annotations

import functools
from pathlib import Path

from starlette.requests import Request
from starlette.responses import Response

__all__ = ["DOCUMENT", "openapi"]

DOCUMENT = Path(__file__).with_name("openapi.json")


@functools.cache
def _document() -> bytes:
    return DOCUMENT.read_bytes()


async def openapi(request: Request) -> Response:
    """No key needed: the document holds no secrets, and tools fetch it before they have one."""
    return Response(_document(), media_type="application/json")
