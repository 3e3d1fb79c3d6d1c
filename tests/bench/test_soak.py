"""The soak benchmark: its pure parts with fakes, then a short soak against a real server (two worker
processes), which must serve every kind of request and leak no descriptor and no task."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest
from click.testing import CliRunner

from voicewire.bench.soak import RSS_LIMIT_PCT, Sample, Tally, _one, checks, growth_pct, plan, summarize
from voicewire.bench.soak_requests import KINDS, Busy, Kind, Target, Unexpected
from voicewire.cli import main

ROUND = sum(kind.weight for kind in KINDS)
REFUSALS = {"bad-field", "bad-key", "ws-bad-key", "ws-bad-frame"}
"""Kinds whose right answer is an error."""


def test_every_round_holds_the_whole_mix_in_a_fixed_order() -> None:
    order = plan(3 * ROUND + 5)
    assert len(order) == 3 * ROUND + 5
    weights = {kind.name: kind.weight for kind in KINDS}
    for start in range(0, 3 * ROUND, ROUND):
        assert Counter(kind.name for kind in order[start : start + ROUND]) == weights
    assert [k.name for k in order[:ROUND]] != [k.name for k in order[ROUND : 2 * ROUND]]  # each round reshuffled
    assert [k.name for k in plan(3 * ROUND + 5)] == [k.name for k in order]
    assert plan(7) == order[:7]
    assert plan(0) == []


def test_the_mix_covers_every_endpoint_and_ending() -> None:
    names = {kind.name for kind in KINDS}
    assert len(names) == len(KINDS)
    for needed in ("sync-pcm", "sync-wav", "sync-mp3", "sync-mulaw", "sse", "ws-oneshot", "ws-words",
                   "ws-two-turns", "ws-timestamps", "drop-sync", "drop-sse", "drop-ws", "bad-field", "bad-key",
                   "openai"):  # fmt: skip
        assert needed in names
    assert names >= REFUSALS


def test_growth() -> None:
    assert growth_pct(200.0, 210.0) == 5.0
    assert growth_pct(40, 38) == -5.0
    assert growth_pct(None, 3.0) is None
    assert growth_pct(3.0, None) is None
    assert growth_pct(0, 3) is None


def warm() -> Sample:
    return Sample(rss_mb=500.0, fds=60, tasks=8)


def test_checks_pass_at_the_limits() -> None:
    end = Sample(rss_mb=500.0 * (1 + RSS_LIMIT_PCT / 100), fds=60, tasks=8)
    assert checks(warm(), end, {"sse": Tally(ok=3, busy=1)}, went_idle=True) == {
        "rss_growth_within_limit": True,
        "no_fd_leak": True,
        "no_task_leak": True,
        "no_unexpected_errors": True,
        "went_idle": True,
    }
    shrunk = Sample(rss_mb=400.0, fds=50, tasks=6)
    assert all(checks(warm(), shrunk, {}, went_idle=True).values())


@pytest.mark.parametrize(
    ("end", "tally", "idle", "failed"),
    [
        (Sample(500.0 * 1.051, 60, 8), Tally(ok=1), True, "rss_growth_within_limit"),
        (Sample(500.0, 61, 8), Tally(ok=1), True, "no_fd_leak"),
        (Sample(500.0, 60, 9), Tally(ok=1), True, "no_task_leak"),
        (Sample(500.0, 60, 8), Tally(ok=1, unexpected=1), True, "no_unexpected_errors"),
        (Sample(500.0, 60, 8), Tally(ok=1), False, "went_idle"),
    ],
)
def test_each_check_fails_the_soak(end: Sample, tally: Tally, idle: bool, failed: str) -> None:
    result = report(end, {"sync-pcm": Tally(ok=5), "sse": tally}, went_idle=idle)
    assert [name for name, ok in result["checks"].items() if ok is False] == [failed]
    assert result["verdict"] == "FAIL"


def report(end: Sample, tallies: dict[str, Tally], *, went_idle: bool = True) -> dict[str, Any]:
    samples = {"start": Sample(450.0, 58, 8), "after_warmup": warm(), "end": end}
    return summarize(samples=samples, tallies=tallies, errors=[f"e{i}" for i in range(30)], went_idle=went_idle,
                     requests=1000, concurrency=8, warmup_requests=100, duration_s=40.0,
                     trend=[(500, 530.5), (1000, 512.0)])  # fmt: skip


def test_a_server_given_by_url_has_no_memory_or_descriptor_figures_and_still_passes() -> None:
    unmeasured = Sample(rss_mb=None, fds=None, tasks=None)
    samples = {"start": unmeasured, "after_warmup": Sample(None, None, 8), "end": Sample(None, None, 8)}
    result = summarize(samples=samples, tallies={"sse": Tally(ok=2)}, errors=[], went_idle=True, requests=2,
                       concurrency=1, warmup_requests=1, duration_s=0.0)  # fmt: skip
    assert result["checks"]["rss_growth_within_limit"] is None and result["checks"]["no_fd_leak"] is None
    assert result["checks"]["no_task_leak"] is True
    assert result["growth_after_warmup_pct"] == {"rss_mb": None, "fds": None, "tasks": 0.0}
    assert result["requests_per_s"] is None and result["verdict"] == "PASS"


def test_report_shape() -> None:
    result = report(Sample(510.0, 60, 8), {"sync-pcm": Tally(ok=5), "bad-key": Tally(expected=2)})
    assert result["verdict"] == "PASS"
    assert result["samples"]["after_warmup"] == {"rss_mb": 500.0, "fds": 60, "tasks": 8}
    assert result["growth_after_warmup_pct"] == {"rss_mb": 2.0, "fds": 0.0, "tasks": 0.0}
    assert result["kinds"] == [
        {"kind": "sync-pcm", "ok": 5, "expected": 0, "busy": 0, "unexpected": 0},
        {"kind": "bad-key", "ok": 0, "expected": 2, "busy": 0, "unexpected": 0},
    ]
    assert result["unexpected_errors"] == [f"e{i}" for i in range(20)]  # quoted up to 20, all counted
    assert result["requests_per_s"] == 25.0
    assert result["rss_mb_under_load"] == [[500, 530.5], [1000, 512.0]]
    json.dumps(result)


def test_one_request_sorts_its_outcome() -> None:
    target = Target("http://127.0.0.1:9", "vw_x")

    def busy(t: Target, i: int) -> Any:
        raise Busy("at capacity")

    def wrong(t: Target, i: int) -> Any:
        raise Unexpected("POST /waves/v1/tts answered 500")

    def broken(t: Target, i: int) -> Any:
        raise ConnectionResetError("reset by peer")

    assert _one(target, 3, Kind("fine", 1, lambda t, i: "ok")) == ("fine", "ok", None)
    assert _one(target, 3, Kind("refused", 1, lambda t, i: "expected")) == ("refused", "expected", None)
    assert _one(target, 4, Kind("busy", 1, busy)) == ("busy", "busy", None)
    assert _one(target, 5, Kind("wrong", 1, wrong)) == (
        "wrong",
        "unexpected",
        "wrong #5: Unexpected: POST /waves/v1/tts answered 500",
    )
    reset = "broken #6: ConnectionResetError: reset by peer"
    assert _one(target, 6, Kind("broken", 1, broken)) == ("broken", "unexpected", reset)


def test_ws_url() -> None:
    assert Target("http://127.0.0.1:8000", "k").ws_url == "ws://127.0.0.1:8000/waves/v1/tts/live"
    assert Target("https://tts.example", "k").ws_url == "wss://tts.example/waves/v1/tts/live"


# -- against a real server ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def soaked() -> Iterator[tuple[int, dict[str, Any], str]]:
    """Four rounds of the mix, the first as warm-up, four at a time, through the real command."""
    args = ["bench", "soak", "--requests", str(4 * ROUND), "--concurrency", "4", "--warmup", "0.25",
            "--workers", "2", "--json"]  # fmt: skip
    result = CliRunner().invoke(main, args, prog_name="voicewire")
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    yield result.exit_code, json.loads(result.stdout), result.stderr


def test_every_kind_ran_and_was_answered_as_the_contract_says(soaked: tuple[int, dict[str, Any], str]) -> None:
    _, report, _ = soaked
    assert report["unexpected_errors"] == []
    assert {row["kind"] for row in report["kinds"]} == {kind.name for kind in KINDS}
    for row in report["kinds"]:
        weight = next(kind.weight for kind in KINDS if kind.name == row["kind"])
        assert row["ok"] + row["expected"] + row["busy"] == 4 * weight, row
        assert row["unexpected"] == 0, row
        if row["kind"] in REFUSALS:
            assert row["expected"] > 0 and row["ok"] == 0, row
        else:
            assert row["ok"] > 0 and row["expected"] == 0, row
    assert report["requests"] == 4 * ROUND and report["warmup_requests"] == ROUND


def test_no_descriptor_or_task_leak(soaked: tuple[int, dict[str, Any], str]) -> None:
    _, report, _ = soaked
    warm, end = report["samples"]["after_warmup"], report["samples"]["end"]
    assert warm["fds"] is not None and warm["tasks"] is not None and end["rss_mb"] is not None
    assert end["fds"] <= warm["fds"], report["samples"]
    assert end["tasks"] <= warm["tasks"], report["samples"]
    assert report["checks"]["no_fd_leak"] and report["checks"]["no_task_leak"] and report["checks"]["went_idle"]


def test_the_exit_status_is_the_verdict(soaked: tuple[int, dict[str, Any], str]) -> None:
    code, report, stderr = soaked
    assert code == (0 if report["verdict"] == "PASS" else 1)
    assert "after_warmup: Sample(" in stderr and "end: Sample(" in stderr
