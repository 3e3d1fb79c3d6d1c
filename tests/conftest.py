"""Shared fixtures: the real engines, loaded once per test session."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from support.kokoro_voices import install_voices
from support.server import SHARED_PIPER_CACHE
from voicewire.engines.hibari import HibariEngine
from voicewire.engines.kokoro import KokoroEngine
from voicewire.engines.piper import PiperEngine

KOKORO_VOICES = ("af_heart", "ef_dora", "ff_siwis", "if_sara", "pf_dora", "zf_xiaobei", "hf_alpha")
"""One official Kokoro voice per language that does not ship in a wheel (Japanese ones do)."""


@pytest.fixture(scope="session", autouse=True)
def shared_piper_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One folder per test run (both xdist workers) for the Piper graphs test servers prepare
    (``support.server.seed_piper_cache``); pytest removes it with the run's other temporary files."""
    base = tmp_path_factory.getbasetemp()
    folder = (base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base) / "piper-cache"
    os.environ[SHARED_PIPER_CACHE] = str(folder)
    return folder


@pytest.fixture(scope="session")
def engine_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("engine-cache")


@pytest.fixture(scope="session")
def hibari_engine() -> Iterator[HibariEngine]:
    engine = HibariEngine()
    engine.load("heart")
    yield engine
    engine.close()


@pytest.fixture(scope="session")
def quiet_piper(engine_cache: Path) -> Iterator[PiperEngine]:
    """joe with the model's noise off: the same words give the same samples on every call."""
    engine = PiperEngine(cache_dir=engine_cache, noise=False)
    engine.load("joe")
    yield engine
    engine.close()


@pytest.fixture(scope="session")
def piper_engine(engine_cache: Path) -> Iterator[PiperEngine]:
    engine = PiperEngine(cache_dir=engine_cache)
    engine.load("joe")
    yield engine
    engine.close()


@pytest.fixture(scope="session")
def kokoro_voices(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A voices folder (``<home>/voices/kokoro`` layout) with ``KOKORO_VOICES`` from kokoro-js."""
    return install_voices(KOKORO_VOICES, tmp_path_factory.mktemp("kokoro-voices"), tmp_path_factory.mktemp("npm"))


@pytest.fixture(scope="session")
def kokoro_engine(kokoro_voices: Path) -> Iterator[KokoroEngine]:
    engine = KokoroEngine(threads=2, voices_dir=kokoro_voices)
    engine.load("jf_alpha")
    yield engine
    engine.close()
