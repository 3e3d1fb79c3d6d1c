"""Scheduler: blocking engine calls on worker threads, earliest deadline first.

A live stream needs its next unit before its listener runs out of audio; a new turn needs its
first unit at once. So every call carries a deadline: for a turn's first unit, the moment it was
asked for; for a later unit, the moment the stream's buffered audio runs out. Workers always take
the queued call with the earliest deadline, so a new turn's first unit overtakes units of streams
that have seconds of audio in hand, and a stream far ahead of its playback waits while others are
short. The ``fifo`` policy (the baseline the benchmark compares against) runs calls in the order
they came. A call whose awaiting task is cancelled (its client left) is dropped if it has not
started; one already running finishes and its result is discarded.

A worker that has had nothing to run for ``IDLE_S``, while no other worker runs anything, calls
``on_idle`` once (the pool gives freed memory back to the system then, not between calls, where the
next call would take it again).

The scheduler also measures what synthesis costs (seconds of compute per second of audio, per
engine), which admission control turns into a capacity, and counts the calls running on the machine
(``voicewire.synthesis.busy``): a call that starts alone may use every core.
"""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import itertools
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from voicewire.engines.onnx import with_all_cores
from voicewire.synthesis.busy import MachineBusy

__all__ = ["POLICIES", "Scheduler"]

T = TypeVar("T")
POLICIES = ("deadline", "fifo")
IDLE_S = 1.0
"""Seconds without a call after which a worker counts as idle."""


@dataclass(order=True)
class _Call(Generic[T]):
    key: tuple[float, int]
    fn: Callable[[], T] = field(compare=False)
    loop: asyncio.AbstractEventLoop = field(compare=False)
    future: asyncio.Future[T] = field(compare=False)
    queued_at: float = field(compare=False, default=0.0)
    cancelled: bool = field(compare=False, default=False)


class Scheduler:
    def __init__(
        self,
        workers: int,
        *,
        policy: str = "deadline",
        on_start: Callable[[float], None] | None = None,
        busy: MachineBusy | None = None,
        on_idle: Callable[[], None] | None = None,
        idle_s: float = IDLE_S,
    ) -> None:
        """``busy``: the machine's count of running calls (default: this scheduler's own).
        ``on_idle``: called on a worker once the pool has had no call for ``idle_s``, then not again
        until that worker has run a call."""
        if policy not in POLICIES:
            raise ValueError(f"policy {policy!r}: use one of {', '.join(POLICIES)}")
        self.workers = workers
        self.policy = policy
        self.machine = busy if busy is not None else MachineBusy()
        self._on_start = on_start  # called with each call's seconds in the queue
        self._on_idle = on_idle
        self._idle_s = idle_s
        self._queue: list[_Call[Any]] = []
        self._ready = threading.Condition()
        self._order = itertools.count()
        self._closed = False
        self.busy = 0
        """Workers running a call right now."""
        self.waited: list[float] = []
        """Seconds calls spent queued (the last 1000), for metrics."""
        self._threads = [
            threading.Thread(target=self._work, name=f"voicewire-synth-{i}", daemon=True) for i in range(workers)
        ]
        for thread in self._threads:
            thread.start()

    @property
    def queued(self) -> int:
        return len(self._queue)

    async def run(self, fn: Callable[[], T], *, deadline: float) -> T:
        """Run ``fn`` on a worker; ``deadline`` is a ``time.monotonic()`` instant (ignored by fifo)."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[T] = loop.create_future()
        order = next(self._order)
        key = (deadline, order) if self.policy == "deadline" else (float(order), order)
        call = _Call(key, fn, loop, future, time.monotonic())
        with self._ready:
            if self._closed:
                raise RuntimeError("Scheduler is closed.")
            heapq.heappush(self._queue, call)
            self._ready.notify()
        try:
            return await future
        except asyncio.CancelledError:
            call.cancelled = True  # a worker that pops it skips it
            raise

    def _work(self) -> None:
        idle = True  # nothing to give back before the first call
        while True:
            with self._ready:
                while not self._queue and not self._closed:
                    quiet = not self._ready.wait(None if idle else self._idle_s)
                    if quiet and not self._queue and self.busy == 0:  # the whole pool, not only this worker
                        idle = True
                        if self._on_idle is not None:
                            self._ready.release()  # others may queue and take calls meanwhile
                            try:
                                self._on_idle()
                            finally:
                                self._ready.acquire()
                if self._closed:
                    return
                call = heapq.heappop(self._queue)
                # Task.cancel() cancels the awaited future at once; ``cancelled`` is only set when the
                # task next runs, so a call cancelled a moment ago is caught by the first test.
                if call.future.cancelled() or call.cancelled:
                    continue
                self.busy += 1
                idle = False
            started = time.monotonic()
            self.waited.append(started - call.queued_at)
            del self.waited[:-1000]
            if self._on_start is not None:
                self._on_start(started - call.queued_at)
            result: Any = None
            error: BaseException | None = None
            alone = self.machine.start()
            try:
                with with_all_cores(alone):
                    result = call.fn()
            except BaseException as exc:  # handed to the awaiting task, which decides
                error = exc
            finally:
                # Counted out before the caller hears back: its next call must not find this one running.
                self.machine.finish()
                with self._ready:
                    self.busy -= 1
            _hand_back(call.loop, call.future, result, error)

    def close(self) -> None:
        with self._ready:
            self._closed = True
            for call in self._queue:
                call.cancelled = True
            self._queue.clear()
            self._ready.notify_all()


def _hand_back(
    loop: asyncio.AbstractEventLoop, future: asyncio.Future[Any], result: Any, exc: BaseException | None
) -> None:
    """Settle ``future`` on its loop; a loop already closed (its program stopped while this call ran)
    has nobody left to tell."""
    with contextlib.suppress(RuntimeError):
        loop.call_soon_threadsafe(_settle, future, result, exc)


def _settle(future: asyncio.Future[Any], result: Any, exc: BaseException | None) -> None:
    if future.done():  # its task was cancelled meanwhile
        return
    if exc is not None:
        future.set_exception(exc)
    else:
        future.set_result(result)
