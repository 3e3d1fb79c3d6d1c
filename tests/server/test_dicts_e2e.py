"""Pronunciation dictionaries and speech markup end to end: the real server on a real socket, the
official SDK, the real engines, judged by the offline Whisper judge.

- CRUD over HTTP (with the SDK too), a key's dictionaries invisible to and unusable by another key,
  the limits a clear 400;
- an invented word with a respelling, and with IPA, is heard as the respelling on hibari and on Piper,
  on the sync, SSE, OpenAI and live transports; the word keeps one timestamp as the client wrote it;
- a dictionary named on one live turn and not the next applies to the first only; a change is used by
  the next request;
- a ``<break time="700ms"/>`` is 0.7 s of silence, at its place, in the audio and in the timestamps;
  ``<say-as interpret-as="characters">`` spells; malformed and hostile markup is a 400 at once.
"""

from __future__ import annotations

import base64
import functools
import json
import re
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pytest
from smallestai import SmallestAI
from smallestai.environment import SmallestAIEnvironment
from smallestai.waves.types import PronunciationItem
from websockets.sync.client import connect

from support.fuzz import HOSTILE_MARKUP
from support.judge import normalize_words, transcribe
from support.server import RunningServer, start_server
from voicewire.auth.sqlite import SqliteStore

PATH = "/waves/v1/pronunciation-dicts"
RATE = 24_000
SENTENCE = "Please pass the Qzvkt to me."
RESPELLING = [{"word": "qzvkt", "pronunciation": "marmalade"}]
IPA = [{"word": "Qzvkt", "pronunciation": "/ˈmɑːɹməleɪd/"}]


def new_key(server: RunningServer, name: str) -> str:
    """Another key in the server's own store (the SQLite file both processes open)."""
    store = SqliteStore(server.home / "voicewire.db")
    try:
        return store.create(name, 4)[1]
    finally:
        store.close()


def call(server: RunningServer, key: str, method: str, body: Any = None) -> httpx.Response:
    return httpx.request(method, server.url + PATH, headers={"Authorization": f"Bearer {key}"}, timeout=30,
                         content=None if body is None else json.dumps(body))  # fmt: skip


def make_dict(server: RunningServer, key: str, items: list[dict[str, Any]]) -> str:
    response = call(server, key, "POST", {"items": items})
    assert response.status_code == 200, response.text
    return str(response.json()["id"])


def speak(server: RunningServer, key: str, text: str, voice: str, **fields: Any) -> np.ndarray:
    body = {"text": text, "voice_id": voice, "sample_rate": RATE, "output_format": "pcm", **fields}
    response = httpx.post(server.url + "/waves/v1/tts", json=body, headers={"Authorization": f"Bearer {key}"},
                          timeout=60)  # fmt: skip
    assert response.status_code == 200, response.text
    return np.frombuffer(response.content, "<i2").astype(np.float32) / 32768


def heard(samples: np.ndarray) -> str:
    """What the judge heard, as one lower-case string of words (a check for "marmalade" in it also takes
    Piper's occasional "omarmalade": the invented word alone never comes near it)."""
    return " ".join(normalize_words(transcribe(samples, RATE)))


def sse(server: RunningServer, key: str, body: dict[str, Any]) -> tuple[np.ndarray, list[dict[str, Any]]]:
    """The audio and the word timestamps of an SSE request."""
    body = {"sample_rate": RATE, "output_format": "pcm", "word_timestamps": True, **body}
    response = httpx.post(server.url + "/waves/v1/tts/live", json=body, timeout=60,
                          headers={"Authorization": f"Bearer {key}"})  # fmt: skip
    assert response.status_code == 200, response.text
    frames = [json.loads(line[6:]) for line in response.text.splitlines() if line.startswith("data: ")]
    audio = b"".join(base64.b64decode(f["data"]["audio"]) for f in frames if f["status"] == "chunk")
    words = [f["data"] for f in frames if f["status"] == "word_timestamp"]
    assert frames[-1]["status"] == "complete", frames[-1]
    return np.frombuffer(audio, "<i2").astype(np.float32) / 32768, words


# -- CRUD ---------------------------------------------------------------------------------------------


def test_create_list_update_delete(server: RunningServer) -> None:
    key = new_key(server, "crud")
    made = call(server, key, "POST", {"items": [{"word": "SQL", "pronunciation": "sequel"}]})
    assert made.status_code == 200
    body = made.json()
    assert set(body) == {"id", "items", "createdAt"} and re.fullmatch(r"[0-9a-f]{24}", body["id"])
    assert body["items"] == [{"word": "SQL", "pronunciation": "sequel"}]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", body["createdAt"])
    assert call(server, key, "GET").json() == [body]
    items = [{"word": "SQL", "pronunciation": "ess cue el"}, {"word": "IBM", "pronunciation": "/aɪ biː ɛm/",
                                                               "case_sensitive": True}]  # fmt: skip
    updated = call(server, key, "PUT", {"id": body["id"], "items": items})
    assert updated.status_code == 200 and updated.json() == {"id": body["id"], "items": items}
    assert call(server, key, "GET").json() == [{**body, "items": items}]
    deleted = call(server, key, "DELETE", {"id": body["id"]})
    assert deleted.status_code == 200 and deleted.json() == {"id": body["id"], "deleted": True}
    assert call(server, key, "GET").json() == []
    for method, again in (("PUT", {"id": body["id"], "items": items}), ("DELETE", {"id": body["id"]})):
        gone = call(server, key, method, again)
        assert gone.status_code == 404 and gone.json()["code"] == "not_found" and body["id"] in gone.json()["error"]


def test_the_official_sdk_manages_dictionaries(server: RunningServer) -> None:
    key = new_key(server, "sdk")
    env = SmallestAIEnvironment(atoms=server.url + "/atoms/v1", waves=server.url, waves_ws=server.ws_url,
                                payment=server.url)  # fmt: skip
    with httpx.Client(timeout=60) as http:
        waves = SmallestAI(api_key=key, environment=env, httpx_client=http).waves
        made = waves.create_pronunciation_dict(items=[PronunciationItem(word="qzvkt", pronunciation="marmalade")])
        assert [d.id for d in waves.get_pronunciation_dicts()] == [made.id]
        assert made.created_at is not None and made.items[0].pronunciation == "marmalade"
        changed = waves.update_pronunciation_dict(id=made.id, items=[PronunciationItem(word="a", pronunciation="b")])
        assert changed.id == made.id and changed.items[0].word == "a"
        audio = b"".join(waves.synthesize_tts(text=SENTENCE, voice_id="heart", sample_rate=RATE, output_format="pcm",
                                              pronunciation_dicts=[made.id]))  # fmt: skip
        assert len(audio) > RATE
        assert waves.delete_pronunciation_dict(id=made.id).deleted is True
        assert waves.get_pronunciation_dicts() == []


def test_another_key_can_neither_see_nor_use_a_dictionary(server: RunningServer) -> None:
    owner, other = new_key(server, "owner"), new_key(server, "other")
    dict_id = make_dict(server, owner, RESPELLING)
    assert call(server, other, "GET").json() == []
    assert call(server, other, "PUT", {"id": dict_id, "items": IPA}).status_code == 404
    assert call(server, other, "DELETE", {"id": dict_id}).status_code == 404
    refused = httpx.post(server.url + "/waves/v1/tts", headers={"Authorization": f"Bearer {other}"}, timeout=30,
                         json={"text": SENTENCE, "voice_id": "heart", "pronunciation_dicts": [dict_id]})  # fmt: skip
    assert refused.status_code == 400 and refused.json()["code"] == "invalid_field"
    assert "'pronunciation_dicts'" in refused.json()["error"] and dict_id in refused.json()["error"]
    assert [d["id"] for d in call(server, owner, "GET").json()] == [dict_id]  # untouched
    assert call(server, "vw_wrongkey123456789012345678901234567", "GET").status_code == 401


# -- limits (a server of its own, with small limits and no voices loaded) ------------------------------


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    env = {"VOICEWIRE_DICT_MAX_ITEMS": "3", "VOICEWIRE_DICT_MAX_PER_KEY": "2", "VOICEWIRE_DICT_MAX_WORD_CHARS": "12",
           "VOICEWIRE_DICT_MAX_PRONUNCIATION_CHARS": "20", "VOICEWIRE_PRELOAD": ","}  # fmt: skip
    running = start_server(tmp_path_factory.mktemp("dict-limits"), extra_env=env, units=4)
    yield running
    running.stop()


@pytest.mark.parametrize(
    ("body", "code", "fragment"),
    [
        ({"items": [{"word": "a", "pronunciation": "b"}] * 4}, "invalid_field", "'items'"),
        ({"items": []}, "invalid_field", "'items'"),
        ({"items": [{"word": "x" * 13, "pronunciation": "b"}]}, "invalid_field", "'items[0].word'"),
        ({"items": [{"word": "a", "pronunciation": "b" * 21}]}, "invalid_field", "'items[0].pronunciation'"),
        ({"items": [{"word": "a", "pronunciation": "/1 2/"}]}, "invalid_field", "IPA"),
        ({"words": []}, "invalid_field", "'items'"),
        ([], "malformed_message", "JSON object"),
    ],
)
def test_a_bad_or_oversized_dictionary_is_a_clear_400(small: RunningServer, body: Any, code: str,
                                                      fragment: str) -> None:  # fmt: skip
    response = call(small, small.key, "POST", body)
    assert response.status_code == 400 and response.json()["code"] == code and fragment in response.json()["error"]


def test_dictionaries_per_key_are_limited(small: RunningServer) -> None:
    key = new_key(small, "limited")
    first = make_dict(small, key, [{"word": "a", "pronunciation": "b"}])
    make_dict(small, key, [{"word": "c", "pronunciation": "d"}])
    refused = call(small, key, "POST", {"items": [{"word": "e", "pronunciation": "f"}]})
    assert refused.status_code == 400 and refused.json()["code"] == "too_many_dictionaries"
    assert "VOICEWIRE_DICT_MAX_PER_KEY" in refused.json()["error"]
    assert call(small, key, "DELETE", {"id": first}).status_code == 200
    make_dict(small, key, [{"word": "e", "pronunciation": "f"}])
    assert call(small, key, "DELETE").json()["error"].startswith("Request body is empty; send a JSON object with")


def malformed() -> list[str]:
    return [
        "<speak>Never closed",
        "<speak><p>Crossed</speak></p>",
        "AT&T is a bare ampersand",
        '<break time="forever"/>',
        '<say-as interpret-as="date">99/99/99</say-as>',
        '<prosody rate="9">too fast</prosody>',
        *HOSTILE_MARKUP,
    ]


@pytest.mark.parametrize("doc", malformed(), ids=range(len(malformed())))
def test_malformed_and_hostile_markup_is_refused_at_once(small: RunningServer, doc: str) -> None:
    started = time.monotonic()
    response = httpx.post(small.url + "/waves/v1/tts", headers=small.headers, timeout=30,
                          json={"text": doc, "voice_id": "heart", "markup": "ssml"})  # fmt: skip
    elapsed = time.monotonic() - started
    assert response.status_code == 400, response.text[:300]
    code = response.json()["code"]
    assert code in ("invalid_markup", "text_too_long"), response.text[:300]  # over 10,000 characters: not parsed
    if code == "invalid_markup":
        assert re.search(r"line \d+, column \d+ \(character \d+\)", response.json()["error"])
    assert elapsed < 2.0, f"{elapsed:.2f} s"  # the issue asks for "quickly": a busy box answers in ms


# -- the dictionaries in speech -------------------------------------------------------------------------


def best_of(voice: str, reading: Callable[[], str]) -> list[str]:
    """What the judge heard: hibari once (it is deterministic); Piper up to twice, as in
    test_live_quality: its sampled noise now and then blurs a word ("amarmal aid")."""
    readings = [reading()]
    if voice == "joe" and "marmalade" not in readings[0]:
        readings.append(reading())
    return readings


@pytest.mark.parametrize("voice", ["heart", "joe"])
def test_an_invented_word_is_heard_as_its_respelling_or_ipa(server: RunningServer, voice: str) -> None:
    key = new_key(server, f"heard-{voice}")
    respelled, ipa = make_dict(server, key, RESPELLING), make_dict(server, key, IPA)
    assert "marmalade" not in heard(speak(server, key, SENTENCE, voice))
    for dict_id in (respelled, ipa):
        readings = best_of(voice, functools.partial(say_with, server, key, voice, dict_id))
        assert "marmalade" in readings[-1], readings


def say_with(server: RunningServer, key: str, voice: str, dict_id: str) -> str:
    return heard(speak(server, key, SENTENCE, voice, pronunciation_dicts=[dict_id]))


def test_sse_keeps_the_word_as_the_client_wrote_it(server: RunningServer) -> None:
    key = new_key(server, "sse")
    dict_id = make_dict(server, key, [{"word": "Qzvkt", "pronunciation": "orange marmalade"}])
    audio, words = sse(server, key, {"text": SENTENCE, "voice_id": "heart", "pronunciation_dicts": [dict_id]})
    assert [w["word"] for w in words] == SENTENCE.split()  # one timestamp for "Qzvkt", none for its respelling
    qzvkt = words[3]
    assert qzvkt["end"] - qzvkt["start"] > 0.5  # it spans both words of the respelling
    assert "marmalade" in heard(audio)


def test_the_openai_endpoint_takes_pronunciation_dicts(server: RunningServer) -> None:
    key = new_key(server, "openai")
    dict_id = make_dict(server, key, IPA)
    response = httpx.post(server.url + "/v1/audio/speech", headers={"Authorization": f"Bearer {key}"}, timeout=60,
                          json={"model": "tts-1", "input": SENTENCE, "voice": "alloy", "response_format": "pcm",
                                "pronunciation_dicts": [dict_id]})  # fmt: skip
    assert response.status_code == 200, response.text
    assert "marmalade" in heard(np.frombuffer(response.content, "<i2").astype(np.float32) / 32768)


def test_a_change_is_used_by_the_next_request(server: RunningServer) -> None:
    key = new_key(server, "change")
    dict_id = make_dict(server, key, [{"word": "Qzvkt", "pronunciation": "pineapple"}])
    assert "pineapple" in heard(speak(server, key, SENTENCE, "heart", pronunciation_dicts=[dict_id]))
    assert call(server, key, "PUT", {"id": dict_id, "items": RESPELLING}).status_code == 200
    assert "marmalade" in heard(speak(server, key, SENTENCE, "heart", pronunciation_dicts=[dict_id]))


def test_a_live_turn_uses_the_dictionaries_it_names_and_the_next_turn_does_not(server: RunningServer) -> None:
    key = new_key(server, "live")
    dict_id = make_dict(server, key, RESPELLING)
    turns: list[bytes] = []
    with connect(server.ws_url + "/waves/v1/tts/live", additional_headers={"Authorization": f"Bearer {key}"}) as ws:
        for extra in ({"pronunciation_dicts": [dict_id]}, {}):
            ws.send(json.dumps({"text": SENTENCE, "voice_id": "heart", "sample_rate": RATE, **extra}))
            audio = b""
            while (frame := json.loads(ws.recv(timeout=60)))["status"] != "complete":
                assert frame["status"] == "chunk", frame
                audio += base64.b64decode(frame["data"]["audio"])
            turns.append(audio)
        ws.send(json.dumps({"text": SENTENCE, "voice_id": "heart", "pronunciation_dicts": ["0" * 24]}))
        error = json.loads(ws.recv(timeout=60))  # an unknown id fails that turn, and only that turn
        assert error["status"] == "error" and error["code"] == "invalid_field" and error["request_id"], error
        assert "pronunciation_dicts" in error["message"]
        ws.send(json.dumps({"text": "Still here.", "voice_id": "heart"}))
        assert json.loads(ws.recv(timeout=60))["status"] == "chunk"
    first, second = (heard(np.frombuffer(a, "<i2").astype(np.float32) / 32768) for a in turns)
    assert "marmalade" in first and "marmalade" not in second


# -- markup in speech -----------------------------------------------------------------------------------


def quiet_runs(samples: np.ndarray, level_db: float = -45.0) -> list[tuple[float, float]]:
    """``(start, seconds)`` of each stretch of at least 0.2 s below ``level_db`` (5 ms windows)."""
    window = RATE // 200
    frames = samples[: len(samples) // window * window].reshape(-1, window)
    quiet = np.max(np.abs(frames), axis=1) < 10 ** (level_db / 20)
    runs, start = [], None
    for i, q in enumerate([*quiet, False]):
        if q and start is None:
            start = i
        elif not q and start is not None:
            if i - start >= 40:
                runs.append((start * window / RATE, (i - start) * window / RATE))
            start = None
    return runs


@pytest.mark.parametrize("voice", ["heart", "joe"])
def test_a_break_is_its_silence_in_the_audio_and_the_timestamps(server: RunningServer, voice: str) -> None:
    text = 'Wait for it <break time="700ms"/> then go.'
    audio, words = sse(server, server.key, {"text": text, "voice_id": voice, "markup": "ssml"})
    assert [w["word"] for w in words] == ["Wait", "for", "it", "then", "go."]
    it, then = words[2], words[3]
    assert abs((then["start"] - it["end"]) - 0.7) <= 0.05, (it, then)
    inner = [(at, seconds) for at, seconds in quiet_runs(audio) if 0.05 < at < len(audio) / RATE - 0.4]
    assert len(inner) == 1, inner
    at, seconds = inner[0]
    assert abs(seconds - 0.7) <= 0.05, inner
    assert abs(at - it["end"]) <= 0.05  # where the break stands: after "it"
    assert normalize_words(transcribe(audio, RATE))[-2:] == ["then", "go"]


def test_say_as_characters_spells(server: RunningServer) -> None:
    plain = transcribe(speak(server, server.key, "I found a dog here.", "heart"), RATE)
    spelled = transcribe(speak(server, server.key, 'I found a <say-as interpret-as="characters">dog</say-as> here.',
                               "heart", markup="ssml"), RATE)  # fmt: skip
    letters = re.compile(r"\bD\W*O\W*G\b")  # Whisper writes spelled letters in capitals: "DOG", "D-O-G"
    assert letters.search(spelled) and not letters.search(plain), (spelled, plain)


def test_markup_is_off_unless_asked_for(server: RunningServer) -> None:
    """Plain text with "<" stays plain: no 400, and the tag's name is read as text."""
    plain = speak(server, server.key, "Is 3 <b> 2?", "heart")
    assert len(plain) > RATE // 2
    refused = httpx.post(server.url + "/waves/v1/tts", headers=server.headers, timeout=30,
                         json={"text": "Is 3 <b> 2?", "voice_id": "heart", "markup": "ssml"})  # fmt: skip
    assert refused.status_code == 400 and refused.json()["code"] == "invalid_markup"


def test_a_markup_turn_on_the_live_socket(server: RunningServer, tmp_path: Path) -> None:
    with connect(server.ws_url + "/waves/v1/tts/live", additional_headers=server.headers) as ws:
        ws.send(json.dumps({"text": '<speak>Spell <say-as interpret-as="characters">dog',
                            "voice_id": "heart", "markup": "ssml", "sample_rate": RATE, "continue": True}))  # fmt: skip
        ws.send(json.dumps({"text": "</say-as> now.</speak>", "flush": True}))
        audio = b""
        while (frame := json.loads(ws.recv(timeout=60)))["status"] != "complete":
            assert frame["status"] == "chunk", frame
            audio += base64.b64decode(frame["data"]["audio"])
        ws.send(json.dumps({"text": "<speak>oops", "voice_id": "heart", "markup": "ssml"}))
        error = json.loads(ws.recv(timeout=60))
        assert error["status"] == "error" and error["code"] == "invalid_markup" and "character 11" in error["message"]
    spelled = transcribe(np.frombuffer(audio, "<i2").astype(np.float32) / 32768, RATE)
    assert re.search(r"\bD\W*O\W*G\b", spelled), spelled
