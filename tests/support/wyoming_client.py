"""A Wyoming client for the tests: the ``wyoming`` package's own ``AsyncTcpClient``, and what it read."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
from wyoming.audio import AudioChunk, AudioStart
from wyoming.client import AsyncTcpClient
from wyoming.event import Event

READ_TIMEOUT_S = 60.0


async def read_until(client: AsyncTcpClient, *types: str) -> list[Event | None]:
    """Events up to and including the first of ``types`` (or ``None``, the connection closed)."""
    out: list[Event | None] = []
    while True:
        event = await asyncio.wait_for(client.read_event(), READ_TIMEOUT_S)
        out.append(event)
        if event is None or event.type in types:
            return out


@dataclass
class Groups:
    """The audio groups of an answer, checked to be well formed as they are collected."""

    formats: list[tuple[int, int, int]] = field(default_factory=list)
    """(rate, width, channels) of every ``audio-start`` and ``audio-chunk``."""
    starts: int = 0
    stops: int = 0
    pcm: bytearray = field(default_factory=bytearray)

    def add(self, event: Event) -> None:
        if event.type == "audio-start":
            assert self.starts == self.stops, "audio-start inside an open group"
            self.starts += 1
            start = AudioStart.from_event(event)
            self.formats.append((start.rate, start.width, start.channels))
        elif event.type == "audio-chunk":
            assert self.starts == self.stops + 1, "audio-chunk outside a group"
            chunk = AudioChunk.from_event(event)
            self.formats.append((chunk.rate, chunk.width, chunk.channels))
            self.pcm += chunk.audio
        elif event.type == "audio-stop":
            assert self.starts == self.stops + 1, "audio-stop without its audio-start"
            self.stops += 1

    @property
    def rate(self) -> int:
        assert len(set(self.formats)) == 1, f"more than one audio format: {set(self.formats)}"
        rate, width, channels = self.formats[0]
        assert (width, channels) == (2, 1)
        return rate

    def samples(self) -> npt.NDArray[np.float32]:
        return np.frombuffer(bytes(self.pcm), "<i2").astype(np.float32) / 32768
