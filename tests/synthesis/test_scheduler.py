from __future__ import annotations

import asyncio
import threading
import time

import pytest

from voicewire.synthesis.scheduler import Scheduler


async def queue_behind_a_blocker(scheduler: Scheduler, deadlines: list[float]) -> tuple[list[int], threading.Event]:
    """Occupy the only worker, then queue one call per deadline; returns the run order list."""
    ran: list[int] = []
    gate = threading.Event()
    started = threading.Event()

    def blocker() -> None:
        started.set()
        gate.wait(10)

    first = asyncio.ensure_future(scheduler.run(blocker, deadline=0.0))
    while not started.is_set():
        await asyncio.sleep(0.001)
    calls = [
        asyncio.ensure_future(scheduler.run(lambda i=i: ran.append(i), deadline=d)) for i, d in enumerate(deadlines)
    ]
    await asyncio.sleep(0.01)  # all queued
    gate.set()
    await first
    await asyncio.gather(*calls)
    return ran, gate


@pytest.mark.parametrize(
    ("policy", "order"),
    [("deadline", [3, 1, 2, 4, 0]), ("fifo", [0, 1, 2, 3, 4])],
    ids=["earliest-deadline-first", "fifo"],
)
def test_queued_calls_run_in_the_policy_order(policy: str, order: list[int]) -> None:
    async def main() -> list[int]:
        scheduler = Scheduler(1, policy=policy)
        try:
            ran, _ = await queue_behind_a_blocker(scheduler, [5.0, 1.0, 3.0, 0.5, 4.0])
            return ran
        finally:
            scheduler.close()

    assert asyncio.run(main()) == order


def test_a_cancelled_call_that_has_not_started_never_runs() -> None:
    ran: list[str] = []

    async def main() -> None:
        scheduler = Scheduler(1)
        gate = threading.Event()
        blocker = asyncio.ensure_future(scheduler.run(lambda: gate.wait(10), deadline=0.0))
        await asyncio.sleep(0.01)
        doomed = asyncio.ensure_future(scheduler.run(lambda: ran.append("doomed"), deadline=1.0))
        kept = asyncio.ensure_future(scheduler.run(lambda: ran.append("kept"), deadline=2.0))
        await asyncio.sleep(0.01)
        doomed.cancel()
        gate.set()
        await blocker
        await kept
        with pytest.raises(asyncio.CancelledError):
            await doomed
        scheduler.close()

    asyncio.run(main())
    assert ran == ["kept"]


def test_errors_reach_the_caller_and_the_worker_survives() -> None:
    async def main() -> int:
        scheduler = Scheduler(1)

        def boom() -> int:
            raise ValueError("engine fell over")

        with pytest.raises(ValueError, match="fell over"):
            await scheduler.run(boom, deadline=0.0)
        result = await scheduler.run(lambda: 42, deadline=0.0)
        scheduler.close()
        return result

    assert asyncio.run(main()) == 42


def test_calls_run_in_parallel_on_all_workers() -> None:
    async def main() -> float:
        scheduler = Scheduler(4)
        started = time.monotonic()
        await asyncio.gather(*(scheduler.run(lambda: time.sleep(0.2), deadline=0.0) for _ in range(4)))
        scheduler.close()
        return time.monotonic() - started

    assert asyncio.run(main()) < 0.6


def test_unknown_policy() -> None:
    with pytest.raises(ValueError, match="deadline, fifo"):
        Scheduler(1, policy="random")


def test_closed_scheduler_refuses_work() -> None:
    async def main() -> None:
        scheduler = Scheduler(1)
        scheduler.close()
        with pytest.raises(RuntimeError, match="closed"):
            await scheduler.run(lambda: 1, deadline=0.0)

    asyncio.run(main())


def test_a_call_alone_may_use_every_core_and_one_beside_another_may_not() -> None:
    from voicewire.engines.onnx import all_cores_free

    async def main() -> tuple[bool, bool, bool]:
        scheduler = Scheduler(2)
        alone = await scheduler.run(all_cores_free, deadline=0.0)
        gate, started = threading.Event(), threading.Event()

        def hold() -> bool:
            started.set()
            gate.wait(10)
            return all_cores_free()

        held = asyncio.ensure_future(scheduler.run(hold, deadline=0.0))
        while not started.is_set():
            await asyncio.sleep(0.001)
        beside = await scheduler.run(all_cores_free, deadline=0.0)
        gate.set()
        first = await held
        scheduler.close()
        return alone, first, beside

    alone, first, beside = asyncio.run(main())
    assert alone is True and first is True  # each started with nothing else running
    assert beside is False
    assert not all_cores_free()  # the workers' answer is theirs: this thread was never told


def test_an_idle_pool_calls_on_idle_once_per_quiet_spell_and_never_while_a_call_runs() -> None:
    idles: list[tuple[str, bool]] = []
    running = threading.Event()

    def on_idle() -> None:
        idles.append((threading.current_thread().name, running.is_set()))

    def long_call() -> None:
        running.set()
        time.sleep(0.3)  # several idle periods of the other worker
        running.clear()

    async def quiet_spell(at_least: int) -> None:
        """Until ``on_idle`` was called ``at_least`` times (a busy machine may be slow to get there),
        then several more idle periods."""
        deadline = time.monotonic() + 10
        while len(idles) < at_least and time.monotonic() < deadline:
            await asyncio.sleep(0.01)
        await asyncio.sleep(0.2)

    async def main() -> None:
        scheduler = Scheduler(2, on_idle=on_idle, idle_s=0.05)
        try:
            await quiet_spell(0)
            assert idles == []  # nothing ran yet: nothing to give back
            await scheduler.run(lambda: None, deadline=0.0)
            await quiet_spell(1)
            assert len(idles) == 1  # the worker that ran the call; once, however long the quiet lasts
            await asyncio.gather(scheduler.run(long_call, deadline=0.0), scheduler.run(lambda: None, deadline=0.0))
            await quiet_spell(2)
        finally:
            scheduler.close()

    asyncio.run(main())
    assert len(idles) in (2, 3)  # once more per worker that ran a call since
    assert not any(during for _, during in idles)  # never beside a running call
