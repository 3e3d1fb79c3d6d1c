"""Admission: the one way any request, stream or turn gets to synthesize, on every listener.

``async with admission.turn(key, voice, ...) as grant:`` checks that the key still stands (a
revoked key is refused at the next turn of a long-lived socket), refuses while the server drains,
takes one of the key's synthesis units (a lease in the shared store) and one stream of the
server's measured capacity, and on exit gives both back exactly once, however the work ended,
then records the key's usage and writes the access-log line. Work whose end is not lexical (a
streamed HTTP body, a WebSocket turn that ends when its last frame goes out) uses ``admit`` and
``Grant.release`` directly, the same code underneath.

``connection(key)`` is the same for a long-lived socket's slot (five per unit).

Capacity (``synthesis.capacity``) guards real-time streams: one more stream than the workers can keep
in real time would make every stream stutter, so a live turn is refused at once (429 / ``server_busy``).
A request nobody plays in real time (a sync body, an OpenAI file, a Wyoming one-shot) may instead
wait its turn for up to ``wait`` seconds, first come first served, woken as tickets come back; only
then is it refused.

A listener without keys (Wyoming) admits against its own owner (``listener_owner``): a key record
that lives only in this process, never in the store's key table (so it cannot be presented, listed
or revoked, and it does not count as "a key exists"), whose units bound the listener's turns and
connections through the same leases, capacity tickets, usage records and access log as any key.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import deque
from collections.abc import AsyncIterator, Callable
from typing import Any, TypeVar

from voicewire import metrics
from voicewire.auth.keys import ApiKey
from voicewire.auth.limits import Lease, Limiter
from voicewire.auth.store import Store
from voicewire.engines.catalog import ResolvedVoice
from voicewire.exceptions import ServerBusy, ShuttingDown, StoreError
from voicewire.runtime.keys import KeyChecker
from voicewire.synthesis.capacity import Capacity, Ticket

__all__ = ["DRAINING", "Admission", "Grant", "WaitingLine"]

logger = logging.getLogger("voicewire.admission")

DRAINING = "The server is shutting down; retry (another replica will take it), or reconnect to go on."

T = TypeVar("T")


class WaitingLine:
    """Requests waiting for something that frees up (capacity), served first come first served.

    Only the head of the line tries; it is woken by ``wake`` (something was given back) and, once
    it has what it wanted or gave up, wakes the next one.
    """

    def __init__(self) -> None:
        self._waiting: deque[asyncio.Event] = deque()

    def __len__(self) -> int:
        return len(self._waiting)

    async def take(self, attempt: Callable[[], T | None], wait: float) -> T | None:
        """``attempt()``'s first result that is not None, trying now and then each time the line is
        woken with this request at its head, for up to ``wait`` seconds; None if it never came."""
        if not self._waiting:  # nobody ahead: no need to queue
            got = attempt()
            if got is not None or wait <= 0:
                return got
        elif wait <= 0:
            return None
        loop = asyncio.get_running_loop()
        deadline = loop.time() + wait
        me = asyncio.Event()
        self._waiting.append(me)
        try:
            while True:
                if self._waiting[0] is me:
                    got = attempt()
                    if got is not None:
                        return got
                me.clear()
                left = deadline - loop.time()
                if left <= 0:
                    return None
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(left):
                        await me.wait()
        finally:
            self._waiting.remove(me)
            self.wake()

    def wake(self) -> None:
        """Something was given back: the head of the line tries again."""
        if self._waiting:
            self._waiting[0].set()


class Grant:
    """One admitted request or turn: its key's unit and its share of capacity, until ``release``.

    The holder counts what the work made (``characters``, ``seconds``, ``first_audio``) and sets
    ``outcome`` before releasing; both go into the key's usage and the access log.
    """

    def __init__(
        self,
        admission: Admission,
        key: ApiKey,
        lease: Lease | None,
        ticket: Ticket | None,
        engine: str,
        log: dict[str, Any],
    ) -> None:
        self.admission = admission
        self.key = key
        self.lease = lease
        self.ticket = ticket
        self.engine = engine
        self.log = log
        self.characters = 0
        self.seconds = 0.0
        self.first_audio: float | None = None
        self.outcome: str | int = "closed"
        """What the access log says of the end: an HTTP status, or complete / error / closed."""
        self.started = time.monotonic()
        self._released: asyncio.Future[None] | None = None

    async def release(self, outcome: str | int | None = None) -> None:
        """Give the unit and the capacity back, record usage, log the line: once, however often called.

        Shielded: a client that disconnects meanwhile cancels the caller, not the release.
        """
        if outcome is not None and self._released is None:
            self.outcome = outcome
        if self._released is None:
            self._released = asyncio.ensure_future(self._release())
        await asyncio.shield(self._released)

    async def _release(self) -> None:
        a = self.admission
        a.capacity.release(self.ticket)
        a.waiting.wake()
        await a.limiter.release(self.lease)
        metrics.ACTIVE.labels(self.log.get("kind", "request"), self.engine).dec()
        metrics.access_log(
            **{k: v for k, v in self.log.items() if k != "kind"},
            key=self.key.name,
            key_id=self.key.key_id,
            characters=self.characters,
            audio_seconds=round(self.seconds, 3),
            first_audio_ms=None if self.first_audio is None else round(self.first_audio * 1000, 1),
            status=self.outcome,
        )
        await a.record_usage(self.key, self.characters, self.seconds)


class Admission:
    def __init__(
        self,
        *,
        keys: KeyChecker,
        limiter: Limiter,
        capacity: Capacity,
        store: Store,
        draining: Callable[[], bool],
        capacity_check: bool = True,
    ) -> None:
        self.keys = keys
        self.limiter = limiter
        self.capacity = capacity
        self.store = store
        self._draining = draining
        self._capacity_check = capacity_check
        self._owners: dict[str, ApiKey] = {}
        self.waiting = WaitingLine()
        """Batch requests waiting for capacity."""

    def listener_owner(self, key_id: str, name: str, units: int) -> ApiKey:
        """The key record a listener without keys admits against (see the module docstring).

        ``key_id`` must not be a possible key id of the store (those are 8 lower-case letters and
        digits): include a character they never have, such as ``@``.
        """
        owner = ApiKey(key_id=key_id, name=name, units=units, created_at=time.time())
        self._owners[key_id] = owner
        return owner

    def refuse_while_draining(self) -> None:
        if self._draining():
            raise ShuttingDown(DRAINING)

    async def admit(self, key: ApiKey, voice: ResolvedVoice, *, log: dict[str, Any], wait: float = 0.0) -> Grant:
        """A grant for one request or turn in ``voice``; the caller must ``release`` it.

        ``log`` holds the access-log fields of the dialect (``event``, ``endpoint``, ``request_id``,
        ...); its ``kind`` labels the active-streams gauge. ``wait``: seconds a request that nobody
        plays in real time may wait in line for capacity (0 for a live stream: refused at once).

        Raises:
            AuthenticationError: the key was revoked.
            ShuttingDown: the server is draining.
            LimitExceeded: the key's units are all in use.
            ServerBusy: one more real-time stream would make every stream stutter (and stayed so
                for ``wait`` seconds).
            StoreError: the store cannot be reached (the server fails closed).
        """
        if key.key_id not in self._owners:  # a listener's own owner is in no store to recheck
            await self.keys.recheck(key)
        self.refuse_while_draining()
        lease = await self.limiter.acquire(key, "synthesis")
        try:
            ticket = await self._ticket(voice, wait)
        except BaseException:
            await self.limiter.release(lease)
            raise
        metrics.ACTIVE.labels(log.get("kind", "request"), voice.engine.name).inc()
        return Grant(self, key, lease, ticket, voice.engine.name, log)

    @contextlib.asynccontextmanager
    async def turn(
        self, key: ApiKey, voice: ResolvedVoice, *, log: dict[str, Any], wait: float = 0.0
    ) -> AsyncIterator[Grant]:
        """``admit`` and ``release`` around a block of work."""
        grant = await self.admit(key, voice, log=log, wait=wait)
        try:
            yield grant
        finally:
            await grant.release()

    @contextlib.asynccontextmanager
    async def connection(self, key: ApiKey) -> AsyncIterator[Lease]:
        """One of the key's socket slots for a long-lived connection.

        Raises:
            ShuttingDown, LimitExceeded, StoreError: as ``admit``.
        """
        self.refuse_while_draining()
        lease = await self.limiter.acquire(key, "socket")
        try:
            yield lease
        finally:
            await self.limiter.release(lease)

    async def _ticket(self, voice: ResolvedVoice, wait: float) -> Ticket | None:
        """Room for one more real-time stream on ``voice``'s engine (within ``wait`` seconds), or
        ServerBusy (429)."""
        if not self._capacity_check:
            return None
        engine = voice.engine.name
        ticket = await self.waiting.take(lambda: self.capacity.try_admit(engine), wait)
        if ticket is None:
            waited = f" for {wait:g} s" if wait > 0 else ""
            raise ServerBusy(
                f"The server is at capacity ({self.capacity.streams} streams are being synthesized{waited}); "
                "retry in a moment or on another replica."
            )
        return ticket

    async def record_usage(self, key: ApiKey, characters: int, seconds: float) -> None:
        """Add a finished request or turn to its key's usage; a store outage costs the record, not the work."""
        try:
            await asyncio.to_thread(self.store.record_usage, key.key_id, characters, seconds)
        except StoreError as exc:
            logger.warning("! usage of key %s not recorded: %s", key.key_id, exc)
