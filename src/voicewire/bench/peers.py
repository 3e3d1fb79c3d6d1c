"""``voicewire bench peers``: voicewire side by side with piper.http_server and wyoming-piper.

Every server is asked for the same sentences (:data:`~voicewire.bench.corpus.PEER_SENTENCES`) through
its own API, one request per sentence (see :mod:`voicewire.bench.peer_targets`), in two phases:

- **sequential**: one client, each sentence once; time to first audio p50 / p95.
- **concurrent**: for each level of N clients, N threads send sentence after sentence for ``seconds``
  (a request in flight at the end is finished and counted). Per level: audio seconds received per
  wall second (throughput), first-audio p95, requests refused, and the slowest client's ratio to
  real time: per client, the audio seconds it received over the wall seconds it spent in requests,
  the minimum over the clients (below 1, that listener could not have played without gaps).

Time to first audio is when a listener playing the answer as it arrives hears its first audible
sample, with the ``bench live`` definition (:func:`voicewire.bench.live._heard_at`, above -40 dBFS by
default): the first chunk's arrival plus the leading silence before that sample, so silence a server
puts first counts against it. A request the server refuses (voicewire's 429 ``server_busy``) is
counted and not retried: the client waits the ``Retry-After`` it was given, then sends its next
sentence. Each target gets two warm-up requests first (wyoming-piper loads its voice on the first).
"""

from __future__ import annotations

import contextlib
import platform
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from voicewire import __version__
from voicewire.bench.corpus import PEER_SENTENCES
from voicewire.bench.live import _heard_at
from voicewire.bench.peer_targets import Refused, Target, WavesTarget, WyomingTarget

__all__ = [
    "BUILTIN_TARGETS",
    "PeersRun",
    "ProbeSettings",
    "Reply",
    "level_row",
    "make_report",
    "percentile",
    "probe_once",
    "probe_target",
    "run_peers",
    "sequential_row",
]

BUILTIN_TARGETS = ("piper-http", "wyoming-piper", "voicewire-joe", "voicewire-heart", "voicewire-joe-pcm",
                   "voicewire-heart-pcm", "voicewire-wyoming-joe", "voicewire-wyoming-heart")  # fmt: skip
"""``voicewire-VOICE``: a WAV body, complete (the wire contract: exact sizes), so its first audio is the
whole sentence's synthesis, as the peers' is; ``voicewire-VOICE-pcm``: the same request for headerless
pcm, sent window by window as it is made; ``voicewire-wyoming-*``: the started voicewire's own Wyoming
listener (``serve --wyoming``), asked as wyoming-piper is, one connection per sentence."""
WARMUP_TEXT = "Good morning, this is a short warm-up."
Progress = Callable[[str], None]


@dataclass(frozen=True, kw_only=True)
class ProbeSettings:
    """What the probe sends and how long."""

    sentences: tuple[str, ...] = PEER_SENTENCES
    seconds: float = 20.0
    """Length of each concurrency level."""
    levels: tuple[int, ...] = (1, 2, 4, 8, 16)
    """Concurrent clients of each level."""
    audible_dbfs: float = -40.0
    """A sample above this level is audible."""
    warmup: int = 2
    pause_s: float = 1.0
    """Rest between levels, so one level's stragglers do not start the next."""


@dataclass(frozen=True)
class Reply:
    """One request as the client saw it; times in seconds from sending it."""

    total_s: float
    """Until the answer was complete (or refused, or failed)."""
    ttfa_s: float | None = None
    """First audible sample heard (None: refused, failed, or no audible audio)."""
    first_chunk_s: float | None = None
    audio_s: float = 0.0
    refused: bool = False
    error: str | None = None
    retry_after_s: float = 0.0

    @property
    def ok(self) -> bool:
        """Answered: neither refused nor failed (its audio may still be silent)."""
        return not self.refused and self.error is None


def probe_once(target: Target, text: str, audible_dbfs: float = -40.0) -> Reply:
    """Send one sentence to ``target`` and time its answer; never raises for the target's failures."""
    arrivals: list[tuple[float, bytes]] = []
    rate = 0
    started = time.perf_counter()
    try:
        for pcm in target.speak(text):
            arrivals.append((time.perf_counter() - started, pcm.data))
            rate = pcm.rate
    except Refused as exc:
        return Reply(time.perf_counter() - started, refused=True, retry_after_s=exc.retry_after)
    except Exception as exc:  # a failure of the server under test is a result, not a crash of the probe
        return Reply(time.perf_counter() - started, error=f"{type(exc).__name__}: {exc}"[:300])
    total = time.perf_counter() - started
    if not arrivals:
        return Reply(total)
    samples = sum(len(pcm) // 2 for _, pcm in arrivals)
    return Reply(total, _heard_at(arrivals, rate, audible_dbfs), arrivals[0][0], samples / rate)


def percentile(values: Sequence[float], q: float) -> float | None:
    """The ``q``-th percentile with linear interpolation (as numpy and ``bench live``), None if empty."""
    return float(np.percentile(values, q)) if len(values) else None


def _ms(value: float | None) -> float | None:
    return None if value is None else round(value * 1000, 1)


def _errors(replies: Sequence[Reply]) -> dict[str, Any]:
    failed = [r.error for r in replies if r.error is not None]
    return {"refused": sum(r.refused for r in replies), "errors": len(failed), "error_samples": sorted(set(failed))[:3]}


def sequential_row(replies: Sequence[Reply]) -> dict[str, Any]:
    """Requests, failures, and first audio p50 / p95 of one client's sentences in turn."""
    ok = [r for r in replies if r.ok]
    ttfa = [r.ttfa_s for r in ok if r.ttfa_s is not None]
    busy = sum(r.total_s for r in ok)
    return {
        "requests": len(replies),
        **_errors(replies),
        "silent": len(ok) - len(ttfa),
        "ttfa_ms_p50": _ms(percentile(ttfa, 50)),
        "ttfa_ms_p95": _ms(percentile(ttfa, 95)),
        "first_chunk_ms_p50": _ms(percentile([r.first_chunk_s for r in ok if r.first_chunk_s is not None], 50)),
        "total_ms_p50": _ms(percentile([r.total_s for r in ok], 50)),
        "audio_s": round(sum(r.audio_s for r in ok), 2),
        "x_realtime": round(sum(r.audio_s for r in ok) / busy, 2) if busy else None,
    }


def _x_realtime(replies: Sequence[Reply]) -> float:
    """One client's audio seconds per wall second spent in its requests (refused and failed ones too)."""
    busy = sum(r.total_s for r in replies)
    return sum(r.audio_s for r in replies if r.ok) / busy if busy > 0 else 0.0


def level_row(clients: int, wall_s: float, per_client: Sequence[Sequence[Reply]]) -> dict[str, Any]:
    """One concurrency level: ``per_client`` holds each client's replies, ``wall_s`` the level's length
    (from the start until the last client's last answer)."""
    replies = [r for mine in per_client for r in mine]
    ok = [r for r in replies if r.ok]
    ttfa = [r.ttfa_s for r in ok if r.ttfa_s is not None]
    audio = sum(r.audio_s for r in ok)
    ratios = [_x_realtime(mine) for mine in per_client if mine]
    return {
        "clients": clients,
        "wall_s": round(wall_s, 2),
        "requests": len(replies),
        "completed": len(ok),
        **_errors(replies),
        "audio_s": round(audio, 2),
        "audio_s_per_wall_s": round(audio / wall_s, 2) if wall_s > 0 else None,
        "ttfa_ms_p50": _ms(percentile(ttfa, 50)),
        "ttfa_ms_p95": _ms(percentile(ttfa, 95)),
        "slowest_client_x_realtime": round(min(ratios), 2) if ratios else None,
    }


def _run_level(target: Target, clients: int, settings: ProbeSettings) -> dict[str, Any]:
    per_client: list[list[Reply]] = [[] for _ in range(clients)]
    started = time.perf_counter()
    deadline = started + settings.seconds
    texts = settings.sentences

    def client(i: int) -> None:
        k = i
        while time.perf_counter() < deadline:
            reply = probe_once(target, texts[k % len(texts)], settings.audible_dbfs)
            per_client[i].append(reply)
            k += 1
            if reply.refused:  # as a polite client would: wait as asked, then the next sentence
                time.sleep(max(0.0, min(reply.retry_after_s, deadline - time.perf_counter())))

    threads = [threading.Thread(target=client, args=(i,), name=f"peer-client-{i}") for i in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return level_row(clients, time.perf_counter() - started, per_client)


def probe_target(target: Target, settings: ProbeSettings, progress: Progress = lambda _: None) -> dict[str, Any]:
    """Warm ``target`` up, then run the sequential phase and every concurrency level against it."""
    for _ in range(settings.warmup):
        probe_once(target, WARMUP_TEXT, settings.audible_dbfs)
    replies = [probe_once(target, text, settings.audible_dbfs) for text in settings.sentences]
    sequential = sequential_row(replies)
    progress(f"{target.name}: sequential first audio p50 {sequential['ttfa_ms_p50']} ms, "
             f"p95 {sequential['ttfa_ms_p95']} ms")  # fmt: skip
    levels = []
    for clients in settings.levels:
        time.sleep(settings.pause_s)
        row = _run_level(target, clients, settings)
        progress(f"{target.name}: {clients} clients: {row['audio_s_per_wall_s']} audio s per s, first audio p95 "
                 f"{row['ttfa_ms_p95']} ms, refused {row['refused']}, errors {row['errors']}, slowest client "
                 f"{row['slowest_client_x_realtime']}x real time")  # fmt: skip
        levels.append(row)
    return {"name": target.name, **target.describe(), "sequential": sequential, "levels": levels}


def make_report(settings: ProbeSettings, targets: Sequence[dict[str, Any]], versions: dict[str, str]) -> dict[str, Any]:
    """The JSON document of a run: machine, versions, settings, then one entry per target."""
    return {
        "benchmark": "voicewire bench peers",
        "machine": {"cores": _cores(), "python": platform.python_version(), "platform": platform.platform()},
        "versions": {"voicewire": __version__, **versions},
        "settings": {**asdict(settings), "sentences": len(settings.sentences)},
        "targets": list(targets),
    }


def _cores() -> int:
    import os

    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


@dataclass(frozen=True, kw_only=True)
class PeersRun:
    """Which servers ``run_peers`` probes and how it reaches them."""

    targets: tuple[str, ...] = BUILTIN_TARGETS
    """Built-in targets to run, a subset of :data:`BUILTIN_TARGETS`."""
    extra: tuple[Target, ...] = ()
    """Already running servers to probe as well (e.g. ``--wyoming`` targets)."""
    url: str | None = None
    """A running voicewire for the ``voicewire-*`` targets; None starts one."""
    key: str = ""
    workers: int | None = None
    """Processes of the started voicewire (None: its default, one per core)."""
    env_dir: Path | None = None
    """The peers' environment (None: :func:`~voicewire.bench.peer_servers.default_env_dir`)."""


def run_peers(run: PeersRun, settings: ProbeSettings, progress: Progress) -> dict[str, Any]:
    """Start each selected server in turn, probe it, stop it; return the report (:func:`make_report`)."""
    from voicewire.bench import peer_servers
    from voicewire.bench.server import rss_mb, spawn_server

    results: list[dict[str, Any]] = []
    versions: dict[str, str] = {}
    peers = [name for name in ("piper-http", "wyoming-piper") if name in run.targets]
    if peers:
        python = peer_servers.ensure_bench_env(run.env_dir or peer_servers.default_env_dir(), progress)
        for name in peers:
            start = peer_servers.piper_http if name == "piper-http" else peer_servers.wyoming_piper
            with start(python) as peer:
                progress(f"{name}: {peer.version} answering, pid {peer.pid}")
                versions[peer.version.split()[0]] = peer.version.split()[1]
                result = probe_target(peer.target, settings, progress)
                results.append({**result, "server": peer.version, **rss_mb(peer.pid)})
    ours = [name for name in run.targets if name.startswith("voicewire-")]
    if ours:
        from voicewire.bench.server import _free_port

        with contextlib.ExitStack() as stack:
            url, key, pid = run.url, run.key, 0
            wyoming_port = 0
            if url is None:
                args = [] if run.workers is None else ["--workers", str(run.workers)]
                env = {} if run.workers is None else {"VOICEWIRE_WORKERS": str(run.workers)}
                if any(name.startswith("voicewire-wyoming-") for name in ours):
                    wyoming_port = _free_port()  # the listener gets as many units as the key
                    args += ["--wyoming", f"tcp://127.0.0.1:{wyoming_port}"]
                    env["VOICEWIRE_WYOMING_UNITS"] = str(max(settings.levels))
                server = stack.enter_context(spawn_server(args, env=env, units=max(settings.levels)))
                url, key, pid = server.url, server.key, server.pid
                progress(f"voicewire: {__version__} answering, pid {pid}")
            for label in ours:
                target: Target
                if label.startswith("voicewire-wyoming-"):
                    if not wyoming_port:
                        raise ValueError(f"Target {label!r} needs the voicewire this run starts (no --url); for a "
                                         "running one, use --wyoming NAME=tcp://HOST:PORT?voice=V.")  # fmt: skip
                    target = WyomingTarget(label, port=wyoming_port, voice=label.removeprefix("voicewire-wyoming-"))
                else:
                    voice, pcm = label.removeprefix("voicewire-").removesuffix("-pcm"), label.endswith("-pcm")
                    target = WavesTarget(label, url=url, key=key, voice=voice, output_format="pcm" if pcm else "wav")
                result = {**probe_target(target, settings, progress), "server": f"voicewire {__version__}"}
                results.append({**result, **(rss_mb(pid) if pid else {})})
    for target in run.extra:
        results.append(probe_target(target, settings, progress))
    return make_report(settings, results, versions)
