"""What a voice file must be, checked before it is installed, and Kokoro's other voice formats.

Kokoro voice vectors are installed in one form, the one ``kokoro-js`` and the hub publish: raw
little-endian float32, 510 rows of 256 (522,240 bytes), row ``len(tokens) - 1`` being the style for
an utterance of that many phoneme tokens. Also read, and converted when they are added:

- ``.npy``: one voice, an array of 510x256 or 510x1x256 (PyTorch's voice packs saved with numpy);
- kokoro-onnx's ``voices-v1.0.bin``: a NumPy ``.npz`` archive, one such array per voice name.

Nothing is unpickled (``allow_pickle=False``), and no torch is needed.
"""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from voicewire.exceptions import VoicePackError
from voicewire.voices.sources import KOKORO_VOICE_BYTES

__all__ = ["KOKORO_SHAPE", "check_kokoro_table", "check_piper_config", "digest_of", "kokoro_tables", "table_bytes"]

KOKORO_SHAPE = (510, 256)
_DIGESTS = {"md5": hashlib.md5, "sha256": hashlib.sha256, "sha1": hashlib.sha1}


def digest_of(path: Path, kind: str) -> str:
    """The hex digest of a file: ``md5``, ``sha256``, or ``git-sha1`` (the Git blob id)."""
    if kind == "git-sha1":
        h = hashlib.sha1(usedforsecurity=False)
        h.update(f"blob {path.stat().st_size}\0".encode())
    elif kind in _DIGESTS:
        h = _DIGESTS[kind](usedforsecurity=False)
    else:
        raise VoicePackError(f"Unknown digest {kind!r} (known: md5, sha256, git-sha1).")
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def check_piper_config(path: Path, shown: str) -> dict[str, Any]:
    """The parsed Piper voice config at ``path`` (``shown`` names it in errors).

    Raises:
        VoicePackError: it is not JSON, or lacks what the Piper engine reads.
    """
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        _ = data["audio"]["sample_rate"], data["phoneme_id_map"], data["espeak"]["voice"]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise VoicePackError(f"{shown} is not a Piper voice config ({exc!r} missing or unreadable).") from None
    if not isinstance(data, dict):
        raise VoicePackError(f"{shown} is not a Piper voice config (not a JSON object).")
    return data


def check_kokoro_table(data: bytes, shown: str) -> None:
    """Raises VoicePackError unless ``data`` is a raw 510x256 float32 table of finite numbers."""
    if len(data) != KOKORO_VOICE_BYTES:
        raise VoicePackError(f"{shown} is {len(data)} bytes; a Kokoro voice is {KOKORO_VOICE_BYTES} "
                             "(510x256 float32).")  # fmt: skip
    table = np.frombuffer(data, dtype="<f4")
    if not np.all(np.isfinite(table)):
        raise VoicePackError(f"{shown} holds values that are not finite numbers: not a Kokoro voice.")


def table_bytes(array: npt.NDArray[Any], shown: str) -> bytes:
    """A Kokoro voice array (510x256 or 510x1x256, any float type) as the raw float32 install form."""
    squeezed = np.asarray(array)
    if squeezed.ndim == 3 and squeezed.shape[1] == 1:
        squeezed = squeezed[:, 0, :]
    if squeezed.shape != KOKORO_SHAPE or squeezed.dtype.kind != "f":
        raise VoicePackError(f"{shown} holds a {squeezed.dtype} array of shape {tuple(np.shape(array))}; a Kokoro "
                             "voice is float 510x256 (or 510x1x256).")  # fmt: skip
    data = np.ascontiguousarray(squeezed, dtype="<f4").tobytes()
    check_kokoro_table(data, shown)
    return data


def kokoro_tables(path: Path) -> dict[str, bytes] | None:
    """The voices in a Kokoro voice file, as install-ready bytes by name, or None if ``path`` is not
    one: a raw ``.bin`` (named by its stem), a ``.npy``, or an ``.npz`` archive (kokoro-onnx's
    ``voices-v1.0.bin``: every voice in it, by its name in the archive).

    Raises:
        VoicePackError: the file is of a Kokoro kind but its content is wrong.
    """
    try:
        with path.open("rb") as f:
            head = f.read(6)
    except OSError as exc:
        raise VoicePackError(f"Cannot read {str(path)!r}: {exc.strerror}.") from None
    shown = repr(str(path))
    if head.startswith(b"PK"):
        return _npz(path, shown)
    if head == b"\x93NUMPY":
        try:
            array = np.load(path, allow_pickle=False)
        except (ValueError, OSError) as exc:
            raise VoicePackError(f"{shown} is not a readable .npy array: {exc}.") from None
        return {path.stem: table_bytes(array, shown)}
    if path.suffix == ".bin":
        data = path.read_bytes()
        check_kokoro_table(data, shown)
        return {path.stem: data}
    return None


def _npz(path: Path, shown: str) -> dict[str, bytes]:
    try:
        with zipfile.ZipFile(path) as archive:
            names = [n for n in archive.namelist() if n.endswith(".npy")]
            out = {}
            for member in names:
                with archive.open(member) as f:
                    array = np.load(io.BytesIO(f.read()), allow_pickle=False)
                name = member.rsplit("/", 1)[-1].removesuffix(".npy")
                out[name] = table_bytes(array, f"{shown} ({name})")
    except (zipfile.BadZipFile, ValueError, OSError) as exc:
        raise VoicePackError(f"{shown} is not a readable voice archive (.npz): {exc}.") from None
    if not out:
        raise VoicePackError(f"{shown} is an archive with no voice arrays in it.")
    return out
