"""The loaded-voice budget: least recently used out past the limit, running turns and removed voices kept
as long as they may be speaking. Fake engines and a fake clock here; the real engines use it in
test_piper.py and test_hibari.py."""

from __future__ import annotations

import threading

import pytest

from voicewire.engines.budget import BUSY_SECONDS, RETIRED_SECONDS, VoiceBudget


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class FakeEngine:
    def __init__(self, name: str) -> None:
        self.name = name
        self.unloaded: list[str] = []

    def unload(self, voice_id: str) -> None:
        self.unloaded.append(voice_id)


@pytest.fixture
def clock() -> Clock:
    return Clock()


def test_past_the_limit_the_least_recently_used_voice_goes(clock: Clock) -> None:
    budget = VoiceBudget(2, clock=clock)
    piper = FakeEngine("piper")
    for voice in ("a", "b"):
        budget.loaded(piper, voice)
        clock.now += 60
    budget.used(piper, "a")  # a is now the most recent
    clock.now += 60
    budget.loaded(piper, "c")
    assert piper.unloaded == ["b"]
    assert budget.loaded_voices() == ["piper:a", "piper:c"]


def test_one_budget_counts_every_engine(clock: Clock) -> None:
    budget = VoiceBudget(2, clock=clock)
    piper, hibari = FakeEngine("piper"), FakeEngine("hibari")
    budget.loaded(hibari, "heart")
    clock.now += 60
    budget.loaded(piper, "joe")
    clock.now += 60
    budget.loaded(piper, "lessac")
    assert hibari.unloaded == ["heart"] and piper.unloaded == []


def test_a_voice_in_a_running_turn_is_kept_over_the_limit_until_trim(clock: Clock) -> None:
    budget = VoiceBudget(1, clock=clock)
    piper = FakeEngine("piper")
    budget.loaded(piper, "a")
    clock.now += BUSY_SECONDS / 2  # a spoke a moment ago: its turn may still be going
    budget.loaded(piper, "b")
    assert piper.unloaded == []
    assert budget.loaded_voices() == ["piper:a", "piper:b"]
    assert budget.trim() == []  # still busy
    clock.now += BUSY_SECONDS
    assert budget.trim() == ["piper:a"]
    assert piper.unloaded == ["a"] and budget.loaded_voices() == ["piper:b"]


def test_the_voice_just_loaded_is_never_the_one_unloaded(clock: Clock) -> None:
    budget = VoiceBudget(1, busy_seconds=0, clock=clock)
    piper = FakeEngine("piper")
    budget.loaded(piper, "a")
    budget.loaded(piper, "b")  # same instant: a and b are equally old
    assert piper.unloaded == ["a"]


def test_a_removed_voice_goes_once_idle_whatever_the_budget(clock: Clock) -> None:
    budget = VoiceBudget(None, clock=clock)
    piper = FakeEngine("piper")
    budget.loaded(piper, "gone")
    budget.loaded(piper, "kept")
    budget.retire(piper, "gone")
    clock.now += RETIRED_SECONDS - 1
    budget.used(piper, "gone")  # a turn is still speaking with it
    clock.now += RETIRED_SECONDS - 1
    assert budget.trim() == [] and piper.unloaded == []
    clock.now += 2
    assert budget.trim() == ["piper:gone"]
    assert piper.unloaded == ["gone"] and budget.loaded_voices() == ["piper:kept"]


def test_without_a_limit_nothing_goes_for_the_budget(clock: Clock) -> None:
    budget = VoiceBudget(None, clock=clock)
    piper = FakeEngine("piper")
    for n in range(50):
        budget.loaded(piper, f"v{n}")
        clock.now += 100
    assert piper.unloaded == [] and budget.trim() == [] and len(budget.loaded_voices()) == 50


def test_forget_drops_what_an_engine_unloaded_itself(clock: Clock) -> None:
    budget = VoiceBudget(3, clock=clock)
    piper, hibari = FakeEngine("piper"), FakeEngine("hibari")
    budget.loaded(piper, "a")
    budget.loaded(piper, "b")
    budget.loaded(hibari, "heart")
    budget.forget(piper, "a")
    assert budget.loaded_voices() == ["piper:b", "hibari:heart"]
    budget.forget(piper)
    assert budget.loaded_voices() == ["hibari:heart"]
    assert piper.unloaded == []  # forgetting is not unloading


def test_unload_happens_outside_the_budget_lock(clock: Clock) -> None:
    """An engine's unload may call back into the budget (it forgets, or loads): that must not deadlock."""
    budget = VoiceBudget(1, busy_seconds=0, clock=clock)

    class Reentrant(FakeEngine):
        def unload(self, voice_id: str) -> None:
            super().unload(voice_id)
            budget.forget(self, voice_id)
            budget.loaded_voices()

    engine = Reentrant("piper")
    budget.loaded(engine, "a")
    done = threading.Event()
    threading.Thread(target=lambda: (budget.loaded(engine, "b"), done.set()), daemon=True).start()
    assert done.wait(5), "unload under the lock deadlocked"
    assert engine.unloaded == ["a"]


def test_a_limit_below_one_is_refused() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        VoiceBudget(0)
