"""What ``voicewire bench peers`` probes: a server that speaks one sentence and streams back PCM.

A :class:`Target` is small on purpose: a name, and :meth:`Target.speak`, which sends one sentence
through the server's own API and yields the answer as 16-bit mono PCM as it arrives. The probe
times those chunks and knows nothing else about the server, so any server that can be asked for a
sentence can be probed: voicewire's Waves endpoint (:class:`WavesTarget`), ``piper.http_server``
(:class:`PiperHttpTarget`) and any Wyoming TTS server, wyoming-piper or a Wyoming listener inside
voicewire (:class:`WyomingTarget`). Every request opens its own connection, as Home Assistant does
for Wyoming and as a simple HTTP client does.
"""

from __future__ import annotations

import http.client
import json
import socket
import struct
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlsplit

from voicewire.bench.wyoming_frames import WyomingEvent, WyomingReader, encode_event

__all__ = [
    "PiperHttpTarget",
    "Refused",
    "Target",
    "WavReader",
    "WavesTarget",
    "WyomingTarget",
    "wyoming_target",
]

REFUSAL_CODES = frozenset({"server_busy", "limit_exceeded"})
"""Wyoming ``error`` codes that refuse a request for capacity (voicewire's); counted as refused, not failed."""

TIMEOUT_S = 120.0
"""Socket timeout of one request: long enough for a sentence queued behind 16 others on a slow peer."""


class Refused(Exception):
    """The server refused the request for capacity (voicewire's 429 ``server_busy``)."""

    def __init__(self, message: str, retry_after: float) -> None:
        super().__init__(message)
        self.retry_after = retry_after
        """Seconds the server asked the client to wait (``Retry-After``)."""


@dataclass(frozen=True)
class Pcm:
    """A piece of a spoken answer."""

    rate: int
    """Samples per second."""
    data: bytes
    """16-bit little-endian mono samples; always a whole number of them."""


@dataclass(frozen=True)
class Target:
    """A server and the way to ask it for one sentence."""

    name: str
    """Label in the results (``piper-http``, ``voicewire-joe``, ...)."""

    def speak(self, text: str) -> Iterator[Pcm]:
        """Send ``text`` as one request and yield its audio as it arrives, until the answer is complete.

        Args:
            text: One sentence.

        Yields:
            The audio in the pieces the server sent, each as soon as it was read from the socket.

        Raises:
            Refused: the server refused the request for capacity (counted, never retried here).
            Exception: anything else that went wrong (counted as an error).
        """
        raise NotImplementedError("Target.speak() must be implemented by a subclass.")

    def describe(self) -> dict[str, Any]:
        """What the results say about the target besides its name."""
        return {}


class WavReader:
    """Turns a streamed RIFF/WAVE body (16-bit mono PCM) into PCM as its bytes arrive.

    Feed it with :meth:`receive_data`, which returns the whole samples that became available; the
    data chunk's size is ignored (streamed WAVs say 0xFFFFFFFF), the body ends where the stream ends.
    """

    def __init__(self, *, headerless_rate: int | None = None) -> None:
        """``headerless_rate``: the body is bare samples at that rate (``pcm``), no header to read."""
        self._buffer = bytearray()
        self._riff = self._in_data = headerless_rate is not None
        self.sample_rate: int | None = headerless_rate
        """From the ``fmt `` chunk, once it has arrived."""

    def receive_data(self, data: bytes) -> bytes:
        """Add body bytes; return the PCM samples they completed (possibly none).

        Raises:
            ValueError: not a RIFF/WAVE body, not 16-bit mono PCM, or a data chunk before ``fmt ``.
        """
        self._buffer += data
        if not self._in_data:
            self._parse_header()
            if not self._in_data:
                return b""
        whole = len(self._buffer) // 2 * 2
        pcm = bytes(self._buffer[:whole])
        del self._buffer[:whole]
        return pcm

    @property
    def in_data(self) -> bool:
        """True once the header has been read to the start of the samples."""
        return self._in_data

    def _parse_header(self) -> None:
        if not self._riff:
            if len(self._buffer) < 12:
                return
            if self._buffer[:4] != b"RIFF" or self._buffer[8:12] != b"WAVE":
                raise ValueError(f"Not a RIFF/WAVE body: {bytes(self._buffer[:12])!r}")
            del self._buffer[:12]
            self._riff = True
        while len(self._buffer) >= 8:
            kind, size = bytes(self._buffer[:4]), struct.unpack_from("<I", self._buffer, 4)[0]
            if kind == b"data":
                if self.sample_rate is None:
                    raise ValueError("WAV data chunk before its 'fmt ' chunk.")
                del self._buffer[:8]
                self._in_data = True
                return
            padded = size + (size & 1)
            if len(self._buffer) < 8 + padded:
                return
            if kind == b"fmt ":
                self._read_format(bytes(self._buffer[8 : 8 + size]))
            del self._buffer[: 8 + padded]

    def _read_format(self, chunk: bytes) -> None:
        if len(chunk) < 16:
            raise ValueError(f"WAV 'fmt ' chunk is {len(chunk)} bytes; expected at least 16.")
        tag, channels, rate, _, _, bits = struct.unpack_from("<HHIIHH", chunk)
        if tag not in (1, 0xFFFE) or channels != 1 or bits != 16:
            raise ValueError(f"WAV is format {tag}, {channels} channel(s), {bits} bits; expected 16-bit mono PCM.")
        self.sample_rate = rate


def _post_wav(
    url: str, path: str, body: dict[str, Any], headers: dict[str, str], *, raw_rate: int | None = None
) -> Iterator[Pcm]:
    """POST a JSON body; yield the WAV answer's samples as they arrive (``raw_rate``: the answer is
    headerless 16-bit PCM at that rate instead)."""
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port or 80, timeout=TIMEOUT_S)
    try:
        conn.request("POST", path, json.dumps(body).encode(), {"Content-Type": "application/json", **headers})
        response = conn.getresponse()
        if response.status != 200:
            text = response.read()[:300]
            if response.status == 429 and b"server_busy" in text:
                raise Refused(text.decode(errors="replace"), float(response.getheader("Retry-After") or 1))
            raise RuntimeError(f"POST {path} answered {response.status}: {text!r}")
        wav = WavReader(headerless_rate=raw_rate)
        while chunk := response.read1(65536):
            pcm = wav.receive_data(chunk)
            if pcm:
                assert wav.sample_rate is not None
                yield Pcm(wav.sample_rate, pcm)
        if not wav.in_data:
            raise RuntimeError(f"POST {path} answered 200 but its body ended inside the WAV header.")
    finally:
        conn.close()


@dataclass(frozen=True)
class WavesTarget(Target):
    """voicewire (or any Waves-compatible server): ``POST /waves/v1/tts`` with ``output_format`` wav
    (a complete file, so nothing plays before the whole text is made) or pcm (sent as it is made)."""

    url: str = "http://127.0.0.1:8000"
    key: str = ""
    voice: str = "joe"
    sample_rate: int = 22050
    output_format: str = "wav"

    def speak(self, text: str) -> Iterator[Pcm]:
        body = {"text": text, "voice_id": self.voice, "output_format": self.output_format,
                "sample_rate": self.sample_rate}  # fmt: skip
        raw = self.sample_rate if self.output_format == "pcm" else None
        return _post_wav(self.url, "/waves/v1/tts", body, {"Authorization": f"Bearer {self.key}"}, raw_rate=raw)

    def describe(self) -> dict[str, Any]:
        return {"api": f"POST /waves/v1/tts ({self.output_format})", "url": self.url, "voice": self.voice,
                "sample_rate": self.sample_rate}  # fmt: skip


@dataclass(frozen=True)
class PiperHttpTarget(Target):
    """piper-tts's ``piper.http_server``: ``POST /synthesize`` ``{"text"}``, the whole WAV in one body."""

    url: str = "http://127.0.0.1:5000"

    def speak(self, text: str) -> Iterator[Pcm]:
        return _post_wav(self.url, "/synthesize", {"text": text}, {})

    def describe(self) -> dict[str, Any]:
        return {"api": "POST /synthesize (wav)", "url": self.url}


@dataclass(frozen=True)
class WyomingTarget(Target):
    """A Wyoming TTS server: a ``synthesize`` event, answered by ``audio-start``, ``audio-chunk``s and
    ``audio-stop`` (an ``error`` event fails the request)."""

    host: str = "127.0.0.1"
    port: int = 10200
    voice: str | None = None
    """Sent as ``voice.name``; None leaves the choice to the server (its default voice)."""

    def speak(self, text: str) -> Iterator[Pcm]:
        data: dict[str, Any] = {"text": text}
        if self.voice:
            data["voice"] = {"name": self.voice}
        with socket.create_connection((self.host, self.port), timeout=TIMEOUT_S) as sock:
            sock.sendall(encode_event(WyomingEvent("synthesize", data)))
            reader = WyomingReader()
            rate: int | None = None
            while chunk := sock.recv(65536):
                reader.receive_data(chunk)
                for event in reader.events_received():
                    if event.type == "audio-start":
                        rate = _format_rate(event)
                    elif event.type == "audio-chunk":
                        pcm = event.payload[: len(event.payload) // 2 * 2]
                        yield Pcm(_format_rate(event) if rate is None else rate, pcm)
                    elif event.type == "audio-stop":
                        return
                    elif event.type == "error":
                        if event.data.get("code") in REFUSAL_CODES:  # Wyoming has no Retry-After: wait 1 s
                            raise Refused(str(event.data.get("text")), 1.0)
                        raise RuntimeError(f"Wyoming error {event.data.get('code')!r}: {event.data.get('text')!r}")
            raise ConnectionError(f"Wyoming server {self.host}:{self.port} closed the connection before audio-stop.")

    def describe(self) -> dict[str, Any]:
        return {"api": "Wyoming synthesize", "uri": f"tcp://{self.host}:{self.port}", "voice": self.voice}


def _format_rate(event: WyomingEvent) -> int:
    rate, width, channels = (event.data.get(k) for k in ("rate", "width", "channels"))
    if not isinstance(rate, int) or width != 2 or channels != 1:
        raise ValueError(f"Wyoming {event.type} is rate {rate!r}, width {width!r}, channels {channels!r}; "
                         "expected 16-bit mono.")  # fmt: skip
    return rate


def wyoming_target(spec: str) -> WyomingTarget:
    """A target from ``NAME=tcp://HOST:PORT`` or ``NAME=tcp://HOST:PORT?voice=VOICE``.

    Raises:
        ValueError: the spec has no name, or is not a ``tcp://`` URI with a host and a port.
    """
    name, sep, uri = spec.partition("=")
    parts = urlsplit(uri)
    if not sep or not name or parts.scheme != "tcp" or not parts.hostname or parts.port is None:
        raise ValueError(f"Wyoming target {spec!r} is not NAME=tcp://HOST:PORT[?voice=VOICE].")
    voice = parse_qs(parts.query).get("voice", [None])[0]
    return WyomingTarget(name, host=parts.hostname, port=parts.port, voice=voice)
