"""onnxruntime session settings shared by the engines."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from typing import Any

__all__ = ["all_cores_free", "session_options", "with_all_cores"]

_call = threading.local()


def all_cores_free() -> bool:
    """True while the calling thread runs the only synthesis call on the machine (the scheduler says
    so, see ``voicewire.synthesis.busy``): an engine may then run it on every core."""
    return bool(getattr(_call, "all_cores", False))


@contextlib.contextmanager
def with_all_cores(free: bool) -> Iterator[None]:
    """Run the block with :func:`all_cores_free` answering ``free`` on this thread."""
    before = all_cores_free()
    _call.all_cores = free
    try:
        yield
    finally:
        _call.all_cores = before


def session_options(threads: int, *, arena: bool = False) -> Any:
    """CPU session options: ``threads`` intra-op threads, no inter-op parallelism.

    The memory arena is off unless ``arena``: it keeps the largest activation it has ever seen, so
    RSS would grow with the longest unit served. Measured on Piper: 830 MB with the arena vs 575 MB
    without. A model with small activations and many operators (hibari) keeps it on: without it,
    each operator's output is a ``malloc`` from the process's one heap (``synthesis.memory``), and
    100 hibari streams on 2 cores waited on its lock (CPU 174 -> 160 %, TTFA p50 +25 ms).
    Memory patterns are off too: they pre-plan one block for all of a run's activations, which
    added 67 MB of peak for one 100-character Piper unit and saved no time (561 vs 613 ms).
    Idle intra-op threads sleep instead of spinning: with ``threads`` > 1 in each of the server's
    processes, spinning threads took the cores the other calls needed (measured with Piper, 2
    processes x 2 threads, ``bench peers``: 16 clients 6.4 -> 8.8 audio s per s, one client at a time
    374 -> 287 ms); with one thread there is nothing to spin.
    """
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.enable_cpu_mem_arena = arena
    options.enable_mem_pattern = False
    options.log_severity_level = 3
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    return options
