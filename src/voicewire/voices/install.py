"""Putting a voice's files in place so that no one ever sees half a voice, and taking them away.

Install: every file downloads to a hidden ``.<name>.part`` in the engine's voices folder (the same
file system, so the final step is a rename), its size and digest are checked against the catalog,
its content is checked for its engine (a Piper config is read, a Piper model is opened and its
graphs prepared, a Kokoro table is checked for 510x256 finite floats), and only then are the files
renamed into place, the one that makes the voice visible last (``<id>.onnx`` after its config; a
hibari model before its ``.voice.json``). A file that fails a check is deleted; a crash at any point
leaves hidden files only, which no engine reads and the next install continues or replaces. A lock
file keeps two installs of one voice apart.

Remove: the file that makes the voice visible goes first, then the rest (and Piper's prepared
graphs). A running server stops offering the voice within seconds; turns already speaking with it
finish (the engine keeps the loaded model).
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
from collections.abc import Callable, Iterator
from pathlib import Path

from voicewire.exceptions import ConfigError, DownloadFailed, VerificationFailed, VoicePackError
from voicewire.voices.catalog import CatalogEntry, RemoteFile
from voicewire.voices.fetch import Progress, download
from voicewire.voices.formats import check_kokoro_table, check_piper_config, digest_of
from voicewire.voices.installed import BUNDLED, HIBARI_CACHE, InstalledVoice

__all__ = ["Installer", "ProgressFactory", "engine_folder", "place_files", "prepare_piper"]

ProgressFactory = Callable[[CatalogEntry, int], contextlib.AbstractContextManager[Progress | None]]
"""Given a voice and the bytes already on disk (a download being continued), a context in which
the returned callable is told of every chunk written."""


def engine_folder(voices_dir: Path, engine: str) -> Path:
    folder = voices_dir / engine
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigError(
            f"Cannot create the voices folder {str(folder)!r} (VOICEWIRE_HOME): {exc.strerror}."
        ) from None
    return folder


@contextlib.contextmanager
def install_lock(folder: Path, voice_id: str) -> Iterator[None]:
    """Held while ``voice_id``'s files are written in ``folder``; a second holder is refused at once."""
    path = folder / f".{voice_id}.lock"
    with path.open("a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise VoicePackError(f"Voice {voice_id!r} is being installed by another voicewire right now; "
                                 "wait for it to finish.") from None  # fmt: skip
        try:
            yield
        finally:
            path.unlink(missing_ok=True)
            fcntl.flock(handle, fcntl.LOCK_UN)


def place_files(folder: Path, parts: list[tuple[Path, str]]) -> None:
    """Rename each hidden part to its final name, in order (the last one makes the voice visible),
    then sync the folder so the renames survive a power cut."""
    for part, target in parts:
        part.replace(folder / target)
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


class Installer:
    def __init__(self, voices_dir: Path, cache_dir: Path | None = None) -> None:
        """``cache_dir``: where Piper's prepared graphs go (the server's ``<home>/cache``)."""
        self.voices_dir = voices_dir
        self.cache_dir = cache_dir

    def is_installed(self, entry: CatalogEntry) -> bool:
        return (self.voices_dir / entry.engine / _visible(entry)).exists()

    def install(self, entry: CatalogEntry, progress: ProgressFactory | None = None) -> None:
        """Download, verify and place ``entry``'s files.

        Raises:
            DownloadFailed: a file could not be fetched (what arrived is kept to continue from).
            VerificationFailed: a file is not the catalog's (deleted; nothing installed).
            VoicePackError: the voice is installed already, or is being installed by another process.
        """
        folder = engine_folder(self.voices_dir, entry.engine)
        if self.is_installed(entry):
            raise VoicePackError(f"Voice {entry.voice_id!r} is installed already; `voicewire voices remove "
                                 f"{entry.voice_id}` first to install it again.")  # fmt: skip
        with install_lock(folder, entry.voice_id):
            parts = [(folder / f".{f.target}.part", f) for f in entry.files]
            already = sum(p.stat().st_size for p, f in parts if p.exists() and p.stat().st_size <= f.size)
            try:
                with (progress(entry, already) if progress is not None else contextlib.nullcontext(None)) as tick:
                    for part, remote in parts:
                        download(remote.url, part, remote.size, progress=tick)
                        _verify(part, remote)
            except DownloadFailed as exc:
                if not exc.resumable:  # nothing to continue from: leave nothing behind
                    _discard(parts)
                raise
            except VerificationFailed:
                _discard(parts)
                raise
            self._check_content(entry, [(p, f) for p, f in parts])
            ordered = [(p, f.target) for p, f in parts if f.target != _visible(entry)]
            ordered += [(p, f.target) for p, f in parts if f.target == _visible(entry)]
            if entry.registry_entry is not None:  # hibari from a mirror's registry: its entry comes last
                from voicewire.engines.hibari import SIDECAR_SUFFIX

                sidecar = folder / f".{entry.voice_id}{SIDECAR_SUFFIX}.part"
                sidecar.write_text(json.dumps(entry.registry_entry, indent=1), encoding="utf-8")
                ordered.append((sidecar, f"{entry.voice_id}{SIDECAR_SUFFIX}"))
            place_files(folder, ordered)

    def _check_content(self, entry: CatalogEntry, parts: list[tuple[Path, RemoteFile]]) -> None:
        try:
            if entry.engine == "kokoro":
                for part, remote in parts:
                    check_kokoro_table(part.read_bytes(), remote.url)
            elif entry.engine == "piper":
                model = next(p for p, f in parts if f.target.endswith(".onnx"))
                config = next(p for p, f in parts if f.target.endswith(".onnx.json"))
                check_piper_config(config, next(f.url for _, f in parts if f.target.endswith(".onnx.json")))
                self._prepare_piper(entry.voice_id, model, config)
        except VoicePackError:
            _discard(parts)
            raise

    def _prepare_piper(self, voice_id: str, model: Path, config: Path) -> None:
        prepare_piper(voice_id, model, config, self.cache_dir)

    def remove(self, voice: InstalledVoice) -> None:
        """Take ``voice``'s files away, the one that makes it visible first.

        Raises:
            VoicePackError: the voice ships with voicewire, or lives in hibari's own cache.
        """
        if voice.where == BUNDLED:
            raise VoicePackError(f"Voice {voice.voice_id!r} ships with voicewire and cannot be removed "
                                 "(an alias or VOICEWIRE_PRELOAD may point elsewhere instead).")  # fmt: skip
        if voice.where == HIBARI_CACHE:
            raise VoicePackError(f"Voice {voice.voice_id!r} was put in hibari's own cache by hibari, not by "
                                 f"voicewire; delete {str(voice.files[0])!r} to remove it.")  # fmt: skip
        try:
            for path in reversed(voice.files):
                path.unlink(missing_ok=True)
            if voice.engine == "piper" and self.cache_dir is not None:
                from voicewire.engines.piper import cached_files

                for path in cached_files(self.cache_dir, voice.voice_id):
                    path.unlink(missing_ok=True)
        except OSError as exc:
            raise VoicePackError(f"Cannot remove voice {voice.voice_id!r}: {exc.strerror} ({exc.filename}).") from None


def prepare_piper(voice_id: str, model: Path, config: Path, cache_dir: Path | None) -> None:
    """Load a Piper voice once from its hidden files, before it becomes visible, so that a model the
    engine cannot use is refused here, and the server's first use finds its graphs and sessions
    prepared (``<cache_dir>/piper``: keyed by the model's size and time, which the rename keeps).

    Raises:
        VoicePackError: the model cannot be read or give phoneme durations.
    """
    from voicewire.engines.piper import PiperEngine, PiperVoiceFiles
    from voicewire.exceptions import VoicewireError

    engine = PiperEngine(voices=[PiperVoiceFiles(voice_id, model, config)], cache_dir=cache_dir)
    try:
        engine.prepare(voice_id)
    except VoicewireError as exc:
        raise VoicePackError(f"Voice {voice_id!r} cannot be used by the Piper engine: {exc}") from None
    except Exception as exc:  # onnx refuses the file
        raise VoicePackError(f"Voice {voice_id!r}: the model is not a readable ONNX graph ({exc}).") from None
    finally:
        engine.close()


def _discard(parts: list[tuple[Path, RemoteFile]]) -> None:
    for part, _ in parts:
        part.unlink(missing_ok=True)


def _visible(entry: CatalogEntry) -> str:
    """The file whose arrival makes the voice visible to its engine."""
    if entry.engine == "piper":
        return next(f.target for f in entry.files if f.target.endswith(".onnx"))
    return entry.files[0].target


def _verify(part: Path, remote: RemoteFile) -> None:
    size = part.stat().st_size
    if size != remote.size:
        part.unlink(missing_ok=True)
        raise VerificationFailed(f"{remote.url} is {size} bytes, but the catalog says {remote.size}: the file was "
                                 "deleted and nothing was installed (the server or mirror holds another or a "
                                 "damaged file).")  # fmt: skip
    kind, _, expected = remote.digest.partition(":")
    got = digest_of(part, kind)
    if got != expected:
        part.unlink(missing_ok=True)
        raise VerificationFailed(f"{remote.url} has {kind} {got}, but the catalog says {expected}: the file was "
                                 "deleted and nothing was installed (the server or mirror holds another or a "
                                 "damaged file).")  # fmt: skip
