"""The one table from exceptions to the wire, for every listener: HTTP status, and the close code of
an error that ends a long-lived connection (``voicewire.server.errors`` makes the HTTP responses).
How the error is shaped (a Waves ``{"error", "code"}`` body or ``error`` frame, OpenAI's
``{"error": {...}}``, a Wyoming ``error`` event) is the dialect's.

Anything that is not a ``VoicewireError`` is a bug: it becomes a 500 with a reference number that
also goes to the log with the traceback, never the traceback itself.
"""

from __future__ import annotations

import logging
import secrets
from typing import Any

from voicewire.exceptions import (
    AuthenticationError,
    BodyTooLarge,
    ConfigError,
    EngineError,
    LimitExceeded,
    ModelRetired,
    NotFound,
    RequestError,
    ShuttingDown,
    StoreError,
    VoiceUnavailable,
    VoicewireError,
)

__all__ = ["CLOSE_CODES", "HTTP_STATUS", "close_code", "error_body", "http_status", "public_error"]

logger = logging.getLogger("voicewire.errors")

HTTP_STATUS: dict[type[VoicewireError], int] = {
    BodyTooLarge: 413,
    RequestError: 400,
    AuthenticationError: 401,
    ModelRetired: 410,
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


CLOSE_CODES: dict[type[VoicewireError], tuple[int, str]] = {
    AuthenticationError: (4401, "api key revoked"),
    ShuttingDown: (1001, "server shutting down"),
}
"""Errors after which a live connection is closed, and how (any other error leaves it open)."""


def close_code(exc: BaseException) -> tuple[int, str] | None:
    for cls in type(exc).__mro__:
        if cls in CLOSE_CODES:
            return CLOSE_CODES[cls]
    return None


def public_error(exc: BaseException) -> VoicewireError:
    """The error a client may see: ours as they are, anything else as an opaque 500."""
    if isinstance(exc, VoicewireError):
        return exc
    ref = secrets.token_hex(4)
    logger.error("! internal error ref=%s", ref, exc_info=(type(exc), exc, exc.__traceback__))
    return VoicewireError(f"Internal server error (reference {ref}); the server keeps running.")


def error_body(exc: BaseException) -> dict[str, Any]:
    public = public_error(exc)
    body: dict[str, Any] = {"error": public.message, "code": public.code}
    if isinstance(public, ModelRetired):  # the hosted API's fields too, for clients that read them
        body.update(status="error", error_code="MODEL_DEPRECATED", message=public.message,
                    recommended_endpoint=public.replacement, recommended_model="lightning_v3.1")  # fmt: skip
    return body
