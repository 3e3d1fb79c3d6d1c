"""``voicewire voices add FILE...``: voices from local files, placed as an install places them.

What a file is, is read from the file:

- ``X.onnx`` with ``X.onnx.json`` beside it: a Piper voice, named from the file (``en_US-lessac-medium``
  -> ``lessac``) or ``--name``;
- an ``.onnx`` whose SHA-256 is that of a hibari registry voice: that hibari voice;
- a ``.bin`` of 522,240 bytes: a Kokoro voice named by its stem (``af_heart.bin``) or ``--name``;
  a ``.npy``: the same, converted; an ``.npz`` archive (kokoro-onnx's ``voices-v1.0.bin``): every
  voice in it, converted (names already installed are skipped and reported).

Files are copied to a hidden name in the voices folder, checked, and renamed into place.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path

from voicewire.exceptions import VoicePackError
from voicewire.voices.formats import check_piper_config, digest_of, kokoro_tables
from voicewire.voices.install import engine_folder, install_lock, place_files, prepare_piper
from voicewire.voices.sources import kokoro_language

__all__ = ["Added", "add_files", "piper_name"]

_ID = re.compile(r"^[a-z0-9][a-z0-9_-]*$")


@dataclass(frozen=True)
class Added:
    voice_id: str
    engine: str
    skipped: str = ""
    """Why it was not added (it exists already), or empty."""


def piper_name(stem: str) -> str:
    """``en_US-lessac-medium`` -> ``lessac``; any other stem as it is."""
    parts = stem.split("-")
    return parts[1] if len(parts) == 3 and "_" in parts[0] else stem


def add_files(paths: list[Path], voices_dir: Path, *, name: str | None, taken: Collection[str],
              cache_dir: Path | None = None) -> list[Added]:  # fmt: skip
    """Add every file of ``paths``; ``taken``: ids in use (installed voices, aliases, other engines'
    listed voices). Nothing is written for a file that fails its checks. A Piper voice is prepared
    (loaded once, its graphs cached in ``cache_dir``) before it becomes visible, as an install does.

    Raises:
        VoicePackError: a file is of no known kind, is damaged, or its name is taken or not allowed.
    """
    if name is not None and len(paths) != 1:
        raise VoicePackError("--name names one voice: give a single FILE with it.")
    taken = {t.lower() for t in taken}
    kinds = [_kind(path) for path in paths]  # every file is checked before any is written
    added: list[Added] = []
    for path, kind in zip(paths, kinds, strict=True):
        if kind == "piper":
            added.append(_add_piper(path, voices_dir, name, taken, cache_dir))
        elif kind == "hibari":
            added.append(_add_hibari(path, voices_dir, name, taken))
        else:
            added += _add_kokoro(path, voices_dir, name, taken)
        taken |= {a.voice_id for a in added}
    return added


def _kind(path: Path) -> str:
    if path.suffix == ".onnx":
        if path.with_name(path.name + ".json").is_file():
            return "piper"
        if _hibari_entry(path) is not None:
            return "hibari"
        raise VoicePackError(f"{str(path)!r}: expected a Piper voice (a .onnx file with {path.name}.json beside it) "
                             "or a hibari voice file (one of hibari's registry, by its SHA-256).")  # fmt: skip
    if path.suffix in (".bin", ".npy", ".npz") and kokoro_tables(path) is not None:
        return "kokoro"
    if path.suffix in (".pt", ".pth"):
        raise VoicePackError(f"{str(path)!r} is a PyTorch file, which voicewire does not read (no torch): use the "
                             ".bin or .npy form of the voice.")  # fmt: skip
    raise VoicePackError(f"{str(path)!r} is no voice file voicewire knows: a Piper .onnx (+ .onnx.json), a hibari "
                         ".onnx, or a Kokoro .bin / .npy / .npz (kokoro-onnx's voices-v1.0.bin).")  # fmt: skip


def _checked_id(voice_id: str, taken: Collection[str]) -> str:
    voice_id = voice_id.lower()
    if not _ID.match(voice_id):
        raise VoicePackError(f"Voice id {voice_id!r} is not allowed: use letters, digits, '-' and '_' (--name).")
    if voice_id in taken:
        raise VoicePackError(f"A voice or alias {voice_id!r} exists already; pick another --name (or "
                             f"`voicewire voices remove {voice_id}` first).")  # fmt: skip
    return voice_id


def _add_piper(path: Path, voices_dir: Path, name: str | None, taken: Collection[str],
               cache_dir: Path | None) -> Added:  # fmt: skip
    config = path.with_name(path.name + ".json")
    check_piper_config(config, config.name)
    voice_id = _checked_id(name or piper_name(path.stem), taken)
    folder = engine_folder(voices_dir, "piper")
    with install_lock(folder, voice_id):
        parts = [(folder / f".{voice_id}.onnx.json.part", f"{voice_id}.onnx.json"),
                 (folder / f".{voice_id}.onnx.part", f"{voice_id}.onnx")]  # fmt: skip
        _copy(config, parts[0][0])
        _copy(path, parts[1][0])
        try:
            prepare_piper(voice_id, parts[1][0], parts[0][0], cache_dir)
        except VoicePackError:
            for part, _ in parts:
                part.unlink(missing_ok=True)
            raise
        place_files(folder, parts)
    return Added(voice_id, "piper")


def _hibari_entry(path: Path) -> tuple[str, dict[str, object]] | None:
    from voicewire.engines.hibari import registry

    size = path.stat().st_size
    candidates = [(n, e) for n, e in registry(None).items() if not e.get("bundled") and int(str(e["bytes"])) == size]
    if not candidates:
        return None
    digest = digest_of(path, "sha256")
    return next(((n, e) for n, e in candidates if str(e["sha256"]).lower() == digest), None)


def _add_hibari(path: Path, voices_dir: Path, name: str | None, taken: Collection[str]) -> Added:
    found = _hibari_entry(path)
    assert found is not None
    voice_id, entry = found
    if name is not None and name.lower() != voice_id:
        raise VoicePackError(f"{str(path)!r} is hibari's voice {voice_id!r}; a hibari voice keeps its registry name "
                             "(leave out --name).")  # fmt: skip
    folder = engine_folder(voices_dir, "hibari")
    target = str(entry["file"])
    if (folder / target).exists():
        return Added(voice_id, "hibari", skipped="installed already")
    with install_lock(folder, voice_id):
        part = folder / f".{target}.part"
        _copy(path, part)
        if digest_of(part, "sha256") != str(entry["sha256"]).lower():
            part.unlink(missing_ok=True)
            raise VoicePackError(f"{str(path)!r} changed while it was copied; nothing was added.")
        place_files(folder, [(part, target)])
    return Added(voice_id, "hibari")


def _add_kokoro(path: Path, voices_dir: Path, name: str | None, taken: Collection[str]) -> list[Added]:
    tables = kokoro_tables(path)
    assert tables is not None
    with path.open("rb") as f:
        bundle = len(tables) > 1 or f.read(2) == b"PK"
    if name is not None:
        if bundle:
            raise VoicePackError(f"{str(path)!r} holds {len(tables)} voices, each added by its own name; "
                                 "leave out --name.")  # fmt: skip
        tables = {name: next(iter(tables.values()))}
    folder = engine_folder(voices_dir, "kokoro")
    out = []
    for voice_name, data in sorted(tables.items()):
        voice_id = voice_name.lower()
        if kokoro_language(voice_id) is None:
            raise VoicePackError(f"Kokoro voice name {voice_id!r} does not say its language: Kokoro names are "
                                 "<language letter><f|m>_<name> (af_heart, ef_dora, jm_kumo), the letter one of "
                                 "a b e f h i j p z; rename the file or use --name.")  # fmt: skip
        if (folder / f"{voice_id}.bin").exists() and bundle:
            out.append(Added(voice_id, "kokoro", skipped="installed already"))
            continue
        voice_id = _checked_id(voice_id, taken)
        with install_lock(folder, voice_id):
            part = folder / f".{voice_id}.bin.part"
            try:
                part.write_bytes(data)
            except OSError as exc:
                part.unlink(missing_ok=True)
                raise VoicePackError(f"Cannot write {str(part)!r}: {exc.strerror}; nothing was added.") from None
            place_files(folder, [(part, f"{voice_id}.bin")])
        out.append(Added(voice_id, "kokoro"))
    return out


def _copy(source: Path, part: Path) -> None:
    try:
        shutil.copyfile(source, part)
    except OSError as exc:
        part.unlink(missing_ok=True)
        raise VoicePackError(f"Cannot copy {str(source)!r} to {str(part.parent)!r}: {exc.strerror}.") from None
