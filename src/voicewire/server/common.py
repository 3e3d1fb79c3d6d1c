"""Pieces the sync and SSE endpoints share: reading the body, preparing a job, id headers."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request
from starlette.responses import StreamingResponse
from starlette.types import Receive, Scope, Send

from voicewire import metrics
from voicewire.auth.keys import ApiKey
from voicewire.engines.catalog import ResolvedVoice
from voicewire.exceptions import BodyTooLarge, MalformedMessage, ServerBusy, ShuttingDown, StoreError, TextTooLong
from voicewire.protocol.request import SynthesisRequest, check_nesting, parse_request
from voicewire.server.services import Services
from voicewire.synthesis.capacity import Ticket
from voicewire.synthesis.units import PreparedUnit, prepare_text

__all__ = [
    "ClosingStream",
    "Job",
    "admit",
    "id_headers",
    "prepare_job",
    "read_json",
    "record_usage",
    "refuse_while_draining",
]

MAX_BODY = 1 << 20

logger = logging.getLogger("voicewire.server")


@dataclass(frozen=True)
class Job:
    request: SynthesisRequest
    voice: ResolvedVoice
    units: list[PreparedUnit]


async def read_json(request: Request) -> Any:
    """The request body as JSON, refusing bodies over 1 MiB without reading them whole."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_BODY:
        raise BodyTooLarge(MAX_BODY)
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY:
            raise BodyTooLarge(MAX_BODY)
        chunks.append(chunk)
    raw = b"".join(chunks)
    if not raw.strip():
        raise MalformedMessage("Request body is empty; send a JSON object with 'text' and 'voice_id'.")
    try:
        body = json.loads(raw)
    except (ValueError, RecursionError) as exc:
        raise MalformedMessage(f"Request body is not valid JSON: {exc}.") from None
    check_nesting(body)
    return body


def prepare_job(services: Services, body: Any) -> Job:
    """Validate a body and resolve everything a synthesis needs; raises before any audio is made."""
    request = parse_request(body)
    limit = services.settings.max_text_chars
    if len(request.text) > limit:
        raise TextTooLong(len(request.text), limit)
    voice = services.catalog.resolve(request.settings.voice_id)
    services.catalog.check_language(voice, request.settings.language)
    return Job(request, voice, prepare_text(request.text))


def admit(services: Services, voice: ResolvedVoice) -> Ticket | None:
    """Room for one more real-time stream on ``voice``'s engine, or ServerBusy (429) when there is none."""
    if not services.settings.admission:
        return None
    capacity = services.pool.capacity
    ticket = capacity.try_admit(voice.engine.name)
    if ticket is None:
        raise ServerBusy(
            f"The server is at capacity ({capacity.streams} streams are being synthesized); "
            "retry in a moment or on another replica."
        )
    return ticket


def log_refusal(
    endpoint: str, request: SynthesisRequest | None, key: ApiKey | None, status: int, error: BaseException
) -> None:
    """The access-log line of a request refused before any audio (a bad field, a limit, a bad key)."""
    metrics.access_log(
        event="request",
        endpoint=endpoint,
        request_id=None if request is None else request.request_id,
        key=None if key is None else key.name,
        key_id=None if key is None else key.key_id,
        model=None if request is None else request.settings.model,
        voice=None if request is None else request.settings.voice_id,
        characters=None if request is None else len(request.text),
        status=status,
        error=getattr(error, "code", "internal_error"),
    )


def refuse_while_draining(services: Services) -> None:
    if services.draining:
        raise ShuttingDown("The server is shutting down; retry (another replica will take the request).")


async def record_usage(services: Services, key: ApiKey, characters: int, seconds: float) -> None:
    """Add a finished request or turn to its key's usage; a store outage costs the record, not the request."""
    try:
        await asyncio.to_thread(services.store.record_usage, key.key_id, characters, seconds)
    except StoreError as exc:
        logger.warning("! usage of key %s not recorded: %s", key.key_id, exc)


def id_headers(request: SynthesisRequest | None) -> dict[str, str]:
    headers = {}
    if request is not None and request.request_id:
        headers["X-External-Request-Id"] = request.request_id
    if request is not None and request.session_id:
        headers["X-External-Session-Id"] = request.session_id
    return headers


class ClosingStream(StreamingResponse):
    """A StreamingResponse that closes its body iterator when it ends, however it ends, then runs
    ``on_close`` once.

    Starlette cancels the sending task when the client disconnects but leaves the iterator
    suspended; closing it runs its ``finally`` now, which cancels synthesis queued for the stream.
    ``on_close`` (freeing the request's unit, recording usage) runs here, outside the cancelled
    scope: an ``await`` inside the iterator's own ``finally`` would be cancelled again.

    A body that runs to its end runs ``on_close`` before the response's last message: a client
    that has read the whole response may send its next request at once, with a key of one unit,
    and must find the unit free (it raced the release, and lost, in a scale-out test).
    """

    def __init__(
        self, content: AsyncIterator[bytes], *, on_close: Callable[[], Awaitable[None]] | None = None, **kwargs: Any
    ) -> None:
        super().__init__(self._then_close(content), **kwargs)
        self._source = content
        self._on_close = on_close
        self._closing: asyncio.Future[None] | None = None

    async def _then_close(self, content: AsyncIterator[bytes]) -> AsyncIterator[bytes]:
        async for chunk in content:
            yield chunk
        # Shielded: a disconnect now cancels this task, not the release (``__call__`` awaits it).
        await asyncio.shield(self._close_once())

    def _close_once(self) -> asyncio.Future[None]:
        if self._closing is None:
            self._closing = asyncio.ensure_future(self._close())
        return self._closing

    async def _close(self) -> None:
        aclose = getattr(self._source, "aclose", None)
        if aclose is not None:
            await aclose()
        if self._on_close is not None:
            await self._on_close()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await super().__call__(scope, receive, send)
        finally:
            await self._close_once()
