"""Fetching catalogs and voice files: over HTTP(S) from the hub or a mirror, or from a local folder.

Only ``voicewire voices`` calls this, never the server. The standard library's ``urllib`` does the
work, so the usual ``https_proxy`` / ``no_proxy`` settings apply, and ``file://`` URLs read a local
folder laid out like the hub.

A voice file downloads into a ``.part`` file beside its final place. A download that is cut (the
connection drops, the body ends short) continues where it stopped, with an HTTP ``Range`` request,
a few times in a row; one that still fails leaves the ``.part`` file, and the next run of the same
command continues from it. A server that ignores ``Range`` (answers 200) sends the whole file again,
and the ``.part`` file starts over. Every failure is a ``DownloadFailed`` that names the URL and what
to do; a 404 or a refused connection is not retried.
"""

from __future__ import annotations

import http.client
import os
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

from voicewire.exceptions import DownloadFailed

__all__ = ["ATTEMPTS", "CHUNK", "RETRY_PAUSE", "TIMEOUT", "Progress", "download", "fetch_bytes", "join_url"]

CHUNK = 1 << 16
TIMEOUT = 30.0
"""Seconds without a byte before a connection counts as cut."""
ATTEMPTS = 4
"""Tries per file in one run: the first, then three continuations of a cut download."""
MAX_CATALOG_BYTES = 64 << 20
RETRY_PAUSE = 0.5
"""Seconds before the second try, twice that before the third, and so on."""

Progress = Callable[[int], None]
"""Called with the number of bytes just written (a progress bar's ``update``)."""

_HINT = "Check the network (or https_proxy), or set VOICEWIRE_VOICES_URL to a mirror or a local folder."


def join_url(base: str, path: str) -> str:
    """``base`` (no trailing slash) + ``/`` + ``path`` (each part of it quoted for a URL)."""
    return base.rstrip("/") + "/" + urllib.request.pathname2url(path.lstrip("/")).lstrip("/")


def fetch_bytes(url: str, *, timeout: float = TIMEOUT, missing_ok: bool = False) -> bytes | None:
    """The whole body at ``url`` (a catalog: at most 64 MB).

    Returns:
        The bytes, or None when ``missing_ok`` and the server says 404 (or the local file is absent).

    Raises:
        DownloadFailed: anything else went wrong; the message names the URL.
    """
    try:
        with _open(url, timeout=timeout) as response:
            data: bytes = response.read(MAX_CATALOG_BYTES + 1)
            expected = _length(response)
    except _Missing:
        if missing_ok:
            return None
        raise DownloadFailed(f"Cannot download {url}: not found (404). {_HINT}", url) from None
    except _Refused as exc:
        raise DownloadFailed(f"Cannot download {url}: {exc}. {_HINT}", url) from None
    except (OSError, http.client.HTTPException) as exc:
        raise DownloadFailed(f"Cannot download {url}: {_reason(exc)}. {_HINT}", url) from None
    if len(data) > MAX_CATALOG_BYTES:
        raise DownloadFailed(f"Cannot download {url}: larger than {MAX_CATALOG_BYTES >> 20} MB, not a catalog.", url)
    if expected is not None and len(data) != expected:
        raise DownloadFailed(f"Cannot download {url}: the connection was cut after {len(data)} of {expected} "
                             "bytes. Run the command again.", url)  # fmt: skip
    return data


def download(url: str, part: Path, size: int, *, progress: Progress | None = None, attempts: int = ATTEMPTS,
             timeout: float = TIMEOUT, pause: float | None = None) -> None:  # fmt: skip
    """Bring ``part`` to the file at ``url``, continuing what it already holds, until the server has
    sent all of it (or ``size`` + 1 bytes: more than the catalog says is wrong whatever follows).

    ``part`` then holds what the server sent; whether it is the catalog's file is for the caller to
    check (size and digest). A ``part`` already longer than ``size`` starts over.

    Raises:
        DownloadFailed: the URL is missing (404) or unreachable, or the download was cut
            ``attempts`` times (``resumable``: ``part`` keeps what arrived, for the next run).
    """
    if part.exists() and part.stat().st_size > size:
        part.unlink()
    last: str = ""
    for attempt in range(attempts):
        if attempt:
            time.sleep((RETRY_PAUSE if pause is None else pause) * attempt)
        try:
            _download_once(url, part, size, progress, timeout)
            return
        except _Missing:
            raise DownloadFailed(f"Cannot download {url}: not found (404). The catalog lists a file that is not "
                                 "there (is the mirror complete?).", url) from None  # fmt: skip
        except _Refused as exc:
            raise DownloadFailed(f"Cannot download {url}: {exc}. {_HINT}", url) from None
        except _Cut as exc:
            last = str(exc)
        except (OSError, http.client.HTTPException) as exc:
            if isinstance(exc, urllib.error.URLError) and not _was_cut(exc):
                raise DownloadFailed(f"Cannot download {url}: {_reason(exc)}. {_HINT}", url) from None
            last = _reason(exc)
    have = part.stat().st_size if part.exists() else 0
    raise DownloadFailed(
        f"Cannot download {url}: the connection was cut {attempts} times, last after {have} of {size} bytes "
        f"({last}). Run the same command again to continue from there.",
        url,
        resumable=True,
    )


class _Missing(Exception):
    pass


class _Refused(Exception):
    pass


class _Cut(Exception):
    pass


def _download_once(url: str, part: Path, size: int, progress: Progress | None, timeout: float) -> None:
    """One request, appended to ``part`` (206) or written over it (200). Returns once the server
    sent the whole body; raises ``_Cut`` if it did not."""
    have = part.stat().st_size if part.exists() else 0
    if have == size:
        return  # a previous run got it all; the caller verifies it
    headers = {"Range": f"bytes={have}-"} if have else {}
    try:
        response = _open(url, timeout=timeout, headers=headers)
    except urllib.error.HTTPError as exc:
        if exc.code == 416:  # our part is not a prefix the server can continue: start over
            part.unlink(missing_ok=True)
            raise _Cut("the server could not continue the partial file; starting over") from None
        raise
    with response:
        resumed = have > 0 and (getattr(response, "status", None) or 200) == 206
        start = have if resumed else 0  # a 200 is the whole file (no Range support, or a file:// URL)
        expected = _length(response)
        with part.open("ab" if resumed else "wb") as out:
            got = _copy(response, out, progress, limit=size + 1 - start)
            out.flush()
            os.fsync(out.fileno())
    if start + got > size:
        return  # longer than the catalog says: the caller's size check refuses it
    if expected is not None and got < expected:
        raise _Cut(f"the body ended after {got} of {expected} bytes")


def _copy(response: IO[bytes], out: IO[bytes], progress: Progress | None, *, limit: int) -> int:
    got = 0
    try:
        while got < limit:
            chunk = response.read(min(CHUNK, limit - got))
            if not chunk:
                return got
            out.write(chunk)
            got += len(chunk)
            if progress is not None:
                progress(len(chunk))
        return got
    except (OSError, http.client.HTTPException) as exc:  # reset, timeout, IncompleteRead
        out.flush()
        raise _Cut(_reason(exc)) from None


def _open(url: str, *, timeout: float, headers: dict[str, str] | None = None) -> Any:
    """``urlopen``, with a 404 (or a missing local file) as ``_Missing`` and other HTTP errors as
    ``_Refused``; network errors propagate as they are."""
    request = urllib.request.Request(url, headers={"User-Agent": "voicewire", **(headers or {})})
    try:
        # A new opener each time: ``urlopen``'s shared one keeps the proxy settings of its first use.
        return urllib.request.build_opener().open(request, timeout=timeout)
    except urllib.error.HTTPError as exc:
        exc.close()
        if exc.code in (404, 410):
            raise _Missing() from None
        if exc.code == 416:
            raise
        raise _Refused(f"the server answered {exc.code} {exc.reason}") from None
    except urllib.error.URLError as exc:
        if url.startswith("file:") and isinstance(exc.reason, FileNotFoundError | NotADirectoryError):
            raise _Missing() from None
        raise


def _length(response: Any) -> int | None:
    value = response.headers.get("Content-Length") if getattr(response, "headers", None) is not None else None
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


def _was_cut(exc: urllib.error.URLError) -> bool:
    """A URLError raised while connecting is a refusal (no route, no name, no server); only a
    timeout is worth another try."""
    return isinstance(exc.reason, TimeoutError)


def _reason(exc: BaseException) -> str:
    if isinstance(exc, urllib.error.URLError):
        reason = exc.reason
        return str(reason.strerror if isinstance(reason, OSError) and reason.strerror else reason)
    if isinstance(exc, http.client.IncompleteRead):
        return f"the body ended after {len(exc.partial)} bytes"
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    return str(exc) or type(exc).__name__
