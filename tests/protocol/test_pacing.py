"""Pacer: a turn's audio let out evenly, fed pieces and times by hand (no event loop, no clock)."""

from __future__ import annotations

import math
from dataclasses import dataclass

import pytest

from voicewire.protocol.pacing import DRIP_S, HOLD_S, LEAD_S, Pacer


@dataclass(frozen=True)
class Ev:
    turn: int
    seconds: float | None  # None: the turn's end
    name: str = ""


def make() -> Pacer[Ev]:
    return Pacer(lambda e: e.turn, lambda e: e.seconds)


def pieces(turn: int, n: int, seconds: float = 0.1) -> list[Ev]:
    return [Ev(turn, seconds, f"{turn}.{i}") for i in range(n)]


def test_first_audio_goes_out_at_once_then_up_to_the_lead() -> None:
    pacer = make()
    out = []
    for event in pieces(1, 15):  # 1.5 s of audio arrive at once
        out += pacer.push(event, 0.0)
    assert len(out) == math.ceil(LEAD_S / 0.1 - 1e-6)  # the first piece, then as much as the lead
    assert pacer.holding


def test_no_more_than_the_hold_is_held() -> None:
    pacer = make()
    out = []
    for event in pieces(1, 60):  # 6 s at once: what is made fast reaches a fast reader fast
        out += pacer.push(event, 0.0)
    assert len(out) == 60 - round(HOLD_S / 0.1)


def test_held_audio_drips_out_at_least_every_drip() -> None:
    pacer = make()
    for event in pieces(1, 40):
        pacer.push(event, 0.0)
    now, times = 0.0, []
    while pacer.holding:
        due = pacer.next_release()
        assert due is not None and due - now <= DRIP_S + 1e-9  # never longer than a drip
        now = max(now, due)
        if pacer.release(now):
            times.append(now)
    assert len(times) >= 4  # spread out, not one burst
    assert times[-1] < 4.0 - LEAD_S  # and faster than real time: the listener's lead grows


def test_a_drip_lets_out_a_share_of_what_is_held() -> None:
    pacer = make()
    for event in pieces(1, 15):
        pacer.push(event, 0.0)
    held_before = 15 - math.ceil(LEAD_S / 0.1 - 1e-6)
    out = pacer.release(DRIP_S)
    assert 1 <= len(out) <= held_before // 3


def test_the_end_of_a_turn_lets_out_everything_held_then_the_end() -> None:
    pacer = make()
    for event in pieces(1, 40):
        pacer.push(event, 0.0)
    out = pacer.push(Ev(1, None, "end"), 0.01)
    assert out[-1].name == "end" and len(out) == round(HOLD_S / 0.1) + 1
    assert not pacer.holding and pacer.next_release() is None


def test_each_turn_of_a_lane_starts_its_own_pace() -> None:
    pacer = make()
    for event in [*pieces(1, 3), Ev(1, None, "end1")]:
        pacer.push(event, 0.0)
    out = pacer.push(Ev(2, 0.1, "2.0"), 5.0)
    assert [e.name for e in out] == ["2.0"]  # the next turn's first audio: at once


def test_audio_short_of_the_lead_goes_out_as_it_comes() -> None:
    pacer = make()
    for i, event in enumerate(pieces(1, 20)):  # real time: one 0.1 s piece every 0.1 s
        assert pacer.push(event, i * 0.1) == [event]


def test_clear_drops_what_is_held() -> None:
    pacer = make()
    for event in pieces(1, 30):
        pacer.push(event, 0.0)
    pacer.clear()
    assert not pacer.holding and pacer.release(10.0) == []


@pytest.mark.parametrize("lead", [0.0, 0.5, 2.0])
def test_nothing_is_lost_or_reordered(lead: float) -> None:
    pacer: Pacer[Ev] = Pacer(lambda e: e.turn, lambda e: e.seconds, lead=lead)
    sent = [*pieces(1, 25), Ev(1, None, "e1"), *pieces(2, 25), Ev(2, None, "e2")]
    out, now = [], 0.0
    for event in sent:
        out += pacer.push(event, now)
        now += 0.01
    while pacer.holding:
        now += DRIP_S
        out += pacer.release(now)
    assert out == sent
