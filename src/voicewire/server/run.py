"""run: one server process, or N sharing one port, each shutting down gracefully.

On SIGTERM (or Ctrl-C) a process stops accepting connections, refuses new work with 503 / an
``error`` frame, lets turns that are running finish for up to ``drain_timeout`` seconds, closes the
WebSockets that are left with 1001 ("going away"), releases its leases and exits. uvicorn's own
shutdown would close live sockets with 1012 at once, cutting turns in half; ``DrainingServer``
drains first. With ``--workers N`` a small supervisor spawns N processes on one bound socket (each
loads its own engines; keys and limits are shared through the store), forwards SIGTERM to them,
and starts a new one if one dies.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import os
import signal
import socket
import tempfile
import time
from typing import Any

import uvicorn

from voicewire.config import Settings
from voicewire.runtime.runtime import Runtime

__all__ = ["DrainingServer", "run", "serve", "uvicorn_config"]

logger = logging.getLogger("voicewire.server")


class DrainingServer(uvicorn.Server):
    """uvicorn, but on shutdown the runtime drains before connections are torn down, and is closed
    (leases given back) before uvicorn re-raises the signal that stopped it."""

    def __init__(self, config: uvicorn.Config, runtime: Runtime) -> None:
        super().__init__(config)
        self.runtime = runtime

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        for server in self.servers:  # stop accepting before anything else
            server.close()
        for sock in sockets or []:
            sock.close()
        await self.runtime.drain()
        await super().shutdown(sockets)
        await self.runtime.close()


def uvicorn_config(settings: Settings, app: Any) -> uvicorn.Config:
    return uvicorn.Config(
        app,
        host=settings.host,
        port=settings.port,
        log_level=settings.log_level,
        ws_max_size=4 << 20,
        ws_per_message_deflate=settings.ws_deflate,
        ws_ping_interval=20.0,
        ws_ping_timeout=20.0,
        proxy_headers=True,
        forwarded_allow_ips=list(settings.forwarded_allow_ips),
        timeout_graceful_shutdown=int(settings.drain_timeout) + 5,
    )


async def serve(settings: Settings, sockets: list[socket.socket] | None = None) -> None:
    """One server process: its runtime, and every listener on it, until SIGTERM or Ctrl-C."""
    from voicewire.server.app import create_app

    _log_to_stderr(settings.log_level)
    runtime = Runtime(settings)
    await runtime.start()
    try:
        await DrainingServer(uvicorn_config(settings, create_app(runtime)), runtime).serve(sockets)
    finally:
        await runtime.close()


def _log_to_stderr(level: str) -> None:
    """voicewire's own log lines (the access log's JSON lines among them) on stderr, beside uvicorn's."""
    root = logging.getLogger("voicewire")
    if root.handlers:
        return
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(message)s"))
    root.addHandler(handler)
    root.setLevel(level.upper())
    root.propagate = False


def run(settings: Settings) -> None:
    """Serve until SIGTERM or Ctrl-C; blocks."""
    if settings.workers <= 1:
        asyncio.run(serve(settings))
        return
    if "VOICEWIRE_SYNTHESIS_WORKERS" not in os.environ:
        # N processes share the cores: each gets its share of synthesis threads.
        settings = settings.replace(synthesis_workers=max(1, (os.cpu_count() or 1) // settings.workers))
    sock = uvicorn_config(settings, None).bind_socket()
    _supervise(settings, sock)


def _worker(settings: Settings, sock: socket.socket) -> None:
    asyncio.run(serve(settings, [sock]))


def _supervise(settings: Settings, sock: socket.socket) -> None:
    # The workers' metrics meet in one folder, so a scrape of any worker reports all of them. It
    # must be set before a worker imports prometheus_client, and it is new for every run.
    with tempfile.TemporaryDirectory(prefix="voicewire-metrics-") as folder:
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = folder
        _run_workers(settings, sock)


def _run_workers(settings: Settings, sock: socket.socket) -> None:
    from prometheus_client import multiprocess as prometheus_multiprocess

    context = multiprocessing.get_context("spawn")
    stopping: list[int] = []

    def on_signal(signum: int, frame: object) -> None:
        stopping.append(signum)

    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, on_signal)

    def start() -> Any:
        process = context.Process(target=_worker, args=(settings, sock), daemon=False)
        process.start()
        return process

    processes = [start() for _ in range(settings.workers)]
    logger.info("= %d worker processes on %s:%d", settings.workers, settings.host, settings.port)
    while not stopping:
        time.sleep(0.2)
        for i, process in enumerate(processes):
            if not process.is_alive() and not stopping:
                logger.warning("! worker %d exited with %s; starting a new one", process.pid, process.exitcode)
                prometheus_multiprocess.mark_process_dead(process.pid)  # type: ignore[no-untyped-call]
                processes[i] = start()
    for process in processes:
        if process.is_alive() and process.pid is not None:
            os.kill(process.pid, signal.SIGTERM)
    # The workers close their copies of the listening socket as they start draining; ours must go
    # too, or the kernel keeps accepting connections that nobody will ever serve.
    sock.close()
    deadline = time.monotonic() + settings.drain_timeout + 15
    for process in processes:
        process.join(max(0.0, deadline - time.monotonic()))
        if process.is_alive():
            process.kill()
            process.join()
