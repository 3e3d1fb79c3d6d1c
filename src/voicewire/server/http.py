"""Plain HTTP endpoints: sync synthesis, voice catalogs, health."""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncGenerator, AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from voicewire import metrics
from voicewire.audio.encoders import wav_file
from voicewire.audio.formats import CONTENT_TYPES
from voicewire.auth.keys import ApiKey
from voicewire.auth.limits import Lease
from voicewire.exceptions import NotFound
from voicewire.protocol.request import MODELS, SynthesisRequest, VoiceSettings, canonical_model
from voicewire.server.common import (
    ClosingStream,
    admit,
    id_headers,
    log_refusal,
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

__all__ = ["Packaging", "all_models", "get_voices", "health", "ready", "sync_response", "synthesize", "waves_packaging"]

logger = logging.getLogger("voicewire.server")


@dataclass(frozen=True)
class Packaging:
    """How a sync response carries the audio the renderer makes."""

    encoding: str
    """What the renderer makes: pcm, mp3, mulaw, alaw."""
    media_type: str
    assemble: Callable[[bytes, int], bytes] | None = None
    """For whole-file formats (wav, flac): the body from all the PCM; None streams it as it is made."""
    event: Callable[[bytes], bytes] | None = None
    """For SSE bodies: one event per piece of audio."""
    last_event: Callable[[SynthesisRequest, float], bytes] | None = None
    """For SSE bodies: the closing event (request, seconds of audio)."""


def waves_packaging(settings: VoiceSettings) -> Packaging:
    fmt = settings.output_format
    if fmt == "wav":  # a complete RIFF file with exact sizes: assembled, then sent
        return Packaging("pcm", CONTENT_TYPES["wav"], assemble=wav_file)
    return Packaging(fmt, CONTENT_TYPES[fmt])


async def synthesize(request: Request) -> Response:
    """``POST /waves/v1/tts``: the whole text as one audio body (streamed, except WAV)."""
    return await sync_response(request, endpoint="/waves/v1/tts")


async def sync_response(
    request: Request,
    *,
    endpoint: str,
    translate: Callable[[Any], Any] = lambda body: body,
    packaging: Callable[[SynthesisRequest], Packaging] = lambda r: waves_packaging(r.settings),
    errors: Callable[[BaseException, dict[str, str]], Response] = error_response,
) -> Response:
    """One text, one audio body: auth, validation, admission, synthesis, usage, metrics, the log line.

    ``translate`` turns the body into the Waves request shape (the OpenAI endpoint's job); the request
    holds one of its key's synthesis units from admission to its last byte.
    """
    svc = services(request)
    started = time.monotonic()
    parsed: SynthesisRequest | None = None
    key: ApiKey | None = None
    lease: Lease | None = None
    ticket: Ticket | None = None
    try:
        key = await svc.auth.check(request)
        job = prepare_job(svc, translate(await read_json(request)))
        parsed = job.request
        refuse_while_draining(svc)
        lease = await svc.limiter.acquire(key, "synthesis")
        ticket = admit(svc, job.voice)
        settings = parsed.settings
        pack = packaging(parsed)
        renderer = TurnRenderer(pack.encoding, settings.sample_rate)
        stream = speak(svc.pool, job.voice, job.units, speed=settings.speed, renderer=renderer)
        try:
            first = await anext(stream)  # a failure before any byte is still a JSON error
        except BaseException:
            await stream.aclose()
            raise
    except Exception as exc:
        svc.pool.capacity.release(ticket)
        await svc.limiter.release(lease)
        response = errors(exc, id_headers(parsed))
        log_refusal(endpoint, parsed, key, response.status_code, exc)
        return response

    headers = id_headers(parsed)
    first_audio = time.monotonic() - started
    metrics.FIRST_AUDIO.labels(settings.model, "sync").observe(first_audio)
    metrics.ACTIVE.labels("sync", settings.model).inc()
    finished = _Finisher(svc, lease, ticket, parsed, renderer, stream, first_audio, endpoint)
    if pack.assemble is not None:
        try:
            pcm = [first.audio] + [piece.audio async for piece in stream]
        except Exception as exc:
            return errors(exc, headers)
        finally:
            await finished()
        return Response(pack.assemble(b"".join(pcm), settings.sample_rate), media_type=pack.media_type, headers=headers)
    body = _body(first, stream)
    if pack.event is not None:
        body = _events(body, pack, parsed, renderer)
    return ClosingStream(body, on_close=finished, media_type=pack.media_type, headers=headers)


async def _events(
    pieces: AsyncIterator[bytes], pack: Packaging, request: SynthesisRequest, renderer: TurnRenderer
) -> AsyncIterator[bytes]:
    assert pack.event is not None
    async for piece in pieces:
        yield pack.event(piece)
    if pack.last_event is not None:
        yield pack.last_event(request, renderer.seconds)


class _Finisher:
    """Stops the request's synthesis, frees its unit and records its usage, once, however it ended."""

    def __init__(
        self,
        svc: Services,
        lease: Lease | None,
        ticket: Ticket | None,
        request: SynthesisRequest,
        renderer: TurnRenderer,
        stream: AsyncGenerator[Rendered],
        first_audio: float,
        endpoint: str,
    ) -> None:
        self.svc, self.lease, self.ticket, self.request = svc, lease, ticket, request
        self.renderer, self.stream, self.first_audio, self.endpoint = renderer, stream, first_audio, endpoint
        self.done = False

    async def __call__(self) -> None:
        if self.done:
            return
        self.done = True
        await self.stream.aclose()
        self.svc.pool.capacity.release(self.ticket)
        await self.svc.limiter.release(self.lease)
        settings = self.request.settings
        metrics.ACTIVE.labels("sync", settings.model).dec()
        if self.lease is not None:
            key = self.lease.key
            metrics.access_log(
                event="request",
                endpoint=self.endpoint,
                request_id=self.request.request_id,
                key=key.name,
                key_id=key.key_id,
                model=settings.model,
                voice=settings.voice_id,
                characters=len(self.request.text),
                audio_seconds=round(self.renderer.seconds, 3),
                first_audio_ms=round(self.first_audio * 1000, 1),
                status=200,
            )
            await record_usage(self.svc, key, len(self.request.text), self.renderer.seconds)


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
        await svc.auth.check(request)
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
        await svc.auth.check(request)
        return JSONResponse(svc.catalog.waves_all_models())
    except Exception as exc:
        return error_response(exc)


async def ready(request: Request) -> Response:
    """``GET /readyz``: 200 once the voices are loaded, 503 before and while draining (for probes)."""
    svc = services(request)
    ok = svc.ready and not svc.draining
    return JSONResponse({"ready": ok}, status_code=200 if ok else 503)


async def health(request: Request) -> Response:
    """``GET /waves/v1/health``: liveness and readiness, no key needed.

    503 while the server drains before it stops, so a load balancer stops sending it work.
    """
    svc = services(request)
    if svc.draining:
        return JSONResponse({"status": "draining", "ready": False}, status_code=503)
    return JSONResponse({"status": "ok", "ready": svc.ready})
