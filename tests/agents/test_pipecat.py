"""pipecat-ai 1.14.0's SmallestTTSService unchanged, base URL and key changed, in a Pipecat pipeline:
LLM turns (token by token, cut into sentences and sent with a context_id by the service), each
getting all of its audio as one turn, with the service's keepalives (``{"text": " "}``, every 0.3 s
here instead of 30 s) landing in the middle of turns."""

from __future__ import annotations

import json

from agents.conftest import AccessLog, run_client
from support.server import RunningServer

ANSWERS = [
    "Hello there. How are you today? I hope the weather is fine where you are, because it is raining here.",
    "Sure. The meeting has been moved to next week, so there is time to finish the report before then.",
    "Goodbye.",
]


def test_llm_turns_get_all_their_audio_and_keepalives_split_none(server: RunningServer) -> None:
    log = AccessLog(server)
    report = run_client(".venv-agents", "pipecat_client.py", "--url", server.url, "--key", server.key,
                        "--texts", json.dumps(ANSWERS), "--pace", "0.04", "--keepalive", "0.3")  # fmt: skip
    assert report["errors"] == []
    served = log.lines("turn")
    assert len(served) == len(ANSWERS), served  # a keepalive split no turn in two
    for turn, line in zip(report["turns"], served, strict=True):
        assert line["status"] == "complete" and line["voice"] == "meher"
        assert abs(turn["seconds"] - line["audio_seconds"]) < 0.03, (turn, line)
        assert turn["sample_rate"] == 24000
