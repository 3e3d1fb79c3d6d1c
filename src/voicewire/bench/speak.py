"""``voicewire bench speak``: the command line on a long text, as a user runs it.

Each run is a fresh ``voicewire speak -f`` process (start, model load, synthesis on the pool, encoding,
writing), so the figure includes everything a user waits for. CPU time and peak RSS come from the
child's own accounting (``wait4``), audio length from the file written.
"""

from __future__ import annotations

import itertools
import os
import subprocess
import sys
import tempfile
import time
import wave
from pathlib import Path
from typing import Any

from voicewire.bench.corpus import SENTENCES
from voicewire.bench.mp3frames import FrameCounter

__all__ = ["SPEAK_RATE", "audio_seconds", "bench_speak", "book"]

SPEAK_RATE = 44100
"""The rate ``voicewire speak`` writes by default."""


def book(sentences: int) -> str:
    """The corpus, repeated to ``sentences`` sentences: a long text whose every part reads normally."""
    return " ".join(itertools.islice(itertools.cycle(SENTENCES), sentences))


def audio_seconds(path: Path) -> float:
    """Length of a wav or mp3 file that ``voicewire speak`` wrote (at its default 44.1 kHz)."""
    if path.suffix == ".mp3":
        return FrameCounter().feed(path.read_bytes()) / SPEAK_RATE
    with wave.open(str(path), "rb") as w:
        return w.getnframes() / w.getframerate()


def bench_speak(voice: str, fmt: str, sentences: int) -> dict[str, Any]:
    """One ``voicewire speak -f`` run: wall and CPU seconds, x real time, peak RSS."""
    text = book(sentences)
    with tempfile.TemporaryDirectory() as folder:
        source, output = Path(folder) / "book.txt", Path(folder) / f"book.{fmt}"
        source.write_text(text, encoding="utf-8")
        command = [sys.executable, "-m", "voicewire", "speak", "-f", str(source), "-o", str(output), "--voice", voice]
        # stderr (the progress bar) goes to a file: a pipe nobody reads while waiting could fill and hang.
        with (Path(folder) / "stderr.txt").open("w+b") as errors:
            start = time.perf_counter()
            child = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=errors)
            _, status, usage = os.wait4(child.pid, 0)
            wall = time.perf_counter() - start
            child.returncode = os.waitstatus_to_exitcode(status)
            if child.returncode != 0:
                errors.seek(0)
                said = errors.read().decode(errors="replace").strip()[-500:]
                raise RuntimeError(f"voicewire speak failed ({child.returncode}): {said}")
        audio = audio_seconds(output)
    return {
        "voice": voice,
        "format": fmt,
        "characters": len(text),
        "audio_s": round(audio, 1),
        "wall_s": round(wall, 2),
        "x_realtime": round(audio / wall, 1),
        "cpu_pct": round(100 * (usage.ru_utime + usage.ru_stime) / wall),
        "max_rss_mb": round(usage.ru_maxrss / 1024),
    }
