"""Give freed memory back to the operating system, when nothing needs it.

glibc keeps memory that numpy and onnxruntime free after a unit, so a server's RSS ratchets up to
its worst moment and stays there (580 MB after a run that needs 355).
``malloc_trim`` returns it (0.06 ms on a quiet heap). Elsewhere than glibc it does nothing.

But memory given back costs page faults when it is taken again, and a synthesis call takes a lot:
a Piper decoder's activations are megabytes each, which glibc serves with a fresh ``mmap`` per
block and unmaps on ``free``, so every call faulted all of its activations in anew (joe, 60
sentences: 1.08 M page faults). So :func:`reuse_large_blocks` makes glibc serve blocks up to 32 MB
from its heaps and keep them when freed (0.23 M faults, a sentence 15-25 % faster), and the
synthesis pool trims only once it is idle (``voicewire.synthesis.scheduler``): a busy server
reuses its working set, an idle one gives it back (and so does one that unloads a voice).
"""

from __future__ import annotations

import ctypes
import ctypes.util
from collections.abc import Callable

__all__ = ["release_freed_memory", "reuse_large_blocks"]


def _load_glibc() -> tuple[Callable[[int], int] | None, Callable[[int, int], int] | None]:
    """glibc's ``malloc_trim`` and ``mallopt``; None, None elsewhere."""
    name = ctypes.util.find_library("c")
    if name is None:
        return None, None
    try:
        libc = ctypes.CDLL(name)
        return libc.malloc_trim, libc.mallopt
    except (OSError, AttributeError):  # not glibc
        return None, None


_trim, _mallopt = _load_glibc()

# mallopt parameters (malloc.h)
_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3
_M_ARENA_MAX = -8
LARGE_BLOCK = 32 * 1024 * 1024
"""Blocks up to this size come from glibc's heaps (its largest allowed mmap threshold)."""


def reuse_large_blocks() -> bool:
    """Keep freed large blocks for the next call instead of unmapping them (the whole process; call
    once, before the synthesis threads start). One heap for all threads: a thread's own heap goes
    back to the system whole once all of it is free, which is after every call. Memory freed stays
    until :func:`release_freed_memory`. False where not glibc (or it refused a value)."""
    if _mallopt is None:
        return False
    # A trim threshold above any heap's free top: free() never trims on its own; the idle pool's trim does.
    settings = ((_M_MMAP_THRESHOLD, LARGE_BLOCK), (_M_TRIM_THRESHOLD, 1 << 30), (_M_ARENA_MAX, 1))
    return all(_mallopt(param, value) for param, value in settings)


def release_freed_memory() -> None:
    """Give the memory the process has freed back to the system (call it when nothing needs it)."""
    if _trim is not None:
        _trim(0)
