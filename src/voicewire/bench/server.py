"""A throwaway server for benchmarks: ``voicewire serve`` in a subprocess with a temporary home."""

from __future__ import annotations

import contextlib
import json
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

__all__ = ["BenchServer", "rss_mb", "spawn_server"]


@dataclass(frozen=True)
class BenchServer:
    url: str
    key: str
    pid: int


def rss_mb(pid: int) -> dict[str, float]:
    """Resident memory of a server (its worker processes included), and its peak, from /proc."""
    pids = [pid]
    children = Path(f"/proc/{pid}/task/{pid}/children")
    if children.exists():
        pids += [int(p) for p in children.read_text().split()]
    current = peak = 0.0
    for one in pids:
        try:
            for line in Path(f"/proc/{one}/status").read_text().splitlines():
                name, _, rest = line.partition(":")
                if name == "VmRSS":
                    current += int(rest.split()[0]) / 1024
                elif name == "VmHWM":
                    peak += int(rest.split()[0]) / 1024
        except OSError:
            continue
    return {"rss_mb": round(current, 1), "peak_rss_mb": round(peak, 1)}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def spawn_server(
    args: Sequence[str] = (), env: dict[str, str] | None = None, units: int | None = None
) -> Iterator[BenchServer]:
    """Start a server, wait until its voices are loaded, yield it, stop it.

    With ``units``, the server's key gets that many concurrency units (load benchmarks need many).
    """
    with tempfile.TemporaryDirectory(prefix="voicewire-bench-") as home:
        port = _free_port()
        made = ""
        if units is not None:
            from voicewire.auth.open import open_store

            store = open_store((env or {}).get("VOICEWIRE_STORE", ""), Path(home))
            _, made = store.create("bench", units)
            store.close()
        log = Path(home) / "server.log"
        with log.open("wb") as out:
            process = subprocess.Popen(
                [sys.executable, "-m", "voicewire", "serve", "--port", str(port), "--log-level", "warning", *args],
                stdout=out,
                stderr=subprocess.STDOUT,
                env={**os.environ, "VOICEWIRE_HOME": home, **(env or {})},
            )
            try:
                url = f"http://127.0.0.1:{port}"
                key = _wait_ready(process, url, log, need_key=not made) or made
                yield BenchServer(url, key, process.pid)
            finally:
                process.terminate()
                process.wait(timeout=30)


def _wait_ready(
    process: subprocess.Popen[bytes], url: str, log: Path, *, need_key: bool, timeout: float = 120.0
) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited:\n{log.read_text()}")
        try:
            with urllib.request.urlopen(url + "/waves/v1/health", timeout=1) as r:
                if json.load(r).get("ready"):
                    found = re.search(r"VOICEWIRE_API_KEY=(vw_\S+)", log.read_text())
                    if found or not need_key:
                        return found.group(1) if found else ""
        except OSError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"the server was not ready in {timeout} s:\n{log.read_text()}")
