"""Prometheus metrics and the access log (one structured line per request or turn), for every listener.

The HTTP side (``GET /metrics``, the per-request counter) is ``voicewire.server.metrics_http``.

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

from voicewire.protocol.jsontext import to_json

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
    "access_log",
    "exposition",
    "sample_event_loop",
]

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
_MULTIPROCESS = bool(os.environ.get("PROMETHEUS_MULTIPROC_DIR"))

FIRST_AUDIO = Histogram(
    "voicewire_first_audio_seconds",
    "From a request or turn's first text to its first audio leaving the engine, per engine.",
    ["engine", "endpoint"],
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
    "Streams being served: sync requests, SSE streams, WebSocket connections and turns, per engine.",
    ["kind", "engine"],
    multiprocess_mode="livesum",
)
UNDERRUNS = Counter(
    "voicewire_underruns",
    "Times a stream's next audio was made after a real-time listener would have run out.",
    ["engine"],
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


def exposition() -> bytes:
    """The metrics in Prometheus text format (summed over the worker processes when there are several)."""
    if _MULTIPROCESS:
        registry = CollectorRegistry()
        prometheus_multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        return bytes(generate_latest(registry))
    return bytes(generate_latest())
