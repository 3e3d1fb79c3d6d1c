"""SSE (``POST /waves/v1/tts/live`` and the legacy ``/waves/v1/lightning-v3.1/stream``): one turn of the
live protocol, framed as server-sent events.

The request is validated before the stream starts, so a bad field is a plain 400 JSON error. Then
its frames go out as ``data: {...}`` events: chunks, optional word timestamps, then ``complete`` (or
one ``error``), and the body ends. A client that disconnects closes the stream, which cancels the
units still queued.
"""

from __future__ import annotations

import uuid
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from voicewire.dialects.waves.frames import Frame, chunk_frames, complete_frame, error_frame, word_frame
from voicewire.dialects.waves.request import parse_request
from voicewire.exceptions import VoicewireError
from voicewire.protocol.jsontext import to_json
from voicewire.runtime.runtime import Runtime
from voicewire.server.common import id_headers
from voicewire.server.errors import error_response
from voicewire.server.http import waves_log
from voicewire.server.oneshot import OneShot, Packaging, speak_once
from voicewire.synthesis.pipeline import Pacing
from voicewire.synthesis.render import Rendered

__all__ = ["sse_stream"]


async def sse_stream(request: Request) -> Response:
    def parse(body: Any, runtime: Runtime) -> OneShot:
        parsed = parse_request(body)
        request_id = f"task_{uuid.uuid4().hex}"
        ids = {}
        if parsed.request_id:
            ids["external_request_id"] = parsed.request_id
        if parsed.session_id:
            ids["external_session_id"] = parsed.session_id
        timestamps = parsed.options.word_timestamps

        def event(piece: Rendered) -> bytes:
            frames = [word_frame(request_id, w, ids) for w in piece.words] if timestamps else []
            return _events(frames + chunk_frames(request_id, piece.audio, ids))

        def failed(error: VoicewireError) -> bytes:
            return _events([error_frame(error.message, error.code, request_id, ids)])

        pack = Packaging(
            "text/event-stream",
            event=event,
            last_event=lambda _seconds: _events([complete_frame(request_id, ids)]),
            failed_event=failed,
            first_unit=True,
            pacing=Pacing.LIVE,
            headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
        )
        log = {**waves_log(parsed), "request_id": request_id}
        return OneShot(parsed.turn, pack, id_headers(parsed.request_id, parsed.session_id), log)

    return await speak_once(request, endpoint="/waves/v1/tts/live", kind="sse", parse=parse, errors=error_response)


def _events(frames: list[Frame]) -> bytes:
    return b"".join(b"data: " + to_json(frame).encode() + b"\n\n" for frame in frames)
