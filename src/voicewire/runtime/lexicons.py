"""Lexicons: the pronunciation dictionaries a turn names, checked against the store as the turn opens.

Every turn that names dictionaries asks the store for their ``updated_at`` stamps (one small call,
off the event loop): a dictionary changed through any replica is used, as it is now, by the next
turn that names it. The matcher built from the same dictionaries at the same stamps is kept and
reused: reading a thousand entries and indexing them cost a turn ~5 ms, the stamps well under one.
"""

from __future__ import annotations

import asyncio
import threading
from collections import OrderedDict
from collections.abc import Sequence

from voicewire.auth.store import Store
from voicewire.exceptions import InvalidField
from voicewire.text.lexicon import Lexicon

__all__ = ["Lexicons"]

KEPT = 32
"""Matchers kept (the most recently used): a 1,000-entry one is about a megabyte."""

Stamps = tuple[tuple[str, float], ...]


class Lexicons:
    def __init__(self, store: Store, *, kept: int = KEPT) -> None:
        self.store = store
        self.kept = kept
        self._built: OrderedDict[Stamps, Lexicon] = OrderedDict()
        self._lock = threading.Lock()  # loads run on worker threads

    async def resolve(self, owner: str | None, dict_ids: Sequence[str]) -> Lexicon | None:
        """The entries of ``dict_ids``, first dictionary first; None when none is named. ``owner``: the
        id of the key whose dictionaries they must be, or None for any key's (a listener without keys,
        whose dictionaries the operator names in its settings).

        Raises:
            InvalidField: an id is unknown, or another key's (``pronunciation_dicts``, a 400).
            StoreError: the store is unreachable.
        """
        if not dict_ids:
            return None
        return await asyncio.to_thread(self.load, owner, tuple(dict_ids))

    def load(self, owner: str | None, dict_ids: Sequence[str]) -> Lexicon:
        """``resolve``, blocking."""
        stamps = tuple(self.store.dict_stamps(owner, dict_ids))
        _check_found(dict_ids, [i for i, _ in stamps])
        with self._lock:
            lexicon = self._built.get(stamps)
            if lexicon is not None:
                self._built.move_to_end(stamps)
                return lexicon
        found = self.store.get_dicts(owner, dict_ids)
        _check_found(dict_ids, [d.dict_id for d in found])  # deleted in between
        lexicon = Lexicon(entry for d in found for entry in d.items)
        with self._lock:  # under the stamps read with the items: a change in between is not hidden
            self._built[tuple((d.dict_id, d.updated_at) for d in found)] = lexicon
            while len(self._built) > self.kept:
                self._built.popitem(last=False)
        return lexicon


def _check_found(asked: Sequence[str], found: list[str]) -> None:
    have = set(found)
    missing = [i for i in asked if i not in have]
    if missing:
        raise InvalidField(
            "pronunciation_dicts",
            missing[0],
            "ids of this key's pronunciation dictionaries (GET /waves/v1/pronunciation-dicts lists them)",
        )
