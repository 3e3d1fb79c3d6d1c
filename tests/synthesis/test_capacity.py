from __future__ import annotations

import pytest

from voicewire.synthesis.capacity import DEFAULT_COST, Capacity


def test_streams_are_admitted_while_their_demand_fits() -> None:
    capacity = Capacity(2, utilization=0.5)  # a budget of one second of compute per second
    tickets = [capacity.try_admit("piper") for _ in range(8)]
    assert all(tickets)  # 8 x 0.12 = 0.96
    assert capacity.try_admit("piper") is None  # 1.08 would not fit
    assert capacity.try_admit("hibari") is not None  # 0.96 + 0.015 does
    capacity.release(tickets[0])
    assert capacity.try_admit("piper") is not None
    assert capacity.streams == 9


def test_the_first_stream_is_always_admitted() -> None:
    capacity = Capacity(1, utilization=0.01)
    assert capacity.try_admit("piper") is not None
    assert capacity.try_admit("hibari") is None


def test_costs_follow_measurements() -> None:
    capacity = Capacity(2)
    assert capacity.cost("hibari") == DEFAULT_COST["hibari"]
    capacity.observe("hibari", compute_s=0.05, audio_s=1.0)
    assert capacity.cost("hibari") == DEFAULT_COST["hibari"]  # one second of audio says little
    for _ in range(200):
        capacity.observe("hibari", compute_s=0.05, audio_s=1.0)  # a slower CPU: 20x real time
    assert capacity.cost("hibari") == pytest.approx(0.05, rel=0.01)


def test_a_unit_measured_in_parts_counts_as_a_whole() -> None:
    capacity = Capacity(2)
    for _ in range(100):
        capacity.observe("piper", compute_s=0.06, audio_s=0.0)  # the front-end: no audio yet
        capacity.observe("piper", compute_s=0.02, audio_s=0.4)  # then two decoder blocks
        capacity.observe("piper", compute_s=0.02, audio_s=0.6)
    assert capacity.cost("piper") == pytest.approx(0.10, rel=0.02)


def test_unknown_engines_cost_like_the_dearest() -> None:
    assert Capacity(1).cost("espeak") == max(DEFAULT_COST.values())


def test_load_and_release_of_nothing() -> None:
    capacity = Capacity(1, utilization=1.0)
    ticket = capacity.try_admit("hibari")
    assert capacity.load == pytest.approx(DEFAULT_COST["hibari"])
    capacity.release(None)
    capacity.release(ticket)
    assert capacity.load == 0 and capacity.streams == 0
