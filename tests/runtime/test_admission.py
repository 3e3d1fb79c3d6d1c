"""Admission for a listener without keys (Wyoming): its owner's units bound it like a key's, and the
owner is never looked up in the store (where it does not exist, and does not count as a key)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

import pytest

from voicewire.auth.keys import ApiKey
from voicewire.auth.limits import Limiter
from voicewire.auth.store import MemoryStore
from voicewire.engines.base import VoiceInfo
from voicewire.engines.catalog import ResolvedVoice
from voicewire.exceptions import AuthenticationError, LimitExceeded, ServerBusy
from voicewire.runtime.admission import Admission
from voicewire.runtime.keys import KeyChecker
from voicewire.synthesis.capacity import Capacity


@dataclass
class _NamedEngine:  # admission reads only the engine's name (for metrics)
    name: str = "hibari"


def _voice() -> ResolvedVoice:
    info = VoiceInfo(voice_id="heart", engine="hibari", display_name="Heart", languages=("en-US",), sample_rate=24000)
    return ResolvedVoice("heart", info, _NamedEngine())  # type: ignore[arg-type]


def test_a_listener_owner_is_bounded_by_its_units_and_never_in_the_store() -> None:
    store = MemoryStore()
    admission = Admission(keys=KeyChecker(store), limiter=Limiter(store), capacity=Capacity(2), store=store,
                          draining=lambda: False, capacity_check=False)  # fmt: skip
    owner = admission.listener_owner("wyoming@host:10200", "wyoming", 2)

    async def run() -> None:
        first = await admission.admit(owner, _voice(), log={"kind": "wyoming"})
        second = await admission.admit(owner, _voice(), log={"kind": "wyoming"})
        with pytest.raises(LimitExceeded):
            await admission.admit(owner, _voice(), log={"kind": "wyoming"})
        await first.release("complete")
        third = await admission.admit(owner, _voice(), log={"kind": "wyoming"})
        await second.release("complete")
        await third.release("complete")
        # a key the store does not know is still refused: only registered owners skip the recheck
        stranger = ApiKey(key_id="wyoming@host:1", name="x", units=5, created_at=0.0)
        with pytest.raises(AuthenticationError):
            await admission.admit(stranger, _voice(), log={"kind": "wyoming"})

    asyncio.run(run())
    assert not store.has_active_key() and store.list() == []
    assert [u.requests for u in store.usage() if u.key_id == owner.key_id] == [3]


def _busy_admission(workers: float = 1.0) -> tuple[Admission, ApiKey]:
    """Admission with a capacity that holds exactly one stream of ``heart`` (cost pinned at 0.8 of a
    worker), and a key with room for many."""
    store = MemoryStore()
    capacity = Capacity(int(workers), utilization=1.0)
    capacity.observe("hibari", 8.0, 10.0)  # measured: 0.8 s of compute per second of audio
    admission = Admission(keys=KeyChecker(store), limiter=Limiter(store), capacity=capacity, store=store,
                          draining=lambda: False)  # fmt: skip
    return admission, admission.listener_owner("test@line", "line", 10)


def test_a_live_stream_past_capacity_is_refused_at_once() -> None:
    admission, owner = _busy_admission()

    async def run() -> None:
        first = await admission.admit(owner, _voice(), log={})
        with pytest.raises(ServerBusy) as refused:
            await admission.admit(owner, _voice(), log={})
        assert refused.value.retry_after >= 1 and "at capacity" in str(refused.value)
        await first.release("complete")

    asyncio.run(run())


def test_a_batch_request_waits_in_line_and_is_served_when_capacity_comes_back() -> None:
    admission, owner = _busy_admission()
    order: list[str] = []

    async def waiter(name: str) -> None:
        grant = await admission.admit(owner, _voice(), log={}, wait=5.0)
        order.append(name)
        await asyncio.sleep(0.01)
        await grant.release("complete")

    async def run() -> None:
        first = await admission.admit(owner, _voice(), log={})
        waiting = [asyncio.ensure_future(waiter(name)) for name in ("a", "b", "c")]
        await asyncio.sleep(0.05)
        assert order == [] and len(admission.waiting) == 3  # nobody got in while the stream ran
        await first.release("complete")
        await asyncio.wait_for(asyncio.gather(*waiting), 5)

    asyncio.run(run())
    assert order == ["a", "b", "c"]  # first come, first served


def test_a_batch_request_that_waits_too_long_is_refused_and_leaves_the_line() -> None:
    admission, owner = _busy_admission()

    async def run() -> None:
        first = await admission.admit(owner, _voice(), log={})
        with pytest.raises(ServerBusy) as refused:
            await admission.admit(owner, _voice(), log={}, wait=0.1)
        assert "for 0.1 s" in str(refused.value) and len(admission.waiting) == 0
        await first.release("complete")
        # the unit the refused request held is back: a stream gets in at once
        again = await admission.admit(owner, _voice(), log={})
        await again.release("complete")

    asyncio.run(run())


def test_a_live_stream_does_not_wait_behind_batch_requests() -> None:
    admission, owner = _busy_admission(workers=2)  # room for two streams

    async def run() -> None:
        first = await admission.admit(owner, _voice(), log={})
        second = await admission.admit(owner, _voice(), log={})
        queued = asyncio.ensure_future(admission.admit(owner, _voice(), log={}, wait=5.0))
        await asyncio.sleep(0.01)
        with pytest.raises(ServerBusy):  # full: refused, not put in line
            await admission.admit(owner, _voice(), log={})
        await first.release("complete")
        third = await asyncio.wait_for(queued, 5)  # the line's head gets the freed ticket
        await second.release("complete")
        live = await admission.admit(owner, _voice(), log={})  # room again: served at once
        await third.release("complete")
        await live.release("complete")

    asyncio.run(run())
