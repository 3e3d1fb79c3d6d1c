"""The tables and the plot of a ``voicewire bench peers`` report (:func:`voicewire.bench.peers.make_report`)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

__all__ = ["markdown", "plot"]


def _cell(value: Any, unit: str = "") -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        value = f"{value:,.1f}" if abs(value) >= 10 else f"{value:.2f}"
    return f"{value}{unit}"


def markdown(report: dict[str, Any]) -> str:
    """Two Markdown tables, as BENCHMARKS.md shows them: the sequential phase, then every level."""
    lines = [
        "| server | first audio p50 | p95 | whole answer p50 | x real time | refused | errors |",
        "|---|---|---|---|---|---|---|",
    ]
    for target in report["targets"]:
        seq = target["sequential"]
        lines.append(f"| {target['name']} | {_cell(seq['ttfa_ms_p50'], ' ms')} | {_cell(seq['ttfa_ms_p95'], ' ms')} | "
                     f"{_cell(seq['total_ms_p50'], ' ms')} | {_cell(seq['x_realtime'], 'x')} | {seq['refused']} | "
                     f"{seq['errors']} |")  # fmt: skip
    lines += [
        "",
        "| server | clients | audio s per wall s | first audio p95 | requests | refused | errors | slowest client |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for target in report["targets"]:
        for row in target["levels"]:
            lines.append(f"| {target['name']} | {row['clients']} | {_cell(row['audio_s_per_wall_s'])} | "
                         f"{_cell(row['ttfa_ms_p95'], ' ms')} | {row['requests']} | {row['refused']} | "
                         f"{row['errors']} | {_cell(row['slowest_client_x_realtime'], 'x')} |")  # fmt: skip
    return "\n".join(lines) + "\n"


def plot(report: dict[str, Any], path: Path) -> None:
    """Throughput and first-audio p95 against concurrent clients, one line per server, as a PNG.

    Needs matplotlib (``pip install 'voicewire[bench]'``).
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt  # after choosing the backend
    from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

    figure, (speed, ttfa) = plt.subplots(1, 2, figsize=(11, 4.2))
    levels: set[int] = set()
    for target in report["targets"]:
        rows = sorted(target["levels"], key=lambda r: r["clients"])
        clients = [r["clients"] for r in rows]
        levels.update(clients)
        speed.plot(clients, [r["audio_s_per_wall_s"] for r in rows], marker="o", label=target["name"])
        ttfa.plot(clients, [r["ttfa_ms_p95"] for r in rows], marker="o", label=target["name"])
    speed.set(xlabel="concurrent clients", ylabel="audio seconds per wall second", title="Throughput")
    ttfa.set(xlabel="concurrent clients", ylabel="first audio p95 (ms)", title="Time to first audible sample",
             yscale="log")  # fmt: skip
    ttfa.yaxis.set_major_locator(LogLocator(subs=(1.0, 2.0, 5.0)))
    ttfa.yaxis.set_major_formatter(FuncFormatter(lambda value, _: f"{value:g}"))
    ttfa.yaxis.set_minor_formatter(NullFormatter())
    for axes in (speed, ttfa):
        axes.set_xscale("log", base=2)
        axes.set_xticks(sorted(levels), [str(n) for n in sorted(levels)])
        axes.grid(alpha=0.3)
        axes.legend()
    settings, machine = report["settings"], report["machine"]
    figure.suptitle(f"voicewire bench peers: {settings['sentences']} sentences, {settings['seconds']:g} s per level, "
                    f"{machine['cores']} cores")  # fmt: skip
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)
