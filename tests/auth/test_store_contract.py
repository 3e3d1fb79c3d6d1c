"""One suite that every Store passes: memory, SQLite, Redis (a real redis-server on loopback)."""

from __future__ import annotations

import itertools
import re
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from support.redis_server import RedisServer, redis_server
from voicewire.auth.open import open_store
from voicewire.auth.redis import RedisStore
from voicewire.auth.sqlite import SqliteStore
from voicewire.auth.store import MemoryStore, Store
from voicewire.exceptions import ConfigError, InvalidField, NotFound, StoreError, TooManyDictionaries
from voicewire.text.lexicon import LexiconEntry


@pytest.fixture(scope="module")
def redis(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    with redis_server(tmp_path_factory.mktemp("redis")) as server:
        yield server


_databases = itertools.count(1)


@pytest.fixture(params=["memory", "sqlite", "redis"])
def make_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Callable[[], Store]]:
    """Opens a store; several calls open several connections to the same data (not for memory)."""
    opened: list[Store] = []
    shared = MemoryStore()
    redis_url = ""
    if request.param == "redis":
        server: RedisServer = request.getfixturevalue("redis")
        redis_url = f"redis://127.0.0.1:{server.port}/{next(_databases) % 16}"
        RedisStore(redis_url)._redis.flushdb()

    def make() -> Store:
        store: Store
        if request.param == "memory":
            store = shared
        elif request.param == "sqlite":
            store = SqliteStore(tmp_path / "k.db")
        else:
            store = RedisStore(redis_url)
        opened.append(store)
        return store

    yield make
    for store in opened:
        store.close()


# -- keys -----------------------------------------------------------------------------------------


def test_created_key_verifies_and_is_shown_once(make_store: Callable[[], Store]) -> None:
    store = make_store()
    record, key = store.create("ci", 3)
    assert key.startswith("vw_") and record.key_id in key
    assert record.units == 3 and record.name == "ci" and record.active
    assert store.verify(key) == record
    assert all(key not in repr(k) for k in store.list())


@pytest.mark.parametrize("mutate", [lambda k: k[:-1] + ("A" if k[-1] != "A" else "B"), lambda k: k + "x",
                                    lambda k: k[:11], lambda k: "", lambda k: "vw_" + "a" * 40,
                                    lambda k: k.upper()])  # fmt: skip
def test_wrong_keys_do_not_verify(make_store: Callable[[], Store], mutate: Callable[[str], str]) -> None:
    store = make_store()
    _, key = store.create()
    assert store.verify(mutate(key)) is None


def test_get_finds_a_key_by_id_active_or_revoked(make_store: Callable[[], Store]) -> None:
    store = make_store()
    record, _ = store.create("lookup", 2)
    other = make_store()  # another connection (another process, another replica) sees it too
    assert other.get(record.key_id) == record
    other.revoke(record.key_id)
    found = store.get(record.key_id)
    assert found is not None and found.key_id == record.key_id and not found.active
    assert store.get("nosuchid") is None


def test_revoke_by_id_and_by_name(make_store: Callable[[], Store]) -> None:
    store = make_store()
    a, key_a = store.create("alpha")
    b, key_b = store.create("beta")
    assert store.revoke(a.key_id).revoked_at is not None
    assert store.verify(key_a) is None
    assert store.verify(key_b) == b
    store.revoke("beta")
    assert store.verify(key_b) is None
    assert [k.active for k in store.list()] == [False, False]
    assert not store.has_active_key()


def test_revoke_unknown_or_ambiguous(make_store: Callable[[], Store]) -> None:
    store = make_store()
    with pytest.raises(NotFound, match="nobody"):
        store.revoke("nobody")
    store.create("twin")
    store.create("twin")
    with pytest.raises(NotFound, match="Several"):
        store.revoke("twin")


def test_list_is_oldest_first_and_has_active_key(make_store: Callable[[], Store]) -> None:
    store = make_store()
    assert not store.has_active_key()
    for name in ["one", "two", "three"]:
        store.create(name)
    assert [k.name for k in store.list()] == ["one", "two", "three"]
    assert store.has_active_key()


@pytest.mark.parametrize(("name", "units"), [("", 1), ("x" * 65, 1), ("ok", 0), ("ok", 10_001), ("bad\nname", 1)])
def test_create_validates(make_store: Callable[[], Store], name: str, units: int) -> None:
    with pytest.raises(InvalidField):
        make_store().create(name, units)


def test_keys_are_shared_between_connections(make_store: Callable[[], Store]) -> None:
    writer, reader = make_store(), make_store()
    _, key = writer.create("x")
    assert reader.verify(key) is not None
    writer.revoke("x")
    assert reader.verify(key) is None


# -- leases -----------------------------------------------------------------------------------------


def test_a_pool_admits_up_to_its_limit(make_store: Callable[[], Store]) -> None:
    store = make_store()
    leases = [store.acquire("k1", "synthesis", 2, 30) for _ in range(3)]
    assert leases[0] and leases[1] and leases[2] is None
    assert store.active("k1", "synthesis") == 2
    assert store.acquire("k1", "socket", 2, 30) is not None  # pools are separate
    assert store.acquire("k2", "synthesis", 2, 30) is not None  # and keys
    store.release([leases[0]])  # type: ignore[list-item]
    assert store.active("k1", "synthesis") == 1
    assert store.acquire("k1", "synthesis", 2, 30) is not None
    store.release(["k1|synthesis|unknown"])  # unknown ids are ignored


def test_leases_expire_unless_renewed(make_store: Callable[[], Store]) -> None:
    store = make_store()
    kept = store.acquire("k", "synthesis", 2, 0.4)
    lapsed = store.acquire("k", "synthesis", 2, 0.4)
    assert kept and lapsed
    time.sleep(0.25)
    store.renew([kept], 0.6)
    time.sleep(0.3)
    assert store.active("k", "synthesis") == 1  # the renewed one only
    assert store.acquire("k", "synthesis", 2, 30) is not None  # the lapsed slot is free again


def test_renewal_puts_back_a_lease_that_expired(make_store: Callable[[], Store]) -> None:
    """The store was unreachable for longer than the ttl; the work went on: its slot is taken again."""
    store = make_store()
    lease = store.acquire("k", "synthesis", 1, 0.1)
    assert lease
    time.sleep(0.2)
    assert store.active("k", "synthesis") == 0
    store.renew([lease], 5)
    assert store.active("k", "synthesis") == 1
    assert store.acquire("k", "synthesis", 1, 5) is None


def test_admission_is_atomic_under_a_burst(make_store: Callable[[], Store]) -> None:
    """50 simultaneous callers, each on its own connection, for a 2-slot pool: exactly 2 get in."""
    stores = [make_store() for _ in range(50)]
    start = threading.Barrier(len(stores))
    won: list[str] = []

    def take(store: Store) -> None:
        start.wait(timeout=30)
        lease = store.acquire("burst", "synthesis", 2, 30)
        if lease:
            won.append(lease)

    threads = [threading.Thread(target=take, args=(s,)) for s in stores]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert len(won) == 2
    assert stores[0].active("burst", "synthesis") == 2


# -- usage ------------------------------------------------------------------------------------------


def test_usage_adds_up(make_store: Callable[[], Store]) -> None:
    store, other = make_store(), make_store()
    store.record_usage("k1", 100, 2.5)
    other.record_usage("k1", 50, 1.25)
    store.record_usage("k2", 7, 0.5)
    usage = {u.key_id: u for u in store.usage()}
    assert (usage["k1"].requests, usage["k1"].characters, usage["k1"].audio_seconds) == (2, 150, 3.75)
    assert (usage["k2"].requests, usage["k2"].characters) == (1, 7)


# -- pronunciation dictionaries ---------------------------------------------------------------------

ITEMS = (LexiconEntry("Kubernetes", "koo-ber-net-ees"), LexiconEntry("IPA", "/aɪ piː eɪ/", True))


def test_a_dictionary_is_made_listed_changed_and_deleted(make_store: Callable[[], Store]) -> None:
    store, other = make_store(), make_store()  # two connections: two processes or replicas
    made = store.create_dict("owner1", ITEMS, limit=10)
    assert re.fullmatch(r"[0-9a-f]{24}", made.dict_id) and made.owner == "owner1" and made.items == ITEMS
    assert made.created_at == made.updated_at
    assert other.list_dicts("owner1") == [made]
    assert other.get_dicts("owner1", [made.dict_id]) == [made]
    changed = other.update_dict("owner1", made.dict_id, ITEMS[:1])
    assert changed.items == ITEMS[:1] and changed.created_at == pytest.approx(made.created_at)
    assert changed.updated_at >= made.updated_at
    assert store.get_dicts("owner1", [made.dict_id])[0].items == ITEMS[:1]
    store.delete_dict("owner1", made.dict_id)
    assert other.list_dicts("owner1") == [] and other.get_dicts("owner1", [made.dict_id]) == []
    with pytest.raises(NotFound, match=made.dict_id):
        other.delete_dict("owner1", made.dict_id)
    with pytest.raises(NotFound, match=made.dict_id):
        other.update_dict("owner1", made.dict_id, ITEMS)


def test_a_dictionary_is_invisible_to_other_owners(make_store: Callable[[], Store]) -> None:
    store = make_store()
    mine = store.create_dict("alice", ITEMS, limit=10)
    theirs = store.create_dict("bob", ITEMS[:1], limit=10)
    assert store.list_dicts("alice") == [mine] and store.list_dicts("bob") == [theirs]
    assert store.get_dicts("alice", [theirs.dict_id, mine.dict_id, "0" * 24]) == [mine]
    with pytest.raises(NotFound):
        store.update_dict("alice", theirs.dict_id, ITEMS)
    with pytest.raises(NotFound):
        store.delete_dict("alice", theirs.dict_id)
    assert store.get_dicts("bob", [theirs.dict_id])[0].items == ITEMS[:1]


def test_the_operator_may_name_any_owners_dictionaries(make_store: Callable[[], Store]) -> None:
    """owner None: what a listener's settings name (Wyoming has no keys), whoever made them."""
    store = make_store()
    mine = store.create_dict("alice", ITEMS, limit=10)
    theirs = store.create_dict("bob", ITEMS[:1], limit=10)
    assert store.get_dicts(None, [theirs.dict_id, "0" * 24, mine.dict_id]) == [theirs, mine]


def test_stamps_name_what_get_would_return_and_change_with_every_write(make_store: Callable[[], Store]) -> None:
    store, other = make_store(), make_store()
    mine = store.create_dict("alice", ITEMS, limit=10)
    theirs = store.create_dict("bob", ITEMS, limit=10)
    asked = [theirs.dict_id, mine.dict_id, "0" * 24, mine.dict_id]
    assert other.dict_stamps("alice", asked) == [(mine.dict_id, mine.updated_at)]
    assert other.dict_stamps(None, asked) == [(theirs.dict_id, theirs.updated_at), (mine.dict_id, mine.updated_at)]
    assert other.dict_stamps("alice", []) == []
    changed = other.update_dict("alice", mine.dict_id, ITEMS[:1])
    assert store.dict_stamps("alice", [mine.dict_id]) == [(mine.dict_id, changed.updated_at)] != [
        (mine.dict_id, mine.updated_at)
    ]
    other.delete_dict("alice", mine.dict_id)
    assert store.dict_stamps("alice", [mine.dict_id]) == []


def test_dictionaries_list_oldest_first_and_get_keeps_the_order_asked(make_store: Callable[[], Store]) -> None:
    store = make_store()
    made = [store.create_dict("o", (LexiconEntry(f"w{i}", f"word {i}"),), limit=10) for i in range(4)]
    assert [d.dict_id for d in store.list_dicts("o")] == [d.dict_id for d in made]
    ids = [made[2].dict_id, made[0].dict_id, made[2].dict_id]
    assert [d.dict_id for d in store.get_dicts("o", ids)] == [made[2].dict_id, made[0].dict_id]
    assert store.get_dicts("o", []) == []


def test_items_keep_unicode_and_case_sensitivity(make_store: Callable[[], Store]) -> None:
    store, other = make_store(), make_store()
    items = (LexiconEntry("Zoë's café", "/zoʊiz kæˈfeɪ/"), LexiconEntry("naïve", "nigh eve", True),
             LexiconEntry('a "quoted" [word]', "quoted"))  # fmt: skip
    made = store.create_dict("u", items, limit=1)
    assert other.get_dicts("u", [made.dict_id])[0].items == items


def test_the_dictionary_limit_holds_under_a_burst(make_store: Callable[[], Store]) -> None:
    """20 simultaneous creates on their own connections with room for 3: exactly 3 are made."""
    stores = [make_store() for _ in range(20)]
    stores[0].create_dict("busy", ITEMS, limit=3)
    start = threading.Barrier(len(stores))
    outcomes: list[str] = []

    def make(store: Store) -> None:
        start.wait(timeout=30)
        try:
            store.create_dict("busy", ITEMS, limit=3)
            outcomes.append("made")
        except TooManyDictionaries as exc:
            assert "3" in str(exc)
            outcomes.append("refused")

    threads = [threading.Thread(target=make, args=(s,)) for s in stores]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert sorted(outcomes) == ["made"] * 2 + ["refused"] * 18
    assert len(stores[0].list_dicts("busy")) == 3
    stores[0].delete_dict("busy", stores[0].list_dicts("busy")[0].dict_id)
    stores[1].create_dict("busy", ITEMS, limit=3)  # a deleted one makes room


# -- backend specifics ------------------------------------------------------------------------------


def test_sqlite_stores_only_a_salted_digest(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "k.db")
    _, key1 = store.create("a")
    _, key2 = store.create("b")
    store.close()
    raw = b"".join(p.read_bytes() for p in tmp_path.glob("k.db*"))
    assert key1.encode() not in raw and key2.encode() not in raw
    rows = sqlite3.connect(tmp_path / "k.db").execute("SELECT salt, digest FROM keys").fetchall()
    assert len({r[0] for r in rows}) == 2  # a salt per key


def test_a_locked_sqlite_file_is_a_clear_error(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "k.db", busy_timeout_ms=100)
    blocker = sqlite3.connect(tmp_path / "k.db", isolation_level=None)
    blocker.execute("BEGIN EXCLUSIVE")
    try:
        with pytest.raises(StoreError, match="locked"):
            store.acquire("k", "synthesis", 1, 30)
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()
    assert store.acquire("k", "synthesis", 1, 30) is not None  # and it recovers


def test_a_read_only_sqlite_file_is_a_clear_error(tmp_path: Path) -> None:
    SqliteStore(tmp_path / "k.db").close()
    # Opened read-only, as on a read-only file or mount (the tests run as root: permissions alone
    # would not stop a write).
    read_only = SqliteStore(tmp_path / "k.db", mode="ro")
    assert read_only.list() == []
    with pytest.raises(StoreError, match="readonly"):
        read_only.create("x")
    read_only.close()


def test_unreachable_redis_is_a_clear_error_and_recovers(redis: RedisServer) -> None:
    store = RedisStore(redis.url)
    _, key = store.create("outage")
    redis.pause()
    try:
        started = time.monotonic()
        with pytest.raises(StoreError, match=f"127.0.0.1:{redis.port} is unreachable"):
            store.verify(key)
        assert time.monotonic() - started < 3
    finally:
        redis.resume()
    assert store.verify(key) is not None
    store.close()


def test_nothing_listens_for_redis() -> None:
    with pytest.raises(StoreError, match="unreachable"):
        RedisStore("redis://127.0.0.1:9/0")


@pytest.mark.parametrize("url", ["postgres://x", "ftp://y"])
def test_unknown_store_urls(url: str, tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="redis://"):
        open_store(url, tmp_path)


def test_store_urls(tmp_path: Path, redis: RedisServer) -> None:
    assert isinstance(open_store("", tmp_path), SqliteStore)
    assert isinstance(open_store(f"sqlite://{tmp_path / 'other.db'}", tmp_path), SqliteStore)
    assert (tmp_path / "other.db").exists()
    assert isinstance(open_store(redis.url, tmp_path), RedisStore)
    assert isinstance(open_store("memory://", tmp_path), MemoryStore)
