"""Plain HTTP endpoints: sync synthesis, voice catalogs, health."""

from __future__ import annotations

import logging
from collections.abc import AsyncGenerator, AsyncIterator

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from voicewire.audio.encoders import wav_file
from voicewire.audio.formats import CONTENT_TYPES
from voicewire.auth.limits import Lease
from voicewire.exceptions import NotFound
from voicewire.protocol.request import MODELS, SynthesisRequest, canonical_model
from voicewire.server.common import (
    ClosingStream,
    admit,
    id_headers,
    prepare_job,
    read_json,
    record_usage,
    refuse_while_draining,
)
from voicewire.server.errors import error_response
from voicewire.server.services import Services, services
from voicewire.synthesis.capacity import Ticket
from voicewire.synthesis.render import Rendered, TurnRenderer
from voicewire.synthesis.speak import speak

__all__ = ["all_models", "get_voices", "health", "synthesize"]

logger = logging.getLogger("voicewire.server")


async def synthesize(request: Request) -> Response:
    """``POST /waves/v1/tts``: the whole text as one audio body (streamed, except WAV).

    The request holds one of its key's synthesis units from admission to its last byte.
    """
    svc = services(request)
    parsed: SynthesisRequest | None = None
    lease: Lease | None = None
    ticket: Ticket | None = None
    try:
        key = await svc.auth.check(request.headers)
        job = prepare_job(svc, await read_json(request))
        parsed = job.request
        refuse_while_draining(svc)
        lease = await svc.limiter.acquire(key, "synthesis")
        ticket = admit(svc, job.voice)
        settings = parsed.settings
        fmt = settings.output_format
        # A WAV body is a complete RIFF file with exact sizes, so it is assembled, then sent.
        renderer = TurnRenderer("pcm" if fmt == "wav" else fmt, settings.sample_rate)
        stream = speak(svc.pool, job.voice, job.units, speed=settings.speed, renderer=renderer)
        try:
            first = await anext(stream)  # a failure before any byte is still a JSON error
        except BaseException:
            await stream.aclose()
            raise
    except Exception as exc:
        svc.pool.capacity.release(ticket)
        await svc.limiter.release(lease)
        return error_response(exc, id_headers(parsed))

    headers = id_headers(parsed)
    finished = _Finisher(svc, lease, ticket, len(parsed.text), renderer, stream)
    if fmt == "wav":
        try:
            pcm = [first.audio] + [piece.audio async for piece in stream]
        except Exception as exc:
            return error_response(exc, headers)
        finally:
            await finished()
        return Response(wav_file(b"".join(pcm), settings.sample_rate), media_type=CONTENT_TYPES["wav"], headers=headers)
    return ClosingStream(_body(first, stream), on_close=finished, media_type=CONTENT_TYPES[fmt], headers=headers)


class _Finisher:
    """Stops the request's synthesis, frees its unit and records its usage, once, however it ended."""

    def __init__(
        self,
        svc: Services,
        lease: Lease | None,
        ticket: Ticket | None,
        characters: int,
        renderer: TurnRenderer,
        stream: AsyncGenerator[Rendered],
    ) -> None:
        self.svc, self.lease, self.ticket, self.characters = svc, lease, ticket, characters
        self.renderer, self.stream = renderer, stream
        self.done = False

    async def __call__(self) -> None:
        if self.done:
            return
        self.done = True
        await self.stream.aclose()
        self.svc.pool.capacity.release(self.ticket)
        await self.svc.limiter.release(self.lease)
        if self.lease is not None:
            await record_usage(self.svc, self.lease.key, self.characters, self.renderer.seconds)


async def _body(first: Rendered, rest: AsyncGenerator[Rendered]) -> AsyncIterator[bytes]:
    try:
        if first.audio:
            yield first.audio
        async for piece in rest:
            if piece.audio:
                yield piece.audio
    except Exception as exc:
        # Headers are gone: the only honest signal left is to abort the body, so the client sees a
        # broken transfer instead of a short file that looks complete.
        logger.warning("! sync synthesis failed mid-stream: %s", exc)
        raise


async def get_voices(request: Request) -> Response:
    """``GET /waves/v1/{model}/get_voices``: ``lightning-v3.1`` lists every voice, as Waves does."""
    svc = services(request)
    try:
        await svc.auth.check(request.headers)
        raw = request.path_params["model"]
        model = canonical_model(raw)
        if model is None:
            raise NotFound(f"Model {raw!r} does not exist; models: {', '.join(MODELS)} (or their hyphen forms).")
        return JSONResponse(svc.catalog.waves_voices(None if model == "lightning_v3.1" else model))
    except Exception as exc:
        return error_response(exc)


async def all_models(request: Request) -> Response:
    """``GET /waves/v1/voice/get-all-models``."""
    svc = services(request)
    try:
        await svc.auth.check(request.headers)
        return JSONResponse(svc.catalog.waves_all_models())
    except Exception as exc:
        return error_response(exc)


async def health(request: Request) -> Response:
    """``GET /waves/v1/health``: liveness and readiness, no key needed.

    503 while the server drains before it stops, so a load balancer stops sending it work.
    """
    svc = services(request)
    if svc.draining:
        return JSONResponse({"status": "draining", "ready": False}, status_code=503)
    return JSONResponse({"status": "ok", "ready": svc.ready})
