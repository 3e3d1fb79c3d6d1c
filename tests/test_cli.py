"""The ``voicewire`` command, run as a user runs it.

Fast cases go through ``click.testing.CliRunner`` (in-process, stdout and stderr kept apart); the
real entry point (``python -m voicewire`` and the installed ``voicewire`` script) runs in a
subprocess where exit codes, stream separation and the absence of tracebacks are what a shell sees.
Every run gets its own ``VOICEWIRE_HOME`` and an empty ``HIBARI_HOME``, with proxies pointed at a
dead port, so nothing here can read the developer's keys or reach the network.
"""

from __future__ import annotations

import io
import os
import re
import subprocess
import sys
import wave
from collections.abc import Sequence
from pathlib import Path

import miniaudio
import numpy as np
import numpy.typing as npt
import pytest
from click.testing import CliRunner, Result

from support.decode import decode, rms_db
from support.judge import MAX_SENTENCE_WER, transcribe, wer
from support.sentences import PLAIN
from support.server import free_port
from voicewire import __version__
from voicewire.auth.keys import key_id_of
from voicewire.auth.sqlite import SqliteStore
from voicewire.cli import main

TEXT = "The quick brown fox jumps over the lazy dog."
KEY_LINE = re.compile(r"vw_[A-Za-z0-9_-]{40}\n")
DEAD_PROXY = "http://127.0.0.1:9"


# -- running the command ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def hibari_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An empty hibari cache: only ``heart`` (in the wheel) is installed, the others load on first use."""
    return tmp_path_factory.mktemp("hibari-home")


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The VOICEWIRE_HOME shared by the tests that neither add voices nor count keys."""
    return tmp_path_factory.mktemp("cli-home")


def environment(home: Path, hibari_home: Path, **extra: str) -> dict[str, str | None]:
    """Changes to the environment: our homes, dead proxies, and no stray ``VOICEWIRE_*`` settings."""
    env: dict[str, str | None] = {k: None for k in os.environ if k.startswith("VOICEWIRE_")}
    env.update({"VOICEWIRE_HOME": str(home), "HIBARI_HOME": str(hibari_home), "HF_HUB_OFFLINE": "1"})
    for name in ("https_proxy", "HTTPS_PROXY", "http_proxy", "HTTP_PROXY"):
        env[name] = DEAD_PROXY
    env.update({"no_proxy": None, "NO_PROXY": None})
    env.update(extra)
    return env


def invoke(args: Sequence[str], home: Path, hibari_home: Path, **extra: str) -> Result:
    """``voicewire ARGS`` in-process."""
    return CliRunner().invoke(main, list(args), env=environment(home, hibari_home, **extra), prog_name="voicewire")


def run(args: Sequence[str], home: Path, hibari_home: Path, *, cwd: Path | None = None,
        timeout: float = 120, **extra: str) -> subprocess.CompletedProcess[str]:  # fmt: skip
    """``python -m voicewire ARGS`` in a real process."""
    changes = environment(home, hibari_home, **extra)
    env = {k: v for k, v in {**os.environ, **changes}.items() if v is not None}
    return subprocess.run([sys.executable, "-m", "voicewire", *args], capture_output=True, text=True, env=env,
                          cwd=cwd, timeout=timeout, check=False)  # fmt: skip


def assert_one_line_error(stderr: str, *needles: str) -> None:
    """A failure a user sees: one ``voicewire: error:`` line naming what was wrong, no traceback."""
    assert "Traceback" not in stderr, stderr
    lines = stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("voicewire: error: "), stderr
    for needle in needles:
        assert needle in lines[0], (needle, stderr)


def assert_usage_error(result: Result, *needles: str) -> None:
    """click's usage errors: exit 2, ``Error: ...`` on stderr, nothing on stdout."""
    assert result.exit_code == 2, (result.exit_code, result.output, result.exception)
    assert isinstance(result.exception, SystemExit), result.exception
    assert result.stdout == ""
    assert "Traceback" not in result.stderr and "Error: " in result.stderr, result.stderr
    for needle in needles:
        assert needle in result.stderr, (needle, result.stderr)


def pitch_hz(samples: npt.NDArray[np.float32], rate: int) -> float:
    """Median fundamental frequency over voiced 40 ms frames (autocorrelation, 60-400 Hz)."""
    frame = int(0.04 * rate)
    lo, hi = rate // 400, rate // 60
    window = np.hanning(frame)
    found: list[float] = []
    for start in range(0, samples.size - frame, frame // 2):
        w = samples[start : start + frame].astype(np.float64) * window
        if np.sqrt(np.mean(w * w)) < 0.02:
            continue
        ac = np.correlate(w, w, "full")[frame - 1 :]
        lag = lo + int(np.argmax(ac[lo:hi]))
        if ac[lag] > 0.5 * ac[0]:
            found.append(rate / lag)
    assert len(found) >= 10, "too few voiced frames to judge the pitch"
    return float(np.median(found))


def read_wav(path: Path) -> tuple[npt.NDArray[np.float32], int]:
    """A WAV file with the stdlib: mono 16-bit, and a header whose sizes match the file."""
    data = path.read_bytes()
    assert data[:4] == b"RIFF" and data[8:12] == b"WAVE"
    assert int.from_bytes(data[4:8], "little") == len(data) - 8
    with wave.open(io.BytesIO(data)) as w:
        assert (w.getnchannels(), w.getsampwidth(), w.getcomptype()) == (1, 2, "NONE")
        frames = w.readframes(w.getnframes())
        assert len(frames) == w.getnframes() * 2 == len(data) - 44
        return (np.frombuffer(frames, "<i2") / 32768).astype(np.float32), w.getframerate()


def assert_speech(samples: npt.NDArray[np.float32], rate: int, low: float, high: float) -> float:
    seconds = samples.size / rate
    assert low < seconds < high, seconds
    assert rms_db(samples) > -35, "audio is (nearly) silent"
    assert np.mean(np.abs(samples) > 0.99) < 1e-3, "audio is clipped"
    return seconds


# -- keys ----------------------------------------------------------------------------------------------


def key_table(stdout: str) -> dict[str, tuple[str, int, str]]:
    """``keys list`` rows: key id -> (name, units, status)."""
    header, *rows = stdout.splitlines()
    assert header.split() == ["KEY", "ID", "NAME", "UNITS", "CREATED", "STATUS"]
    table: dict[str, tuple[str, int, str]] = {}
    for row in rows:
        key_id, name, units, day, clock, status = row.split()
        assert re.fullmatch(r"\d{4}-\d\d-\d\d", day) and re.fullmatch(r"\d\d:\d\d:\d\d", clock), row
        table[key_id] = (name, int(units), status)
    return table


def test_keys_create_prints_only_the_key(tmp_path: Path, hibari_home: Path) -> None:
    """``KEY=$(voicewire keys create)`` must capture a working key and nothing else."""
    done = run(["keys", "create"], tmp_path, hibari_home)
    assert done.returncode == 0, done.stderr
    assert KEY_LINE.fullmatch(done.stdout), repr(done.stdout)
    assert done.stderr == ""
    key = done.stdout.strip()
    store = SqliteStore(tmp_path / "voicewire.db")
    try:
        record = store.verify(key)
        assert record is not None and (record.name, record.units, record.active) == ("default", 1, True)
    finally:
        store.close()
    shell = subprocess.run(["sh", "-c", 'KEY=$("$0" -m voicewire keys create --name ci) && printf "[%s]" "$KEY"',
                            sys.executable], capture_output=True, text=True, check=True,
                           env={**os.environ, "VOICEWIRE_HOME": str(tmp_path)})  # fmt: skip
    assert re.fullmatch(r"\[vw_[A-Za-z0-9_-]{40}\]", shell.stdout), shell.stdout


def test_keys_create_name_and_units_then_list(tmp_path: Path, hibari_home: Path) -> None:
    first = invoke(["keys", "create"], tmp_path, hibari_home)
    second = invoke(["keys", "create", "--name", "ci-bot", "--units", "3"], tmp_path, hibari_home)
    assert first.exit_code == second.exit_code == 0
    assert KEY_LINE.fullmatch(first.stdout) and KEY_LINE.fullmatch(second.stdout)
    keys = [first.stdout.strip(), second.stdout.strip()]
    assert keys[0] != keys[1]

    listed = invoke(["keys", "list"], tmp_path, hibari_home)
    assert listed.exit_code == 0 and listed.stderr == ""
    assert key_table(listed.stdout) == {key_id_of(keys[0]): ("default", 1, "active"),
                                        key_id_of(keys[1]): ("ci-bot", 3, "active")}  # fmt: skip
    for key in keys:
        assert key not in listed.stdout and key[11:] not in listed.stdout  # never the key, nor its secret


def test_keys_revoke_by_id_and_by_name(tmp_path: Path, hibari_home: Path) -> None:
    made = {name: invoke(["keys", "create", "--name", name], tmp_path, hibari_home).stdout.strip()
            for name in ("alpha", "beta", "gamma")}  # fmt: skip
    alpha_id = key_id_of(made["alpha"])
    assert alpha_id is not None

    by_id = invoke(["keys", "revoke", alpha_id], tmp_path, hibari_home)
    assert by_id.exit_code == 0 and alpha_id in by_id.stdout and "alpha" in by_id.stdout
    by_name = invoke(["keys", "revoke", "beta"], tmp_path, hibari_home)
    assert by_name.exit_code == 0 and str(key_id_of(made["beta"])) in by_name.stdout

    table = key_table(invoke(["keys", "list"], tmp_path, hibari_home).stdout)
    assert {name: status for name, _, status in table.values()} == {"alpha": "revoked", "beta": "revoked",
                                                                    "gamma": "active"}  # fmt: skip
    store = SqliteStore(tmp_path / "voicewire.db")
    try:
        assert store.verify(made["alpha"]) is None and store.verify(made["beta"]) is None
        assert store.verify(made["gamma"]) is not None
    finally:
        store.close()
    # A revoked name no longer matches an active key.
    again = invoke(["keys", "revoke", "beta"], tmp_path, hibari_home)
    assert again.exit_code == 2
    assert_one_line_error(again.stderr, "'beta'")


def test_revoking_an_unknown_key_is_a_one_line_error(tmp_path: Path, hibari_home: Path) -> None:
    done = run(["keys", "revoke", "nobody"], tmp_path, hibari_home)
    assert done.returncode == 2
    assert done.stdout == ""
    assert_one_line_error(done.stderr, "'nobody'", "voicewire keys list")


@pytest.mark.parametrize(("args", "field"), [(["--units", "0"], "'units'"), (["--name", ""], "'name'")])
def test_keys_create_refuses_bad_values(tmp_path: Path, hibari_home: Path, args: list[str], field: str) -> None:
    done = invoke(["keys", "create", *args], tmp_path, hibari_home)
    assert done.exit_code == 2 and done.stdout == ""
    assert_one_line_error(done.stderr, field, "allowed")


def test_home_option_wins_over_the_environment(tmp_path: Path, hibari_home: Path) -> None:
    chosen, other = tmp_path / "chosen", tmp_path / "other"
    created = invoke(["keys", "create", "--home", str(chosen)], other, hibari_home)
    assert created.exit_code == 0
    assert (chosen / "voicewire.db").is_file() and not (other / "voicewire.db").exists()
    listed = invoke(["keys", "list"], chosen, hibari_home)
    assert list(key_table(listed.stdout)) == [key_id_of(created.stdout.strip())]


def test_keys_need_a_usable_home(tmp_path: Path, hibari_home: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    done = invoke(["keys", "create"], blocker / "home", hibari_home)
    assert done.exit_code == 2 and done.stdout == ""
    assert_one_line_error(done.stderr, str(blocker / "home"))


# -- speak -------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def magnus_wav(home: Path, hibari_home: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Result, Path]:
    """``voicewire speak TEXT -o out.wav``: every option at its default."""
    out = tmp_path_factory.mktemp("speak") / "out.wav"
    result = invoke(["speak", TEXT, "-o", str(out)], home, hibari_home)
    assert result.exit_code == 0, (result.output, result.exception)
    return result, out


@pytest.fixture(scope="module")
def heart_normal(home: Path, hibari_home: Path, tmp_path_factory: pytest.TempPathFactory) -> npt.NDArray[np.float32]:
    out = tmp_path_factory.mktemp("speak") / "heart.pcm"
    result = invoke(["speak", TEXT, "--voice", "heart", "--sample-rate", "16000", "-o", str(out)], home, hibari_home)
    assert result.exit_code == 0, (result.output, result.exception)
    samples, _ = decode(out.read_bytes(), "pcm", 16000)
    return samples


def test_speak_writes_a_playable_wav(magnus_wav: tuple[Result, Path]) -> None:
    result, out = magnus_wav
    samples, rate = read_wav(out)
    assert rate == 44100
    seconds = assert_speech(samples, rate, 1.8, 5.5)  # nine words at a normal pace
    assert result.stdout == ""
    assert re.fullmatch(rf"Wrote {re.escape(str(out))} \(\d+\.\d s of audio in \d+\.\d s, \d+\.\dx real time\)\.\n",
                        result.stderr)  # fmt: skip
    assert f"{seconds:.1f} s of audio" in result.stderr


def test_default_voice_is_magnus_and_heart_is_another_voice(
    magnus_wav: tuple[Result, Path], heart_normal: npt.NDArray[np.float32]
) -> None:
    magnus, rate = read_wav(magnus_wav[1])
    # magnus is an alias of joe (Piper, a man's voice); heart is hibari's woman's voice.
    assert pitch_hz(magnus, rate) < 150 < pitch_hz(heart_normal, 16000)


def test_speak_mp3_from_the_suffix(home: Path, hibari_home: Path, tmp_path: Path) -> None:
    out = tmp_path / "out.mp3"
    result = invoke(["speak", "Hello there, how are you?", "-o", str(out)], home, hibari_home)
    assert result.exit_code == 0, (result.output, result.exception)
    data = out.read_bytes()
    assert data[:3] == b"ID3" or (data[0] == 0xFF and data[1] & 0xE0 == 0xE0)
    decoded = miniaudio.mp3_read_s16(data)
    assert (decoded.nchannels, decoded.sample_rate) == (1, 44100)
    assert_speech((np.asarray(decoded.samples) / 32768).astype(np.float32), 44100, 0.8, 3.5)


def test_format_option_wins_over_the_suffix(home: Path, hibari_home: Path, tmp_path: Path) -> None:
    out = tmp_path / "speech.wav"
    result = invoke(["speak", TEXT, "--format", "pcm", "--sample-rate", "8000", "-o", str(out)], home, hibari_home)
    assert result.exit_code == 0, (result.output, result.exception)
    data = out.read_bytes()
    assert data[:4] != b"RIFF" and len(data) % 2 == 0  # raw 16-bit samples, no header
    samples, _ = decode(data, "pcm", 8000)
    assert_speech(samples, 8000, 1.8, 5.5)


def test_speed_two_is_shorter(home: Path, hibari_home: Path, tmp_path: Path,
                              heart_normal: npt.NDArray[np.float32]) -> None:  # fmt: skip
    out = tmp_path / "fast.raw"  # .raw is pcm
    result = invoke(["speak", TEXT, "--voice", "heart", "--speed", "2", "--sample-rate", "16000", "-o", str(out)],
                    home, hibari_home)  # fmt: skip
    assert result.exit_code == 0, (result.output, result.exception)
    fast, _ = decode(out.read_bytes(), "pcm", 16000)
    assert rms_db(fast) > -35
    assert fast.size < 0.7 * heart_normal.size, (fast.size, heart_normal.size)


def test_speak_a_file_with_progress_on_stderr(home: Path, hibari_home: Path, tmp_path: Path) -> None:
    text = " ".join(PLAIN[:4])
    source = tmp_path / "story.txt"
    source.write_text(text + "\n", encoding="utf-8")
    done = run(["speak", "-f", str(source), "-o", "story.wav"], home, hibari_home, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout == ""
    assert "Speaking" in done.stderr and "Wrote story.wav" in done.stderr
    samples, rate = read_wav(tmp_path / "story.wav")
    assert_speech(samples, rate, 7.0, 25.0)
    # The file's words are what is spoken.
    assert wer(text, transcribe(samples, rate)) < MAX_SENTENCE_WER


def test_speak_works_offline_without_a_server(home: Path, hibari_home: Path, tmp_path: Path) -> None:
    """``https_proxy`` points at a dead port and no server runs: speak is in-process and local."""
    done = run(["speak", "Nothing here needs the network.", "--voice", "heart", "-o", "offline.wav"],
               home, hibari_home, cwd=tmp_path, https_proxy=DEAD_PROXY)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stdout == "" and "Traceback" not in done.stderr
    samples, rate = read_wav(tmp_path / "offline.wav")
    assert_speech(samples, rate, 1.0, 4.5)


def test_a_voice_that_is_not_installed_fails_clearly_offline(home: Path, hibari_home: Path, tmp_path: Path) -> None:
    done = run(["speak", "Hello.", "--voice", "fenrir", "-o", "fenrir.wav"], home, hibari_home, cwd=tmp_path)
    assert done.returncode == 2 and done.stdout == ""
    assert_one_line_error(done.stderr, "'fenrir'", "not installed", "voicewire voices install fenrir")
    assert not (tmp_path / "fenrir.wav").exists()


@pytest.mark.parametrize(
    ("args", "output", "message"),
    [
        (["--speed", "3"], "out.wav", "Field 'speed' has value 3.0; allowed: a number from 0.5 to 2.0."),
        (["--speed", "0.1"], "out.wav", "Field 'speed' has value 0.1; allowed: a number from 0.5 to 2.0."),
        (["--sample-rate", "96000"], "out.wav",
         "Field 'sample_rate' has value 96000; allowed: an integer from 8000 to 44100."),
        (["--format", "flac"], "out.wav",
         "Field 'output_format' has value 'flac'; allowed: one of pcm, wav, mp3, mulaw, alaw (or ulaw)."),
        (["--voice", "nobody"], "out.wav", "Field 'voice_id' has value 'nobody', which is no voice of this server."),
        (["--model", "nope"], "out.wav",
         "Field 'model' has value 'nope'; allowed: one of lightning_v3.1, lightning_v3.1_pro."),
        (["--sample-rate", "12345"], "out.mp3",
         "Field 'sample_rate' has value 12345; allowed: for mp3 one of 8000, 11025, 12000, 16000, 22050, 24000, "
         "32000, 44100."),
    ],
    ids=["speed-high", "speed-low", "rate", "format", "voice", "model", "mp3-rate"],
)  # fmt: skip
def test_speak_refuses_bad_input(home: Path, hibari_home: Path, tmp_path: Path, args: list[str], output: str,
                                 message: str) -> None:  # fmt: skip
    out = tmp_path / output
    result = invoke(["speak", "Hello.", *args, "-o", str(out)], home, hibari_home)
    assert result.exit_code == 2, (result.output, result.exception)
    assert isinstance(result.exception, SystemExit)
    assert result.stdout == ""
    assert_one_line_error(result.stderr, message)
    assert not out.exists()


def test_bad_input_from_the_real_entry_point(home: Path, hibari_home: Path, tmp_path: Path) -> None:
    done = run(["speak", "Hello.", "--voice", "nobody", "-o", "out.wav"], home, hibari_home, cwd=tmp_path)
    assert done.returncode == 2 and done.stdout == ""
    assert_one_line_error(done.stderr, "'voice_id'", "'nobody'", "heart", "joe", "voicewire voices")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("how", ["both", "neither"])
def test_speak_needs_exactly_one_text(home: Path, hibari_home: Path, tmp_path: Path, how: str) -> None:
    source = tmp_path / "text.txt"
    source.write_text("From a file.", encoding="utf-8")
    out = tmp_path / "out.wav"
    args = ["speak", "From an argument.", "-f", str(source)] if how == "both" else ["speak"]
    result = invoke([*args, "-o", str(out)], home, hibari_home)
    assert_usage_error(result, "Give the text as an argument or with -f FILE")
    assert not out.exists()


@pytest.mark.parametrize(
    ("args", "needle"),
    [(["speak", "Hi."], "Missing option '-o'"), (["speak", "Hi.", "-o", "x.wav", "--speed", "fast"], "'fast'"),
     (["speak", "-f", "/no/such/file.txt", "-o", "x.wav"], "/no/such/file.txt")],
)  # fmt: skip
def test_speak_usage_errors(home: Path, hibari_home: Path, args: list[str], needle: str) -> None:
    assert_usage_error(invoke(args, home, hibari_home), needle)


@pytest.mark.parametrize("where", ["missing-folder", "is-a-folder"])
def test_speak_to_an_unwritable_output_is_a_clean_error(home: Path, hibari_home: Path, tmp_path: Path,
                                                        where: str) -> None:  # fmt: skip
    """BUG: cli.py writes -o only after synthesis and lets the OSError escape as a traceback (exit 1)."""
    out = tmp_path / "missing" / "out.wav" if where == "missing-folder" else tmp_path
    done = run(["speak", "Hello.", "-o", str(out)], home, hibari_home)
    assert "Traceback" not in done.stderr, done.stderr
    assert done.returncode == 2 and done.stdout == ""
    assert str(out.parent if where == "missing-folder" else out) in done.stderr
    assert list(tmp_path.iterdir()) == []


# -- serve ---------------------------------------------------------------------------------------------


def test_serve_refuses_an_unusable_home(tmp_path: Path, hibari_home: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    unusable = blocker / "voicewire"
    done = run(["serve", "--port", str(free_port()), "--home", str(unusable)], tmp_path, hibari_home, timeout=60)
    assert done.returncode == 2 and done.stdout == ""
    assert_one_line_error(done.stderr, "VOICEWIRE_HOME", str(unusable), "is not writable", "Not a directory")


# -- help and version ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("command", "summary"),
    [
        ([], "self-hosted, offline text-to-speech server"),
        (["serve"], "Run the server"),
        (["speak"], "Synthesize TEXT (or -f FILE) into an audio file"),
        (["voices"], "List installed voices: engine, language, size"),
        (["voices", "available"], "List the voices the catalogs offer"),
        (["voices", "install"], "Download, verify and install voices"),
        (["voices", "remove"], "Remove installed voices"),
        (["voices", "add"], "Add voices from local files"),
        (["bench", "voices"], "Many installed voices: server start time and RSS"),
        (["keys"], "Create, list and revoke API keys."),
        (["keys", "create"], "Print a new key on stdout"),
        (["keys", "list"], "Every key"),
        (["keys", "revoke"], "Revoke the key with key id or name REF."),
        (["bench"], "Measure speed and memory"),
        (["bench", "engines"], "Real-time factor of each engine"),
        (["bench", "sync"], "TTFB and total time"),
        (["bench", "soak"], "Mixed requests (sync, SSE, WebSocket, disconnects, bad requests)"),
        (["bench", "speak"], "`voicewire speak -f` on a long text"),
        (["bench", "peers"], "Side by side with piper.http_server and wyoming-piper"),
        (["bench", "dicts"], "Cost of a 1,000-entry pronunciation dictionary"),
    ],
    ids=lambda v: ("-".join(v) or "voicewire") if isinstance(v, list) else None,
)
def test_help(home: Path, hibari_home: Path, command: list[str], summary: str) -> None:
    for flag in ("--help", "-h"):
        result = invoke([*command, flag], home, hibari_home)
        assert result.exit_code == 0 and result.stderr == "", result.output
        assert result.stdout.startswith(f"Usage: {' '.join(['voicewire', *command])} "), result.stdout
        assert summary in " ".join(result.stdout.split())


def test_version_from_the_real_entry_points(home: Path, hibari_home: Path) -> None:
    done = run(["--version"], home, hibari_home)
    assert (done.returncode, done.stdout, done.stderr) == (0, f"voicewire, version {__version__}\n", "")
    script = Path(sys.executable).with_name("voicewire")
    installed = subprocess.run([str(script), "--version"], capture_output=True, text=True, check=False)
    assert (installed.returncode, installed.stdout) == (0, f"voicewire, version {__version__}\n")
    helped = run(["--help"], home, hibari_home)
    assert helped.returncode == 0 and "Usage: python -m voicewire" in helped.stdout
    for command in ("serve", "speak", "voices", "keys", "bench"):
        assert re.search(rf"^\s+{command}\s", helped.stdout, re.MULTILINE), command


def test_unknown_command_is_a_usage_error(home: Path, hibari_home: Path) -> None:
    assert_usage_error(invoke(["shout"], home, hibari_home), "No such command 'shout'")
