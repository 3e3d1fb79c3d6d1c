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
from voicewire.server.drain import drain_all

__all__ = ["DrainingServer", "app_from_env", "run"]

logger = logging.getLogger("voicewire.server")


def app_from_env() -> Any:
    """The app of a worker process, from the ``VOICEWIRE_*`` environment its parent set."""
    from voicewire.server.app import create_app

    return create_app(Settings.from_env())


class DrainingServer(uvicorn.Server):
    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        for server in self.servers:  # stop accepting before anything else
            server.close()
        for sock in sockets or []:
            sock.close()
        await drain_all()
        await super().shutdown(sockets)


def run(settings: Settings) -> None:
    """Serve until SIGTERM or Ctrl-C; blocks."""
    _export(settings)
    config = uvicorn.Config(
        "voicewire.server.run:app_from_env",
        factory=True,
        host=settings.host,
        port=settings.port,
        log_level=settings.log_level,
        ws_max_size=4 << 20,
        ws_per_message_deflate=settings.ws_deflate,
        ws_ping_interval=20.0,
        ws_ping_timeout=20.0,
        timeout_graceful_shutdown=int(settings.drain_timeout) + 5,
    )
    if settings.workers <= 1:
        DrainingServer(config).run()
        return
    _supervise(config, config.bind_socket(), settings.workers)


def _export(settings: Settings) -> None:
    """Settings travel to worker processes (and to this one's app factory) through the environment."""
    values = {
        "HOME": str(settings.home),
        "HOST": settings.host,
        "PORT": str(settings.port),
        "MAX_TEXT_CHARS": str(settings.max_text_chars),
        "IDLE_TIMEOUT": repr(settings.idle_timeout),
        "THREADS": str(settings.threads),
        "PRELOAD": ",".join(settings.preload),
        "LOG_LEVEL": settings.log_level,
        "STORE": settings.store,
        "LEASE_TTL": repr(settings.lease_ttl),
        "DRAIN_TIMEOUT": repr(settings.drain_timeout),
        "ALIASES": ",".join(f"{k}={v}" for k, v in settings.aliases.items()),
        "WORKERS": str(settings.workers),
        "SCHEDULER": settings.scheduler,
        "ADMISSION": "true" if settings.admission else "false",
        "UTILIZATION": repr(settings.utilization),
        "WS_DEFLATE": "true" if settings.ws_deflate else "false",
    }
    if "VOICEWIRE_SYNTHESIS_WORKERS" not in os.environ:
        # N processes share the cores: each gets its share of synthesis threads.
        values["SYNTHESIS_WORKERS"] = str(max(1, (os.cpu_count() or 1) // max(1, settings.workers)))
    for name, value in values.items():
        os.environ["VOICEWIRE_" + name] = value


def _worker(config: uvicorn.Config, sock: socket.socket) -> None:
    DrainingServer(config).run(sockets=[sock])


def _supervise(config: uvicorn.Config, sock: socket.socket, count: int) -> None:
    # The workers' metrics meet in one folder, so a scrape of any worker reports all of them. It
    # must be set before a worker imports prometheus_client, and it is new for every run.
    with tempfile.TemporaryDirectory(prefix="voicewire-metrics-") as folder:
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = folder
        _run_workers(config, sock, count)


def _run_workers(config: uvicorn.Config, sock: socket.socket, count: int) -> None:
    from prometheus_client import multiprocess as prometheus_multiprocess

    context = multiprocessing.get_context("spawn")
    stopping: list[int] = []

    def on_signal(signum: int, frame: object) -> None:
        stopping.append(signum)

    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, on_signal)

    def start() -> Any:
        process = context.Process(target=_worker, args=(config, sock), daemon=False)
        process.start()
        return process

    processes = [start() for _ in range(count)]
    logger.info("= %d worker processes on %s:%d", count, config.host, config.port)
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
    deadline = time.monotonic() + config.timeout_graceful_shutdown + 10 if config.timeout_graceful_shutdown else 60
    for process in processes:
        process.join(max(0.0, deadline - time.monotonic()))
        if process.is_alive():
            process.kill()
            process.join()
