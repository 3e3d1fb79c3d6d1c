"""Engines by name, imported only when built (uvicorn's ``import_from_string`` idea).

Importing ``voicewire.engines.registry`` costs nothing; onnxruntime, hibari, piper and Kokoro's front ends are imported
when an engine is constructed or a voice is loaded.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable

from voicewire.config import Settings
from voicewire.engines.base import Engine
from voicewire.engines.catalog import Catalog

__all__ = ["ENGINES", "build_catalog", "import_engine"]

ENGINES: dict[str, str] = {
    "hibari": "voicewire.engines.hibari:HibariEngine",
    "piper": "voicewire.engines.piper:PiperEngine",
    "kokoro": "voicewire.engines.kokoro:KokoroEngine",
}


def import_engine(name: str) -> Callable[..., Engine]:
    module, _, attr = ENGINES[name].partition(":")
    factory: Callable[..., Engine] = getattr(importlib.import_module(module), attr)
    return factory


def build_catalog(settings: Settings) -> Catalog:
    """Every engine with the voices that ship plus the ones installed under ``settings.voices_dir``
    (looked at again on ``Catalog.refresh``), sharing one loaded-voice budget, plus the voices a
    catalog offered this machine, as not installed."""
    from voicewire.engines.budget import VoiceBudget
    from voicewire.engines.listed import listed_voices

    budget = VoiceBudget(settings.max_loaded_voices)
    voices = settings.voices_dir
    hibari = import_engine("hibari")(threads=settings.threads, voices_dir=voices / "hibari", budget=budget)
    piper = import_engine("piper")(threads=settings.threads, lone_threads=settings.lone_threads,
                                   voices_dir=voices / "piper", cache_dir=settings.cache_dir,
                                   budget=budget)  # fmt: skip
    kokoro = import_engine("kokoro")(threads=settings.threads, voices_dir=voices / "kokoro", budget=budget)
    return Catalog([hibari, piper, kokoro], settings.aliases, listed=lambda: listed_voices(voices), budget=budget)
