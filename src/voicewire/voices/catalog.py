"""What a catalog offers: one ``CatalogEntry`` per installable voice, with the files that make it.

Entries come from the sources (``voices.sources``: Piper, Kokoro, hibari), each read from its real
public layout. ``voicewire voices available`` and ``install`` write the entries they read to
``<voices_dir>/catalog.json`` (``write_cache``), which the server reads to list voices it has not
installed (``engines.listed``), and which ``available`` falls back on when a source cannot be
reached.
"""

from __future__ import annotations

import datetime
import json
import os
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from voicewire.engines.catalog import primary_subtag
from voicewire.engines.listed import CATALOG_FILE

__all__ = ["CatalogEntry", "RemoteFile", "matches_language", "read_cache", "write_cache"]

CACHE_FORMAT = 1


@dataclass(frozen=True, kw_only=True)
class RemoteFile:
    """One file of a voice, as its catalog describes it."""

    url: str
    size: int
    """Bytes, from the catalog; a download of another size is refused."""
    digest: str
    """``<algorithm>:<hex>``: ``md5`` (Piper), ``sha256`` (hibari, Kokoro files in Git LFS) or
    ``git-sha1`` (a file in plain Git: the SHA-1 of ``blob <size>\\0<bytes>``)."""
    target: str
    """The file's name in the engine's voices folder (``lessac.onnx``)."""


@dataclass(frozen=True, kw_only=True)
class CatalogEntry:
    """One voice a catalog offers, under the id it is installed and spoken as."""

    voice_id: str
    """The id clients speak with (``lessac``, ``af_heart``, ``emma``)."""
    engine: str
    key: str
    """The catalog's own name for it (``en_US-lessac-medium``)."""
    language: str
    """BCP 47 (``en-US``)."""
    sample_rate: int
    files: tuple[RemoteFile, ...]
    gender: str = ""
    quality: str = ""
    description: str = ""
    registry_entry: dict[str, Any] | None = field(default=None, compare=False)
    """hibari voices from a mirror's registry: the entry written beside the model (``<name>.voice.json``)."""

    @property
    def size(self) -> int:
        return sum(f.size for f in self.files)

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["display_name"] = self.voice_id.capitalize()
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> CatalogEntry:
        files = tuple(RemoteFile(**f) for f in data["files"])
        fields = {k: data[k] for k in ("voice_id", "engine", "key", "language", "sample_rate")}
        optional = {k: data[k] for k in ("gender", "quality", "description", "registry_entry") if k in data}
        return cls(files=files, **fields, **optional)


def matches_language(entry: CatalogEntry, wanted: str) -> bool:
    """``en`` matches every English voice; ``en-GB`` / ``en_gb`` only British ones."""
    wanted = wanted.strip().replace("_", "-").lower()
    tag = entry.language.lower()
    return tag == wanted if "-" in wanted else primary_subtag(tag) == wanted


def write_cache(voices_dir: Path, entries: Iterable[CatalogEntry], source: str) -> None:
    """Write what the catalogs offer to ``<voices_dir>/catalog.json`` (temp file + rename, so a reader
    never sees half of it). The server lists these as not installed."""
    voices_dir.mkdir(parents=True, exist_ok=True)
    body = {
        "format": CACHE_FORMAT,
        "written": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "source": source,
        "voices": [e.to_json() for e in entries],
    }
    path = voices_dir / CATALOG_FILE
    tmp = voices_dir / f".{CATALOG_FILE}.{os.getpid()}.tmp"
    tmp.write_text(json.dumps(body, indent=1), encoding="utf-8")
    tmp.replace(path)


def read_cache(voices_dir: Path) -> tuple[list[CatalogEntry], str]:
    """The entries of ``catalog.json`` and when they were written; ([], "") without a readable file."""
    try:
        data = json.loads((voices_dir / CATALOG_FILE).read_text(encoding="utf-8"))
        entries = [CatalogEntry.from_json(e) for e in data["voices"]]
        return entries, str(data.get("written", ""))
    except (OSError, ValueError, KeyError, TypeError):
        return [], ""

