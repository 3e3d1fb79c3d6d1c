from __future__ import annotations

from voicewire.synthesis.memory import release_freed_memory, reuse_large_blocks


def test_glibc_takes_the_settings_that_keep_large_blocks() -> None:
    assert reuse_large_blocks()  # every mallopt value accepted (e.g. no mmap threshold above its maximum)
    release_freed_memory()
