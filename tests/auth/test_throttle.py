"""The brute-force brake, fed a clock by hand."""

from __future__ import annotations

import pytest

from voicewire.auth.throttle import FailedAuthThrottle


def test_a_client_gets_limit_tries_then_one_per_refill() -> None:
    brake = FailedAuthThrottle(limit=10, period=60)
    for _ in range(10):
        assert brake.retry_after("1.2.3.4", now=0.0) == 0
        brake.failed("1.2.3.4", now=0.0)
    assert brake.retry_after("1.2.3.4", now=0.0) == pytest.approx(6.0)
    assert brake.retry_after("1.2.3.4", now=4.5) == pytest.approx(1.5)
    assert brake.retry_after("1.2.3.4", now=6.0) == 0  # one token back: one more try
    brake.failed("1.2.3.4", now=6.0)
    assert brake.retry_after("1.2.3.4", now=6.0) == pytest.approx(6.0)


def test_clients_are_braked_apart() -> None:
    brake = FailedAuthThrottle(limit=2, period=60)
    brake.failed("a", 0.0)
    brake.failed("a", 0.0)
    assert brake.retry_after("a", 0.0) > 0
    assert brake.retry_after("b", 0.0) == 0


def test_the_table_is_bounded_and_forgets_the_client_seen_longest_ago() -> None:
    brake = FailedAuthThrottle(limit=2, period=60, max_clients=3)
    for client in "abcd":  # one wrong key each: one try left each, but there is room for three clients
        brake.failed(client, 0.0)
    brake.failed("d", 0.0)
    assert brake.retry_after("d", 0.0) > 0  # remembered: its second wrong key brakes it
    brake.failed("a", 0.0)
    assert brake.retry_after("a", 0.0) == 0  # forgotten when "d" came: this is its first wrong key again


def test_limit_zero_turns_the_brake_off() -> None:
    brake = FailedAuthThrottle(limit=0)
    for _ in range(1000):
        brake.failed("a", 0.0)
    assert brake.retry_after("a", 0.0) == 0
