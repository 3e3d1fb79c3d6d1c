"""Knobs shared by the fuzz tests: how many cases each runs, and an honest count of the cases run.

``VOICEWIRE_FUZZ_EXAMPLES`` sets the number of examples of every fuzz test (default ``DEFAULT_EXAMPLES``,
sized for CI); a test whose cases are slow (a real server, a real engine) takes a fraction of it
with ``scale``. ``VOICEWIRE_FUZZ_COUNT`` names a file where, at exit, the process adds one line
``<kind> <cases>`` per kind of case it executed (``scripts/fuzz`` sums them): counted where a case
actually runs, so shrinking and replays count too and nothing is estimated.
"""

from __future__ import annotations

import atexit
import os
from collections import Counter
from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

__all__ = ["DEFAULT_EXAMPLES", "HOSTILE_MARKUP", "count_case", "examples", "fuzz_settings", "markup_documents"]

DEFAULT_EXAMPLES = 200
EXAMPLES_VAR = "VOICEWIRE_FUZZ_EXAMPLES"
COUNT_VAR = "VOICEWIRE_FUZZ_COUNT"

_counts: Counter[str] = Counter()

HOSTILE_MARKUP: list[str] = [
    # entity expansion ("billion laughs") and external entities: no DTD is read at all
    '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">]>'
    "<speak>&lol2;</speak>",
    '<!DOCTYPE speak [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><speak>&xxe;</speak>',
    "<speak>&lol;&xxe;</speak>",
    # deep nesting
    "<speak>" + "<p>" * 5000 + "deep" + "</p>" * 5000 + "</speak>",
    "<s>" * 200,
    # huge attributes, many attributes
    '<sub alias="' + "a" * 100_000 + '">x</sub>',
    '<break time="' + "9" * 50_000 + 'ms"/>',
    "<speak " + " ".join(f'a{i}="{i}"' for i in range(5000)) + ">x</speak>",
    # unterminated constructs, stray markup
    "<!--" + "x" * 50_000,
    "<speak>" + "<" * 10_000,
    "<speak>" + "&" * 10_000 + "</speak>",
    '<speak><break time="1s"' + " " * 50_000,
    "</speak>" * 1000,
    # silence as a denial of service
    '<break time="10s"/>' * 100,
]
"""Speech markup meant to hurt: every one must be refused (400) at once, never crash or hang."""

_MARKUP_PIECES = [
    "Hello", " ", "world", ".", ",", "5", "C3PO", "\n", "&amp;", "&", "&lt;", "&#65;", "&bogus;", "<", ">", '"',
    "'", "<speak>", "</speak>", "<p>", "</p>", "<s>", "</s>", '<break time="300ms"/>', "<break/>",
    '<break strength="weak"/>', '<break time="x"/>', '<say-as interpret-as="characters">',
    '<say-as interpret-as="cardinal">', '<say-as interpret-as="date" format="dmy">', "</say-as>",
    '<sub alias="x y">', "</sub>", '<phoneme ph="bəˈnænə">', '<phoneme alphabet="ipa" ph="1">', "</phoneme>",
    '<prosody rate="1.5">', '<prosody rate="slow">', "</prosody>", "<b>", "</b>", "<!-- c -->", "<!--",
    "<![CDATA[", "]]>", "<?x?>", "<br/>", "<!DOCTYPE x>",
]  # fmt: skip


def markup_documents(max_pieces: int = 30) -> st.SearchStrategy[str]:
    """Speech markup made of pieces that are often, but not always, well formed."""
    return st.lists(st.sampled_from(_MARKUP_PIECES), max_size=max_pieces).map("".join)


def examples(scale: float = 1.0) -> int:
    """Examples for one fuzz test: ``VOICEWIRE_FUZZ_EXAMPLES`` (or the default) times ``scale``."""
    raw = os.environ.get(EXAMPLES_VAR, "").strip()
    base = int(raw) if raw else DEFAULT_EXAMPLES
    return max(1, round(base * scale))


def fuzz_settings(scale: float = 1.0, **overrides: Any) -> settings:
    """Hypothesis settings of a fuzz test. No deadline: the machine is shared and a real server's
    latency varies; a hang still fails, through the clients' own timeouts."""
    options: dict[str, Any] = {
        "max_examples": examples(scale),
        "deadline": None,
        "suppress_health_check": [HealthCheck.too_slow, HealthCheck.data_too_large],
    }
    options.update(overrides)
    return settings(**options)


def count_case(kind: str, n: int = 1) -> None:
    """Record that ``n`` cases of ``kind`` (session, chunker, http, websocket) were executed."""
    _counts[kind] += n


def _write_counts() -> None:
    path = os.environ.get(COUNT_VAR)
    if path and _counts:
        with open(path, "a", encoding="utf-8") as out:
            out.writelines(f"{kind} {n}\n" for kind, n in sorted(_counts.items()))


atexit.register(_write_counts)
