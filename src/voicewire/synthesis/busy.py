"""How many synthesis calls run right now on the machine, across the server's processes.

A call that finds no other running may use every core (an engine with a session of more intra-op
threads for it): one request alone on a 2-core box otherwise leaves a core idle, and makes its
audio at half the speed the box could. A call that finds others keeps to one core, where threads
are spent best under load (measured with Piper, ``bench peers``: two threads per call made the
lone request 30 % faster and 16 clients 20 % slower).

One process counts in memory. The processes of ``serve --workers N`` share a small file: process
``i`` writes its own count at slot ``i`` (a restarted process starts its slot from zero) and reads
the sum of all slots. Two processes that start a call at the same instant may both find the machine
idle; for the length of those calls the cores are shared by more threads than they have, as they
would be without this.
"""

from __future__ import annotations

import mmap
import struct
import threading
from pathlib import Path

from voicewire.shared_file import map_shared_file

__all__ = ["SLOTS", "MachineBusy"]

SLOTS = 256
"""Processes one shared file counts; a process with a higher slot counts only its own calls."""
_SLOT = struct.Struct("<q")
_ALL = struct.Struct(f"<{SLOTS}q")


class MachineBusy:
    """Counts the synthesis calls running now; :meth:`start` says whether a call is alone."""

    def __init__(self, shared: tuple[Path, int] | None = None) -> None:
        """``shared``: the file the processes of one server share and this process's slot in it;
        None: this process only."""
        self._lock = threading.Lock()
        self._running = 0
        self._map: mmap.mmap | None = None
        self._offset = 0
        if shared is not None and shared[1] < SLOTS:
            path, slot = shared
            self._map = map_shared_file(path, _ALL.size)
            self._offset = slot * _SLOT.size
            _SLOT.pack_into(self._map, self._offset, 0)

    def start(self) -> bool:
        """Count a call that starts now; True when no other call runs on the machine."""
        with self._lock:
            alone = self._running == 0 and self._others() == 0
            self._running += 1
            self._publish()
            return alone

    def finish(self) -> None:
        """A call counted by :meth:`start` has ended."""
        with self._lock:
            self._running -= 1
            self._publish()

    @property
    def running(self) -> int:
        """Calls running now on the machine (this process's and the others')."""
        with self._lock:
            return self._running + self._others()

    def close(self) -> None:
        with self._lock:
            if self._map is not None:
                _SLOT.pack_into(self._map, self._offset, 0)
                self._map.close()
                self._map = None

    def _others(self) -> int:
        if self._map is None:
            return 0
        counts: tuple[int, ...] = _ALL.unpack_from(self._map)
        return sum(counts) - counts[self._offset // _SLOT.size]

    def _publish(self) -> None:
        if self._map is not None:
            _SLOT.pack_into(self._map, self._offset, self._running)
