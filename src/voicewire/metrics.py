"""Prometheus metrics (``GET /metrics``) and the access log: one structured line per request or turn.

With ``serve --workers N`` every process counts its own; the supervisor gives them a shared
directory (``PROMETHEUS_MULTIPROC_DIR``) and a scrape of any process reports the sum over all.
The access log never holds a key: only its name and id.
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client import multiprocess as prometheus_multiprocess
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from voicewire.protocol.frames import to_json

__all__ = [
    "ACTIVE",
    "AUTH_FAILURES",
    "CONTENT_TYPE",
    "EVENT_LOOP_TASKS",
    "FIRST_AUDIO",
    "QUEUE_WAIT",
    "READY",
    "REQUESTS",
    "SYNTHESIS_RTF",
    "UNDERRUNS",
    "RequestMetrics",
    "access_log",
    "endpoint_label",
    "metrics_endpoint",
    "sample_event_loop",
]

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
_MULTIPROCESS = bool(os.environ.get("PROMETHEUS_MULTIPROC_DIR"))

FIRST_AUDIO = Histogram(
    "voicewire_first_audio_seconds",
    "From a request or turn's first text to its first audio leaving the engine, per model.",
    ["model", "endpoint"],
    buckets=(0.01, 0.02, 0.03, 0.05, 0.075, 0.1, 0.15, 0.25, 0.5, 1.0, 2.5, 5.0),
)
SYNTHESIS_RTF = Histogram(
    "voicewire_synthesis_realtime_factor",
    "Seconds of compute per second of audio made, per engine call with audio.",
    ["engine"],
    buckets=(0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0),
)
QUEUE_WAIT = Histogram(
    "voicewire_queue_wait_seconds",
    "Time an engine call waited for a synthesis worker.",
    buckets=(0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5),
)
ACTIVE = Gauge(
    "voicewire_active",
    "Streams being served: sync requests, SSE streams, WebSocket connections and turns, per model.",
    ["kind", "model"],
    multiprocess_mode="livesum",
)
UNDERRUNS = Counter(
    "voicewire_underruns",
    "Times a stream's next audio was made after a real-time listener would have run out.",
    ["model"],
)
REQUESTS = Counter(
    "voicewire_requests",
    "Requests, WebSocket handshakes and turns, by endpoint and outcome (HTTP status or frame).",
    ["endpoint", "status"],
)
AUTH_FAILURES = Counter("voicewire_auth_failures", "Requests and handshakes refused for a missing or wrong key.")
READY = Gauge("voicewire_ready", "1 once the preloaded voices are loaded.", multiprocess_mode="livemin")
EVENT_LOOP_TASKS = Gauge(
    "voicewire_event_loop_tasks",
    "Live asyncio tasks on the event loops of the server processes (a steady rise at idle is a leak).",
    multiprocess_mode="livesum",
)

_access = logging.getLogger("voicewire.access")


async def sample_event_loop(interval: float = 1.0) -> None:
    """Keep ``EVENT_LOOP_TASKS`` at this loop's live task count (this one included) until cancelled.

    Sampled on a timer, not at scrape time: with several workers, the one that answers a scrape
    cannot see the other processes' loops, so each keeps its own figure in the shared folder.
    """
    while True:
        EVENT_LOOP_TASKS.set(len(asyncio.all_tasks()))
        await asyncio.sleep(interval)


def access_log(**fields: Any) -> None:
    """One JSON line per request or turn (``voicewire.access`` logger)."""
    fields = {"time": round(time.time(), 3), **{k: v for k, v in fields.items() if v is not None}}
    _access.info(to_json(fields))


async def metrics_endpoint(request: Request) -> Response:
    """``GET /metrics``: Prometheus text format, no key needed (it holds no secrets)."""
    if _MULTIPROCESS:
        registry = CollectorRegistry()
        prometheus_multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        return Response(generate_latest(registry), media_type=CONTENT_TYPE)
    return Response(generate_latest(), media_type=CONTENT_TYPE)


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
