"""pipecat-ai's SmallestTTSService, in a Pipecat pipeline (the service, then a sink), against a server.

Run with .venv-agents' python. Each turn is what an LLM turn is to Pipecat: a start frame, text
frames token by token, an end frame; the service cuts sentences and sends them with a context_id,
then closes the context. Prints ``{"turns": [{"seconds", "sample_rate"}], "errors": [...]}``.

``--keepalive S`` shortens the service's keepalive period (30 s) to S seconds, so its
``{"text": " "}`` keepalives land in the middle of turns.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import sys
from typing import Any

from loguru import logger

logger.remove()
logger.add(sys.stderr, level="ERROR")

from pipecat.frames.frames import (  # noqa: E402 - after the logger is quiet
    EndFrame,
    ErrorFrame,
    LLMFullResponseEndFrame,
    LLMFullResponseStartFrame,
    LLMTextFrame,
    TTSAudioRawFrame,
    TTSStartedFrame,
    TTSStoppedFrame,
)
from pipecat.pipeline.pipeline import Pipeline  # noqa: E402
from pipecat.pipeline.worker import PipelineParams, PipelineWorker  # noqa: E402
from pipecat.processors.frame_processor import FrameProcessor  # noqa: E402
from pipecat.services.smallest.tts import SmallestTTSService  # noqa: E402
from pipecat.workers.runner import WorkerRunner  # noqa: E402


class Sink(FrameProcessor):
    """Collects each turn's audio, from TTSStartedFrame to TTSStoppedFrame."""

    def __init__(self) -> None:
        super().__init__()
        self.turns: list[dict[str, Any]] = []
        self.errors: list[str] = []
        self.stopped = asyncio.Event()
        self._pcm = bytearray()
        self._rate = 0

    async def process_frame(self, frame: Any, direction: Any) -> None:
        await super().process_frame(frame, direction)
        if isinstance(frame, TTSStartedFrame):
            self._pcm, self._rate = bytearray(), 0
        elif isinstance(frame, TTSAudioRawFrame):
            self._pcm += frame.audio
            self._rate = frame.sample_rate
        elif isinstance(frame, TTSStoppedFrame):
            self.turns.append({"seconds": round(len(self._pcm) / 2 / max(self._rate, 1), 3), "sample_rate": self._rate})
            self.stopped.set()
        elif isinstance(frame, ErrorFrame):
            self.errors.append(str(frame.error))
        await self.push_frame(frame, direction)


def service(args: argparse.Namespace) -> SmallestTTSService:
    class Service(SmallestTTSService):
        def _create_keepalive_task(self, interval: float) -> None:  # the plugin's own keepalive, sooner
            super()._create_keepalive_task(args.keepalive or interval)

    return Service(api_key=args.key, base_url=args.url.replace("http", "ws", 1), sample_rate=args.rate)


async def main(args: argparse.Namespace) -> dict[str, Any]:
    sink = Sink()
    worker = PipelineWorker(Pipeline([service(args), sink]), params=PipelineParams(audio_out_sample_rate=args.rate),
                            idle_timeout_secs=None, enable_rtvi=False)  # fmt: skip
    runner = WorkerRunner(handle_sigint=False)
    await runner.add_workers(worker)
    running = asyncio.ensure_future(runner.run())
    for text in json.loads(args.texts):
        sink.stopped.clear()
        await worker.queue_frames([LLMFullResponseStartFrame()])
        for token in re.findall(r"\S+\s*", text):
            await worker.queue_frames([LLMTextFrame(token)])
            await asyncio.sleep(args.pace)
        await worker.queue_frames([LLMFullResponseEndFrame()])
        await asyncio.wait_for(sink.stopped.wait(), timeout=60)
    await worker.queue_frames([EndFrame()])
    await asyncio.wait_for(running, timeout=30)
    return {"turns": sink.turns, "errors": sink.errors}


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", required=True)
    parser.add_argument("--key", required=True)
    parser.add_argument("--texts", required=True, help="A JSON list of texts, one LLM turn each.")
    parser.add_argument("--pace", type=float, default=0.02, help="Seconds between tokens.")
    parser.add_argument("--rate", type=int, default=24000)
    parser.add_argument("--keepalive", type=float, default=0.0, help="Keepalive period (default: the plugin's).")
    print(json.dumps(asyncio.run(main(parser.parse_args()))))
