"""Plain HTTP endpoints of the Waves API: sync synthesis, voice catalogs, health."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from voicewire.audio.encoders import wav_file, wav_file_header
from voicewire.audio.formats import CONTENT_TYPES
from voicewire.dialects.waves import catalog as waves_catalog
from voicewire.dialects.waves.request import MODELS, WavesRequest, canonical_model, parse_request, retired_route
from voicewire.exceptions import ModelRetired, NotFound
from voicewire.runtime.runtime import Runtime
from voicewire.server.auth import authenticate
from voicewire.server.common import id_headers, runtime_of
from voicewire.server.errors import error_response
from voicewire.server.oneshot import OneShot, Packaging, speak_once

__all__ = ["all_models", "get_voices", "health", "not_found", "ready", "synthesize", "waves_log"]


def waves_log(parsed: WavesRequest) -> dict[str, Any]:
    """The access-log fields a Waves request brings."""
    return {"request_id": parsed.request_id, "model": parsed.settings.model, "voice": parsed.settings.voice_id}


async def synthesize(request: Request) -> Response:
    """``POST /waves/v1/tts`` (and the legacy per-model URL): the whole text as one audio body, streamed
    as it is made, except WAV (a complete RIFF file with exact sizes, sent once it is whole, or for one
    sentence on an idle server as it is made, see ``oneshot``)."""

    def parse(body: Any, runtime: Runtime) -> OneShot:
        parsed = parse_request(body)
        turn = parsed.turn
        if turn.options.output_format == "wav":  # assembled from PCM
            pack = Packaging(CONTENT_TYPES["wav"], assemble=wav_file, file_header=wav_file_header)
            turn = replace(turn, options=replace(turn.options, output_format="pcm"))
        else:
            pack = Packaging(CONTENT_TYPES[turn.options.output_format])
        return OneShot(turn, pack, id_headers(parsed.request_id, parsed.session_id), waves_log(parsed))

    return await speak_once(request, endpoint="/waves/v1/tts", kind="sync", parse=parse, errors=error_response)


async def get_voices(request: Request) -> Response:
    """``GET /waves/v1/{model}/get_voices``: ``lightning-v3.1`` lists every voice, as Waves does."""
    runtime = runtime_of(request)
    try:
        await authenticate(runtime, request)
        raw = request.path_params["model"]
        model = canonical_model(raw)
        if model is None:
            raise NotFound(f"Model {raw!r} does not exist; models: {', '.join(MODELS)} (or their hyphen forms).")
        voices = runtime.catalog.voices()
        return JSONResponse(waves_catalog.voices_body(voices, None if model == "lightning_v3.1" else model))
    except Exception as exc:
        return error_response(exc)


async def all_models(request: Request) -> Response:
    """``GET /waves/v1/voice/get-all-models``."""
    runtime = runtime_of(request)
    try:
        await authenticate(runtime, request)
        return JSONResponse(waves_catalog.all_models(runtime.catalog.voices()))
    except Exception as exc:
        return error_response(exc)


async def ready(request: Request) -> Response:
    """``GET /readyz``: 200 once the voices are loaded, 503 before and while draining (for probes)."""
    runtime = runtime_of(request)
    ok = runtime.ready and not runtime.draining
    return JSONResponse({"ready": ok}, status_code=200 if ok else 503)


async def health(request: Request) -> Response:
    """``GET /waves/v1/health``: liveness and readiness, no key needed.

    503 while the server drains before it stops, so a load balancer stops sending it work.
    """
    runtime = runtime_of(request)
    if runtime.draining:
        return JSONResponse({"status": "draining", "ready": False}, status_code=503)
    return JSONResponse({"status": "ok", "ready": runtime.ready})


async def not_found(request: Request) -> Response:
    """Any path nothing else took: 410 Gone for the routes of the models Waves retired (naming the
    replacement, as the hosted API does), else 404; JSON either way."""
    retired = retired_route(request.url.path)
    if retired is not None:
        return error_response(ModelRetired(*retired))
    return error_response(NotFound(f"No endpoint at {request.method} {request.url.path}."))
