"""livekit-plugins-smallestai, driven as a LiveKit agent drives it (no room needed), against a server.

Run with .venv-agents' python. Prints one JSON report on stdout:
``{"turns": [{"seconds", "sample_rate", "frames", "max_gap_ms", "tokens"}], "mode": ...}``.

Modes: ``http`` (``tts.synthesize(text)``: POST {base_url}/tts), ``continuations`` (the plugin's default
``stream()``: a context_id per segment) and ``legacy`` (``use_continuations=False``). ``--barge-in``:
each stream is cancelled (``aclose()`` before ``end_input()``) once its first audio arrived, which
makes the plugin send ``cancel_request``; then one normal turn follows.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import logging
import re
import sys
import time
from typing import Any

from livekit.agents import APIConnectOptions, utils
from livekit.plugins import smallestai


def tokens(text: str) -> list[str]:
    """The text as an LLM streams it: words with their spaces, long words cut in two."""
    out = []
    for word in re.findall(r"\S+\s*", text):
        if len(word) > 7:
            out += [word[:4], word[4:]]
        else:
            out.append(word)
    return out


async def stream_turn(tts: Any, text: str, pace: float, options: APIConnectOptions) -> dict[str, Any]:
    stream = tts.stream(conn_options=options)

    async def feed() -> None:
        for token in tokens(text):
            stream.push_text(token)
            await asyncio.sleep(pace)
        stream.end_input()

    feeder = asyncio.ensure_future(feed())
    seconds, rate, arrivals = 0.0, 0, []
    async for event in stream:
        arrivals.append(time.monotonic())
        seconds += event.frame.duration
        rate = event.frame.sample_rate
    # The plugin ends a segment with a 10 ms frame of its own once it decides the stream is over:
    # the gap before it is the plugin's wait, not the server's.
    gaps = [b - a for a, b in itertools.pairwise(arrivals[:-1])]
    await feeder
    await stream.aclose()
    return {"seconds": round(seconds, 3), "sample_rate": rate, "frames": len(arrivals),
            "max_gap_ms": round(max(gaps, default=0) * 1000), "tokens": len(tokens(text))}


async def barge_in(tts: Any, text: str, options: APIConnectOptions) -> dict[str, Any]:
    stream = tts.stream(conn_options=options)
    for token in tokens(text):
        stream.push_text(token)
    seconds = 0.0
    async for event in stream:  # the first audio, then the user speaks over it
        seconds += event.frame.duration
        break
    await stream.aclose()  # before end_input(): the plugin sends cancel_request for the context
    return {"seconds": round(seconds, 3), "cancelled": True}


async def main(args: argparse.Namespace) -> dict[str, Any]:
    texts = json.loads(args.texts)
    options = APIConnectOptions(max_retry=0, timeout=20.0)  # a failure shows, instead of a silent retry
    turns = []
    async with utils.http_context.open():
        tts = smallestai.TTS(api_key=args.key, base_url=f"{args.url}/waves/v1",
                             ws_url=args.url.replace("http", "ws", 1) + "/waves/v1/tts/live",
                             use_continuations=args.mode != "legacy", word_timestamps=True)  # fmt: skip
        for text in texts:
            if args.mode == "http":
                frame = await tts.synthesize(text, conn_options=options).collect()
                turns.append({"seconds": round(frame.duration, 3), "sample_rate": frame.sample_rate})
            elif args.barge_in:
                turns.append(await barge_in(tts, text, options))
                turns.append(await stream_turn(tts, "And this is what comes next.", 0.0, options))
            else:
                turns.append(await stream_turn(tts, text, args.pace, options))
        await tts.aclose()
    return {"mode": args.mode, "turns": turns}


if __name__ == "__main__":
    logging.basicConfig(level="ERROR", stream=sys.stderr)
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", required=True)
    parser.add_argument("--key", required=True)
    parser.add_argument("--mode", choices=["http", "continuations", "legacy"], default="continuations")
    parser.add_argument("--texts", required=True, help="A JSON list of texts, one turn each.")
    parser.add_argument("--pace", type=float, default=0.0, help="Seconds between tokens (an LLM's pace).")
    parser.add_argument("--barge-in", action="store_true")
    print(json.dumps(asyncio.run(main(parser.parse_args()))))
