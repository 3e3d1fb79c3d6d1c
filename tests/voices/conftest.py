"""A loopback hub mirror for the voice manager's tests (started once), and homes to install into.

The Kokoro vectors come from the npm package ``kokoro-js`` 1.2.1 (``npm pack``: CI needs ``npm``
and the npm registry); the tarball is kept in pytest's cache and checked against its SHA-1.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from support.voice_mirror import DEAD_URL, Mirror, build_tree, kokoro_js_voices, serve


@pytest.fixture(scope="session")
def kokoro_voices(request: pytest.FixtureRequest) -> Path:
    return kokoro_js_voices(Path(request.config.cache.mkdir("kokoro-js")))


@pytest.fixture(scope="session")
def mirror_root(tmp_path_factory: pytest.TempPathFactory, kokoro_voices: Path) -> Path:
    root = tmp_path_factory.mktemp("hub-mirror")
    build_tree(root, kokoro_voices)
    return root


@pytest.fixture(scope="session")
def session_mirror(mirror_root: Path) -> Iterator[Mirror]:
    yield from serve(mirror_root)


@pytest.fixture
def mirror(session_mirror: Mirror) -> Iterator[Mirror]:
    """The mirror, behaving, with an empty request log."""
    session_mirror.faults.clear()
    session_mirror.requests.clear()
    yield session_mirror
    session_mirror.faults.clear()


@pytest.fixture
def offline(monkeypatch: pytest.MonkeyPatch) -> None:
    """Proxies pointed at a dead port, so nothing reaches the internet whatever the test asks."""
    for name in ("https_proxy", "HTTPS_PROXY", "http_proxy", "HTTP_PROXY"):
        monkeypatch.setenv(name, DEAD_URL)
    for name in ("no_proxy", "NO_PROXY"):
        monkeypatch.setenv(name, "127.0.0.1,localhost")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")

