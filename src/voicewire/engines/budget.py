"""How many voices a process keeps loaded: the least recently used go first.

A loaded voice costs memory (a Piper voice ~100 MB of onnxruntime sessions, a hibari voice ~30 MB)
and an installed one costs nothing until it is used, so a server with fifty installed voices starts
with only its preloaded ones and loads the others on first use. Past ``limit`` loaded voices, the
one used longest ago is unloaded, with two exceptions that keep running work intact:

- a voice used in the last ``busy_seconds`` is never unloaded for the budget: the units of a turn
  come one after the other, and a turn must not reload its voice between two of them. Under a burst
  of many distinct voices the count may pass the limit for a few seconds; ``trim`` brings it back.
- a voice whose files were removed (``retire``) cannot be loaded again, so it stays loaded while a
  turn may still be using it, and goes once idle for ``retired_seconds``, whatever the budget.

One budget is shared by the engines of a process (``engines.registry.build_catalog``), so the limit
counts every engine's voices. Engines report each use (``used``) and each load (``loaded``); the
budget calls ``unload`` on the engine that owns a voice it lets go, never while holding its lock.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

__all__ = ["BUSY_SECONDS", "RETIRED_SECONDS", "Unloadable", "VoiceBudget"]

logger = logging.getLogger("voicewire.engines")

BUSY_SECONDS = 10.0
"""A voice used this recently is in a running turn, as far as the budget can tell."""

RETIRED_SECONDS = 60.0
"""A removed voice stays loaded this long after its last use: the live socket's default idle time."""


class Unloadable(Protocol):
    """What the budget needs of an engine."""

    name: str

    def unload(self, voice_id: str) -> None:
        """Drop the voice's loaded model (a call that is using it finishes with it)."""


@dataclass
class _Entry:
    engine: Unloadable
    voice_id: str
    last_used: float
    retired: bool = False


class VoiceBudget:
    def __init__(
        self,
        limit: int | None = None,
        *,
        busy_seconds: float = BUSY_SECONDS,
        retired_seconds: float = RETIRED_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """``limit``: voices loaded at most (None: no limit)."""
        if limit is not None and limit < 1:
            raise ValueError(f"limit must be at least 1, not {limit!r}")
        self.limit = limit
        self.busy_seconds = busy_seconds
        self.retired_seconds = retired_seconds
        self._clock = clock
        self._entries: OrderedDict[tuple[str, str], _Entry] = OrderedDict()  # least recently used first
        self._lock = threading.Lock()

    def loaded(self, engine: Unloadable, voice_id: str) -> None:
        """``engine`` has just loaded ``voice_id``: count it, and unload the least recently used over
        the limit. Call it without holding the engine's own lock."""
        self.used(engine, voice_id)
        self._unload(self._over_limit(keep=(engine.name, voice_id)))

    def used(self, engine: Unloadable, voice_id: str) -> None:
        """``voice_id`` of ``engine`` is being used now (cheap: call it on every engine call)."""
        key = (engine.name, voice_id)
        now = self._clock()
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                self._entries[key] = _Entry(engine, voice_id, now)
            else:
                entry.last_used = now
                self._entries.move_to_end(key)

    def retire(self, engine: Unloadable, voice_id: str) -> None:
        """The files of ``voice_id`` are gone: unload it once it has been idle ``retired_seconds``."""
        with self._lock:
            entry = self._entries.get((engine.name, voice_id))
            if entry is not None:
                entry.retired = True

    def forget(self, engine: Unloadable, voice_id: str | None = None) -> None:
        """The engine unloaded ``voice_id`` (None: every voice) itself."""
        with self._lock:
            for key in [k for k in self._entries if k[0] == engine.name and voice_id in (None, k[1])]:
                del self._entries[key]

    def trim(self) -> list[str]:
        """Unload idle removed voices, then the least recently used past the limit; returns what went
        (``engine:voice``). Call it now and then (the runtime does, about once a second)."""
        now = self._clock()
        with self._lock:
            gone = [e for e in self._entries.values() if e.retired and now - e.last_used >= self.retired_seconds]
            for entry in gone:
                del self._entries[(entry.engine.name, entry.voice_id)]
        return self._unload([*gone, *self._over_limit(keep=None)])

    def loaded_voices(self) -> list[str]:
        """``engine:voice`` of every loaded voice, least recently used first."""
        with self._lock:
            return [f"{engine}:{voice}" for engine, voice in self._entries]

    def _over_limit(self, keep: tuple[str, str] | None) -> list[_Entry]:
        if self.limit is None:
            return []
        now = self._clock()
        out: list[_Entry] = []
        with self._lock:
            excess = len(self._entries) - self.limit
            for key, entry in list(self._entries.items()):
                if excess <= 0:
                    break
                if key == keep or now - entry.last_used < self.busy_seconds:
                    continue
                del self._entries[key]
                out.append(entry)
                excess -= 1
        return out

    def _unload(self, entries: list[_Entry]) -> list[str]:
        for entry in entries:
            logger.info("= unloading voice %r (%s)%s", entry.voice_id, entry.engine.name,
                        " (removed)" if entry.retired else "")  # fmt: skip
            entry.engine.unload(entry.voice_id)
        return [f"{e.engine.name}:{e.voice_id}" for e in entries]
