"""The playground: a static page at ``/`` that speaks the live WebSocket from a browser.

No build step: three files in ``static/`` served as they are. The page never needs a key in a URL;
it sends the key as a WebSocket subprotocol (see ``voicewire.server.auth``).
"""

from __future__ import annotations

from pathlib import Path

from starlette.requests import Request
from starlette.responses import FileResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

__all__ = ["routes"]

STATIC = Path(__file__).parent / "static"

# The page loads only its own files and talks only to its own server.
_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; connect-src 'self'; media-src 'self' blob:; img-src 'self' data:; "
        "frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-cache",
}


async def page(request: Request) -> Response:
    return FileResponse(STATIC / "index.html", headers=_HEADERS)


async def to_page(request: Request) -> Response:
    return RedirectResponse("/", status_code=308)


def routes() -> list[BaseRoute]:
    return [
        Route("/", page, methods=["GET", "HEAD"]),
        Route("/playground", to_page, methods=["GET", "HEAD"]),
        Mount("/playground", StaticFiles(directory=STATIC), name="playground"),
    ]
