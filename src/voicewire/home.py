"""VOICEWIRE_HOME must be a folder voicewire can write to: checked once, at start, with a clear error.

Keys, usage, added voices and caches live there. A home that cannot be created, is read-only, or sits
on a full disk would otherwise surface later as a failed request; ``check_home`` turns it into one
message at start that names the folder, the system's reason and what to do.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

from voicewire.exceptions import ConfigError

__all__ = ["PROBE_BYTES", "check_home"]

PROBE_BYTES = 64 * 1024
"""Written and removed at start: enough to need real free blocks, small enough to be instant."""


def check_home(home: Path) -> None:
    """Create ``home`` if needed and prove a file can be written and synced there."""
    probe = home / f".write-test-{os.getpid()}"
    try:
        home.mkdir(parents=True, exist_ok=True)
        with probe.open("wb") as out:
            out.write(b"\0" * PROBE_BYTES)
            out.flush()
            os.fsync(out.fileno())
    except OSError as exc:
        raise ConfigError(
            f"VOICEWIRE_HOME {str(home)!r} is not writable: {exc.strerror or exc} (errno {exc.errno}). "
            "voicewire keeps its keys, usage and voices there: free some disk space, fix the folder's "
            "permissions, or point VOICEWIRE_HOME (or --home) at a writable folder."
        ) from None
    finally:
        with contextlib.suppress(OSError):  # the folder itself is the problem; the error says so
            probe.unlink(missing_ok=True)
