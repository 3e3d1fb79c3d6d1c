"""smallestai 4.4.7 (the official SDK's previous major version) unchanged, base URL and key changed: the
retired models' calls get the hosted API's 410 Gone naming the replacement; every v3.1 path speaks
(sync, SSE, the live socket, the older streaming socket, the compatibility shim)."""

from __future__ import annotations

from agents.conftest import run_client
from support.server import RunningServer


def test_every_tts_path(server: RunningServer) -> None:
    paths = run_client(".venv-sdk4", "sdk4_client.py", "--url", server.url, "--key", server.key)["paths"]
    for retired in ("synthesize_lightning", "synthesize_lightning_v2", "synthesize_sse_lightning_v2"):
        result = paths[retired]
        assert result["status"] == "refused" and result["code"] == 410, result
        body = result["body"]
        assert body["error_code"] == "MODEL_DEPRECATED" and body["recommended_model"] == "lightning_v3.1"
        assert body["recommended_endpoint"].startswith("/waves/v1/lightning-v3.1/")
    assert paths["synthesize_lightning_v31"]["bytes"] > 44 + 24000  # a WAV of over half a second
    events = paths["synthesize_sse_lightning_v31"]["events"]
    assert events[-1] == "complete" and set(events[:-1]) == {"chunk"}
    for socket in ("lightning_v31tts.connect", "streaming_tts.connect", "WavesStreamingTTS"):
        assert paths[socket]["status"] == "ok" and paths[socket]["bytes"] > 24000, (socket, paths[socket])
    assert paths["lightning_v31tts.connect"]["last"] == "complete"
    assert paths["streaming_tts.connect"] == {**paths["streaming_tts.connect"], "last": "complete", "rates": [24000]}
