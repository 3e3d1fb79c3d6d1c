"""The official SDK's previous major version, smallestai 4.4.7, against a server: every TTS path it has.

Run with .venv-sdk4's python. Prints ``{"paths": {name: {"status": ..., ...}}}``: for audio, the bytes
or seconds made; for a refused call, the HTTP status and body the SDK raised.
"""

from __future__ import annotations

import argparse
import base64
import json
import warnings
from collections.abc import Callable
from typing import Any

from smallestai import SmallestAI
from smallestai.core.api_error import ApiError
from smallestai.environment import SmallestAIEnvironment
from smallestai.waves import TTSConfig, WavesStreamingTTS
from smallestai.waves.lightning_v31tts.types.lightning_v31tts_request_message import LightningV31TtsRequestMessage
from smallestai.waves.streaming_tts.types.stream_tts_request_message import StreamTtsRequestMessage

warnings.simplefilter("ignore")


def outcome(call: Callable[[], Any]) -> dict[str, Any]:
    try:
        result = call()
    except ApiError as exc:
        return {"status": "refused", "code": exc.status_code, "body": exc.body}
    return {"status": "ok", **result}


def main(args: argparse.Namespace) -> dict[str, Any]:
    ws = args.url.replace("http", "ws", 1)
    env = SmallestAIEnvironment(atoms=f"{args.url}/atoms/v1", waves=args.url, waves_ws=ws)
    waves = SmallestAI(api_key=args.key, environment=env).waves
    text = "Hello from the previous version of the SDK."

    def audio(chunks: Any) -> dict[str, Any]:
        return {"bytes": len(b"".join(chunks))}

    paths = {
        "synthesize_lightning": lambda: audio(waves.synthesize_lightning(text=text, voice_id="malcom")),
        "synthesize_lightning_v2": lambda: audio(waves.synthesize_lightning_v2(text=text, voice_id="emily")),
        "synthesize_sse_lightning_v2": lambda: {"events": len(list(waves.synthesize_sse_lightning_v2(
            text=text, voice_id="emily")))},
        "synthesize_lightning_v31": lambda: audio(waves.synthesize_lightning_v31(
            text=text, voice_id="daniel", sample_rate=24000, output_format="wav")),
        "synthesize_sse_lightning_v31": lambda: {"events": [e.get("status") for e in waves.synthesize_sse_lightning_v31(
            text=text, voice_id="daniel", sample_rate=24000)]},
    }  # fmt: skip
    report = {name: outcome(call) for name, call in paths.items()}

    def v31_socket() -> dict[str, Any]:
        with waves.lightning_v31tts.connect() as s:
            message = LightningV31TtsRequestMessage(voice_id="magnus", text=text, continue_=False, flush=False)
            s.synthesize_streaming_lightning_v_3_1(message)
            return collect(s)

    def streaming_socket() -> dict[str, Any]:
        with waves.streaming_tts.connect() as s:
            s.synthesize_streaming(StreamTtsRequestMessage(voice_id="magnus", text="Hello ", is_streaming=True,
                                                           is_final=False, sample_rate=24000))  # fmt: skip
            s.synthesize_streaming(StreamTtsRequestMessage(voice_id="magnus", text="world.", is_streaming=True,
                                                           is_final=True, sample_rate=24000))  # fmt: skip
            return collect(s)

    def shim() -> dict[str, Any]:
        tts = WavesStreamingTTS(TTSConfig(voice_id="magnus", api_key=args.key))
        tts.ws_url = f"{ws}/waves/v1/lightning-v3.1/get_speech/stream"
        return {"bytes": len(b"".join(tts.synthesize(text)))}

    report["lightning_v31tts.connect"] = outcome(v31_socket)
    report["streaming_tts.connect"] = outcome(streaming_socket)
    report["WavesStreamingTTS"] = outcome(shim)
    return {"paths": report}


def collect(sock: Any) -> dict[str, Any]:
    """A socket's audio, up to its ``complete`` (the SDK's iterator itself ends only on a close)."""
    pcm, rates = b"", set()
    for message in sock:
        status = getattr(message, "status", None)
        data = getattr(message, "data", None)
        if status == "chunk" and data is not None:
            pcm += base64.b64decode(data.audio)
            rates.add(getattr(data, "sample_rate", None))
        elif status in ("complete", "error"):
            return {"bytes": len(pcm), "last": status, "rates": sorted(r for r in rates if r)}
    return {"bytes": len(pcm), "last": "closed"}


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", required=True)
    parser.add_argument("--key", required=True)
    print(json.dumps(main(parser.parse_args()), default=str))
