"""Limiter: a key's concurrency units, held as leases in the shared store.

One unit is one active synthesis (a sync request, an SSE stream, a WebSocket turn being
synthesized) plus up to five open WebSocket connections. A lease is renewed every third of its ttl
while its work runs, so the slots of a process that crashes come free within the ttl. A renewal that
finds its lease expired (the store was unreachable for longer) puts it back: the work still runs.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass

from voicewire.auth.keys import ApiKey
from voicewire.auth.store import Store
from voicewire.exceptions import LimitExceeded, StoreError

__all__ = ["POOLS", "Lease", "Limiter"]

logger = logging.getLogger("voicewire.limits")

POOLS = {"synthesis": 1, "socket": 5}
"""Slots of each pool per concurrency unit."""


@dataclass(frozen=True)
class Lease:
    lease_id: str
    key: ApiKey
    pool: str


class Limiter:
    def __init__(self, store: Store, *, ttl: float = 30.0) -> None:
        self.store = store
        self.ttl = ttl
        self._held: dict[str, Lease] = {}
        self._orphans: set[asyncio.Future[None]] = set()
        """Releases of slots taken for clients that had left; kept so they are not collected early."""

    @property
    def held(self) -> int:
        return len(self._held)

    async def acquire(self, key: ApiKey, pool: str) -> Lease:
        """A slot of ``pool`` for ``key``.

        Raises:
            LimitExceeded: every slot is in use (429 / an error frame, ``Retry-After`` 1 s).
            StoreError: the store cannot be reached (503): the server fails closed.
        """
        limit = key.units * POOLS[pool]
        taking = asyncio.ensure_future(asyncio.to_thread(self.store.acquire, key.key_id, pool, limit, self.ttl))
        try:
            lease_id = await asyncio.shield(taking)
        except asyncio.CancelledError:
            # The client left while the store was taking the slot: the thread still finishes, and
            # the slot it takes must go straight back, or the key would be a unit short for a ttl.
            taking.add_done_callback(self._give_back_orphan)
            raise
        if lease_id is None:
            raise LimitExceeded(_full_message(key, pool, limit), retry_after=1.0)
        lease = Lease(lease_id, key, pool)
        self._held[lease_id] = lease
        return lease

    async def release(self, lease: Lease | None) -> None:
        """Give a slot back (idempotent). If the store is unreachable the lease lapses after its ttl."""
        if lease is None or self._held.pop(lease.lease_id, None) is None:
            return
        try:
            await asyncio.to_thread(self.store.release, [lease.lease_id])
        except StoreError as exc:
            logger.warning("! lease %s not released now (%s); it expires in %.0f s", lease.pool, exc, self.ttl)

    def _give_back_orphan(self, taking: asyncio.Future[str | None]) -> None:
        if taking.cancelled() or taking.exception() is not None:
            return
        lease_id = taking.result()
        if lease_id is None:
            return
        release = asyncio.ensure_future(asyncio.to_thread(self.store.release, [lease_id]))
        self._orphans.add(release)
        release.add_done_callback(self._orphans.discard)

    async def renew_forever(self) -> None:
        """Keep held leases alive; run as a background task for the life of the process."""
        while True:
            await asyncio.sleep(self.ttl / 3)
            while self._held:
                try:
                    await asyncio.to_thread(self.store.renew, list(self._held), self.ttl)
                    break
                except StoreError as exc:  # retry soon: the sooner leases are back, the less over-admission
                    logger.warning("! lease renewal failed: %s", exc)
                    await asyncio.sleep(min(1.0, self.ttl / 10))

    async def close(self) -> None:
        """Release every lease this process holds (shutdown)."""
        leases, self._held = list(self._held), {}
        if leases:
            try:
                await asyncio.to_thread(self.store.release, leases)
            except StoreError as exc:
                logger.warning("! %d leases not released at shutdown (%s); they expire by themselves", len(leases), exc)


def _full_message(key: ApiKey, pool: str, limit: int) -> str:
    what = "active syntheses" if pool == "synthesis" else "open WebSocket connections (5 per unit)"
    return (
        f"Key {key.name!r} ({key.key_id}) has {key.units} concurrency unit{'s' if key.units != 1 else ''}: "
        f"all {limit} {what} are in use. Retry shortly, or use a key with more units "
        "(voicewire keys create --units N)."
    )
