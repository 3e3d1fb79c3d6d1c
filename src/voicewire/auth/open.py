"""open_store: the store a URL names (``VOICEWIRE_STORE`` / ``--store``)."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

from voicewire.auth.store import MemoryStore, Store
from voicewire.exceptions import ConfigError

__all__ = ["STORE_SCHEMES", "open_store"]

STORE_SCHEMES = "sqlite:///PATH (default: VOICEWIRE_HOME/voicewire.db), redis://HOST:PORT/DB, rediss://..., memory://"


def open_store(url: str, home: Path) -> Store:
    """The embedded SQLite file when ``url`` is empty; Redis for ``redis://``; a process-local store for
    ``memory://`` (one process only: keys vanish on restart).

    Raises:
        ConfigError: an unknown scheme.
        StoreError: the store cannot be opened or reached.
    """
    if not url:
        from voicewire.auth.sqlite import SqliteStore

        return SqliteStore(home / "voicewire.db")
    scheme = urlsplit(url).scheme
    if scheme == "sqlite":
        from voicewire.auth.sqlite import SqliteStore

        path = url.removeprefix("sqlite://")
        return SqliteStore(Path(path) if path else home / "voicewire.db")
    if scheme in ("redis", "rediss", "unix"):
        from voicewire.auth.redis import RedisStore

        return RedisStore(url)
    if scheme == "memory":
        return MemoryStore()
    raise ConfigError(f"Config 'VOICEWIRE_STORE' has value {url!r}. Use one of: {STORE_SCHEMES}.")
