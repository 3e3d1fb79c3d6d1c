"""``voicewire bench live``: time to first audio over the live WebSocket.

Time to first audio (TTFA) is when a listener playing the stream hears the first *audible* sample
(above -40 dBFS), measured from when the client sent the turn's first message: the arrival of the
first chunk plus the silence that precedes the first audible sample in the stream. Leading silence
counts against the server. Playback is modelled as a player that starts at the first chunk's
arrival and plays continuously, stalling only if a chunk arrives after its play time (so when the
first audible sample lies in a later chunk that came late, its arrival time counts instead).

Two input modes, each on its own connection with its turns run one after another:

- ``oneshot``: the whole text in one message (no ``continue``): one message opens and closes a turn.
- ``words``: the text word by word (``{"text": "word ", "continue": true}``), then
  ``{"text": "", "flush": true}``; the clock starts when the first word is sent. By default the
  words go back to back with no delay (an LLM that has its tokens ready); ``tokens_per_second``
  paces them instead (e.g. 20 words/s, a typical LLM stream), which measures how soon the server
  speaks while the text is still arriving.

Smoothness: the largest gap between two audio frames of a turn after its first (``max_gap_ms``):
voice-agent clients end a turn on a pause (LiveKit 0.6 s, VideoSDK 0.25 s). The texts include long
sentences (``LONG_SENTENCES``: 20 and 50 s of audio) so that gaps between units and between the
blocks of long units show.

The client connects with ``compression=None``: the figures measure the server, not permessage-deflate.
"""

from __future__ import annotations

import asyncio
import base64
import itertools
import json
import statistics
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal
from urllib.parse import urlsplit

import numpy as np
from websockets.asyncio.client import ClientConnection, connect

from voicewire.bench.corpus import JA_SENTENCES, LONG_SENTENCES, SENTENCES
from voicewire.text.words import client_words, has_cjk

__all__ = ["TurnResult", "first_audible_index", "measure_turns", "run_live_bench", "summarize"]

Mode = Literal["oneshot", "words"]
MODES: tuple[Mode, ...] = ("oneshot", "words")

ENGINES = {"heart": "hibari", "magnus": "piper", "jf_alpha": "kokoro"}
"""The voices the benchmark speaks, and their engines."""
TEXTS: dict[str, Sequence[str]] = {"jf_alpha": JA_SENTENCES}
"""What a voice speaks if not ``SENTENCES``: Kokoro's packaged voices are Japanese."""


@dataclass(frozen=True)
class TurnResult:
    """One turn as the client saw it; times in ms from when the turn's first message was sent."""

    ttfa_ms: float | None
    """When the first audible sample plays (None: error, or no audible audio)."""
    first_chunk_ms: float | None
    """Arrival of the first chunk frame."""
    lead_silence_ms: float | None
    """Audio before the first audible sample."""
    total_ms: float
    """Arrival of ``complete`` (or of the error)."""
    audio_ms: float
    chunks: int
    error: str | None = None
    chunk_arrivals_ms: tuple[float, ...] = field(default=(), repr=False)

    @property
    def max_gap_ms(self) -> float | None:
        """The longest wait between two audio frames after the first (None: fewer than two)."""
        arrivals = self.chunk_arrivals_ms
        return max((b - a for a, b in itertools.pairwise(arrivals)), default=None)


def first_audible_index(pcm: bytes, threshold_dbfs: float = -40.0) -> int | None:
    """Index of the first sample of 16-bit little-endian mono ``pcm`` whose magnitude is above
    ``threshold_dbfs`` (0 dBFS = 32768), or None if there is none. A trailing odd byte is ignored."""
    samples = np.frombuffer(pcm[: len(pcm) // 2 * 2], dtype="<i2").astype(np.int32)
    level = 32768.0 * 10 ** (threshold_dbfs / 20)
    loud = np.flatnonzero(np.abs(samples) > level)
    return int(loud[0]) if loud.size else None


def _heard_at(arrivals: Sequence[tuple[float, bytes]], sample_rate: int, threshold_dbfs: float) -> float | None:
    """When the first audible sample plays, for chunks ``(arrival s, pcm)`` of one turn."""
    play_end = 0.0
    for arrival, pcm in arrivals:
        start = max(arrival, play_end)  # the player stalls while a late chunk is on its way
        index = first_audible_index(pcm, threshold_dbfs)
        if index is not None:
            return start + index / sample_rate
        play_end = start + len(pcm) // 2 / sample_rate
    return None


async def _send_turn(ws: ClientConnection, messages: Sequence[dict[str, Any]], tokens_per_second: float | None) -> None:
    for i, message in enumerate(messages):
        if i and tokens_per_second:
            await asyncio.sleep(1 / tokens_per_second)
        await ws.send(json.dumps(message))


async def _one_turn(
    ws: ClientConnection, messages: Sequence[dict[str, Any]], sample_rate: int, tokens_per_second: float | None
) -> TurnResult:
    started = time.perf_counter()
    sender = asyncio.create_task(_send_turn(ws, messages, tokens_per_second))
    chunks: list[tuple[float, bytes]] = []
    error: str | None = None
    try:
        while True:
            frame = json.loads(await ws.recv())
            now = time.perf_counter() - started
            status = frame.get("status")
            if status == "chunk":
                chunks.append((now, base64.b64decode(frame["data"]["audio"])))
            elif status == "error":
                error = str(frame.get("message"))
                break
            elif status == "complete":
                break
        total = time.perf_counter() - started
        if sender.done():
            await sender
        else:  # the turn failed while words were still going out: close what they reopened, uncounted
            sender.cancel()
            await ws.send(json.dumps({"text": "", "flush": True}))
            while json.loads(await ws.recv()).get("status") not in ("complete", "error"):
                pass
    finally:
        sender.cancel()
    heard = None if error else _heard_at(chunks, sample_rate, -40.0)
    first = chunks[0][0] if chunks else None
    return TurnResult(
        ttfa_ms=None if heard is None else heard * 1000,
        first_chunk_ms=None if first is None else first * 1000,
        lead_silence_ms=None if heard is None or first is None else (heard - first) * 1000,
        total_ms=total * 1000,
        audio_ms=sum(len(pcm) // 2 for _, pcm in chunks) / sample_rate * 1000,
        chunks=len(chunks),
        error=error,
        chunk_arrivals_ms=tuple(t * 1000 for t, _ in chunks),
    )


def _messages(text: str, voice: str, mode: Mode, sample_rate: int, output_format: str) -> list[dict[str, Any]]:
    settings = {"voice_id": voice, "sample_rate": sample_rate, "output_format": output_format}
    if mode == "oneshot":
        return [{"text": text, **settings}]
    # Japanese and Chinese have no spaces: their words as voicewire cuts them, sent glued
    pieces = client_words(text) if has_cjk(text) else [w + " " for w in text.split()]
    words: list[dict[str, Any]] = [{"text": w, "continue": True, **settings} for w in pieces]
    return [*words, {"text": "", "flush": True}]


def _ws_url(url: str) -> str:
    parts = urlsplit(url)
    scheme = {"http": "ws", "https": "wss"}.get(parts.scheme, parts.scheme)
    return f"{scheme}://{parts.netloc}/waves/v1/tts/live"


async def measure_turns(
    url: str,
    key: str,
    *,
    voice: str,
    mode: Mode,
    turns: int,
    text: str | Sequence[str] = (*SENTENCES, *LONG_SENTENCES),
    sample_rate: int = 24000,
    output_format: str = "pcm",
    tokens_per_second: float | None = None,
    warmup: int = 2,
) -> list[TurnResult]:
    """``turns`` sequential turns on one connection (after ``warmup`` uncounted ones).

    ``url`` is the server's http(s) or ws(s) base URL; ``text`` is one text or texts used in
    rotation. ``tokens_per_second`` paces the words in ``words`` mode (default: back to back).
    TTFA is computed from the PCM, so ``output_format`` must be ``"pcm"`` for it to be meaningful.
    """
    texts = [text] if isinstance(text, str) else list(text)
    results = []
    headers = {"Authorization": f"Bearer {key}"}
    async with connect(_ws_url(url), additional_headers=headers, compression=None, max_size=None) as ws:
        for i in range(warmup + turns):
            messages = _messages(texts[i % len(texts)], voice, mode, sample_rate, output_format)
            result = await _one_turn(ws, messages, sample_rate, tokens_per_second)
            if i >= warmup:
                results.append(result)
    return results


def _percentile(values: Sequence[float], q: float) -> float | None:
    return round(float(np.percentile(values, q)), 1) if values else None


def summarize(results: Sequence[TurnResult]) -> dict[str, Any]:
    """Turns, errors, turns without audible audio, TTFA p50/p95/max, and the p50 of the first chunk's
    arrival and of the leading silence (TTFA = first chunk + leading silence, unless playback stalls)."""
    ok = [r for r in results if r.error is None]
    ttfa = [r.ttfa_ms for r in ok if r.ttfa_ms is not None]
    gaps = [r.max_gap_ms for r in ok if r.max_gap_ms is not None]
    first = [r.first_chunk_ms for r in ok if r.first_chunk_ms is not None]
    silence = [r.lead_silence_ms for r in ok if r.lead_silence_ms is not None]
    return {
        "turns": len(results),
        "errors": len(results) - len(ok),
        "silent": len(ok) - len(ttfa),
        "ttfa_ms_p50": _percentile(ttfa, 50),
        "ttfa_ms_p95": _percentile(ttfa, 95),
        "ttfa_ms_max": round(max(ttfa), 1) if ttfa else None,
        "first_chunk_ms_p50": _percentile(first, 50),
        "lead_silence_ms_p50": _percentile(silence, 50),
        "max_gap_ms_p50": _percentile(gaps, 50),
        "max_gap_ms_p95": _percentile(gaps, 95),
        "max_gap_ms_max": round(max(gaps), 1) if gaps else None,
        "total_ms_p50": round(statistics.median(r.total_ms for r in ok), 1) if ok else None,
    }


def run_live_bench(
    url: str, key: str, turns: int = 50, *, tokens_per_second: float | None = None
) -> list[dict[str, Any]]:
    """{heart, magnus, jf_alpha} x {oneshot, words}: one row each (voice, engine, mode, then ``summarize``).

    Blocking (runs its own event loop). ``tokens_per_second`` paces the ``words`` mode."""

    async def run() -> list[dict[str, Any]]:
        rows = []
        for voice, engine in ENGINES.items():
            for mode in MODES:
                results = await measure_turns(url, key, voice=voice, mode=mode, turns=turns,
                                              text=TEXTS.get(voice, SENTENCES),
                                              tokens_per_second=tokens_per_second)  # fmt: skip
                label = f"words@{tokens_per_second:g}/s" if mode == "words" and tokens_per_second else mode
                rows.append({"voice": voice, "engine": engine, "mode": label, **summarize(results)})
        return rows

    return asyncio.run(run())
