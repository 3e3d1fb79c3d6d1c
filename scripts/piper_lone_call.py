"""A Piper call on one thread against the same call alone on the machine (every core).

    .venv/bin/python scripts/piper_lone_call.py [--lone-threads 2]

For each of the peers benchmark's 20 sentences, as a streamed answer makes them: the front
(``synthesize_blocks``: encoder, durations, flow), the first decoded block, and the whole sentence;
the median over the sentences, first with the one-thread sessions, then as a call that the
scheduler found alone (``with_all_cores(True)``: the sessions with ``--lone-threads`` threads).
"""

from __future__ import annotations

import argparse
import statistics
import time

from voicewire.bench.corpus import PEER_SENTENCES
from voicewire.engines.onnx import with_all_cores
from voicewire.engines.piper import PiperEngine
from voicewire.synthesis.units import prepare


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lone-threads", type=int, default=2)
    args = parser.parse_args()
    engine = PiperEngine(threads=1, lone_threads=args.lone_threads)
    engine.load("joe")
    deadline = time.monotonic() + 60
    while engine._voice("joe").wide is None and time.monotonic() < deadline:  # opened beside the first use
        time.sleep(0.05)
    for alone in (False, True):
        front, first, whole = [], [], []
        for sentence in PEER_SENTENCES:
            utterance = prepare(sentence, 0).utterance(1.0)
            with with_all_cores(alone):
                started = time.perf_counter()
                stream = engine.synthesize_blocks("joe", utterance)
                fronted = time.perf_counter()
                blocks = list(stream.blocks)
                blocks[0]()
                firsted = time.perf_counter()
                for block in blocks[1:]:
                    block()
                done = time.perf_counter()
            front.append(fronted - started)
            first.append(firsted - fronted)
            whole.append(done - started)
        label = f"alone, {args.lone_threads} threads" if alone else "one thread"
        ms = [1000 * statistics.median(x) for x in (front, first, whole)]
        print(f"{label}: front {ms[0]:.1f} ms, first block {ms[1]:.1f} ms, whole sentence {ms[2]:.1f} ms")


if __name__ == "__main__":
    main()
