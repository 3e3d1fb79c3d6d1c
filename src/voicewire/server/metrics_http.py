"""Metrics over HTTP: ``GET /metrics`` and the per-request counter middleware."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from voicewire.metrics import CONTENT_TYPE, REQUESTS, exposition

__all__ = ["RequestMetrics", "endpoint_label", "metrics_endpoint"]


async def metrics_endpoint(request: Request) -> Response:
    """``GET /metrics``: Prometheus text format, no key needed (it holds no secrets)."""
    return Response(exposition(), media_type=CONTENT_TYPE)


_ENDPOINTS = (
    "/waves/v1/tts",
    "/waves/v1/tts/live",
    "/waves/v1/lightning-v3.1/get_speech",
    "/waves/v1/lightning-v3.1/stream",
    "/waves/v1/lightning-v3.1/get_speech/stream",
    "/waves/v1/voice/get-all-models",
    "/waves/v1/health",
    "/v1/audio/speech",
    "/metrics",
    "/readyz",
    "/openapi.json",
)


def endpoint_label(path: str) -> str:
    """A path as a label from a fixed set, so odd paths cannot create new time series."""
    if path in _ENDPOINTS:
        return path
    if path.startswith("/waves/v1/") and path.endswith("/get_voices"):
        return "/waves/v1/{model}/get_voices"
    if path == "/" or path.startswith("/playground"):
        return "/ (playground)"
    return "other"


class RequestMetrics:
    """ASGI middleware: counts HTTP requests by endpoint and status."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        status = 500  # what the client sees if the app fails before answering

        async def watch(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, watch)
        finally:
            REQUESTS.labels(endpoint_label(scope["path"]), str(status)).inc()
