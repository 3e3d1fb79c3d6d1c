"""espeak-ng through piper's own bridge, shared by every engine that phonemizes with it.

espeak-ng keeps global state (the voice, its dictionaries), so one caller at a time: Piper and
Kokoro both take ``LOCK`` around ``set_voice`` and ``get_phonemes``. The data is the copy that
piper-tts ships, so nothing is read from the system.
"""

from __future__ import annotations

import threading

__all__ = ["LOCK", "clauses", "initialize"]

LOCK = threading.Lock()
_ready = False


def initialize() -> None:
    """Load espeak-ng with piper's data (once per process; cheap after the first call)."""
    global _ready
    with LOCK:
        if not _ready:
            from piper import espeakbridge
            from piper.phonemize_espeak import ESPEAK_DATA_DIR

            espeakbridge.initialize(str(ESPEAK_DATA_DIR))
            _ready = True


def clauses(voice: str, text: str, *, alone: tuple[str, ...] = ()) -> tuple[list[tuple[str, str, bool]], list[str]]:
    """espeak's clauses for ``text`` in ``voice`` (``(phonemes, terminator, ends sentence)``), and the
    phonemes of each of ``alone`` read on its own, under one hold of the lock."""
    from piper import espeakbridge

    initialize()
    with LOCK:
        espeakbridge.set_voice(voice)
        found = espeakbridge.get_phonemes(text)
        singles = ["".join(c[0] for c in espeakbridge.get_phonemes(w)) for w in alone]
    return found, singles
