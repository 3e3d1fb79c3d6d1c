"""Lexicons: a turn's dictionaries, checked against the store when it opens; a matcher is reused only
while the store's stamps say its dictionaries are unchanged."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from pathlib import Path

import pytest

from voicewire.auth.sqlite import SqliteStore
from voicewire.auth.store import MemoryStore, PronunciationDict
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


class CountingStore(MemoryStore):
    def __init__(self) -> None:
        super().__init__()
        self.reads = 0

    def get_dicts(self, owner: str | None, dict_ids: Sequence[str]) -> list[PronunciationDict]:
        self.reads += 1
        return super().get_dicts(owner, dict_ids)


def test_an_unchanged_dictionary_is_not_read_again_and_a_changed_one_is() -> None:
    store = CountingStore()
    record, _ = store.create("alice")
    made = store.create_dict(record.key_id, [LexiconEntry("gif", "jiff")], limit=5)
    lexicons = Lexicons(store)
    first = lexicons.load(record.key_id, [made.dict_id])
    assert lexicons.load(record.key_id, [made.dict_id]) is first and store.reads == 1
    store.update_dict(record.key_id, made.dict_id, [LexiconEntry("gif", "jif")])
    changed = lexicons.load(record.key_id, [made.dict_id])
    assert store.reads == 2 and [m.entry.pronunciation for m in changed.find("a gif")] == ["jif"]
    store.delete_dict(record.key_id, made.dict_id)
    with pytest.raises(InvalidField, match="pronunciation_dicts"):
        lexicons.load(record.key_id, [made.dict_id])


def test_another_replica_s_change_is_used_by_the_next_turn(tmp_path: Path) -> None:
    """Two connections to one SQLite file stand for two replicas: the one that did not make the change
    has the old matcher kept, and still reads the new entries on its next turn."""
    here, there = SqliteStore(tmp_path / "keys.db"), SqliteStore(tmp_path / "keys.db")
    record, _ = here.create("alice")
    made = here.create_dict(record.key_id, [LexiconEntry("gif", "jiff")], limit=5)
    lexicons = Lexicons(here)
    assert [m.entry.pronunciation for m in lexicons.load(record.key_id, [made.dict_id]).find("gif")] == ["jiff"]
    there.update_dict(record.key_id, made.dict_id, [LexiconEntry("gif", "jif")])
    assert [m.entry.pronunciation for m in lexicons.load(record.key_id, [made.dict_id]).find("gif")] == ["jif"]
    here.close()
    there.close()


def test_the_kept_matchers_are_bounded_and_the_least_recently_used_goes() -> None:
    store = CountingStore()
    record, _ = store.create("alice")
    ids = [store.create_dict(record.key_id, [LexiconEntry(f"w{i}", "x")], limit=5).dict_id for i in range(3)]
    lexicons = Lexicons(store, kept=2)
    lexicons.load(record.key_id, [ids[0]])
    lexicons.load(record.key_id, [ids[1]])
    lexicons.load(record.key_id, [ids[0]])  # used again: now the most recent
    lexicons.load(record.key_id, [ids[2]])  # over the bound: ids[1]'s goes
    assert store.reads == 3
    lexicons.load(record.key_id, [ids[0]])
    assert store.reads == 3
    lexicons.load(record.key_id, [ids[1]])
    assert store.reads == 4
