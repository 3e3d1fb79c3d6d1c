"""Draining: what a process does between "stop" and exiting.

Each app registers its ``Services`` while it runs. ``drain_all`` marks them draining (new requests
and new turns are refused with 503 / an ``error`` frame), asks every live WebSocket to close with
1001 once its running turn is over, and waits for them up to ``drain_timeout``; sockets still open
then are closed with 1001 at once.
"""

from __future__ import annotations

import asyncio
import time
import weakref
from typing import Protocol

__all__ = ["Drainable", "drain_all", "register"]


class Drainable(Protocol):
    draining: bool

    def live_connections(self) -> int: ...

    def begin_drain(self) -> None: ...

    def close_all(self) -> None: ...

    @property
    def drain_timeout(self) -> float: ...


_running: weakref.WeakSet[Drainable] = weakref.WeakSet()


def register(services: Drainable) -> None:
    _running.add(services)


async def drain_all() -> None:
    targets = list(_running)
    if not targets:
        return
    for services in targets:
        services.begin_drain()
    deadline = time.monotonic() + max(s.drain_timeout for s in targets)
    while any(s.live_connections() for s in targets) and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
    for services in targets:
        services.close_all()
    # Let closing sockets send their close frames before the server tears connections down.
    end = time.monotonic() + 2.0
    while any(s.live_connections() for s in targets) and time.monotonic() < end:
        await asyncio.sleep(0.02)
