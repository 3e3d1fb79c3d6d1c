"""SSE (``POST /waves/v1/tts/live`` and the legacy ``/waves/v1/lightning-v3.1/stream``): one turn of the
live protocol, framed as server-sent events.

The request is validated before the stream starts, so a bad field is a plain 400 JSON error. Then
the body is fed to a LiveSession as one closing message, and its frames go out as
``data: {...}`` events: chunks, optional word timestamps, then ``complete`` (or one ``error``), and
the body ends. A client that disconnects closes the stream, which cancels the units still queued.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import AsyncIterator
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from voicewire.protocol.frames import Frame
from voicewire.protocol.session import LiveSession
from voicewire.server.common import ClosingStream, id_headers, prepare_job, read_json
from voicewire.server.errors import error_response
from voicewire.server.jobs import JobRunner
from voicewire.server.services import Services, services

__all__ = ["sse_stream"]


async def sse_stream(request: Request) -> Response:
    svc = services(request)
    try:
        await svc.auth.check(request.headers)
        body = await read_json(request)
        job = prepare_job(svc, body)
    except Exception as exc:
        return error_response(exc)
    headers = {**id_headers(job.request), "Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
    return ClosingStream(_events(svc, body), media_type="text/event-stream", headers=headers)


async def _events(svc: Services, body: dict[str, Any]) -> AsyncIterator[bytes]:
    session = LiveSession(now=time.monotonic(), idle_timeout=math.inf, max_turn_chars=svc.settings.max_text_chars)
    runner = JobRunner(svc, session)
    session.receive_message({**body, "continue": False, "flush": True}, time.monotonic())
    pending = session.jobs_to_run()
    while True:
        for frame in session.frames_to_send():
            yield _event(frame)
            if frame["status"] in ("complete", "error") and "request_id" in frame:
                return
        if not pending:
            return
        await runner.run(pending.pop(0))


def _event(frame: Frame) -> bytes:
    return b"data: " + json.dumps(frame, separators=(",", ":"), ensure_ascii=False).encode() + b"\n\n"
