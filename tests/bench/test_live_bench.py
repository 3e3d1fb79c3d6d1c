"""The pure parts of the live first-audio benchmark: audibility, playback timing, summaries."""

from __future__ import annotations

import numpy as np
import pytest

from voicewire.bench.live import TurnResult, _heard_at, _messages, _ws_url, first_audible_index, summarize


def pcm(*samples: int) -> bytes:
    return np.array(samples, dtype="<i2").tobytes()


def test_silence_and_empty_have_no_audible_sample() -> None:
    assert first_audible_index(b"") is None
    assert first_audible_index(pcm(0, 0, 0)) is None
    assert first_audible_index(pcm(*([300] * 100))) is None  # about -40.8 dBFS


def test_threshold_is_minus_40_dbfs_of_full_scale() -> None:
    # -40 dBFS of 32768 is 327.68: 327 is below it, 328 above.
    assert first_audible_index(pcm(0, 327, -327, 328, 0)) == 3
    assert first_audible_index(pcm(0, 0, -328)) == 2  # negative excursions count too


def test_extreme_samples_do_not_overflow() -> None:
    assert first_audible_index(pcm(0, -32768)) == 1


def test_custom_threshold() -> None:
    samples = pcm(100, 1000, 5000)
    assert first_audible_index(samples, threshold_dbfs=-60.0) == 0  # 32.8
    assert first_audible_index(samples, threshold_dbfs=-20.0) == 2  # 3276.8
    assert first_audible_index(samples, threshold_dbfs=0.0) is None


def test_trailing_odd_byte_is_ignored() -> None:
    assert first_audible_index(pcm(0, 0) + b"\xff") is None
    assert first_audible_index(pcm(0, 4000) + b"\x01") == 1


def test_heard_at_adds_leading_silence_to_first_chunk_arrival() -> None:
    rate = 1000
    chunks = [(0.020, pcm(*([0] * 10), 5000))]
    assert _heard_at(chunks, rate, -40.0) == pytest.approx(0.020 + 0.010)


def test_heard_at_follows_playback_into_later_chunks() -> None:
    rate = 1000
    # 100 ms of silence arrives at 20 ms; the next chunk arrives in time (at 50 ms): heard at 20 + 100 + 5.
    chunks = [(0.020, pcm(*([0] * 100))), (0.050, pcm(0, 0, 0, 0, 0, 9000))]
    assert _heard_at(chunks, rate, -40.0) == pytest.approx(0.125)


def test_heard_at_stalls_on_a_late_chunk() -> None:
    rate = 1000
    # 10 ms of silence at 20 ms runs out at 30 ms; the audible chunk only arrives at 200 ms.
    chunks = [(0.020, pcm(*([0] * 10))), (0.200, pcm(0, 0, 9000))]
    assert _heard_at(chunks, rate, -40.0) == pytest.approx(0.202)


def test_heard_at_without_audible_audio() -> None:
    assert _heard_at([], 24000, -40.0) is None
    assert _heard_at([(0.01, pcm(0, 1, 2))], 24000, -40.0) is None


def result(ttfa: float | None, *, error: str | None = None, first: float | None = None) -> TurnResult:
    first_chunk = None if error else (first if first is not None else (ttfa or 1.0) - 1.0)
    return TurnResult(
        ttfa_ms=ttfa,
        first_chunk_ms=first_chunk,
        lead_silence_ms=None if ttfa is None or first_chunk is None else ttfa - first_chunk,
        total_ms=100.0,
        audio_ms=1000.0,
        chunks=0 if error else 1,
        error=error,
    )


def test_summarize_percentiles() -> None:
    summary = summarize([result(float(ms)) for ms in range(1, 101)])
    assert summary["turns"] == 100
    assert summary["errors"] == 0
    assert summary["silent"] == 0
    assert summary["ttfa_ms_p50"] == 50.5
    assert summary["ttfa_ms_p95"] == pytest.approx(95.05, abs=0.051)  # linear between closest ranks
    assert summary["ttfa_ms_max"] == 100.0
    assert summary["first_chunk_ms_p50"] == 49.5
    assert summary["lead_silence_ms_p50"] == 1.0
    assert summary["total_ms_p50"] == 100.0


def test_summarize_counts_errors_and_silent_turns_outside_the_latencies() -> None:
    results = [result(20.0), result(30.0), result(None, error="boom"), result(None, first=5.0)]
    summary = summarize(results)
    assert summary["turns"] == 4
    assert summary["errors"] == 1
    assert summary["silent"] == 1
    assert summary["ttfa_ms_p50"] == 25.0
    assert summary["ttfa_ms_max"] == 30.0


def test_summarize_nothing_measured() -> None:
    summary = summarize([result(None, error="refused")])
    assert summary["errors"] == 1
    assert summary["ttfa_ms_p50"] is None
    assert summary["ttfa_ms_p95"] is None
    assert summary["ttfa_ms_max"] is None
    assert summary["total_ms_p50"] is None
    assert summarize([])["turns"] == 0


def test_messages_per_mode() -> None:
    oneshot = _messages("Hello there world.", "heart", "oneshot", 24000, "pcm")
    assert oneshot == [
        {"text": "Hello there world.", "voice_id": "heart", "sample_rate": 24000, "output_format": "pcm"}
    ]
    words = _messages("Hello there  world.", "magnus", "words", 24000, "pcm")
    assert [m["text"] for m in words] == ["Hello ", "there ", "world. ", ""]
    assert all(m["continue"] and m["voice_id"] == "magnus" for m in words[:-1])
    assert words[-1] == {"text": "", "flush": True}


def test_ws_url() -> None:
    assert _ws_url("http://127.0.0.1:8000") == "ws://127.0.0.1:8000/waves/v1/tts/live"
    assert _ws_url("https://tts.example/") == "wss://tts.example/waves/v1/tts/live"
    assert _ws_url("ws://h:1") == "ws://h:1/waves/v1/tts/live"


def test_the_largest_gap_between_audio_frames_after_the_first() -> None:
    turn = TurnResult(ttfa_ms=10.0, first_chunk_ms=5.0, lead_silence_ms=5.0, total_ms=900.0, audio_ms=2000.0,
                      chunks=4, chunk_arrivals_ms=(5.0, 105.0, 180.0, 420.0))  # fmt: skip
    assert turn.max_gap_ms == 240.0
    assert result(20.0).max_gap_ms is None  # one frame: no gap
    summary = summarize([turn, TurnResult(ttfa_ms=10.0, first_chunk_ms=5.0, lead_silence_ms=5.0, total_ms=900.0,
                                          audio_ms=2000.0, chunks=2, chunk_arrivals_ms=(5.0, 65.0))])  # fmt: skip
    assert (summary["max_gap_ms_p50"], summary["max_gap_ms_max"]) == (150.0, 240.0)


def test_japanese_words_go_as_voicewire_cuts_them_with_no_space() -> None:
    from voicewire.bench.live import _messages

    messages = _messages("今日は公園を散歩しました。", "jf_alpha", "words", 24000, "pcm")
    assert [m["text"] for m in messages] == ["今日は", "公園を", "散歩しました。", ""]
    assert messages[-1] == {"text": "", "flush": True}
