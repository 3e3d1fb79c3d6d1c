"""create_app: the HTTP and WebSocket listener of a runtime, with the route table in one place."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route, WebSocketRoute

from voicewire import web
from voicewire.config import Settings
from voicewire.exceptions import NotFound
from voicewire.runtime.runtime import Runtime
from voicewire.server import dicts, http, openai, openapi_doc
from voicewire.server.errors import error_response
from voicewire.server.live import lightning_v4_socket, live_socket, streaming_tts_socket, unknown_socket
from voicewire.server.metrics_http import RequestMetrics, metrics_endpoint
from voicewire.server.sse import sse_stream

__all__ = ["create_app"]

logger = logging.getLogger("voicewire.server")


def create_app(runtime: Runtime) -> Starlette:
    """The ASGI app of ``runtime``. Started by its owner (``voicewire serve``) or, if nobody did, by the
    app's lifespan, which then also closes it."""

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        owned = not runtime.started
        await runtime.start()
        try:
            yield
        finally:
            if owned:
                await runtime.close()

    routes = [
        Route("/waves/v1/tts", http.synthesize, methods=["POST"]),
        Route("/waves/v1/lightning-v3.1/get_speech", http.synthesize, methods=["POST"]),
        Route("/waves/v1/tts/live", sse_stream, methods=["POST"]),
        Route("/waves/v1/lightning-v3.1/stream", sse_stream, methods=["POST"]),
        WebSocketRoute("/waves/v1/tts/live", live_socket),
        WebSocketRoute("/waves/v1/lightning-v3.1/get_speech/stream", live_socket),
        WebSocketRoute("/waves/v1/streaming-tts/stream", streaming_tts_socket),
        WebSocketRoute("/waves/v1/lightning-v4/live", lightning_v4_socket),
        Route("/waves/v1/voice/get-all-models", http.all_models, methods=["GET"]),
        Route("/waves/v1/pronunciation-dicts", dicts.pronunciation_dicts, methods=["GET", "POST", "PUT", "DELETE"]),
        Route("/waves/v1/health", http.health, methods=["GET"]),
        Route("/readyz", http.ready, methods=["GET"]),
        Route("/metrics", metrics_endpoint, methods=["GET"]),
        Route("/waves/v1/{model}/get_voices", http.get_voices, methods=["GET"]),
        Route("/v1/audio/speech", openai.speech, methods=["POST"]),
        Route("/openapi.json", openapi_doc.openapi, methods=["GET"]),
    ]
    if runtime.settings.playground:
        routes += web.routes()
    routes.append(WebSocketRoute("/{path:path}", unknown_socket))  # last: only what nothing else took
    app = Starlette(routes=routes, lifespan=lifespan, middleware=_middleware(runtime.settings))
    app.state.runtime = runtime
    app.add_exception_handler(404, _not_found)
    app.add_exception_handler(405, _not_allowed)
    return app


async def _not_found(request: Request, exc: Exception) -> Response:
    return await http.not_found(request)


async def _not_allowed(request: Request, exc: Exception) -> Response:
    response = error_response(NotFound(f"Method {request.method} is not allowed on {request.url.path}."))
    response.status_code = 405
    return response


def _middleware(settings: Settings) -> list[Middleware]:
    """Metrics on every request; CORS only for the origins the operator named (closed by default).

    WebSocket handshakes are not subject to CORS in browsers; they need a key like everything else,
    and keys do not ride on cookies, so a foreign page cannot borrow a visitor's credentials.
    """
    stack = [Middleware(RequestMetrics)]
    if settings.cors_origins:
        stack.insert(
            0,
            Middleware(
                CORSMiddleware,
                allow_origins=list(settings.cors_origins),
                allow_methods=["GET", "POST", "PUT", "DELETE"],
                allow_headers=["Authorization", "Content-Type"],
                expose_headers=["Retry-After", "X-External-Request-Id", "X-External-Session-Id"],
                max_age=600,
            ),
        )
    return stack
