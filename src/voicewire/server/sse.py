"""SSE (``POST /waves/v1/tts/live`` and the legacy ``/waves/v1/lightning-v3.1/stream``): one turn of the
live protocol, framed as server-sent events.

The request is validated before the stream starts, so a bad field is a plain 400 JSON error. Then
the body is fed to a LiveSession as one closing message, and its frames go out as
``data: {...}`` events: chunks, optional word timestamps, then ``complete`` (or one ``error``), and
the body ends. A client that disconnects closes the stream, which cancels the units still queued.
"""

from __future__ import annotations

import math
import time
from collections.abc import AsyncIterator
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from voicewire import metrics
from voicewire.auth.keys import ApiKey
from voicewire.auth.limits import Lease
from voicewire.protocol.frames import Frame, to_json
from voicewire.protocol.session import LiveSession
from voicewire.server.common import (
    ClosingStream,
    Job,
    admit,
    id_headers,
    log_refusal,
    prepare_job,
    read_json,
    record_usage,
    refuse_while_draining,
)
from voicewire.server.errors import error_response
from voicewire.server.jobs import JobRunner
from voicewire.server.services import Services, services
from voicewire.synthesis.capacity import Ticket

__all__ = ["sse_stream"]


async def sse_stream(request: Request) -> Response:
    svc = services(request)
    key: ApiKey | None = None
    job: Job | None = None
    lease: Lease | None = None
    ticket: Ticket | None = None
    try:
        key = await svc.auth.check(request)
        body = await read_json(request)
        job = prepare_job(svc, body)
        refuse_while_draining(svc)
        lease = await svc.limiter.acquire(key, "synthesis")
        ticket = admit(svc, job.voice)
    except Exception as exc:
        await svc.limiter.release(lease)
        response = error_response(exc)
        log_refusal("/waves/v1/tts/live", None if job is None else job.request, key, response.status_code, exc)
        return response
    headers = {**id_headers(job.request), "Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
    counted = _Seconds()

    settings = job.request.settings
    metrics.ACTIVE.labels("sse", settings.model).inc()

    async def finished() -> None:
        svc.pool.capacity.release(ticket)
        await svc.limiter.release(lease)
        metrics.ACTIVE.labels("sse", settings.model).dec()
        metrics.access_log(
            event="request",
            endpoint="/waves/v1/tts/live",
            request_id=counted.request_id,
            key=lease.key.name,
            key_id=lease.key.key_id,
            model=settings.model,
            voice=settings.voice_id,
            characters=len(job.request.text),
            audio_seconds=round(counted.seconds, 3),
            first_audio_ms=counted.first_audio_ms,
            status=counted.status,
        )
        await record_usage(svc, lease.key, len(job.request.text), counted.seconds)

    return ClosingStream(
        _events(svc, body, counted), on_close=finished, media_type="text/event-stream", headers=headers
    )


class _Seconds:
    """What the stream sent, for usage and the access log."""

    def __init__(self) -> None:
        self.started = time.monotonic()
        self.seconds = 0.0
        self.first_audio_ms: float | None = None
        self.request_id: str | None = None
        self.status = "closed"  # the client left before the end


async def _events(svc: Services, body: dict[str, Any], counted: _Seconds) -> AsyncIterator[bytes]:
    session = LiveSession(now=time.monotonic(), idle_timeout=math.inf, max_turn_chars=svc.settings.max_text_chars)
    runner = JobRunner(svc, session, endpoint="sse")
    session.receive_message({**body, "continue": False, "flush": True}, time.monotonic())
    pending = session.jobs_to_run()
    while True:
        for frame in session.frames_to_send():
            counted.request_id = frame.get("request_id", counted.request_id)
            if frame["status"] == "chunk":
                if counted.first_audio_ms is None:
                    counted.first_audio_ms = round((time.monotonic() - counted.started) * 1000, 1)
                counted.seconds += _chunk_seconds(frame, body)
            yield _event(frame)
            if frame["status"] in ("complete", "error") and "request_id" in frame:
                counted.status = frame["status"]
                return
        if not pending:
            return
        await runner.run(pending.pop(0))


def _chunk_seconds(frame: Frame, body: dict[str, Any]) -> float:
    """Seconds of audio in a chunk frame, for usage (exact for raw formats, estimated for mp3)."""
    size = len(frame["data"]["audio"]) * 3 // 4
    rate = int(body.get("sample_rate") or 44100)
    per_second = {"pcm": 2 * rate, "wav": 2 * rate, "mulaw": rate, "ulaw": rate, "alaw": rate}
    return size / per_second.get(str(body.get("output_format") or "pcm"), 16000)


def _event(frame: Frame) -> bytes:
    return b"data: " + to_json(frame).encode() + b"\n\n"
