from __future__ import annotations

import multiprocessing
from multiprocessing.synchronize import Event
from pathlib import Path

from voicewire.synthesis.busy import SLOTS, MachineBusy


def test_a_call_is_alone_only_when_nothing_else_runs() -> None:
    busy = MachineBusy()
    assert busy.start() is True
    assert busy.start() is False  # the first one still runs
    assert busy.running == 2
    busy.finish()
    busy.finish()
    assert busy.running == 0 and busy.start() is True


def test_processes_see_each_others_calls_through_the_shared_file(tmp_path: Path) -> None:
    path = tmp_path / "synthesis-busy"
    first, second = MachineBusy((path, 0)), MachineBusy((path, 1))
    assert first.start() is True
    assert second.start() is False and second.running == 2
    first.finish()
    assert second.running == 1 and first.start() is False
    second.finish()
    first.finish()
    assert first.start() is True
    first.close()
    second.close()


def test_a_restarted_process_starts_its_slot_from_zero(tmp_path: Path) -> None:
    path = tmp_path / "synthesis-busy"
    crashed = MachineBusy((path, 1))
    crashed.start()  # and never finishes: its process died mid-call
    replacement, other = MachineBusy((path, 1)), MachineBusy((path, 0))
    assert other.start() is True
    for busy in (crashed, replacement, other):
        busy.close()


def test_a_slot_past_the_file_counts_its_own_calls_only(tmp_path: Path) -> None:
    path = tmp_path / "synthesis-busy"
    inside, outside = MachineBusy((path, 0)), MachineBusy((path, SLOTS))
    inside.start()
    assert outside.start() is True  # it cannot see the others: it behaves as one process alone
    inside.close()
    outside.close()


def _hold_a_call(path: Path, started: Event, done: Event) -> None:
    busy = MachineBusy((path, 1))
    busy.start()
    started.set()
    done.wait(30)
    busy.finish()
    busy.close()


def test_another_process_call_is_seen(tmp_path: Path) -> None:
    path = tmp_path / "synthesis-busy"
    context = multiprocessing.get_context("spawn")  # as the supervisor starts its workers
    started, done = context.Event(), context.Event()
    child = context.Process(target=_hold_a_call, args=(path, started, done))
    child.start()
    try:
        assert started.wait(30)
        ours = MachineBusy((path, 0))
        assert ours.start() is False and ours.running == 2
        ours.finish()
        done.set()
        child.join(30)
        assert child.exitcode == 0
        assert ours.start() is True
        ours.close()
    finally:
        done.set()
        child.join(5)
