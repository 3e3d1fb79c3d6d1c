"""Lexicons: the pronunciation dictionaries a turn names, read from the store as the turn opens.

Every turn that names dictionaries reads them again (one store call, off the event loop), and
nothing is cached between turns: a dictionary changed through any replica is used, as it is now,
by the next turn that names it. The read and the matcher's index (about a millisecond for a
thousand entries) run together on a thread.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from voicewire.auth.store import Store
from voicewire.exceptions import InvalidField
from voicewire.text.lexicon import Lexicon

__all__ = ["Lexicons"]


class Lexicons:
    def __init__(self, store: Store) -> None:
        self.store = store

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
        found = self.store.get_dicts(owner, dict_ids)
        have = {d.dict_id for d in found}
        missing = [i for i in dict_ids if i not in have]
        if missing:
            raise InvalidField(
                "pronunciation_dicts",
                missing[0],
                "ids of this key's pronunciation dictionaries (GET /waves/v1/pronunciation-dicts lists them)",
            )
        return Lexicon(entry for d in found for entry in d.items)
