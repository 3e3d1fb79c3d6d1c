"""Voices a catalog offers but this machine has not installed, as the server lists them.

``voicewire voices available`` and ``voicewire voices install`` write what the catalogs offered to
``<voices_dir>/catalog.json`` (``voicewire.voices.catalog`` writes it). The server reads that file,
never the network: its voice catalog lists those voices with ``installed: false``, and a request for
one is refused at once with ``voice_not_installed`` naming the install command. Without the file
(nothing was ever listed on this machine) the server lists only what it has.

Each entry of the file's ``voices`` list has at least ``voice_id``, ``engine``, ``language`` (BCP 47)
and ``sample_rate``; ``gender``, ``description`` and ``display_name`` are optional. Anything else
in the file is the voice manager's.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

from voicewire.engines.base import VoiceInfo

__all__ = ["CATALOG_FILE", "listed_voices", "voice_info"]

CATALOG_FILE = "catalog.json"

logger = logging.getLogger("voicewire.engines")


def listed_voices(voices_dir: Path) -> list[VoiceInfo]:
    """The voices of ``<voices_dir>/catalog.json``, all marked not installed; [] if there is none or
    it cannot be read (the server must start whatever the file holds)."""
    path = voices_dir / CATALOG_FILE
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return []
    except (OSError, ValueError) as exc:
        logger.warning("! ignoring the voice catalog %s: %s", path, exc)
        return []
    entries = data.get("voices") if isinstance(data, dict) else None
    if not isinstance(entries, list):
        logger.warning("! ignoring the voice catalog %s: no 'voices' list", path)
        return []
    out = []
    for entry in entries:
        info = voice_info(entry) if isinstance(entry, dict) else None
        if info is not None:
            out.append(info)
    return out


def voice_info(entry: dict[str, Any]) -> VoiceInfo | None:
    """One entry as a not-installed voice, or None if it lacks what a catalog needs."""
    try:
        voice_id, engine, language = str(entry["voice_id"]), str(entry["engine"]), str(entry["language"])
        rate = int(entry["sample_rate"])
    except (KeyError, TypeError, ValueError):
        return None
    if not voice_id or not engine or not language:
        return None
    return VoiceInfo(
        voice_id=voice_id,
        engine=engine,
        display_name=str(entry.get("display_name") or voice_id.capitalize()),
        languages=(language,),
        sample_rate=rate,
        gender=str(entry.get("gender") or ""),
        description=str(entry.get("description") or ""),
        installed=False,
    )
