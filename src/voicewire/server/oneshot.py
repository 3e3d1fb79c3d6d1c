"""One text, one answer: the HTTP lifecycle that sync, SSE and OpenAI requests share.

Auth, the dialect's parsing, the voice and its language, admission, then the turn pipeline; a
failure before the first byte is a JSON error in the dialect's shape, after it the body is cut (or,
for events, ends with the dialect's error event). The request holds one of its key's units from
admission to its last byte; it is released (once) before the response's last message, so a client
that has read everything finds the unit free for its next request.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncGenerator, AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from voicewire import metrics
from voicewire.auth.keys import ApiKey
from voicewire.errors import public_error
from voicewire.exceptions import TextTooLong, VoicewireError
from voicewire.protocol.turn import TurnRequest
from voicewire.runtime.admission import Grant
from voicewire.runtime.runtime import Runtime
from voicewire.server.auth import authenticate
from voicewire.server.common import ClosingStream, read_json, runtime_of
from voicewire.synthesis.pipeline import Pacing, TurnPipeline, speak_all
from voicewire.synthesis.render import Rendered
from voicewire.synthesis.units import TurnReading, split_text
from voicewire.text.ssml import parse_ssml

__all__ = ["OneShot", "Packaging", "speak_once"]

logger = logging.getLogger("voicewire.server")


@dataclass(frozen=True)
class Packaging:
    """How a response carries the audio: raw bytes as made, a whole file, or events."""

    media_type: str
    assemble: Callable[[bytes, int], bytes] | None = None
    """For whole-file formats (a WAV with exact sizes, FLAC): the body from all the PCM."""
    file_header: Callable[[int, int], bytes] | None = None
    """For a whole-file format whose header needs only the size (a WAV): the header of a file of so
    many bytes of PCM at a rate. A one-unit answer that starts while no other synthesis runs is then
    sent as it is made (see ``speak_once``)."""
    event: Callable[[Rendered], bytes] | None = None
    """For event streams: the events of one piece of audio (and its word timings)."""
    last_event: Callable[[float], bytes] | None = None
    """For event streams: the closing event, given the seconds of audio."""
    failed_event: Callable[[VoicewireError], bytes] | None = None
    """For event streams: the event that ends a stream that failed after it began."""
    first_unit: bool = False
    """Start with a short clause (a stream someone listens to) instead of a whole sentence."""
    pacing: Pacing = Pacing.BATCH
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class OneShot:
    """A request as its dialect parsed it."""

    request: TurnRequest
    packaging: Packaging
    headers: dict[str, str] = field(default_factory=dict)
    """Echoed on the response (and on its errors)."""
    log: dict[str, Any] = field(default_factory=dict)
    """The dialect's access-log fields (``request_id``, ``model``, ...)."""


async def speak_once(
    request: Request,
    *,
    endpoint: str,
    kind: str,
    parse: Callable[[Any, Runtime], OneShot],
    errors: Callable[[BaseException, dict[str, str]], Response],
) -> Response:
    """Serve one text: ``parse`` turns the body into a ``OneShot``, ``errors`` shapes a refusal."""
    runtime = runtime_of(request)
    started = time.monotonic()
    key: ApiKey | None = None
    shot: OneShot | None = None
    grant: Grant | None = None
    pieces: AsyncGenerator[Rendered] | None = None
    sized = False
    try:
        key = await authenticate(runtime, request)
        shot = parse(await read_json(request), runtime)
        text, options = shot.request.text, shot.request.options
        if len(text) > runtime.settings.max_text_chars:
            raise TextTooLong(len(text), runtime.settings.max_text_chars)
        voice = runtime.catalog.resolve(options.voice_id)
        language = voice.language(options.language)
        marked = await asyncio.to_thread(parse_ssml, text) if options.markup == "ssml" else None
        lexicon = await runtime.lexicons.resolve(key.key_id, options.pronunciation_dicts)
        reading = None if marked is None and lexicon is None else TurnReading(lexicon=lexicon, marked=marked)
        log = {"event": "request", "endpoint": endpoint, "voice": options.voice_id, **shot.log, "kind": kind}
        # Nobody plays a batch answer in real time: it may wait in line for capacity instead of a 429.
        wait = runtime.settings.busy_wait if shot.packaging.pacing is Pacing.BATCH else 0.0
        grant = await runtime.admission.admit(key, voice, log=log, wait=wait)
        grant.characters = len(text)
        units = split_text(text if marked is None else marked.text, first_unit=shot.packaging.first_unit)
        sized = _sent_as_made(shot.packaging, units, runtime)
        pipeline = TurnPipeline(runtime.pool, voice, options, language=language, pacing=shot.packaging.pacing,
                                endpoint=kind, opened_at=started, reading=reading,
                                whole_units=shot.packaging.assemble is not None and not sized)  # fmt: skip
        pieces = speak_all(pipeline, units)
        first = await anext(pieces)  # a failure before any byte is still a JSON error
    except Exception as exc:
        headers = {} if shot is None else shot.headers
        response = errors(exc, headers)
        if pieces is not None:
            await pieces.aclose()
        if grant is not None:
            await grant.release(response.status_code)
        else:
            _log_refusal(endpoint, shot, key, response.status_code, exc)
        return response

    assert grant is not None and pieces is not None
    pack = shot.packaging

    async def finish() -> None:
        await pieces.aclose()
        grant.seconds = pipeline.seconds
        grant.first_audio = pipeline.first_audio
        await grant.release()

    headers = {**shot.headers, **pack.headers}
    most = pipeline.renderer.most_samples() if sized else None
    if pack.file_header is not None and most is not None:
        size = most * 2  # 16-bit PCM
        head = pack.file_header(size, options.sample_rate)
        grant.outcome = 200
        headers["content-length"] = str(len(head) + size)
        return ClosingStream(_sized(head, size, _body(first, pieces, pack, pipeline)), on_close=finish,
                             media_type=pack.media_type, headers=headers)  # fmt: skip
    if pack.assemble is not None:
        try:
            audio = [first.audio] + [piece.audio async for piece in pieces]
        except Exception as exc:
            response = errors(exc, shot.headers)
            grant.outcome = response.status_code
            return response
        else:
            grant.outcome = 200
        finally:
            await finish()
        body = pack.assemble(b"".join(audio), options.sample_rate)
        return Response(body, media_type=pack.media_type, headers=headers)
    grant.outcome = 200
    return ClosingStream(_body(first, pieces, pack, pipeline), on_close=finish, media_type=pack.media_type,
                         headers=headers)  # fmt: skip


async def _body(
    first: Rendered, rest: AsyncIterator[Rendered], pack: Packaging, pipeline: TurnPipeline
) -> AsyncIterator[bytes]:
    async def pieces() -> AsyncIterator[Rendered]:
        yield first
        async for piece in rest:
            yield piece

    try:
        async for piece in pieces():
            if pack.event is not None:
                if piece.audio or piece.words:
                    yield pack.event(piece)
            elif piece.audio:
                yield piece.audio
    except Exception as exc:
        if pack.failed_event is None:
            # Headers are gone: the only honest signal left is to abort the body, so the client sees a
            # broken transfer instead of a short file that looks complete.
            logger.warning("! synthesis failed mid-stream: %s", exc)
            raise
        yield pack.failed_event(public_error(exc))
        return
    if pack.last_event is not None:
        yield pack.last_event(pipeline.seconds)


def _sent_as_made(pack: Packaging, units: list[tuple[str, int]], runtime: Runtime) -> bool:
    """Whether a whole-file answer is sent as it is made: a file whose header needs only its size, of
    one unit (whose length the engine announces before decoding it, so the size is bounded after its
    first block), while no other synthesis runs. Under load the unit is made in one engine call
    instead: decoding it in windows costs each window's context frames (32 frames, 15-22 % more decoder work
    for a short sentence in the batch plan), which a lone call's idle cores pay for and a busy server
    would not."""
    return pack.file_header is not None and len(units) == 1 and runtime.pool.idle


async def _sized(header: bytes, size: int, pcm: AsyncIterator[bytes]) -> AsyncIterator[bytes]:
    """``header``, then exactly ``size`` bytes of ``pcm``: cut, or padded with silence (the bound is
    the audio with the model's trailing silence uncut; the resampler may count a few samples more)."""
    yield header
    sent = 0
    async for chunk in pcm:
        chunk = chunk[: size - sent]
        sent += len(chunk)
        if chunk:
            yield chunk
    if sent < size:
        yield bytes(size - sent)


def _log_refusal(endpoint: str, shot: OneShot | None, key: ApiKey | None, status: int, error: BaseException) -> None:
    """The access-log line of a request refused before any audio (a bad field, a limit, a bad key)."""
    metrics.access_log(
        event="request",
        endpoint=endpoint,
        **({} if shot is None else {k: v for k, v in shot.log.items() if k != "kind"}),
        key=None if key is None else key.name,
        key_id=None if key is None else key.key_id,
        characters=None if shot is None else len(shot.request.text),
        status=status,
        error=getattr(error, "code", "internal_error"),
    )
