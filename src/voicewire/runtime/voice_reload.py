"""Voices installed or removed while the server runs reach every process of it within seconds.

Each server process (``serve --workers N`` runs N) watches its voices folder on its own: about once
a second it takes the folder's signature (the name, size and modification time of every file in
``<voices_dir>`` and its engine folders, downloads in progress aside), and when that changed it has
the catalog ``refresh`` on a worker thread. Polling costs a few ``stat`` calls a second and needs no
signal between processes, so it works the same for one process, many, or a folder changed by hand.
Each tick also lets the loaded-voice budget unload what it must (``Catalog.trim``).

Nothing here touches a running turn: it holds its voice's engine, and an engine keeps a removed
voice's model loaded while a turn may use it (``engines.budget``).
"""

from __future__ import annotations

import asyncio
import logging
import os
from pathlib import Path

from voicewire.engines.catalog import Catalog
from voicewire.synthesis.memory import release_freed_memory

__all__ = ["RELOAD_INTERVAL", "folder_signature", "reload_voices_forever"]

logger = logging.getLogger("voicewire.runtime")

RELOAD_INTERVAL = 1.0
"""Seconds between two looks at the voices folder: a voice is served at most ~2 s after it lands."""

Signature = tuple[tuple[str, int, int], ...]


def folder_signature(voices_dir: Path) -> Signature:
    """(relative name, size, mtime) of every visible file in ``voices_dir`` and one level below.

    Hidden files (a ``.part`` download, a temporary copy) are left out: they change every moment
    of a download, and are not voices until renamed into place.
    """
    found: list[tuple[str, int, int]] = []
    for folder, prefix in _folders(voices_dir):
        try:
            with os.scandir(folder) as entries:
                for entry in entries:
                    if entry.name.startswith("."):
                        continue
                    try:
                        if entry.is_file():
                            st = entry.stat()
                            found.append((prefix + entry.name, st.st_size, st.st_mtime_ns))
                    except OSError:
                        continue  # removed between the listing and the stat
        except OSError:
            continue  # no such folder (yet)
    return tuple(sorted(found))


def _folders(voices_dir: Path) -> list[tuple[Path, str]]:
    out = [(voices_dir, "")]
    try:
        with os.scandir(voices_dir) as entries:
            out += [(Path(e.path), e.name + "/") for e in entries if not e.name.startswith(".") and e.is_dir()]
    except OSError:
        pass
    return out


async def reload_voices_forever(catalog: Catalog, voices_dir: Path, interval: float = RELOAD_INTERVAL) -> None:
    """Refresh ``catalog`` whenever the voices folder changes, and trim the loaded voices; until
    cancelled. The first look always refreshes (the folder may have changed since the catalog was
    built). Errors are logged and the watch goes on."""
    seen: Signature | None = None
    while True:
        try:
            now = await asyncio.to_thread(folder_signature, voices_dir)
            if now != seen:
                before = _installed(catalog)
                await asyncio.to_thread(catalog.refresh)
                after = _installed(catalog)
                if seen is not None or before != after:
                    logger.info("= voices folder changed: %d installed voices (added: %s; removed: %s)", len(after),
                                ", ".join(sorted(after - before)) or "none",
                                ", ".join(sorted(before - after)) or "none")  # fmt: skip
                seen = now
            if await asyncio.to_thread(catalog.trim):
                await asyncio.to_thread(release_freed_memory)  # an unloaded voice's memory goes back to the system
        except asyncio.CancelledError:
            raise
        except Exception:  # a bug here must not stop the watch, nor the server
            logger.exception("! looking at the voices folder %s failed", voices_dir)
        await asyncio.sleep(interval)


def _installed(catalog: Catalog) -> set[str]:
    return {voice_id for voice_id, info in catalog.voices() if info.installed and voice_id == info.voice_id}
