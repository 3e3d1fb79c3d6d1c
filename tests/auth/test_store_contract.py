"""One suite that every KeyStore implementation passes."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from voicewire.auth.sqlite import SqliteKeyStore
from voicewire.auth.store import KeyStore, MemoryKeyStore
from voicewire.exceptions import InvalidField, NotFound


@pytest.fixture(params=["memory", "sqlite"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[KeyStore]:
    made: KeyStore = MemoryKeyStore() if request.param == "memory" else SqliteKeyStore(tmp_path / "k.db")
    yield made
    made.close()


def test_created_key_verifies_and_is_shown_once(store: KeyStore) -> None:
    record, key = store.create("ci", 3)
    assert key.startswith("vw_") and record.key_id in key
    assert record.units == 3 and record.name == "ci" and record.active
    assert store.verify(key) == record
    assert all(key not in repr(k) for k in store.list())


@pytest.mark.parametrize("mutate", [lambda k: k[:-1] + ("A" if k[-1] != "A" else "B"), lambda k: k + "x",
                                    lambda k: k[:11], lambda k: "", lambda k: "vw_" + "a" * 40,
                                    lambda k: k.upper()])  # fmt: skip
def test_wrong_keys_do_not_verify(store: KeyStore, mutate) -> None:  # type: ignore[no-untyped-def]
    _, key = store.create()
    assert store.verify(mutate(key)) is None


def test_revoke_by_id_and_by_name(store: KeyStore) -> None:
    a, key_a = store.create("alpha")
    b, key_b = store.create("beta")
    assert store.revoke(a.key_id).revoked_at is not None
    assert store.verify(key_a) is None
    assert store.verify(key_b) == b
    store.revoke("beta")
    assert store.verify(key_b) is None
    assert [k.active for k in store.list()] == [False, False]
    assert not store.has_active_key()


def test_revoke_unknown_or_ambiguous(store: KeyStore) -> None:
    with pytest.raises(NotFound, match="nobody"):
        store.revoke("nobody")
    store.create("twin")
    store.create("twin")
    with pytest.raises(NotFound, match="Several"):
        store.revoke("twin")


def test_list_is_oldest_first_and_has_active_key(store: KeyStore) -> None:
    assert not store.has_active_key()
    names = ["one", "two", "three"]
    for n in names:
        store.create(n)
    assert [k.name for k in store.list()] == names
    assert store.has_active_key()


@pytest.mark.parametrize(("name", "units"), [("", 1), ("x" * 65, 1), ("ok", 0), ("ok", 10_001), ("bad\nname", 1)])
def test_create_validates(store: KeyStore, name: str, units: int) -> None:
    with pytest.raises(InvalidField):
        store.create(name, units)


def test_sqlite_stores_only_a_salted_digest(tmp_path: Path) -> None:
    store = SqliteKeyStore(tmp_path / "k.db")
    _, key1 = store.create("a")
    _, key2 = store.create("b")
    store.close()
    raw = b"".join(p.read_bytes() for p in tmp_path.glob("k.db*"))  # the db and any WAL left behind
    assert key1.encode() not in raw and key2.encode() not in raw
    rows = sqlite3.connect(tmp_path / "k.db").execute("SELECT salt, digest FROM keys").fetchall()
    assert len({r[0] for r in rows}) == 2  # a salt per key


def test_sqlite_is_shared_between_connections(tmp_path: Path) -> None:
    writer = SqliteKeyStore(tmp_path / "k.db")
    reader = SqliteKeyStore(tmp_path / "k.db")
    _, key = writer.create("x")
    assert reader.verify(key) is not None
    writer.revoke("x")
    assert reader.verify(key) is None
