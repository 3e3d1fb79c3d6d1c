"""The one table from exceptions to the wire: HTTP status, JSON body, WebSocket error frame.

Anything that is not a ``VoicewireError`` is a bug: it becomes a 500 with a reference number that
also goes to the log with the traceback, never the traceback itself.
"""

from __future__ import annotations

import logging
import math
import secrets
from typing import Any

from starlette.responses import JSONResponse

from voicewire.exceptions import (
    AuthenticationError,
    BodyTooLarge,
    ConfigError,
    EngineError,
    LimitExceeded,
    NotFound,
    RequestError,
    ShuttingDown,
    StoreError,
    VoiceUnavailable,
    VoicewireError,
)

__all__ = ["HTTP_STATUS", "error_body", "error_response", "http_status", "ws_error_frame"]

logger = logging.getLogger("voicewire.server")

HTTP_STATUS: dict[type[VoicewireError], int] = {
    BodyTooLarge: 413,
    RequestError: 400,
    AuthenticationError: 401,
    NotFound: 404,
    LimitExceeded: 429,
    EngineError: 500,
    ConfigError: 500,
    VoiceUnavailable: 503,
    StoreError: 503,
    ShuttingDown: 503,
    VoicewireError: 500,
}


def http_status(exc: BaseException) -> int:
    for cls in type(exc).__mro__:
        if cls in HTTP_STATUS:
            return HTTP_STATUS[cls]
    return 500


def _public(exc: BaseException) -> VoicewireError:
    """The error a client may see: ours as they are, anything else as an opaque 500."""
    if isinstance(exc, VoicewireError):
        return exc
    ref = secrets.token_hex(4)
    logger.error("! internal error ref=%s", ref, exc_info=(type(exc), exc, exc.__traceback__))
    return VoicewireError(f"Internal server error (reference {ref}); the server keeps running.")


def error_body(exc: BaseException) -> dict[str, Any]:
    public = _public(exc)
    return {"error": public.message, "code": public.code}


def error_response(exc: BaseException, headers: dict[str, str] | None = None) -> JSONResponse:
    body = error_body(exc)
    status = http_status(exc)
    extra = dict(headers or {})
    if isinstance(exc, LimitExceeded):
        extra["Retry-After"] = str(max(1, math.ceil(exc.retry_after)))
    if isinstance(exc, ShuttingDown):
        extra["Retry-After"] = "1"
        extra["Connection"] = "close"
    if isinstance(exc, AuthenticationError):
        extra["WWW-Authenticate"] = 'Bearer realm="voicewire"'
    return JSONResponse(body, status_code=status, headers=extra)


def ws_error_frame(exc: BaseException, request_id: str | None = None) -> dict[str, Any]:
    """``{"status": "error", "message": ...}``, the frame every Waves client understands."""
    body = error_body(exc)
    frame: dict[str, Any] = {"status": "error", "message": body["error"], "code": body["code"]}
    if request_id is not None:
        frame["request_id"] = request_id
    return frame
