"""``voicewire bench dicts``: what a pronunciation dictionary costs a turn.

Two parts:

- *matching*, in this process: a 1,000-entry dictionary (invented words, a tenth of them with IPA)
  applied to a 10,000-character text in which one word in twenty is a dictionary word. Timed: the
  store read of the dictionary (SQLite), building the matcher, finding the matches, and preparing
  the whole text (normalization, as the workers do it) with and without the dictionary, interleaved.
  The issue's target is the cost of applying it (the extra preparation, matching included): <= 5 ms.
  Each match costs about one more normalizer call (the text around it is read on its own). Also
  timed: parsing 10,000 characters of speech markup, and what a turn pays for its dictionaries as it
  opens: the store read and the matcher's build, or, for dictionaries unchanged since a turn before,
  only the check of their stamps.
- *first audio*, on a real server: time to the first byte of ``POST /waves/v1/tts`` (pcm, streamed)
  with and without a 1,000-entry dictionary that matches every plain word of the text but says each
  as itself (so the audio is the same and only the dictionary's own cost shows), requests
  interleaved, for a short text and a 10,000-character one (each request is closed at its first byte).
"""

from __future__ import annotations

import http.client
import json
import random
import statistics
import string
import tempfile
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import click

from voicewire.bench.corpus import SENTENCES, SHORT_TEXT

if TYPE_CHECKING:  # imported where used: `voicewire --help` need not load the text tables
    from voicewire.text.lexicon import LexiconEntry

__all__ = ["bench_dicts_command", "bench_first_audio", "bench_matching", "make_dictionary", "make_text"]

ENTRIES = 1_000
TEXT_CHARS = 10_000
MARKUP_TEXT = (
    '<p>The birch canoe <break time="200ms"/> slid on the <say-as interpret-as="characters">abc</say-as> '
    '<sub alias="smooth">smth</sub> planks, <prosody rate="1.2">glue the sheet</prosody> to the '
    '<phoneme ph="ˈmɑːɹməleɪd">dark</phoneme> blue background.</p> '
) * 40
"""About 10,000 characters of markup with 240 elements."""
_SYLLABLES = "koo ber net ees ta mo ri zan pel vo dee ka lum sor fin gah".split()
SETTLE_S = 0.5
"""Pause after each request: one closed at its first byte leaves a unit being made on a worker."""


def make_dictionary(entries: int = ENTRIES, seed: int = 15) -> list[LexiconEntry]:
    """Invented words (they never occur by chance), each with a respelling in syllables such as
    ``koo-ber-net-ees``, or IPA for one in ten."""
    from voicewire.text.lexicon import LexiconEntry

    rng = random.Random(seed)
    out = []
    for i in range(entries):
        word = "".join(rng.choice(string.ascii_lowercase) for _ in range(rng.randint(5, 9))).capitalize()
        respelling = "-".join(rng.choice(_SYLLABLES) for _ in range(rng.randint(2, 4)))
        out.append(LexiconEntry(word, "/ˈmɑːɹməleɪd/" if i % 10 == 0 else respelling))
    return out


def make_text(entries: list[LexiconEntry], chars: int = TEXT_CHARS, seed: int = 15, share: float = 0.05) -> str:
    """Plain sentences with one dictionary word in about twenty words (``share``), cut to ``chars`` at
    a space."""
    rng = random.Random(seed)
    words: list[str] = []
    while sum(len(w) + 1 for w in words) < chars + 100:
        for word in rng.choice(SENTENCES).split():
            words.append(rng.choice(entries).word if rng.random() < share else word)
    return " ".join(words)[:chars].rsplit(" ", 1)[0]


def neutral_dictionary(texts: list[str], entries: int = ENTRIES) -> list[LexiconEntry]:
    """A dictionary that changes nothing audible: every plain lower-case word of ``texts`` respelled as
    itself (so it matches all through them), filled up with invented words. Its effect on first audio
    is the machinery alone: the store read, the matcher, the matching and the split readings."""
    from voicewire.text.lexicon import LexiconEntry

    seen = sorted({w for t in texts for w in t.split() if w.isalpha() and w.islower()})
    own = [LexiconEntry(w, w) for w in seen[:entries]]
    return own + make_dictionary(entries - len(own))


def _ms(fn: Callable[[], object], rounds: int) -> tuple[float, float, float]:
    """p50, max and min of ``rounds`` timed calls, in ms (on a busy machine the min is the cost
    with the least interference)."""
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        fn()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times), max(times), min(times)


def bench_matching(rounds: int = 20) -> dict[str, Any]:
    from voicewire.auth.sqlite import SqliteStore
    from voicewire.runtime.lexicons import Lexicons
    from voicewire.synthesis.units import prepare, split_text
    from voicewire.text.lexicon import Lexicon
    from voicewire.text.ssml import parse_ssml

    entries = make_dictionary()
    text = make_text(entries)
    lexicon = Lexicon(entries)
    units = split_text(text)
    with tempfile.TemporaryDirectory() as home:
        store = SqliteStore(Path(home) / "bench.db")
        made = store.create_dict("bench", entries, limit=1)
        load = _ms(lambda: Lexicons(store).load("bench", [made.dict_id]), rounds)  # new Lexicons: nothing kept
        kept = Lexicons(store)
        kept.load("bench", [made.dict_id])
        check = _ms(lambda: kept.load("bench", [made.dict_id]), rounds)  # the matcher kept: only the stamps
        store.close()
    plain: list[float] = []
    applied: list[float] = []
    for _ in range(rounds):  # interleaved, so both see the same machine
        plain.append(_ms(lambda: [prepare(u, w) for u, w in units], 1)[0])
        applied.append(_ms(lambda: [prepare(u, w, lexicon=lexicon) for u, w in units], 1)[0])
    find = _ms(lambda: lexicon.find(text), rounds)
    build = _ms(lambda: Lexicon(entries), rounds)
    markup = _ms(lambda: parse_ssml(MARKUP_TEXT), rounds)
    return {
        "entries": len(entries),
        "text_chars": len(text),
        "matches": len(lexicon.find(text)),
        "find_ms_p50": round(find[0], 2),
        "find_ms_min": round(find[2], 2),
        "prepare_plain_ms_p50": round(statistics.median(plain), 2),
        "prepare_with_dict_ms_p50": round(statistics.median(applied), 2),
        "applying_ms_p50": round(statistics.median(applied) - statistics.median(plain), 2),
        "applying_ms_min": round(min(applied) - min(plain), 2),
        "build_matcher_ms_p50": round(build[0], 2),
        "store_read_and_build_ms_p50": round(load[0], 2),
        "store_check_kept_ms_p50": round(check[0], 2),
        "markup_chars": len(MARKUP_TEXT),
        "markup_parse_ms_p50": round(markup[0], 2),
    }


def _create(url: str, key: str, entries: list[LexiconEntry]) -> str:
    body = json.dumps({"items": [{"word": e.word, "pronunciation": e.pronunciation} for e in entries]}).encode()
    headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
    request = urllib.request.Request(url + "/waves/v1/pronunciation-dicts", body, method="POST", headers=headers)
    with urllib.request.urlopen(request, timeout=60) as response:
        return str(json.loads(response.read())["id"])


def first_byte_ms(url: str, key: str, body: dict[str, Any]) -> float:
    """Time to the first byte of ``POST /waves/v1/tts``; the connection is closed then (the server stops
    synthesizing the rest: a 10,000-character text is minutes of audio)."""
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port or 80, timeout=120)
    payload = json.dumps(body).encode()
    started = time.perf_counter()
    conn.request("POST", "/waves/v1/tts", payload, {"Authorization": f"Bearer {key}",
                                                    "Content-Type": "application/json"})  # fmt: skip
    response = conn.getresponse()
    if response.status != 200:
        raise RuntimeError(f"POST /waves/v1/tts answered {response.status}: {response.read()[:300]!r}")
    response.read1(65536)
    elapsed = (time.perf_counter() - started) * 1000
    conn.close()
    return elapsed


def bench_first_audio(
    url: str, key: str, repeat: int = 10, voices: tuple[str, ...] = ("heart",), *, long_text: bool = True
) -> list[dict[str, Any]]:
    """TTFB of sync requests with and without a 1,000-entry dictionary that matches all through the
    text but changes nothing audible (``neutral_dictionary``), alternating; for a short text and
    (``long_text``) a 10,000-character one. (A dictionary that replaces words changes the audio,
    and a longer first sentence takes longer to speak whatever the dictionary costs.)"""
    texts = [("short", SHORT_TEXT)] + ([("10k chars", make_text(make_dictionary(), share=0.0))] if long_text else [])
    entries = neutral_dictionary([t for _, t in texts])
    dict_id = _create(url, key, entries)
    rows = []
    for voice in voices:
        for name, text in texts:
            base = {"text": text, "voice_id": voice, "output_format": "pcm", "sample_rate": 24000}
            with_dict = {**base, "pronunciation_dicts": [dict_id]}
            first_byte_ms(url, key, base)  # warm-up, both ways
            first_byte_ms(url, key, with_dict)
            plain, applied = [], []
            for _ in range(repeat):
                plain.append(first_byte_ms(url, key, base))
                time.sleep(SETTLE_S)
                applied.append(first_byte_ms(url, key, with_dict))
                time.sleep(SETTLE_S)
            rows.append({
                "voice": voice,
                "text": name,
                "ttfb_ms_p50": round(statistics.median(plain), 1),
                "ttfb_with_dict_ms_p50": round(statistics.median(applied), 1),
                "difference_ms": round(statistics.median(applied) - statistics.median(plain), 1),
                # The same requests split in two (odd and even rounds): how far apart identical halves are.
                "noise_ms": round(abs(statistics.median(plain[0::2]) - statistics.median(plain[1::2])), 1)
                if repeat > 1
                else None,
            })  # fmt: skip
    return rows


@click.command("dicts")
@click.option("--url", default=None, help="A running server; by default one is started for the first-audio part.")
@click.option("--key", envvar="VOICEWIRE_API_KEY", default=None, help="API key for --url.")
@click.option("--rounds", default=20, show_default=True, help="Rounds of the in-process timings.")
@click.option("--repeat", default=10, show_default=True, help="Requests per case and way (with, without).")
@click.option("--json", "as_json", is_flag=True)
def bench_dicts_command(url: str | None, key: str | None, rounds: int, repeat: int, as_json: bool) -> None:
    """Cost of a 1,000-entry pronunciation dictionary on a 10,000-character text, and on first audio."""
    import contextlib

    from voicewire.bench.server import BenchServer, spawn_server

    matching = bench_matching(rounds)
    with contextlib.ExitStack() as stack:
        if url is None:  # a request closed at its first byte frees its unit a moment later: room for that
            server = stack.enter_context(spawn_server(["--workers", "1"], env={"VOICEWIRE_WORKERS": "1"}, units=4))
        else:
            if not key:
                raise click.UsageError("--url needs --key (or VOICEWIRE_API_KEY).")
            server = BenchServer(url, key, 0)
        first_audio = bench_first_audio(server.url, server.key, repeat, voices=("heart", "magnus"))
    if as_json:
        click.echo(json.dumps({"matching": matching, "first_audio": first_audio}, indent=2))
        return
    for name, value in matching.items():
        click.echo(f"{name:30} {value}")
    click.echo("")
    columns = list(first_audio[0])
    click.echo("  ".join(columns))
    for row in first_audio:
        click.echo("  ".join(str(row[c]).ljust(len(c)) for c in columns))
