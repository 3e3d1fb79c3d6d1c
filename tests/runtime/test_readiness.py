"""Readiness: a server's processes share a file, and each says ready only when all of them are."""

from __future__ import annotations

from pathlib import Path

from voicewire.runtime.readiness import Readiness


def test_alone_it_is_ready_once_marked() -> None:
    readiness = Readiness()
    assert not readiness.ready
    readiness.mark(True)
    assert readiness.ready
    readiness.mark(False)
    assert not readiness.ready


def test_processes_are_ready_only_when_all_of_them_are(tmp_path: Path) -> None:
    file = tmp_path / "ready"
    first, second = Readiness((file, 0, 2)), Readiness((file, 1, 2))
    first.mark(True)
    assert not first.ready and not second.ready  # the second is still loading
    second.mark(True)
    assert first.ready and second.ready


def test_a_restarted_process_is_not_ready_until_it_has_loaded_again(tmp_path: Path) -> None:
    file = tmp_path / "ready"
    first, second = Readiness((file, 0, 2)), Readiness((file, 1, 2))
    first.mark(True)
    second.mark(True)
    restarted = Readiness((file, 1, 2))  # the supervisor started slot 1 again
    assert not first.ready
    restarted.mark(True)
    assert first.ready


def test_a_closed_process_no_longer_counts_as_ready(tmp_path: Path) -> None:
    file = tmp_path / "ready"
    first, second = Readiness((file, 0, 2)), Readiness((file, 1, 2))
    first.mark(True)
    second.mark(True)
    second.close()
    assert not first.ready
