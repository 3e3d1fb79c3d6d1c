"""voicewire bench dicts: its dictionary and text, the in-process timings, and one first-audio row on a
real server."""

from __future__ import annotations

from pathlib import Path

from support.inprocess import InProcessServer, RecordingEngine
from voicewire.bench.dicts import bench_first_audio, bench_matching, make_dictionary, make_text, neutral_dictionary
from voicewire.engines.hibari import HibariEngine
from voicewire.text.lexicon import Lexicon


def test_the_dictionary_and_the_text() -> None:
    entries = make_dictionary()
    assert len(entries) == 1000 and len({e.word.lower() for e in entries}) > 990
    assert sum(e.ipa is not None for e in entries) == 100
    text = make_text(entries)
    assert 9_900 <= len(text) <= 10_000
    assert 50 <= len(Lexicon(entries).find(text)) <= 150  # about one word in twenty
    assert make_text(entries) == text  # the same text every run


def test_matching_reports_each_cost() -> None:
    row = bench_matching(rounds=1)
    assert row["entries"] == 1000 and row["matches"] > 0
    assert row["prepare_with_dict_ms_p50"] > 0 and row["find_ms_p50"] > 0
    assert set(row) >= {"applying_ms_p50", "build_matcher_ms_p50", "store_read_and_build_ms_p50"}


def test_first_audio_with_and_without_the_dictionary(hibari_engine: HibariEngine, tmp_path: Path) -> None:
    with InProcessServer(RecordingEngine(hibari_engine), tmp_path, units=2) as server:
        # The short text only: a 10,000-character request closed at its first byte leaves a unit running on
        # a worker as the server stops (`voicewire bench dicts` runs both).
        rows = bench_first_audio(f"http://127.0.0.1:{server.port}", server.key, repeat=1, long_text=False)
    assert [r["text"] for r in rows] == ["short"]
    assert all(r["ttfb_ms_p50"] > 0 and r["ttfb_with_dict_ms_p50"] > 0 for r in rows)


def test_the_neutral_dictionary_matches_everywhere_and_changes_no_word() -> None:
    from voicewire.bench.corpus import SHORT_TEXT
    from voicewire.synthesis.units import prepare, split_text

    text = make_text(make_dictionary(), share=0.0)[:2000]
    entries = neutral_dictionary([SHORT_TEXT, text])
    assert len(entries) == 1000
    lexicon = Lexicon(entries)
    assert len(lexicon.find(text)) > len(text.split()) // 2
    for unit, first in split_text(text):
        plain, applied = prepare(unit, first), prepare(unit, first, lexicon=lexicon)
        assert [w.text.lower() for w in applied.spoken] == [w.text.lower() for w in plain.spoken], unit
        assert [w.source for w in applied.spoken] == [w.source for w in plain.spoken]
