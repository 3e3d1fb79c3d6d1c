"""The server's reading of ``<voices_dir>/catalog.json``: listed voices, never a reason not to start."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

from voicewire.engines.listed import CATALOG_FILE, listed_voices


def write(folder: Path, body: object) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / CATALOG_FILE).write_text(json.dumps(body) if not isinstance(body, str) else body, encoding="utf-8")


def test_entries_become_voices_that_are_not_installed(tmp_path: Path) -> None:
    write(tmp_path, {"voices": [
        {"voice_id": "lessac", "engine": "piper", "language": "en-US", "sample_rate": 22050, "gender": "female",
         "description": "Piper voice en_US-lessac-medium", "files": []},
        {"voice_id": "af_heart", "engine": "kokoro", "language": "en-US", "sample_rate": 24000},
    ]})  # fmt: skip
    voices = listed_voices(tmp_path)
    assert [(v.voice_id, v.engine, v.language, v.installed) for v in voices] == [
        ("lessac", "piper", "en-US", False), ("af_heart", "kokoro", "en-US", False)]  # fmt: skip
    assert voices[0].gender == "female" and voices[0].display_name == "Lessac"


def test_no_file_lists_nothing(tmp_path: Path) -> None:
    assert listed_voices(tmp_path / "missing") == []


@pytest.mark.parametrize("body", ["{not json", [], {"voices": "all"}])
def test_a_damaged_file_is_ignored_with_a_warning(tmp_path: Path, caplog: pytest.LogCaptureFixture,
                                                  body: object) -> None:  # fmt: skip
    write(tmp_path, body)
    with caplog.at_level(logging.WARNING, "voicewire.engines"):
        assert listed_voices(tmp_path) == []
    assert "ignoring the voice catalog" in caplog.text


def test_entries_missing_what_a_catalog_needs_are_left_out(tmp_path: Path) -> None:
    write(tmp_path, {"voices": [{"voice_id": "a", "engine": "piper"}, {"voice_id": "", "engine": "piper",
                                "language": "en", "sample_rate": 1}, "x",
                                {"voice_id": "ok", "engine": "piper", "language": "de-DE", "sample_rate": "16000"}]})
    assert [v.voice_id for v in listed_voices(tmp_path)] == ["ok"]
