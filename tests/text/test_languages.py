"""Script detection for ``auto`` with a multilingual voice, and the Waves language codes."""

from __future__ import annotations

import pytest

from voicewire.text.languages import WAVES_LANGUAGES, detect, primary

KOKORO_JA = ("ja-JP", "en-US", "en-GB", "es-ES", "fr-FR", "hi-IN", "it-IT", "pt-BR", "zh-CN")
KOKORO_ES = ("es-ES", "en-US", "en-GB", "fr-FR", "hi-IN", "it-IT", "ja-JP", "pt-BR", "zh-CN")


@pytest.mark.parametrize(
    ("languages", "text", "expected"),
    [
        (KOKORO_JA, "今日はいい天気ですね。", "ja-JP"),
        (KOKORO_JA, "東京都", "ja-JP"),  # Han only: a Japanese voice reads it as Japanese
        (KOKORO_ES, "東京都", "zh-CN"),  # ... any other voice as Mandarin
        (KOKORO_ES, "我们今天去公园玩。", "zh-CN"),
        (KOKORO_ES, "漢字とかな", "ja-JP"),  # kana says Japanese
        (KOKORO_JA, "Hello there, how are you?", "en-US"),  # Latin in a Japanese voice: its first Latin language
        (KOKORO_ES, "Hello there, how are you?", "es-ES"),  # Latin in a Latin voice: its own language
        (KOKORO_ES, "नमस्ते, आप कैसे हैं?", "hi-IN"),
        (KOKORO_JA, "123 456", "ja-JP"),  # no letters: the voice's own
        (KOKORO_JA, "Привет", "ja-JP"),  # a script none of its languages uses: its own
        (("en-US",), "今日は", "en-US"),
        (KOKORO_ES, "Tokyo 東京タワー is tall and very nice", "ja-JP"),  # kana wins over more Latin letters
    ],
)
def test_detect(languages: tuple[str, ...], text: str, expected: str) -> None:
    assert detect(text, languages) == expected


def test_waves_codes() -> None:
    assert len(WAVES_LANGUAGES) == 32 and WAVES_LANGUAGES[0] == "auto"
    assert {"en", "hi", "ja", "es", "fr", "de", "zh", "pt", "it"} <= set(WAVES_LANGUAGES)
    assert primary("pt_BR") == "pt" and primary("EN-us") == "en"
