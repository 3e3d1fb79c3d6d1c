"""livekit-plugins-smallestai 1.8.9 unchanged, base URL and key changed: synthesize() and stream() in both
modes, 10 turns each with long sentences fed at an LLM's pace; every turn gets all of its audio, at
the rate asked; a barge-in cancels the context."""

from __future__ import annotations

import json

import httpx
import pytest

from agents.conftest import AccessLog, run_client
from support.server import RunningServer

LONG = [
    "The birch canoe slid on the smooth planks, and the crowd on the shore cheered loudly for a while.",
    "Glue the sheet to the dark blue background, then let it dry in the sun for an hour or two.",
    "It is easy to tell the depth of a well when you drop a stone and count until the splash comes back.",
    "These days a chicken leg is a rare dish, but the soup made from it still warms a cold evening.",
    "Rice is often served in round bowls, with a little salt, some green onions and a spoon of sauce.",
]
TEN = [*LONG, *reversed(LONG)]
MARKER_S = 0.01  # the plugin's own silent frame at the end of a segment


def assert_all_audio(report: dict, served: list[dict], marker: float) -> None:
    turns = report["turns"]
    assert len(turns) == len(served), (turns, served)
    for turn, line in zip(turns, served, strict=True):
        assert line["status"] in ("complete", 200), line
        assert abs(turn["seconds"] - marker - line["audio_seconds"]) < 0.03, (turn, line)
        assert turn["sample_rate"] == 24000


def test_synthesize_over_http(server: RunningServer) -> None:
    log = AccessLog(server)
    report = run_client(".venv-agents", "livekit_client.py", *args(server, LONG[:3], "http"))
    served = [line for line in log.lines("request") if line["endpoint"] == "/waves/v1/tts"]
    assert_all_audio(report, served, 0.0)
    assert all(line["voice"] == "meher" for line in served)  # the plugin's default voice, an alias here


@pytest.mark.parametrize("mode", ["continuations", "legacy"])
def test_stream_turns_get_all_their_audio(server: RunningServer, mode: str) -> None:
    log = AccessLog(server)
    report = run_client(".venv-agents", "livekit_client.py", *args(server, TEN, mode, "--pace", "0.015"))
    assert_all_audio(report, log.lines("turn"), MARKER_S)


def test_barge_in_cancels_the_context(server: RunningServer) -> None:
    log = AccessLog(server)
    report = run_client(".venv-agents", "livekit_client.py", *args(server, LONG[:2], "continuations", "--barge-in"))
    assert [bool(t.get("cancelled")) for t in report["turns"]] == [True, False, True, False]
    turns = log.lines("turn")
    assert [t["status"] for t in turns] == ["cancelled", "complete", "cancelled", "complete"], turns
    for cancelled, text in zip(turns[::2], LONG[:2], strict=True):  # stopped long before the end
        whole = httpx.post(server.url + "/waves/v1/tts", headers=server.headers, timeout=60,
                           json={"text": text, "voice_id": "meher", "sample_rate": 24000})  # fmt: skip
        assert cancelled["audio_seconds"] < 0.7 * len(whole.content) / 2 / 24000


def args(server: RunningServer, texts: list[str], mode: str, *more: str) -> list[str]:
    return ["--url", server.url, "--key", server.key, "--mode", mode, "--texts", json.dumps(texts), *more]
