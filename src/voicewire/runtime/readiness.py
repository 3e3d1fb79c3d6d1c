"""Whether a server is ready: every one of its processes has loaded the voices it preloads.

``serve --workers N`` runs N processes on one port. A probe (or a benchmark's harness, or a load
balancer's health check) reaches one of them, and that one used to answer for itself only: "ready"
while its neighbour was still loading three engines, so the first requests that landed there paid
for the loading, and the neighbour's loading took the cores from the ready one. The processes now
share a small file with a byte per process: process ``i`` sets byte ``i`` once its voices are
loaded (a restarted process clears it first), and each answers ready only when every byte is set.
"""

from __future__ import annotations

import mmap
import threading
from pathlib import Path

from voicewire.shared_file import map_shared_file

__all__ = ["Readiness"]


class Readiness:
    """This process's readiness, and (when shared) that of the server's other processes."""

    def __init__(self, shared: tuple[Path, int, int] | None = None) -> None:
        """``shared``: the file the processes of one server share, this process's slot in it and the
        number of processes; None: this process alone (a flag of its own, in memory)."""
        self._lock = threading.Lock()
        self._flags: bytearray | mmap.mmap = bytearray(1)
        self._slot = 0
        if shared is not None:
            path, self._slot, processes = shared
            self._flags = map_shared_file(path, max(processes, self._slot + 1))
            self._flags[self._slot] = 0

    def mark(self, ready: bool) -> None:
        """This process has (or no longer has) its voices loaded."""
        with self._lock:
            self._flags[self._slot] = 1 if ready else 0

    @property
    def ready(self) -> bool:
        """This process and every other process of the server are ready."""
        with self._lock:
            return all(self._flags[:])

    def close(self) -> None:
        """Give the slot back (not ready); this process then counts as not ready too."""
        with self._lock:
            if isinstance(self._flags, mmap.mmap):
                self._flags[self._slot] = 0
                self._flags.close()
            self._flags = bytearray(1)
