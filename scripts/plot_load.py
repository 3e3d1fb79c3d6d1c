"""Plot first-audio p95 and underruns against concurrent streams, per scheduling policy.

    .venv/bin/python scripts/plot_load.py benchmarks/load-policy.json benchmarks/load-policy.png

Input: the JSON of ``voicewire bench load --json`` (rows with policy, clients, ttfa_ms_p95,
streams_with_underruns). Needs matplotlib (``pip install '.[bench]'``).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # after choosing the backend

LIMIT_MS = 250


def main(source: str, target: str) -> None:
    rows = json.loads(Path(source).read_text())
    policies = sorted({r["policy"] for r in rows})
    figure, (ttfa, underruns) = plt.subplots(1, 2, figsize=(11, 4.2))
    for policy in policies:
        mine = sorted((r for r in rows if r["policy"] == policy), key=lambda r: r["clients"])
        clients = [r["clients"] for r in mine]
        ttfa.plot(clients, [r["ttfa_ms_p95"] for r in mine], marker="o", label=policy)
        underruns.plot(clients, [r["streams_with_underruns"] for r in mine], marker="o", label=policy)
    ttfa.axhline(LIMIT_MS, color="grey", linestyle="--", linewidth=1, label=f"{LIMIT_MS} ms target")
    ttfa.set(xlabel="concurrent streams", ylabel="first audio p95 (ms)", title="Time to first audio", yscale="log")
    underruns.set(xlabel="concurrent streams", ylabel="streams with underruns", title="Streams that stuttered")
    for axes in (ttfa, underruns):
        axes.grid(alpha=0.3)
        axes.legend()
    figure.suptitle("voicewire live WebSocket, hibari pcm 24 kHz, 2 cores, 10 new streams/s of ~25 s each")
    figure.tight_layout()
    figure.savefig(target, dpi=110)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
