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
from voicewire.exceptions import AuthenticationError, LimitExceeded
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
