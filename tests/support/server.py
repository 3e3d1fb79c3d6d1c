"""A real voicewire server for end-to-end tests: ``voicewire serve`` in a subprocess on a free port."""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

KEY_RE = re.compile(r"VOICEWIRE_API_KEY=(vw_\S+)")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Loopback:
    """Something the tests started that listens on ``port`` of 127.0.0.1."""

    port: int

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}"


@dataclass
class RunningServer(Loopback):
    process: subprocess.Popen[bytes]
    port: int
    home: Path
    key: str
    log: Path
    env: dict[str, str] = field(default_factory=dict)

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.key}"}

    def output(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def start_server(home: Path, *args: str, extra_env: dict[str, str] | None = None, wait_ready: bool = True,
                 timeout: float = 120.0, units: int | None = None) -> RunningServer:  # fmt: skip
    """Start ``voicewire serve`` with ``home`` as VOICEWIRE_HOME; returns once it answers (and is ready).

    With ``units``, a key with that many concurrency units is made first (tests that run clients side
    by side need more than the single unit of the key the server prints on an empty home).
    """
    port = free_port()
    # Many tests send wrong keys on purpose from 127.0.0.1: the brute-force brake (tested on its own
    # server with the default limit) is raised so that it does not refuse the tests that follow. Piper's
    # sessions for lone calls (opened beside every start, ~1 s of a core) are left to the tests that
    # ask for them (tests/server/test_run.py), to keep the suite's many starts cheap.
    env = {**os.environ, "VOICEWIRE_HOME": str(home), "VOICEWIRE_WORKERS": "1", "VOICEWIRE_FAILED_AUTH_LIMIT": "1000",
           "VOICEWIRE_LONE_THREADS": "1", **(extra_env or {})}  # fmt: skip
    key = ""
    if units is not None:
        from voicewire.auth.open import open_store

        store = open_store(env.get("VOICEWIRE_STORE", ""), home)
        _, key = store.create("tests", units)
        store.close()
    log = home / f"server-{port}.log"
    home.mkdir(parents=True, exist_ok=True)
    fresh = seed_piper_cache(home)
    with log.open("wb") as out:  # the child keeps its own copy of the descriptor
        process = subprocess.Popen(
            [sys.executable, "-m", "voicewire", "serve", "--port", str(port), *args],
            stdout=out,
            stderr=subprocess.STDOUT,
            env=env,
        )
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"voicewire serve exited with {process.returncode}:\n{log.read_text()}")
        text = log.read_text(encoding="utf-8", errors="replace")
        found = KEY_RE.search(text)
        key = found.group(1) if found else key
        try:
            health = httpx.get(f"http://127.0.0.1:{port}/waves/v1/health", timeout=1.0).json()
            if not wait_ready or health.get("ready"):
                if fresh and health.get("ready"):
                    share_piper_cache(home)
                return RunningServer(process, port, home, key, log, env)
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    process.kill()
    raise RuntimeError(f"voicewire serve did not become ready in {timeout} s:\n{log.read_text()}")


SHARED_PIPER_CACHE = "VOICEWIRE_TEST_PIPER_CACHE"
"""Where this test run keeps the Piper graphs a test server prepared (set by tests/conftest.py)."""


def _shared_piper_cache() -> Path | None:
    folder = os.environ.get(SHARED_PIPER_CACHE)
    return Path(folder) if folder else None


def seed_piper_cache(home: Path) -> bool:
    """Give a home without a cache the Piper graphs that an earlier test server of this run prepared
    (cut graphs, onnxruntime-format sessions, the windows verdict), as hard links. A server on a fresh
    home spends ~3.5 s of a core preparing them, and the suite starts dozens of servers. The engine
    only ever replaces cache files (a temporary file, then a rename), so the links are never written
    through. Returns whether the home had no cache (its server prepares one: ``share_piper_cache``)."""
    if (home / "cache").exists():
        return False
    shared = _shared_piper_cache()
    if shared is None or not shared.is_dir():
        return True
    target = home / "cache" / "piper"
    target.mkdir(parents=True)
    for path in shared.iterdir():
        try:
            os.link(path, target / path.name)
        except OSError:
            shutil.copy2(path, target / path.name)
    return False


def share_piper_cache(home: Path) -> None:
    """Keep the graphs the server on ``home`` prepared for the next test servers of this run (the
    first ready server wins: a folder is renamed into place whole, so a half copy is never seen)."""
    shared = _shared_piper_cache()
    prepared = home / "cache" / "piper"
    if shared is None or shared.exists() or not prepared.is_dir():
        return
    staging = shared.with_name(f".{shared.name}.{os.getpid()}")
    staging.mkdir(parents=True, exist_ok=True)
    for path in prepared.iterdir():
        if path.is_file() and not path.name.startswith("."):
            shutil.copy2(path, staging / path.name)
    try:
        staging.rename(shared)
    except OSError:  # another worker's copy got there first
        shutil.rmtree(staging, ignore_errors=True)
