"""onnxruntime session settings shared by the engines."""

from __future__ import annotations

from typing import Any

__all__ = ["session_options"]


def session_options(threads: int) -> Any:
    """CPU session options: ``threads`` intra-op threads, no inter-op parallelism.

    The memory arena is off: it keeps the largest activation it has ever seen, so RSS would grow
    with the longest unit served. Measured on Piper: 830 MB with the arena vs 575 MB without.
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
    options.enable_cpu_mem_arena = False
    options.enable_mem_pattern = False
    options.log_severity_level = 3
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    return options
