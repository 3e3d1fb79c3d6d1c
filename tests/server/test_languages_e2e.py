"""Languages end to end: Kokoro's Japanese voices (packaged) and an official Spanish voice (added to the
voices folder) through the real server, on sync HTTP, SSE, the live WebSocket word by word and the
official SDK, judged by the multilingual Whisper (``support.judge_multilingual``); the Waves language
fields and their refusals."""

from __future__ import annotations

import base64
import itertools
import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pytest
from smallestai.waves import TTSConfig, WavesStreamingTTS
from websockets.sync.client import connect

from support.judge_multilingual import error_rate, transcribe_in
from support.server import RunningServer, start_server

RATE = 16_000
LIVE = "/waves/v1/tts/live"
JA = "今日は天気がいいので、公園を散歩しましょう。"
ES = "El perro corre por el parque mientras los niños juegan con la pelota."


@pytest.fixture(scope="module")
def lang_server(tmp_path_factory: pytest.TempPathFactory, kokoro_voices: Path) -> Iterator[RunningServer]:
    home = tmp_path_factory.mktemp("languages-home")
    folder = home / "voices" / "kokoro"
    folder.mkdir(parents=True)
    shutil.copy(kokoro_voices / "ef_dora.bin", folder / "ef_dora.bin")
    env = {"VOICEWIRE_PRELOAD": "jf_alpha,ef_dora", "VOICEWIRE_THREADS": "2", "HIBARI_HOME": str(home / "hibari")}
    running = start_server(home, extra_env=env, units=4)
    yield running
    running.stop()


def pcm(data: bytes) -> np.ndarray:
    return np.frombuffer(data, "<i2").astype(np.float32) / 32768


def judge(samples: np.ndarray, lang: str, reference: str, limit: float) -> None:
    heard = transcribe_in(samples, RATE, lang)
    score = error_rate(lang, reference, heard)
    assert score <= limit, (score, heard)


def post(server: RunningServer, body: dict[str, Any], path: str = "/waves/v1/tts") -> httpx.Response:
    return httpx.post(server.url + path, headers=server.headers, json=body, timeout=180)


def test_sync_spanish_and_japanese(lang_server: RunningServer) -> None:
    r = post(lang_server, {"text": ES, "voice_id": "ef_dora", "language": "es", "sample_rate": RATE})
    assert r.status_code == 200, r.text
    judge(pcm(r.content), "es", ES, 0.15)
    r = post(lang_server, {"text": JA, "voice_id": "jf_alpha", "language": "ja", "sample_rate": RATE})
    assert r.status_code == 200, r.text
    judge(pcm(r.content), "ja", JA, 0.05)


def test_sse_japanese_with_word_timestamps(lang_server: RunningServer) -> None:
    body = {"text": "東京タワーに行きました。", "voice_id": "jf_alpha", "sample_rate": RATE, "word_timestamps": True}
    chunks, words = [], []
    with httpx.stream("POST", lang_server.url + "/waves/v1/tts/live", headers=lang_server.headers, json=body,
                      timeout=180) as r:  # fmt: skip
        assert r.status_code == 200
        for line in r.iter_lines():
            if not line.startswith("data:"):
                continue
            frame = json.loads(line[5:])
            if frame.get("status") == "chunk":
                chunks.append(base64.b64decode(frame["data"]["audio"]))
            elif frame.get("status") == "word_timestamp":
                words.append(frame["data"])
    judge(pcm(b"".join(chunks)), "ja", "東京タワーに行きました。", 0.05)
    # Japanese words as voicewire cuts them (MeCab's one morpheme 東京タワー is cut where its reading can be)
    assert [w["word"] for w in words] == ["東京", "タワーに", "行きました。"], words
    assert all(w["start"] < w["end"] for w in words) and words[0]["end"] <= words[1]["start"] + 1e-6


def test_live_socket_word_by_word_japanese(lang_server: RunningServer) -> None:
    pieces = ["今日は", "天気が", "いいので、", "公園を", "散歩", "しましょう。"]
    audio, timestamps = bytearray(), []
    with connect(lang_server.ws_url + LIVE, additional_headers={"Authorization": f"Bearer {lang_server.key}"},
                 max_size=None, open_timeout=10) as ws:  # fmt: skip
        for i, piece in enumerate(pieces):
            last = i == len(pieces) - 1
            ws.send(json.dumps({"text": piece, "voice_id": "jf_alpha", "language": "ja", "sample_rate": RATE,
                                "word_timestamps": True, "continue": not last, "flush": last}))  # fmt: skip
        while True:
            frame = json.loads(ws.recv(timeout=180))
            assert frame["status"] != "error", frame
            if frame["status"] == "chunk":
                audio += base64.b64decode(frame["data"]["audio"])
            elif frame["status"] == "word_timestamp":
                timestamps.append(frame["data"])
            if frame["status"] == "complete":
                break
    judge(pcm(bytes(audio)), "ja", JA, 0.05)
    # a Japanese "word" is what voicewire.text.words cuts, whatever pieces the text came in
    assert "".join(t["word"] for t in timestamps) == "".join(pieces), timestamps
    assert [t["id"] for t in timestamps] == list(range(len(timestamps)))
    assert all(a["end"] <= b["start"] + 1e-6 for a, b in itertools.pairwise(timestamps))


def test_official_sdk_with_language_ja(lang_server: RunningServer) -> None:
    tts = WavesStreamingTTS(TTSConfig(voice_id="jm_kumo", api_key=lang_server.key, sample_rate=RATE, language="ja"))
    tts.ws_url = lang_server.ws_url + LIVE
    samples = pcm(b"".join(tts.synthesize("駅の近くに新しい本屋ができました。")))
    judge(samples, "ja", "駅の近くに新しい本屋ができました。", 0.05)


def test_catalog_lists_kokoro_with_waves_languages(lang_server: RunningServer) -> None:
    r = httpx.get(lang_server.url + "/waves/v1/lightning-v3.1-pro/get_voices", headers=lang_server.headers)
    voices = {v["voiceId"]: v for v in r.json()["voices"]}
    assert {"jf_alpha", "jm_kumo", "ef_dora"} <= set(voices)
    assert voices["jf_alpha"]["tags"]["language"][0] == "japanese"
    assert voices["ef_dora"]["tags"]["language"][0] == "spanish" and "hindi" in voices["ef_dora"]["tags"]["language"]


@pytest.mark.parametrize(
    ("body", "field", "fragment"),
    [
        ({"text": "Hallo.", "voice_id": "jf_alpha", "language": "de"}, "language", "ja-JP"),
        ({"text": "Hallo.", "voice_id": "heart", "language": "ja"}, "language", "en-US"),
        ({"text": "5", "voice_id": "heart", "number_pronunciation_language": "hi", "language": "en"},
         "number_pronunciation_language", "en-US"),
        ({"text": "5", "voice_id": "jf_alpha", "math_notation": "on"}, "math_notation", "true or false"),
        ({"text": "「」。、", "voice_id": "jf_alpha"}, "text", "nothing is left to say"),
    ],
)  # fmt: skip
def test_refusals_name_the_field(lang_server: RunningServer, body: dict[str, Any], field: str, fragment: str) -> None:
    r = post(lang_server, body)
    assert r.status_code == 400, r.text
    assert field in r.text and fragment in r.text, r.text


@pytest.mark.parametrize(("voice", "text"), [("heart", "今日はいい天気ですね。"), ("magnus", "नमस्ते, आप कैसे हैं?")])
def test_text_in_another_script_is_never_a_server_error(lang_server: RunningServer, voice: str, text: str) -> None:
    r = post(lang_server, {"text": text, "voice_id": voice, "sample_rate": RATE})
    assert r.status_code == 200, r.text  # spoken as well as the engine can (espeak spells the script's name)
