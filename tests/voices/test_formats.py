"""Kokoro voice files in their three forms (raw .bin, .npy, kokoro-onnx's .npz), and digests."""

from __future__ import annotations

import hashlib
import pickle
from pathlib import Path

import numpy as np
import pytest

from voicewire.exceptions import VoicePackError
from voicewire.voices.formats import check_kokoro_table, check_piper_config, digest_of, kokoro_tables, table_bytes


def heart(kokoro_voices: Path) -> bytes:
    return (kokoro_voices / "af_heart.bin").read_bytes()


def test_a_raw_bin_is_taken_as_it_is(kokoro_voices: Path) -> None:
    assert kokoro_tables(kokoro_voices / "af_heart.bin") == {"af_heart": heart(kokoro_voices)}


@pytest.mark.parametrize("shape", [(510, 256), (510, 1, 256)])
@pytest.mark.parametrize("dtype", ["<f4", "<f8", ">f4"])
def test_an_npy_becomes_the_raw_form(kokoro_voices: Path, tmp_path: Path, shape: tuple[int, ...], dtype: str) -> None:
    table = np.frombuffer(heart(kokoro_voices), "<f4").reshape(shape)
    path = tmp_path / "af_heart.npy"
    np.save(path, table.astype(dtype))
    assert kokoro_tables(path) == {"af_heart": heart(kokoro_voices)}


def test_kokoro_onnx_voices_archive_gives_every_voice(kokoro_voices: Path, tmp_path: Path) -> None:
    """kokoro-onnx's voices-v1.0.bin is an .npz of 510x1x256 arrays, one per voice name."""
    names = ["af_heart", "ef_dora", "jm_kumo"]
    arrays = {n: np.frombuffer((kokoro_voices / f"{n}.bin").read_bytes(), "<f4").reshape(510, 1, 256) for n in names}
    archive = tmp_path / "voices-v1.0.bin"
    with archive.open("wb") as f:
        np.savez(f, **arrays)
    tables = kokoro_tables(archive)
    assert tables is not None and sorted(tables) == names
    for name in names:
        assert tables[name] == (kokoro_voices / f"{name}.bin").read_bytes()


@pytest.mark.parametrize(
    ("make", "needle"),
    [
        (lambda p: p.write_bytes(b"\0" * 1000), "is 1000 bytes; a Kokoro voice is 522240"),
        (lambda p: p.write_bytes(b"\x00\x00\xc0\x7f" * 130_560), "not finite numbers"),
    ],
    ids=["size", "nan"],
)
def test_a_raw_bin_that_is_no_table_is_refused(tmp_path: Path, make: object, needle: str) -> None:
    path = tmp_path / "af_bad.bin"
    assert callable(make)
    make(path)
    with pytest.raises(VoicePackError, match=needle):
        kokoro_tables(path)


def test_arrays_of_another_shape_or_type_are_refused(tmp_path: Path) -> None:
    with pytest.raises(VoicePackError, match=r"shape \(511, 256\)"):
        table_bytes(np.zeros((511, 256), np.float32), "x")
    with pytest.raises(VoicePackError, match="int32"):
        table_bytes(np.zeros((510, 256), np.int32), "x")
    path = tmp_path / "af_x.npy"
    np.save(path, np.zeros((3, 4)))
    with pytest.raises(VoicePackError, match=r"shape \(3, 4\)"):
        kokoro_tables(path)


def test_nothing_is_unpickled(tmp_path: Path) -> None:
    path = tmp_path / "af_evil.npy"
    np.save(path, np.array([{"a": 1}], dtype=object), allow_pickle=True)
    with pytest.raises(VoicePackError, match=r"not a readable \.npy"):
        kokoro_tables(path)
    pickled = tmp_path / "af_evil.bin"
    pickled.write_bytes(pickle.dumps("x"))
    with pytest.raises(VoicePackError, match="bytes; a Kokoro voice is"):
        kokoro_tables(pickled)


def test_an_archive_without_voices_or_broken_is_refused(tmp_path: Path) -> None:
    empty = tmp_path / "voices.npz"
    np.savez(empty)
    with pytest.raises(VoicePackError, match="no voice arrays"):
        kokoro_tables(empty)
    broken = tmp_path / "broken.bin"
    broken.write_bytes(b"PK\x03\x04 not really a zip")
    with pytest.raises(VoicePackError, match="not a readable voice archive"):
        kokoro_tables(broken)


def test_other_files_are_no_kokoro_voice(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("hello")
    assert kokoro_tables(path) is None
    check_kokoro_table(b"\0" * 522_240, "zeros")  # finite: fine


def test_digests(tmp_path: Path) -> None:
    path = tmp_path / "f"
    path.write_bytes(b"hello\n")
    assert digest_of(path, "md5") == hashlib.md5(b"hello\n").hexdigest()
    assert digest_of(path, "sha256") == hashlib.sha256(b"hello\n").hexdigest()
    assert digest_of(path, "git-sha1") == "ce013625030ba8dba906f756967f9e9ca394464a"  # `git hash-object`
    with pytest.raises(VoicePackError, match="Unknown digest 'crc'"):
        digest_of(path, "crc")


def test_a_piper_config_must_have_what_the_engine_reads(tmp_path: Path) -> None:
    path = tmp_path / "x.onnx.json"
    path.write_text('{"audio": {"sample_rate": 22050}}')
    with pytest.raises(VoicePackError, match=r"x\.onnx\.json is not a Piper voice config"):
        check_piper_config(path, "x.onnx.json")
