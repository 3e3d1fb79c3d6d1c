"""The runtime's watch on the voices folder: a changed folder refreshes the catalog, a quiet one does not."""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Sequence
from pathlib import Path

import pytest

from voicewire.engines.base import Engine, EngineAudio, Utterance, VoiceInfo
from voicewire.engines.catalog import Catalog
from voicewire.exceptions import UnknownVoice
from voicewire.runtime.voice_reload import folder_signature, reload_voices_forever


class FilesEngine(Engine):
    """Voices are the ``*.voice`` files of a folder, as the engine saw it at its last rescan."""

    name = "files"
    sample_rate = 16000

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.rescans = 0
        self._seen: list[str] = []

    def voices(self) -> Sequence[VoiceInfo]:
        return [VoiceInfo(voice_id=v, engine=self.name, display_name=v, languages=("en",), sample_rate=16000)
                for v in self._seen]  # fmt: skip

    def rescan(self) -> None:
        self.rescans += 1
        self._seen = sorted(p.stem for p in self.folder.glob("*.voice")) if self.folder.is_dir() else []

    def load(self, voice_id: str) -> None:
        pass

    def synthesize(self, voice_id: str, utterance: Utterance) -> EngineAudio:
        raise NotImplementedError


def test_the_signature_changes_with_visible_files_only(tmp_path: Path) -> None:
    voices = tmp_path / "voices"
    assert folder_signature(voices) == ()
    (voices / "piper").mkdir(parents=True)
    empty = folder_signature(voices)
    (voices / "piper" / ".lessac.onnx.part").write_bytes(b"downloading")
    (voices / ".hidden").mkdir()
    (voices / ".hidden" / "x.bin").write_bytes(b"x")
    assert folder_signature(voices) == empty  # downloads in progress and hidden folders are not voices
    (voices / "piper" / ".lessac.onnx.part").rename(voices / "piper" / "lessac.onnx")
    added = folder_signature(voices)
    assert [name for name, _, _ in added] == ["piper/lessac.onnx"]
    (voices / "catalog.json").write_text("{}")
    assert [name for name, _, _ in folder_signature(voices)] == ["catalog.json", "piper/lessac.onnx"]
    os.utime(voices / "piper" / "lessac.onnx", ns=(1, 1))
    assert folder_signature(voices) != added  # replaced in place


def test_installed_and_removed_voices_reach_the_catalog(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    folder = tmp_path / "voices" / "files"
    folder.mkdir(parents=True)
    engine = FilesEngine(folder)
    catalog = Catalog([engine], {})

    async def scenario() -> None:
        watch = asyncio.ensure_future(reload_voices_forever(catalog, tmp_path / "voices", interval=0.02))
        try:
            await until(lambda: engine.rescans == 1)  # the first look always refreshes
            await asyncio.sleep(0.1)
            assert engine.rescans == 1  # a quiet folder costs no refresh
            (folder / "amy.voice").write_text("x")
            await until(lambda: known(catalog, "amy"))
            (folder / "amy.voice").unlink()
            await until(lambda: not known(catalog, "amy"))
        finally:
            watch.cancel()
            with pytest.raises(asyncio.CancelledError):
                await watch

    with caplog.at_level(logging.INFO, "voicewire.runtime"):
        asyncio.run(scenario())
    assert "added: amy" in caplog.text and "removed: amy" in caplog.text


def test_a_failing_refresh_is_logged_and_the_watch_goes_on(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    folder = tmp_path / "voices" / "files"
    folder.mkdir(parents=True)
    engine = FilesEngine(folder)
    failures = [RuntimeError("a bug in an engine")]

    def rescan() -> None:
        if failures:
            raise failures.pop()
        FilesEngine.rescan(engine)

    engine.rescan = rescan  # type: ignore[method-assign]
    catalog = Catalog([engine], {})

    async def scenario() -> None:
        watch = asyncio.ensure_future(reload_voices_forever(catalog, tmp_path / "voices", interval=0.02))
        try:
            (folder / "amy.voice").write_text("x")
            await until(lambda: known(catalog, "amy"))
        finally:
            watch.cancel()

    with caplog.at_level(logging.ERROR, "voicewire.runtime"):
        asyncio.run(scenario())
    assert "looking at the voices folder" in caplog.text and "a bug in an engine" in caplog.text


def known(catalog: Catalog, voice_id: str) -> bool:
    try:
        catalog.resolve(voice_id)
        return True
    except UnknownVoice:
        return False


async def until(condition: object, timeout: float = 5.0) -> None:
    assert callable(condition)
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not condition():
        assert loop.time() < deadline, "the catalog did not change in time"
        await asyncio.sleep(0.01)
