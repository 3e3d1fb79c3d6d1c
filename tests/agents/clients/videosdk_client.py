"""videosdk-plugins-smallestai in its default mode (the WebSocket at the legacy per-model URL), against a
server, as a VideoSDK agent uses it: one ``synthesize`` per answer, the text streamed in and cut at
clauses by the plugin, each clause a one-shot request.

Run with .venv-agents' python. Prints ``{"turns": [{"seconds"}], "errors": [...]}`` (one turn per text).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import re
import sys
from collections.abc import AsyncIterator
from typing import Any

from videosdk.plugins.smallestai import SmallestAITTS


class Track:
    """The agent's audio track: the plugin calls add_new_bytes() and interrupt() only."""

    def __init__(self) -> None:
        self.pcm = bytearray()

    async def add_new_bytes(self, data: bytes) -> None:
        self.pcm += data

    def interrupt(self) -> None:
        pass


async def main(args: argparse.Namespace) -> dict[str, Any]:
    tts = SmallestAITTS(api_key=args.key, base_url=f"{args.url}/waves/v1", sample_rate=args.rate)
    errors: list[str] = []
    tts.on("error", lambda error: errors.append(str(error)))
    tts.loop = asyncio.get_running_loop()
    turns = []
    for text in json.loads(args.texts):
        track = Track()
        tts.audio_track = track

        async def tokens(text: str = text) -> AsyncIterator[str]:
            for token in re.findall(r"\S+\s*", text):
                yield token
                await asyncio.sleep(args.pace)

        await tts.synthesize(tokens())
        turns.append({"seconds": round(len(track.pcm) / 2 / args.rate, 3)})
    await tts.aclose()
    return {"turns": turns, "errors": errors}


if __name__ == "__main__":
    logging.basicConfig(level="ERROR", stream=sys.stderr)
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", required=True)
    parser.add_argument("--key", required=True)
    parser.add_argument("--texts", required=True, help="A JSON list of texts, one answer each.")
    parser.add_argument("--pace", type=float, default=0.01, help="Seconds between tokens.")
    parser.add_argument("--rate", type=int, default=24000)
    print(json.dumps(asyncio.run(main(parser.parse_args()))))
