"""create_app: the route table in one place, and the lifespan that builds the services."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route, WebSocketRoute

from voicewire import metrics, web
from voicewire.auth.open import open_store
from voicewire.auth.store import Store
from voicewire.config import Settings
from voicewire.engines.catalog import Catalog
from voicewire.engines.registry import build_catalog
from voicewire.exceptions import NotFound
from voicewire.server import drain, http, openai, openapi_doc
from voicewire.server.errors import error_response
from voicewire.server.live import live_socket
from voicewire.server.services import Services
from voicewire.server.sse import sse_stream
from voicewire.synthesis.pool import SynthesisPool

__all__ = ["create_app"]

logger = logging.getLogger("voicewire.server")


def create_app(
    settings: Settings,
    *,
    catalog: Catalog | None = None,
    store: Store | None = None,
) -> Starlette:
    """The ASGI app. ``catalog`` and ``store`` default to the real engines and the configured store."""

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        svc = Services(
            settings=settings,
            catalog=catalog if catalog is not None else build_catalog(settings),
            store=store if store is not None else open_store(settings.store, settings.home),
            pool=SynthesisPool(settings.synthesis_workers, policy=settings.scheduler, utilization=settings.utilization),
        )
        app.state.services = svc
        drain.register(svc)
        preload = asyncio.ensure_future(_preload(svc))
        renewals = asyncio.ensure_future(svc.limiter.renew_forever())
        loop_tasks = asyncio.ensure_future(metrics.sample_event_loop())
        try:
            yield
        finally:
            preload.cancel()
            renewals.cancel()
            loop_tasks.cancel()
            await svc.limiter.close()
            svc.pool.close()
            svc.store.close()

    routes = [
        Route("/waves/v1/tts", http.synthesize, methods=["POST"]),
        Route("/waves/v1/lightning-v3.1/get_speech", http.synthesize, methods=["POST"]),
        Route("/waves/v1/tts/live", sse_stream, methods=["POST"]),
        Route("/waves/v1/lightning-v3.1/stream", sse_stream, methods=["POST"]),
        WebSocketRoute("/waves/v1/tts/live", live_socket),
        WebSocketRoute("/waves/v1/lightning-v3.1/get_speech/stream", live_socket),
        Route("/waves/v1/voice/get-all-models", http.all_models, methods=["GET"]),
        Route("/waves/v1/health", http.health, methods=["GET"]),
        Route("/readyz", http.ready, methods=["GET"]),
        Route("/metrics", metrics.metrics_endpoint, methods=["GET"]),
        Route("/waves/v1/{model}/get_voices", http.get_voices, methods=["GET"]),
        Route("/v1/audio/speech", openai.speech, methods=["POST"]),
        Route("/openapi.json", openapi_doc.openapi, methods=["GET"]),
    ]
    if settings.playground:
        routes += web.routes()
    app = Starlette(routes=routes, lifespan=lifespan, middleware=_middleware(settings))
    app.add_exception_handler(404, _not_found)
    app.add_exception_handler(405, _not_allowed)
    return app


async def _preload(svc: Services) -> None:
    """Load the configured voices on worker threads, so first requests do not pay for it."""
    for voice_id in svc.settings.preload:
        try:
            await svc.pool.load(svc.catalog.resolve(voice_id))
        except Exception as exc:  # a voice that cannot load must not stop the server
            logger.warning("! could not preload voice %r: %s", voice_id, exc)
    svc.ready = True
    metrics.READY.set(1)
    logger.info("= voices loaded: %s", ", ".join(svc.settings.preload))


async def _not_found(request: Request, exc: Exception) -> Response:
    return error_response(NotFound(f"No endpoint at {request.method} {request.url.path}."))


async def _not_allowed(request: Request, exc: Exception) -> Response:
    response = error_response(NotFound(f"Method {request.method} is not allowed on {request.url.path}."))
    response.status_code = 405
    return response


def _middleware(settings: Settings) -> list[Middleware]:
    """Metrics on every request; CORS only for the origins the operator named (closed by default).

    WebSocket handshakes are not subject to CORS in browsers; they need a key like everything else,
    and keys do not ride on cookies, so a foreign page cannot borrow a visitor's credentials.
    """
    stack = [Middleware(metrics.RequestMetrics)]
    if settings.cors_origins:
        stack.insert(
            0,
            Middleware(
                CORSMiddleware,
                allow_origins=list(settings.cors_origins),
                allow_methods=["GET", "POST"],
                allow_headers=["Authorization", "Content-Type"],
                expose_headers=["Retry-After", "X-External-Request-Id", "X-External-Session-Id"],
                max_age=600,
            ),
        )
    return stack
