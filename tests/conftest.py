"""Shared fixtures: the real engines, loaded once per test session."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from voicewire.engines.hibari import HibariEngine
from voicewire.engines.piper import PiperEngine


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
def piper_engine(engine_cache: Path) -> Iterator[PiperEngine]:
    engine = PiperEngine(cache_dir=engine_cache)
    engine.load("joe")
    yield engine
    engine.close()
