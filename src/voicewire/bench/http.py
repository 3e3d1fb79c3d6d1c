"""``voicewire bench sync``: time to first byte and total time of ``POST /waves/v1/tts``."""

from __future__ import annotations

import http.client
import json
import statistics
import time
from typing import Any
from urllib.parse import urlsplit

__all__ = ["time_sync_request"]


def time_sync_request(url: str, key: str, body: dict[str, Any]) -> tuple[float, float, int]:
    """One request: (ms to first body byte, ms to last byte, bytes)."""
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port or 80, timeout=120)
    payload = json.dumps(body).encode()
    started = time.perf_counter()
    conn.request("POST", "/waves/v1/tts", payload, {"Authorization": f"Bearer {key}",
                                                    "Content-Type": "application/json"})  # fmt: skip
    response = conn.getresponse()
    if response.status != 200:
        raise RuntimeError(f"POST /waves/v1/tts answered {response.status}: {response.read()[:300]!r}")
    first = response.read1(65536)
    ttfb = time.perf_counter() - started
    size = len(first)
    while chunk := response.read1(65536):
        size += len(chunk)
    total = time.perf_counter() - started
    conn.close()
    return ttfb * 1000, total * 1000, size


def bench_sync(url: str, key: str, text: str, voice: str, fmt: str, rate: int, repeat: int) -> dict[str, Any]:
    body = {"text": text, "voice_id": voice, "output_format": fmt, "sample_rate": rate}
    time_sync_request(url, key, body)  # warm-up
    runs = [time_sync_request(url, key, body) for _ in range(repeat)]
    seconds = runs[0][2] / 2 / rate if fmt in ("pcm", "wav") else None
    return {
        "voice": voice,
        "format": fmt,
        "chars": len(text),
        "audio_s": round(seconds, 2) if seconds else None,
        "ttfb_ms_p50": round(statistics.median(r[0] for r in runs), 1),
        "total_ms_p50": round(statistics.median(r[1] for r in runs), 1),
    }
