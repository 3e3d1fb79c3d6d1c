"""Runtime: everything a listener needs, built once per process from Settings, outside any framework.

``voicewire serve`` builds one and starts it, then hands it to each listener of the process (the
HTTP/WebSocket app, the Wyoming TCP listener): the same keys, limits, voices, synthesis pool,
metrics and drain list for all of them.

Draining (between "stop" and exit): ``drain`` marks the runtime draining (new requests and turns
are refused with 503 / an ``error`` frame), asks every long-lived connection to close once its
running turn is over, waits for them up to ``drain_timeout``, then closes the rest at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from typing import Protocol

from voicewire import metrics
from voicewire.auth.limits import Limiter
from voicewire.auth.store import Store
from voicewire.config import Settings
from voicewire.engines.catalog import Catalog
from voicewire.runtime.admission import Admission
from voicewire.runtime.keys import KeyChecker
from voicewire.runtime.lexicons import Lexicons
from voicewire.runtime.readiness import Readiness
from voicewire.runtime.voice_reload import reload_voices_forever
from voicewire.synthesis.busy import MachineBusy
from voicewire.synthesis.pool import SynthesisPool

__all__ = ["Connection", "Runtime"]

logger = logging.getLogger("voicewire.runtime")


class Connection(Protocol):
    """A long-lived connection (a WebSocket, a Wyoming client) that draining must reach."""

    def drain(self) -> None:
        """Refuse new turns; close (1001 on a WebSocket) once the running turn is over."""

    def close_now(self) -> None:
        """Close at once, cancelling synthesis."""


class Runtime:
    def __init__(
        self,
        settings: Settings,
        *,
        catalog: Catalog | None = None,
        store: Store | None = None,
        busy: MachineBusy | None = None,
        readiness: Readiness | None = None,
    ) -> None:
        """Builds the services (cheap: engines load their voices lazily, or in ``start``).

        ``catalog`` and ``store`` default to the real engines and the configured store; ``busy``
        (the running synthesis calls the server's processes share) to this process's own count, and
        ``readiness`` (whether the server's processes have loaded their voices) to this process's own.
        """
        from voicewire.auth.open import open_store
        from voicewire.engines.registry import build_catalog

        self.settings = settings
        self.catalog = catalog if catalog is not None else build_catalog(settings)
        self.store = store if store is not None else open_store(settings.store, settings.home)
        self.pool = SynthesisPool(
            settings.synthesis_workers, policy=settings.scheduler, utilization=settings.utilization, busy=busy
        )
        self.keys = KeyChecker(self.store, ttl=settings.key_cache_ttl, failed_auth_limit=settings.failed_auth_limit)
        self.lexicons = Lexicons(self.store)
        self.limiter = Limiter(self.store, ttl=settings.lease_ttl)
        self.admission = Admission(
            keys=self.keys,
            limiter=self.limiter,
            capacity=self.pool.capacity,
            store=self.store,
            draining=lambda: self.draining,
            capacity_check=settings.admission,
        )
        self.readiness = readiness if readiness is not None else Readiness()
        self.draining = False
        """True once a shutdown began: new work is refused, running turns finish."""
        self.connections: set[Connection] = set()
        self._tasks: list[asyncio.Task[None]] = []
        self._started = False
        self._closed = False

    @property
    def ready(self) -> bool:
        """True once the preloaded voices are loaded, in this process and the server's others."""
        return self.readiness.ready

    @property
    def started(self) -> bool:
        return self._started

    async def start(self) -> None:
        """Preload voices (in the background), keep leases alive, sample the event loop. Idempotent."""
        if self._started:
            return
        self._started = True
        self._tasks = [
            asyncio.ensure_future(self._preload()),
            asyncio.ensure_future(self.limiter.renew_forever()),
            asyncio.ensure_future(metrics.sample_event_loop()),
            asyncio.ensure_future(reload_voices_forever(self.catalog, self.settings.voices_dir)),
        ]

    async def close(self) -> None:
        """Stop the background work, give back every lease, stop the workers, close the store."""
        if self._closed:
            return
        self._closed = True
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        await self.limiter.close()
        self.pool.close()
        self.store.close()
        self.readiness.close()

    async def _preload(self) -> None:
        """Load the configured voices on worker threads, so first requests do not pay for it. They
        load side by side, one per worker: most of a load is onnxruntime building a session on one
        core, so a process with two workers is ready in the time of its slowest voice, not the sum."""

        async def preload(voice_id: str) -> None:
            try:
                await self.pool.load(self.catalog.resolve(voice_id), warm=True)
            except Exception as exc:  # a voice that cannot load must not stop the server
                logger.warning("! could not preload voice %r: %s", voice_id, exc)

        await asyncio.gather(*(preload(voice_id) for voice_id in self.settings.preload))
        logger.info("= voices loaded: %s", ", ".join(self.settings.preload))
        metrics.READY.set(1)
        self.readiness.mark(True)  # last: a probe that finds the server ready finds the line logged

    # -- draining ------------------------------------------------------------------------------------
    async def drain(self, timeout: float | None = None) -> None:
        """Refuse new work, let running turns finish (up to ``timeout``, by default the settings'
        ``drain_timeout``), then close the rest."""
        self.draining = True
        for connection in list(self.connections):
            connection.drain()
        deadline = time.monotonic() + (self.settings.drain_timeout if timeout is None else timeout)
        while self.connections and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        for connection in list(self.connections):
            connection.close_now()
        # Let closing sockets send their close frames before the server tears connections down.
        end = time.monotonic() + 2.0
        while self.connections and time.monotonic() < end:
            await asyncio.sleep(0.02)
