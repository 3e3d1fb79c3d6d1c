"""The official Kokoro v1.0 voices for tests, from the npm package ``kokoro-js`` 1.2.1 (Apache-2.0).

``npm pack`` fetches the package's tarball (27 MB, 54 voices as raw float32 510x256 ``.bin`` files)
from the npm registry into a folder; the voices a test needs are copied into a voices folder laid
out as voicewire's (``<folder>/<name>.bin``), as the voice-pack installer will install them. CI needs
``nodejs`` and ``npm`` (Debian packages).
"""

from __future__ import annotations

import shutil
import subprocess
import tarfile
from collections.abc import Iterable
from pathlib import Path

__all__ = ["PACKAGE", "install_voices"]

PACKAGE = "kokoro-js@1.2.1"


def install_voices(names: Iterable[str], into: Path, scratch: Path) -> Path:
    """Copy the official voices ``names`` into ``into`` (made if missing); returns ``into``."""
    npm = shutil.which("npm")
    if npm is None:
        raise RuntimeError("npm is needed to fetch the official Kokoro voices: apt-get install -y nodejs npm")
    scratch.mkdir(parents=True, exist_ok=True)
    tarball = next(scratch.glob("kokoro-js-*.tgz"), None)
    if tarball is None:
        subprocess.run([npm, "pack", PACKAGE, "--silent"], cwd=scratch, check=True, capture_output=True, timeout=300)
        tarball = next(scratch.glob("kokoro-js-*.tgz"))
    into.mkdir(parents=True, exist_ok=True)
    wanted = {f"package/voices/{name}.bin": name for name in names}
    with tarfile.open(tarball) as archive:
        for member in archive.getmembers():
            if member.name in wanted:
                source = archive.extractfile(member)
                assert source is not None
                (into / f"{wanted[member.name]}.bin").write_bytes(source.read())
    missing = [name for path, name in wanted.items() if not (into / f"{name}.bin").is_file()]
    if missing:
        raise FileNotFoundError(f"{PACKAGE} has no voices {missing}")
    return into
