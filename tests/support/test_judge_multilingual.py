"""The multilingual judge can fail: its scores for wrong text, noise and silence are high."""

from __future__ import annotations

import numpy as np

from support.judge_multilingual import cer, error_rate, transcribe_in


def test_scores() -> None:
    assert cer("今日はいい天気", "今日はいい天気。") == 0.0
    assert cer("今日はいい天気", "明日は悪い天気") == 2 / 7  # 今->明, いい->悪い: two edits of seven
    # Japanese: the kana reading counts when the writing differs (kanji where the reference has kana)
    assert error_rate("ja", "わたしはがくせいです", "私は学生です") == 0.0
    assert error_rate("es", "¿Cómo estás?", "como estas") == 0.0
    assert error_rate("fr", "Le chat dort.", "Le chien dort.") == 1 / 3
    assert error_rate("zh", "我们好", "你们好") == 1 / 3


def test_noise_and_silence_score_as_garbage() -> None:
    rng = np.random.default_rng(7)
    noise = (0.1 * rng.standard_normal(48_000)).astype(np.float32)
    for audio in (noise, np.zeros(48_000, np.float32)):
        heard = transcribe_in(audio, 24_000, "ja")
        assert error_rate("ja", "今日は天気がいいので、公園を散歩しましょう。", heard) >= 0.8, heard
