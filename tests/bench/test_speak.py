"""``voicewire bench speak``: a real ``voicewire speak`` process per row, timed from outside."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from voicewire.bench.corpus import SENTENCES
from voicewire.bench.speak import bench_speak, book
from voicewire.cli import main


def test_the_book_is_the_corpus_repeated() -> None:
    assert book(3) == " ".join(SENTENCES[:3])
    assert book(len(SENTENCES) + 1).endswith(" " + SENTENCES[0])


@pytest.mark.parametrize("fmt", ["wav", "mp3"])
def test_a_run_reports_the_audio_it_wrote(fmt: str) -> None:
    row = bench_speak("heart", fmt, 2)
    assert row["characters"] == len(book(2))
    assert 2.0 < row["audio_s"] < 8.0  # two short sentences, read with a pause between
    # x_realtime is the unrounded ratio rounded to a tenth, and audio_s and wall_s are themselves rounded
    # (to 0.1 s and 0.01 s): the ratio of the rounded figures may be off by all three roundings.
    # (Under 1x on a busy box: the fresh process's start counts.)
    ratio = row["audio_s"] / row["wall_s"]
    slack = 0.05 + ratio * (0.05 / row["audio_s"] + 0.005 / row["wall_s"]) + 1e-9
    assert abs(row["x_realtime"] - ratio) <= slack, (row, ratio, slack)
    assert row["cpu_pct"] > 0 and row["max_rss_mb"] > 50


def test_a_failing_run_says_why() -> None:
    with pytest.raises(RuntimeError, match="nobody"):
        bench_speak("nobody", "wav", 1)


def test_the_command_prints_json_rows() -> None:
    result = CliRunner().invoke(main, ["bench", "speak", "--voices", "heart", "--formats", "wav", "--sentences", "1",
                                       "--json"])  # fmt: skip
    assert result.exit_code == 0, result.output
    [row] = json.loads(result.output)
    assert row["voice"] == "heart" and row["format"] == "wav" and row["audio_s"] > 0
