"""``voicewire bench soak``: thousands of mixed requests, then the server's memory, descriptors and tasks.

The mix (``soak_requests.KINDS``) covers every endpoint and every way a request ends: sync bodies in
each format, SSE streams, WebSocket turns (one-shot, word by word, two per socket, with word
timestamps, a bad frame then a good turn), clients that leave after the first audio (with a close
frame or by dropping the TCP connection), bad fields, wrong keys and the OpenAI endpoint. Requests
run ``concurrency`` at a time, in a fixed shuffled order, 56 to a round so every kind recurs.

The server is sampled three times, each once it has gone idle (no stream active in ``/metrics``, then
a pause so its task gauge has ticked): at the start, after the warm-up (the first ``warmup`` share of
the requests: caches, thread pools and allocator arenas fill up then) and at the end. Each sample is
the smallest of a few readings, so a scrape or a closing socket caught in passing does not count;
a leak is there in every reading. Growth is measured from the warm-up sample to the end: resident
memory may grow by at most ``RSS_LIMIT_PCT``, descriptors and live asyncio tasks not at all.
"""

from __future__ import annotations

import http.client
import random
import time
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from typing import Any
from urllib.parse import urlsplit

from prometheus_client.parser import text_string_to_metric_families

from voicewire.bench.load import ServerSampler
from voicewire.bench.soak_requests import KINDS, Busy, Kind, Target

__all__ = ["RSS_LIMIT_PCT", "Sample", "Tally", "checks", "growth_pct", "plan", "run_soak", "summarize"]

RSS_LIMIT_PCT = 5.0
"""Largest growth of resident memory from the warm-up sample to the end that still passes."""
ERRORS_KEPT = 20
"""Unexpected errors quoted in the report (all are counted)."""


@dataclass(frozen=True)
class Sample:
    """The server at rest; None where it cannot be measured (a server given by URL has no pid here)."""

    rss_mb: float | None
    fds: int | None
    """Open file descriptors over the server's processes."""
    tasks: int | None
    """Live asyncio tasks over the server's processes (``voicewire_event_loop_tasks``)."""


@dataclass
class Tally:
    """Outcomes of one kind of request."""

    ok: int = 0
    expected: int = 0
    """Refused as the contract says (a bad field, a wrong key)."""
    busy: int = 0
    """Refused for capacity by admission control: right under load, but the path did not run."""
    unexpected: int = 0


def plan(requests: int, kinds: Sequence[Kind] = KINDS, seed: int = 0) -> list[Kind]:
    """``requests`` kinds in order: rounds of the weighted mix, each shuffled with a fixed seed."""
    one_round = [kind for kind in kinds for _ in range(kind.weight)]
    rng = random.Random(seed)
    order: list[Kind] = []
    while len(order) < requests:
        batch = list(one_round)
        rng.shuffle(batch)
        order += batch
    return order[:requests]


def growth_pct(before: float | None, after: float | None) -> float | None:
    """``after`` over ``before`` in percent (None when either is unknown or ``before`` is 0)."""
    if before is None or after is None or before == 0:
        return None
    return round(100 * (after - before) / before, 2)


def checks(warm: Sample, end: Sample, tallies: Mapping[str, Tally], *, went_idle: bool) -> dict[str, bool | None]:
    """Each pass criterion: True, False, or None when it could not be measured."""
    rss = growth_pct(warm.rss_mb, end.rss_mb)
    return {
        "rss_growth_within_limit": None if rss is None else rss <= RSS_LIMIT_PCT,
        "no_fd_leak": None if warm.fds is None or end.fds is None else end.fds <= warm.fds,
        "no_task_leak": None if warm.tasks is None or end.tasks is None else end.tasks <= warm.tasks,
        "no_unexpected_errors": all(t.unexpected == 0 for t in tallies.values()),
        "went_idle": went_idle,
    }


def summarize(
    *,
    samples: Mapping[str, Sample],
    tallies: Mapping[str, Tally],
    errors: Sequence[str],
    went_idle: bool,
    requests: int,
    concurrency: int,
    warmup_requests: int,
    duration_s: float,
    trend: Sequence[tuple[int, float]] = (),
) -> dict[str, Any]:
    """The report: samples (``start``, ``after_warmup``, ``end``), growth, outcomes, checks, verdict.

    ``trend``: (requests done, RSS in MB) taken under load along the way, for the eye, not the verdict.
    """
    warm, end = samples["after_warmup"], samples["end"]
    passed = checks(warm, end, tallies, went_idle=went_idle)
    return {
        "requests": requests,
        "concurrency": concurrency,
        "warmup_requests": warmup_requests,
        "duration_s": round(duration_s, 1),
        "requests_per_s": round(requests / duration_s, 1) if duration_s else None,
        "samples": {stage: asdict(sample) for stage, sample in samples.items()},
        "growth_after_warmup_pct": {
            "rss_mb": growth_pct(warm.rss_mb, end.rss_mb),
            "fds": growth_pct(warm.fds, end.fds),
            "tasks": growth_pct(warm.tasks, end.tasks),
        },
        "rss_limit_pct": RSS_LIMIT_PCT,
        "rss_mb_under_load": [list(point) for point in trend],
        "kinds": [{"kind": name, **asdict(tally)} for name, tally in tallies.items()],
        "unexpected_errors": list(errors[:ERRORS_KEPT]),
        "checks": passed,
        "verdict": "FAIL" if False in passed.values() else "PASS",
    }


# -- the server's side ------------------------------------------------------------------------------


def scrape(url: str) -> dict[str, float]:
    """``GET /metrics``: each sample name with the sum of its values over labels."""
    parts = urlsplit(url)
    cls = http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
    conn = cls(parts.hostname or "127.0.0.1", parts.port, timeout=30)
    try:
        conn.request("GET", "/metrics")
        text = conn.getresponse().read().decode()
    finally:
        conn.close()
    totals: dict[str, float] = defaultdict(float)
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            totals[sample.name] += sample.value
    return totals


def wait_idle(url: str, *, timeout: float = 120.0, settle: float = 2.5) -> bool:
    """Wait until no stream is active (twice in a row), then ``settle`` seconds; False on timeout."""
    deadline = time.monotonic() + timeout
    quiet = 0
    while quiet < 2:
        if time.monotonic() > deadline:
            return False
        quiet = quiet + 1 if scrape(url).get("voicewire_active", 0.0) == 0 else 0
        time.sleep(0.2)
    time.sleep(settle)  # the task gauge ticks every second: let it see the idle loop
    return True


def snapshot(url: str, sampler: ServerSampler | None, *, readings: int = 4, spacing: float = 0.5) -> Sample:
    """The smallest of ``readings`` readings of each figure, ``spacing`` seconds apart."""
    rss: list[float] = []
    fds: list[int] = []
    tasks: list[int] = []
    for i in range(readings):
        if i:
            time.sleep(spacing)
        found = scrape(url).get("voicewire_event_loop_tasks")
        if found is not None:
            tasks.append(round(found))
        if sampler is not None:
            rss.append(sampler.rss_now())
            fds.append(sampler.open_fds())
    return Sample(
        rss_mb=round(min(rss), 1) if rss else None, fds=min(fds) if fds else None, tasks=min(tasks) if tasks else None
    )


# -- the run ----------------------------------------------------------------------------------------


def _one(target: Target, index: int, kind: Kind) -> tuple[str, str, str | None]:
    try:
        return kind.name, kind.run(target, index), None
    except Busy:
        return kind.name, "busy", None
    except Exception as exc:  # anything else is the finding: counted, and quoted in the report
        return kind.name, "unexpected", f"{kind.name} #{index}: {type(exc).__name__}: {exc}"


def run_soak(
    url: str,
    key: str,
    *,
    requests: int = 10_000,
    concurrency: int = 8,
    warmup: float = 0.1,
    pid: int | None = None,
    progress: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    """Drive the mix against ``url`` and report (see ``summarize``); blocking.

    ``pid`` is the server's process (its children are included) for RSS and descriptors.
    """
    target = Target(url.rstrip("/"), key)
    sampler = ServerSampler(pid) if pid else None
    order = plan(requests)
    warm_count = min(requests, max(1, round(requests * warmup)))
    tallies = {kind.name: Tally() for kind in KINDS}
    errors: list[str] = []
    samples: dict[str, Sample] = {}
    idle = wait_idle(target.url)
    samples["start"] = snapshot(target.url, sampler)
    trend: list[tuple[int, float]] = []
    driving = 0.0
    done = 0
    with ThreadPoolExecutor(concurrency, thread_name_prefix="soak") as pool:
        for stage, first, last in (("after_warmup", 0, warm_count), ("end", warm_count, requests)):
            started = time.perf_counter()
            jobs = pool.map(_one, [target] * (last - first), range(first, last), order[first:last])
            for name, outcome, error in jobs:
                setattr(tallies[name], outcome, getattr(tallies[name], outcome) + 1)
                if error is not None:
                    errors.append(error)
                done += 1
                if done % 1000 == 0 and sampler is not None:
                    trend.append((done, round(sampler.rss_now(), 1)))
                if progress is not None and done % 1000 == 0:
                    memory = f", RSS {trend[-1][1]} MB" if trend else ""
                    progress(f"{done}/{requests} requests, {len(errors)} unexpected{memory}")
            driving += time.perf_counter() - started
            idle = wait_idle(target.url) and idle
            samples[stage] = snapshot(target.url, sampler)
            if progress is not None:
                progress(f"{stage}: {samples[stage]}")
    return summarize(samples=samples, tallies=tallies, errors=errors, went_idle=idle, requests=requests,
                     concurrency=concurrency, warmup_requests=warm_count, duration_s=driving, trend=trend)  # fmt: skip
