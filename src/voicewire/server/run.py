"""run: one server process, or N sharing one port, each shutting down gracefully.

On SIGTERM (or Ctrl-C) a process stops accepting connections, refuses new work with 503 / an
``error`` frame, lets turns that are running finish for up to ``drain_timeout`` seconds, closes the
WebSockets that are left with 1001 ("going away"), releases its leases and exits. uvicorn's own
shutdown would close live sockets with 1012 at once, cutting turns in half; ``DrainingServer``
drains first. With ``--workers N`` a small supervisor spawns N processes on one bound socket (each
loads its own engines; keys and limits are shared through the store), forwards SIGTERM to them,
and starts a new one if one dies.

The Wyoming listener (``--wyoming tcp://HOST:PORT``) runs in every server process beside the HTTP
app, on the same runtime and event loop. With ``--workers N`` the supervisor binds its port too and
hands the socket to every worker, as it does the HTTP one: the kernel spreads the connections over
the processes (and so over all their engines), a worker that dies does not take the port down, and
no worker has to be special. The listener's units are shared through the store, so they bound the
port as a whole. ``--wyoming-zeroconf`` is advertised once: by the process, or by the supervisor.
On SIGTERM both listeners stop accepting first, then the runtime drains.
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
from pathlib import Path
from typing import TYPE_CHECKING, Any

import uvicorn

from voicewire.config import Settings
from voicewire.exceptions import ConfigError
from voicewire.runtime.readiness import Readiness
from voicewire.runtime.runtime import Runtime
from voicewire.synthesis.busy import MachineBusy

if TYPE_CHECKING:
    from voicewire.wyoming.listener import WyomingListener

__all__ = ["DrainingServer", "run", "serve", "share_cores", "uvicorn_config"]

logger = logging.getLogger("voicewire.server")


class DrainingServer(uvicorn.Server):
    """uvicorn, but on shutdown the runtime drains before connections are torn down, and is closed
    (leases given back) before uvicorn re-raises the signal that stopped it."""

    def __init__(self, config: uvicorn.Config, runtime: Runtime, listeners: tuple[WyomingListener, ...] = ()) -> None:
        super().__init__(config)
        self.runtime = runtime
        self.listeners = listeners
        """Listeners beside the app (Wyoming): they stop accepting with it and close after the drain."""

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        for server in self.servers:  # stop accepting before anything else
            server.close()
        for sock in sockets or []:
            sock.close()
        for listener in self.listeners:
            listener.stop_accepting()
        await self.runtime.drain()
        for listener in self.listeners:
            await listener.close()
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


async def serve(
    settings: Settings,
    sockets: list[socket.socket] | None = None,
    wyoming_socket: socket.socket | None = None,
    busy: tuple[Path, int] | None = None,
    ready: tuple[Path, int, int] | None = None,
) -> None:
    """One server process: its runtime, and every listener on it, until SIGTERM or Ctrl-C.

    ``wyoming_socket``: the Wyoming port bound by the supervisor (which then also advertises it);
    ``busy``: the file where the supervisor's processes count their running synthesis calls, and
    this process's slot in it; ``ready``: the file where they say that their voices are loaded,
    this process's slot in it and the number of processes.
    """
    from voicewire.server.app import create_app

    _log_to_stderr(settings.log_level)
    runtime = Runtime(settings, busy=MachineBusy(busy), readiness=Readiness(ready))
    await runtime.start()
    listeners: tuple[WyomingListener, ...] = ()
    advertisement = None
    try:
        if settings.wyoming:
            from voicewire.wyoming.listener import WyomingListener

            wyoming = WyomingListener(runtime, settings.wyoming, sock=wyoming_socket)
            listeners = (wyoming,)
            await _start_wyoming(wyoming)
            if settings.wyoming_zeroconf and wyoming_socket is None:
                advertisement = _advertisement(settings, wyoming.bound_port)
                await asyncio.to_thread(advertisement.open)
        await DrainingServer(uvicorn_config(settings, create_app(runtime)), runtime, listeners).serve(sockets)
    finally:
        if advertisement is not None:
            await asyncio.to_thread(advertisement.close)
        for listener in listeners:
            await listener.close()
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


async def _start_wyoming(listener: WyomingListener) -> None:
    try:
        await listener.start()
    except OSError as exc:
        raise ConfigError(f"Cannot listen for Wyoming on {listener.uri}: {exc.strerror or exc}.") from None


def _advertisement(settings: Settings, port: int) -> Any:
    """The zeroconf announcement of the Wyoming listener (checked before anything is started)."""
    from voicewire.config import wyoming_address
    from voicewire.wyoming.zeroconf import Advertisement, advertised_address, default_name

    host, _ = wyoming_address(settings.wyoming)
    return Advertisement(settings.wyoming_zeroconf_name or default_name(), advertised_address(host), port)


def run(settings: Settings) -> None:
    """Serve until SIGTERM or Ctrl-C; blocks."""
    if settings.wyoming_zeroconf:
        if not settings.wyoming:
            raise ConfigError(
                "--wyoming-zeroconf advertises the Wyoming listener: also give --wyoming tcp://HOST:PORT."
            )
        _advertisement(settings, 0)  # a loopback listener cannot be advertised: say so before starting
    if settings.workers <= 1:
        asyncio.run(serve(settings))
        return
    if "VOICEWIRE_SYNTHESIS_WORKERS" not in os.environ:
        settings = share_cores(settings, os.cpu_count() or 1)
    sock = uvicorn_config(settings, None).bind_socket()
    wyoming_socket = None
    if settings.wyoming:
        from voicewire.wyoming.listener import bind_socket

        try:
            wyoming_socket = bind_socket(settings.wyoming)
        except OSError as exc:
            raise ConfigError(f"Cannot listen for Wyoming on {settings.wyoming}: {exc.strerror or exc}.") from None
    _supervise(settings, sock, wyoming_socket)


def _worker(
    settings: Settings, sock: socket.socket, wyoming_socket: socket.socket | None, folder: Path, slot: int
) -> None:
    ready = (folder / "ready", slot, settings.workers)
    asyncio.run(serve(settings, [sock], wyoming_socket, (folder / "synthesis-busy", slot), ready))


def share_cores(settings: Settings, cores: int) -> Settings:
    """One of ``settings.workers`` processes' synthesis settings on ``cores`` cores.

    Each process gets at least two synthesis workers, so that a lone stream's next unit is prepared
    on one while its current unit decodes on the other (measured with one worker per process, the
    old split on two cores: a Piper turn's 120-character second clause was prepared only after its
    first clause was decoded, and its audio ran dry for 0.8 s; with two, no gap over 110 ms), and
    its capacity promises only its share of the cores (``utilization`` scaled down accordingly), so
    the processes together never admit more real-time streams than the machine can keep.
    """
    share = cores / settings.workers
    workers = max(2, int(share))
    return settings.replace(synthesis_workers=workers, utilization=settings.utilization * share / workers)


def _supervise(settings: Settings, sock: socket.socket, wyoming_socket: socket.socket | None = None) -> None:
    # The workers' metrics meet in one folder, so a scrape of any worker reports all of them. It
    # must be set before a worker imports prometheus_client, and it is new for every run.
    with tempfile.TemporaryDirectory(prefix="voicewire-metrics-") as folder:
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = folder
        advertisement = None
        if wyoming_socket is not None and settings.wyoming_zeroconf:
            advertisement = _advertisement(settings, int(wyoming_socket.getsockname()[1]))
            advertisement.open()
        try:
            _run_workers(settings, sock, wyoming_socket, Path(folder))
        finally:
            if advertisement is not None:
                advertisement.close()


def _run_workers(settings: Settings, sock: socket.socket, wyoming_socket: socket.socket | None, folder: Path) -> None:
    """Start ``settings.workers`` processes, start again any that exits, stop them all on a signal.
    They share ``folder``: their metrics, their count of running synthesis calls, their readiness."""
    from prometheus_client import multiprocess as prometheus_multiprocess

    context = multiprocessing.get_context("spawn")
    stopping: list[int] = []

    def on_signal(signum: int, frame: object) -> None:
        stopping.append(signum)

    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, on_signal)

    def start(slot: int) -> Any:
        process = context.Process(target=_worker, args=(settings, sock, wyoming_socket, folder, slot),
                                  daemon=False)  # fmt: skip
        process.start()
        return process

    processes = [start(slot) for slot in range(settings.workers)]
    logger.info("= %d worker processes on %s:%d", settings.workers, settings.host, settings.port)
    while not stopping:
        time.sleep(0.2)
        for i, process in enumerate(processes):
            if not process.is_alive() and not stopping:
                logger.warning("! worker %d exited with %s; starting a new one", process.pid, process.exitcode)
                prometheus_multiprocess.mark_process_dead(process.pid)  # type: ignore[no-untyped-call]
                processes[i] = start(i)
    for process in processes:
        if process.is_alive() and process.pid is not None:
            os.kill(process.pid, signal.SIGTERM)
    # The workers close their copies of the listening socket as they start draining; ours must go
    # too, or the kernel keeps accepting connections that nobody will ever serve.
    sock.close()
    if wyoming_socket is not None:
        wyoming_socket.close()
    deadline = time.monotonic() + settings.drain_timeout + 15
    for process in processes:
        process.join(max(0.0, deadline - time.monotonic()))
        if process.is_alive():
            process.kill()
            process.join()
