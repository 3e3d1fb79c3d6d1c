"""The voice-agent plugins against a real server: each plugin runs in its own pinned venv
(``.venv-agents``, ``.venv-sdk4``, made by scripts/test) as a subprocess that drives it the way its
framework does and prints a JSON report; the tests compare it with what the server says it sent
(its access log: one JSON line per turn or request, with the seconds of audio)."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from support.server import RunningServer, start_server

ROOT = Path(__file__).resolve().parents[2]
CLIENTS = Path(__file__).resolve().parent / "clients"


def venv_python(name: str) -> Path:
    python = ROOT / name / "bin" / "python"
    if not python.exists():
        pytest.fail(f"{name} is missing: scripts/test makes it (the plugins' pinned venv).")
    return python


def run_client(venv: str, script: str, *args: str, timeout: float = 240) -> dict[str, Any]:
    """Run ``clients/<script>`` under ``venv``'s python; its JSON report."""
    done = subprocess.run([str(venv_python(venv)), str(CLIENTS / script), *args], capture_output=True,
                          text=True, timeout=timeout)  # fmt: skip
    assert done.returncode == 0, f"{script} failed:\n{done.stderr[-4000:]}"
    report: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return report


class AccessLog:
    """The server's access-log lines (JSON, one per request or turn), from an offset on."""

    def __init__(self, server: RunningServer) -> None:
        self.server = server
        self.offset = len(server.output())

    def lines(self, event: str) -> list[dict[str, Any]]:
        out = []
        for line in self.server.output()[self.offset :].splitlines():
            if line.startswith("{") and f'"event":"{event}"' in line:
                out.append(json.loads(line))
        return out


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    """One server for every agents test (its engines load once)."""
    running = start_server(tmp_path_factory.mktemp("agents"), units=8)
    yield running
    running.stop()
