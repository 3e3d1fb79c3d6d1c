"""videosdk-plugins-smallestai 1.0.30 unchanged, base URL and key changed, in its default mode (the
WebSocket at the legacy per-model URL, one one-shot request per clause, a request dropped after
0.25 s without audio): every answer gets all of its audio."""

from __future__ import annotations

import json

from agents.conftest import AccessLog, run_client
from support.server import RunningServer

ANSWERS = [
    "Hello there. How are you today? I hope the weather is fine where you are, because it is raining here.",
    "The meeting has been moved to next week, so there is time to finish the report, check the numbers, "
    "and send it to everyone before then.",
]


def test_answers_get_all_their_audio(server: RunningServer) -> None:
    log = AccessLog(server)
    report = run_client(".venv-agents", "videosdk_client.py", "--url", server.url, "--key", server.key,
                        "--texts", json.dumps(ANSWERS))  # fmt: skip
    assert report["errors"] == []
    served = log.lines("turn")
    assert all(line["status"] == "complete" and line["voice"] == "magnus" for line in served)
    assert len(served) >= 6  # one request per clause
    received = sum(turn["seconds"] for turn in report["turns"])
    assert abs(received - sum(line["audio_seconds"] for line in served)) < 0.03 * len(served)
