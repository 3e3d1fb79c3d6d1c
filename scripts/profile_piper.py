"""Where the time of a sync Piper request goes, stage by stage, next to stock Piper on the same voice.

    .venv/bin/python scripts/profile_piper.py [--threads 1] [--rounds 5] [--json FILE]

For each of the peers benchmark's 20 sentences (``PEER_SENTENCES``), as ``POST /waves/v1/tts`` with
``output_format: wav`` at 22050 Hz makes them (one unit per sentence, one engine call per unit,
rendered and assembled into a WAV), in one thread, the best of ``--rounds`` rounds per sentence:

- ``split+prepare``: unit splitting and normalization (``split_text``, ``prepare``);
- ``espeak``: phonemization of the unit in context, and ``espeak alone``: the extra phonemization of
  each word read on its own (voicewire uses it to give each phoneme to its word for timestamps);
- ``front``: the ONNX encoder, duration predictor and flow (one session call);
- ``decoder``: the ONNX decoder (HiFi-GAN), which makes the samples;
- ``render``: trim, fades, int16 conversion and the WAV body;
- ``other``: what is left of the whole (ids, word spans, Python glue).

Then stock Piper (``piper-tts``'s ``PiperVoice.synthesize`` on the same files, onnxruntime's default
threads and the same thread count) on the same sentences. Private parts of the engine are wrapped
here to time them: this is a profile, not an API.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from collections import defaultdict
from typing import Any

from voicewire.audio.encoders import wav_file
from voicewire.bench.corpus import PEER_SENTENCES
from voicewire.engines import espeak
from voicewire.engines import piper as piper_engine
from voicewire.engines.onnx import session_options
from voicewire.engines.piper import PiperEngine, bundled_voices
from voicewire.synthesis.render import TurnRenderer
from voicewire.synthesis.units import prepare, split_text

STAGES = ("split+prepare", "espeak", "espeak alone", "front", "decoder", "render", "other")


class Timed:
    """Wraps an ONNX session: adds each ``run``'s seconds to ``spent[name]``."""

    def __init__(self, inner: Any, name: str, spent: dict[str, float]) -> None:
        self.inner, self.name, self.spent = inner, name, spent

    def run(self, *args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        try:
            return self.inner.run(*args, **kwargs)
        finally:
            self.spent[self.name] += time.perf_counter() - started

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


def voicewire_profile(threads: int, rounds: int) -> dict[str, Any]:
    engine = PiperEngine(threads=threads)
    engine.load("joe")
    loaded = engine._voice("joe")
    spent: dict[str, float] = defaultdict(float)
    object.__setattr__(loaded, "front", Timed(loaded.front, "front", spent))  # a frozen dataclass
    if loaded.decoder is not None:
        object.__setattr__(loaded, "decoder", Timed(loaded.decoder, "decoder", spent))
    real_clauses = espeak.clauses

    def clauses(voice: str, text: str, *, alone: tuple[str, ...] = ()) -> Any:
        started = time.perf_counter()
        real_clauses(voice, text)
        middle = time.perf_counter()
        found = real_clauses(voice, text, alone=alone)
        done = time.perf_counter()
        spent["espeak"] += middle - started
        spent["espeak alone"] += max(0.0, (done - middle) - (middle - started))
        return found

    piper_engine.espeak.clauses = clauses  # type: ignore[attr-defined]
    rows: list[dict[str, float]] = []
    for text in PEER_SENTENCES:
        best: dict[str, float] | None = None
        for _ in range(rounds):
            spent.clear()
            started = time.perf_counter()
            t = time.perf_counter()
            units = [prepare(unit, first) for unit, first in split_text(text)]
            spent["split+prepare"] += time.perf_counter() - t
            renderer = TurnRenderer("pcm", 22050)
            pcm = b""
            for unit in units:
                audio = engine.synthesize("joe", unit.utterance(1.0))
                t = time.perf_counter()
                pcm += renderer.add(unit, audio).audio
                spent["render"] += time.perf_counter() - t
            t = time.perf_counter()
            body = wav_file(pcm + renderer.finish(), 22050)
            spent["render"] += time.perf_counter() - t
            total = time.perf_counter() - started
            # the espeak wrapper ran the in-context call twice: take the extra one out of the total
            total -= spent["espeak"]
            row = {stage: spent[stage] for stage in STAGES if stage != "other"}
            row["other"] = max(0.0, total - sum(row.values()))
            row["total"] = total
            row["audio_s"] = (len(body) - 44) / 2 / 22050
            if best is None or row["total"] < best["total"]:
                best = row
        assert best is not None
        rows.append(best)
    piper_engine.espeak.clauses = real_clauses  # type: ignore[attr-defined]
    engine.close()
    return _summary(rows)


def stock_profile(threads: int | None, rounds: int) -> dict[str, Any]:
    import onnxruntime as ort
    from piper import PiperVoice

    files = next(v for v in bundled_voices() if v.voice_id == "joe")
    voice = PiperVoice.load(files.model, config_path=files.config)
    if threads is not None:
        voice.session = ort.InferenceSession(str(files.model), sess_options=session_options(threads),
                                             providers=["CPUExecutionProvider"])  # fmt: skip
    rows = []
    for text in PEER_SENTENCES:
        best = None
        for _ in range(rounds):
            started = time.perf_counter()
            chunks = [c.audio_int16_bytes for c in voice.synthesize(text)]
            total = time.perf_counter() - started
            audio_s = sum(len(c) for c in chunks) / 2 / voice.config.sample_rate
            if best is None or total < best["total"]:
                best = {"total": total, "audio_s": audio_s}
        assert best is not None
        rows.append(best)
    return _summary(rows)


def _summary(rows: list[dict[str, float]]) -> dict[str, Any]:
    keys = [k for k in rows[0] if k != "audio_s"]
    audio = sum(r["audio_s"] for r in rows)
    return {
        "sentences": len(rows),
        "audio_s": round(audio, 2),
        "ms_per_sentence": {k: round(1000 * statistics.fmean(r[k] for r in rows), 2) for k in keys},
        "x_real_time": round(audio / sum(r["total"] for r in rows), 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--json", dest="json_path")
    args = parser.parse_args()
    report = {
        "voicewire": voicewire_profile(args.threads, args.rounds),
        f"stock piper, {args.threads} thread(s)": stock_profile(args.threads, args.rounds),
        "stock piper, onnxruntime default threads": stock_profile(None, args.rounds),
    }
    text = json.dumps(report, indent=2)
    print(text)
    if args.json_path:
        with open(args.json_path, "w", encoding="utf-8") as out:
            out.write(text + "\n")


if __name__ == "__main__":
    main()
