"""The Limiter over a store: the cases that only arise when a client leaves at the wrong moment."""

from __future__ import annotations

import asyncio
import threading

from voicewire.auth.limits import Limiter
from voicewire.auth.store import MemoryStore


class SlowStore(MemoryStore):
    """A store whose ``acquire`` waits for a signal, like a slow Redis round trip."""

    def __init__(self) -> None:
        super().__init__()
        self.entered = threading.Event()
        self.go = threading.Event()
        self.taken = threading.Event()

    def acquire(self, key_id: str, pool: str, limit: int, ttl: float) -> str | None:
        self.entered.set()
        self.go.wait(5)
        try:
            return super().acquire(key_id, pool, limit, ttl)
        finally:
            self.taken.set()


def test_a_slot_taken_for_a_client_that_left_meanwhile_goes_back() -> None:
    async def scenario() -> int:
        store = SlowStore()
        key, _ = store.create("k", 1)
        limiter = Limiter(store)
        taking = asyncio.ensure_future(limiter.acquire(key, "synthesis"))
        await asyncio.to_thread(store.entered.wait, 5)
        taking.cancel()  # the client left while the store was taking the slot
        await asyncio.sleep(0)
        store.go.set()
        await asyncio.to_thread(store.taken.wait, 5)
        for _ in range(100):  # the give-back is itself a store call in a thread
            if store.active(key.key_id, "synthesis") == 0:
                break
            await asyncio.sleep(0.01)
        assert taking.cancelled() and limiter.held == 0
        return store.active(key.key_id, "synthesis")

    assert asyncio.run(scenario()) == 0


def test_acquire_and_release() -> None:
    async def scenario() -> tuple[int, int]:
        store = MemoryStore()
        key, _ = store.create("k", 1)
        limiter = Limiter(store)
        lease = await limiter.acquire(key, "synthesis")
        during = store.active(key.key_id, "synthesis")
        await limiter.release(lease)
        await limiter.release(lease)  # idempotent
        return during, store.active(key.key_id, "synthesis")

    assert asyncio.run(scenario()) == (1, 0)
