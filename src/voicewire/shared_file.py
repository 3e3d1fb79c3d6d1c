"""A small file the processes of one server map into memory, each writing its own slot.

``serve --workers N`` shares two such files between its processes (in the supervisor's temporary
folder): the count of running synthesis calls (``synthesis/busy.py``) and whether each process has
loaded its voices (``runtime/readiness.py``).
"""

from __future__ import annotations

import mmap
from pathlib import Path

__all__ = ["map_shared_file"]


def map_shared_file(path: Path, size: int) -> mmap.mmap:
    """``path`` mapped for reading and writing, at least ``size`` bytes: created by the first
    process that maps it, grown if it is shorter, never shrunk, and zeros where it was grown."""
    with open(path, "a+b") as file:
        if file.seek(0, 2) < size:
            file.truncate(size)
        return mmap.mmap(file.fileno(), size)
