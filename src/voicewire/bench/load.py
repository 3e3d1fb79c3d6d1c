"""``voicewire bench load``: many live streams at once, each played back in real time.

Each client opens a WebSocket, sends its turn (the whole text at once, or word by word like an LLM
at ``tokens_per_second``), and plays the audio as it arrives, as a listener would. Clients arrive at
``arrival_rate`` per second and each speaks ``sentences`` sentences (about 3 s each), so with 100
clients at 5 per second and 8 sentences, all 100 streams play at once for several seconds: that is
what "100 concurrent streams" means for a server (arrivals x duration). Playback starts
with the first chunk and runs at real time; whenever the next audio was needed and had not arrived,
that is an **underrun** (counted, with its length). Per stream it records the time to first audio
(arrival of the first chunk plus the silence before the first audible sample, above -40 dBFS), the
underruns, and the end-to-end real-time factor (wall time of the turn / seconds of audio). Server
side it samples CPU and RSS of the server's processes from /proc. A ramp over client counts finds
the largest count with zero underruns and first-audio p95 <= 250 ms.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import os
import statistics
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from voicewire.bench.corpus import SENTENCES
from voicewire.bench.live import first_audible_index
from voicewire.bench.mp3frames import FrameCounter

__all__ = ["LoadResult", "ServerSampler", "StreamResult", "find_capacity", "run_load"]

TTFA_LIMIT_MS = 250.0


@dataclass
class StreamResult:
    ttfa_ms: float | None = None
    underruns: int = 0
    underrun_s: float = 0.0
    audio_s: float = 0.0
    wall_s: float = 0.0
    error: str | None = None

    @property
    def rtf(self) -> float | None:
        """Wall time of the turn per second of its audio (below 1: faster than real time)."""
        return self.wall_s / self.audio_s if self.audio_s else None


class Player:
    """Real-time playback of a stream: start at the first chunk, stall when the audio runs out."""

    def __init__(self, rate: int) -> None:
        self.rate = rate
        self.runs_dry_at: float | None = None
        self.underruns = 0
        self.stalled = 0.0

    def arrive(self, now: float, samples: int) -> None:
        seconds = samples / self.rate
        if self.runs_dry_at is None:
            self.runs_dry_at = now + seconds
            return
        if now > self.runs_dry_at:  # the listener was waiting for this audio
            self.underruns += 1
            self.stalled += now - self.runs_dry_at
            self.runs_dry_at = now
        self.runs_dry_at += seconds


async def run_stream(
    url: str,
    key: str,
    *,
    voice: str,
    text: str,
    tokens_per_second: float | None,
    sample_rate: int,
    compression: str | None,
    output_format: str = "pcm",
) -> StreamResult:
    import websockets

    result = StreamResult()
    player = Player(sample_rate)
    frames = FrameCounter() if output_format == "mp3" else None
    audio = bytearray()
    samples = 0
    first_chunk_at: float | None = None
    try:
        async with websockets.connect(
            url, additional_headers={"Authorization": f"Bearer {key}"}, compression=compression, max_size=None
        ) as ws:
            started = time.perf_counter()
            sender = asyncio.ensure_future(_send(ws, voice, text, tokens_per_second, sample_rate, output_format))
            while True:
                frame = json.loads(await ws.recv())
                now = time.perf_counter()
                if frame["status"] == "chunk":
                    data = base64.b64decode(frame["data"]["audio"])
                    if first_chunk_at is None:
                        first_chunk_at = now
                    audio += data
                    arrived = frames.feed(data) if frames is not None else len(data) // 2
                    samples += arrived
                    player.arrive(now, arrived)
                elif frame["status"] == "complete":
                    break
                elif frame["status"] == "error":
                    result.error = frame.get("code") or frame.get("message")
                    break
            await sender
            result.wall_s = time.perf_counter() - started
    except Exception as exc:  # a refused handshake, a dropped socket: the stream failed
        result.error = type(exc).__name__
        return result
    result.audio_s = samples / sample_rate
    result.underruns, result.underrun_s = player.underruns, player.stalled
    audible = first_audible_index(bytes(audio) if frames is None else _decoded_mp3(bytes(audio)))
    if first_chunk_at is not None and audible is not None:
        result.ttfa_ms = (first_chunk_at - started + audible / sample_rate) * 1000
    return result


def _decoded_mp3(data: bytes) -> bytes:
    """PCM of a whole mp3 stream, to find its first audible sample (needs the ``miniaudio`` package)."""
    import array

    import miniaudio

    if not data:
        return b""
    decoded = miniaudio.mp3_read_s16(data)
    return array.array("h", decoded.samples).tobytes()


async def _send(ws: Any, voice: str, text: str, tokens_per_second: float | None, rate: int, fmt: str) -> None:
    base = {"voice_id": voice, "sample_rate": rate, "output_format": fmt}
    if tokens_per_second is None:
        await ws.send(json.dumps({**base, "text": text}))
        return
    for word in text.split():
        await ws.send(json.dumps({**base, "text": word + " ", "continue": True}))
        await asyncio.sleep(1 / tokens_per_second)
    await ws.send(json.dumps({**base, "text": "", "flush": True}))


@dataclass
class ServerSampler:
    """CPU seconds, RSS and open descriptors of a server process and its children, from /proc."""

    pid: int
    rss_mb: list[float] = field(default_factory=list)

    def pids(self) -> list[int]:
        out = [self.pid]
        with contextlib.suppress(OSError):  # the process may have exited
            out += [int(p) for p in Path(f"/proc/{self.pid}/task/{self.pid}/children").read_text().split()]
        return out

    def cpu_seconds(self) -> float:
        total = 0.0
        tick = os.sysconf("SC_CLK_TCK")
        for pid in self.pids():
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
                total += (int(fields[11]) + int(fields[12])) / tick
            except (OSError, IndexError):
                pass
        return total

    def rss_now(self) -> float:
        """Resident memory of the processes now, in MB."""
        total = 0.0
        for pid in self.pids():
            try:
                for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1]) / 1024
            except OSError:
                pass
        return total

    def sample_rss(self) -> None:
        self.rss_mb.append(self.rss_now())

    def open_fds(self) -> int:
        """Open file descriptors of the processes now (sockets, files, pipes, event fds)."""
        total = 0
        for pid in self.pids():
            with contextlib.suppress(OSError):
                total += len(os.listdir(f"/proc/{pid}/fd"))
        return total


@dataclass
class LoadResult:
    clients: int
    scenario: str
    streams: list[StreamResult]
    cpu_percent: float | None = None
    rss_mb_max: float | None = None

    def row(self) -> dict[str, Any]:
        ttfa = [s.ttfa_ms for s in self.streams if s.ttfa_ms is not None]
        rtf = [s.rtf for s in self.streams if s.rtf is not None]
        return {
            "clients": self.clients,
            "scenario": self.scenario,
            "refused": sum(1 for s in self.streams if s.error == "server_busy"),
            "errors": sum(1 for s in self.streams if s.error and s.error != "server_busy"),
            "ttfa_ms_p50": round(statistics.median(ttfa), 1) if ttfa else None,
            "ttfa_ms_p95": round(_percentile(ttfa, 95), 1) if ttfa else None,
            "streams_with_underruns": sum(1 for s in self.streams if s.underruns),
            "underruns": sum(s.underruns for s in self.streams),
            "underrun_s": round(sum(s.underrun_s for s in self.streams), 2),
            "rtf_p50": round(statistics.median(rtf), 3) if rtf else None,
            "cpu_percent": None if self.cpu_percent is None else round(self.cpu_percent),
            "rss_mb_max": None if self.rss_mb_max is None else round(self.rss_mb_max),
        }

    @property
    def healthy(self) -> bool:
        row = self.row()
        served = row["errors"] == 0 and row["refused"] == 0
        return served and row["underruns"] == 0 and (row["ttfa_ms_p95"] or 1e9) <= TTFA_LIMIT_MS

    def details(self) -> list[dict[str, Any]]:
        return [asdict(s) for s in self.streams]


def _percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(pct / 100 * (len(ordered) - 1))))
    return ordered[index]


async def run_load(
    url: str,
    key: str,
    *,
    clients: int,
    scenario: str = "oneshot",
    voice: str = "heart",
    tokens_per_second: float = 20.0,
    sample_rate: int = 24000,
    compression: str | None = None,
    arrival_rate: float = 5.0,
    sentences: int = 8,
    output_format: str = "pcm",
    server_pid: int | None = None,
) -> LoadResult:
    """``clients`` streams arriving at ``arrival_rate`` per second; one turn of ``sentences`` each.

    ``scenario``: ``oneshot`` (whole text at once), ``tokens`` (word by word at ``tokens_per_second``)
    or ``mixed`` (half each).
    """
    ws_url = url.replace("http://", "ws://").replace("https://", "wss://").rstrip("/") + "/waves/v1/tts/live"
    sampler = ServerSampler(server_pid) if server_pid else None
    cpu_before = sampler.cpu_seconds() if sampler else 0.0
    started = time.perf_counter()

    async def one(i: int) -> StreamResult:
        await asyncio.sleep(i / arrival_rate)
        text = " ".join(SENTENCES[(i + k) % len(SENTENCES)] for k in range(sentences))
        paced = scenario == "tokens" or (scenario == "mixed" and i % 2 == 1)
        return await run_stream(ws_url, key, voice=voice, text=text, tokens_per_second=tokens_per_second if paced
                                else None, sample_rate=sample_rate, compression=compression,
                                output_format=output_format)  # fmt: skip

    async def sample() -> None:
        while sampler is not None:
            sampler.sample_rss()
            await asyncio.sleep(0.25)

    sampling = asyncio.ensure_future(sample())
    streams = await asyncio.gather(*(one(i) for i in range(clients)))
    sampling.cancel()
    elapsed = time.perf_counter() - started
    result = LoadResult(clients, scenario, list(streams))
    if sampler is not None:
        result.cpu_percent = 100 * (sampler.cpu_seconds() - cpu_before) / elapsed
        result.rss_mb_max = max(sampler.rss_mb, default=0.0)
    return result


async def find_capacity(url: str, key: str, levels: list[int], **kwargs: Any) -> list[LoadResult]:
    """Run each level in turn; the report marks the largest healthy one."""
    results = []
    for clients in levels:
        results.append(await run_load(url, key, clients=clients, **kwargs))
        await asyncio.sleep(1.0)
    return results
