"""HTTP error responses: the status and headers the table (``voicewire.errors``) gives an error, with
its JSON body."""

from __future__ import annotations

import math
from typing import Any

from starlette.responses import JSONResponse

from voicewire.errors import error_body, http_status
from voicewire.exceptions import AuthenticationError, LimitExceeded, ShuttingDown

__all__ = ["error_response"]


def error_response(
    exc: BaseException, headers: dict[str, str] | None = None, *, body: dict[str, Any] | None = None
) -> JSONResponse:
    """The HTTP answer to ``exc``: its status and headers, with the Waves body unless ``body`` is given."""
    body = error_body(exc) if body is None else body
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
