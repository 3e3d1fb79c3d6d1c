"""The event-loop gauge, on a loop of the test's own (the rest of metrics is tested over a real socket
in tests/server/test_metrics.py)."""

from __future__ import annotations

import asyncio

from prometheus_client import REGISTRY

from voicewire import metrics


def test_the_task_gauge_counts_the_live_tasks_of_its_loop() -> None:
    async def main() -> tuple[float | None, float | None]:
        sleepers = [asyncio.create_task(asyncio.sleep(60)) for _ in range(5)]
        sampler = asyncio.create_task(metrics.sample_event_loop(interval=60))
        await asyncio.sleep(0)  # the sampler takes its first sample at once
        busy = REGISTRY.get_sample_value("voicewire_event_loop_tasks")
        for task in sleepers[:3]:
            task.cancel()
        await asyncio.gather(*sleepers[:3], return_exceptions=True)
        sampler.cancel()
        await asyncio.gather(sampler, return_exceptions=True)
        sampler = asyncio.create_task(metrics.sample_event_loop(interval=60))
        await asyncio.sleep(0)
        fewer = REGISTRY.get_sample_value("voicewire_event_loop_tasks")
        for task in [*sleepers, sampler]:
            task.cancel()
        await asyncio.gather(*sleepers, sampler, return_exceptions=True)
        return busy, fewer

    # This test's task, five sleepers and the sampler; then two sleepers fewer.
    assert asyncio.run(main()) == (7.0, 4.0)
