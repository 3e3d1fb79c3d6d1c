"""Lexicons: a turn's dictionaries, read from the store when it opens (no cache between turns)."""

from __future__ import annotations

import asyncio

import pytest

from voicewire.auth.store import MemoryStore
from voicewire.exceptions import InvalidField
from voicewire.runtime.lexicons import Lexicons
from voicewire.text.lexicon import LexiconEntry


def test_a_turn_gets_its_own_dictionaries_in_order_and_sees_changes_at_once() -> None:
    store = MemoryStore()
    record, _ = store.create("alice")
    first = store.create_dict(record.key_id, [LexiconEntry("gif", "jiff")], limit=5)
    second = store.create_dict(record.key_id, [LexiconEntry("gif", "giff"), LexiconEntry("sql", "sequel")], limit=5)
    lexicons = Lexicons(store)

    async def entries(*ids: str) -> list[str]:
        lexicon = await lexicons.resolve(record.key_id, ids)
        assert lexicon is not None
        return [m.entry.pronunciation for m in lexicon.find("gif and sql")]

    assert asyncio.run(entries(first.dict_id, second.dict_id)) == ["jiff", "sequel"]  # the first named wins
    assert asyncio.run(entries(second.dict_id, first.dict_id)) == ["giff", "sequel"]
    store.update_dict(record.key_id, first.dict_id, [LexiconEntry("gif", "jif")])
    assert asyncio.run(entries(first.dict_id)) == ["jif"]  # the next turn reads it again
    assert asyncio.run(lexicons.resolve(record.key_id, ())) is None


def test_an_unknown_or_foreign_id_names_the_field() -> None:
    store = MemoryStore()
    alice, _ = store.create("alice")
    bob, _ = store.create("bob")
    bobs = store.create_dict(bob.key_id, [LexiconEntry("x", "y")], limit=5)
    for dict_id in (bobs.dict_id, "0" * 24):
        with pytest.raises(InvalidField, match="pronunciation_dicts") as caught:
            asyncio.run(Lexicons(store).resolve(alice.key_id, [dict_id]))
        assert dict_id in caught.value.message
