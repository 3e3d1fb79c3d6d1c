"""``voicewire bench peers``: the probe's pure parts, its clients on real sockets, and one short run
against a real voicewire. No timing is asserted; the peers themselves are not installed here."""

from __future__ import annotations

import json
import socket
import struct
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from voicewire.audio.encoders import wav_file, wav_stream_header
from voicewire.bench.corpus import PEER_SENTENCES
from voicewire.bench.peer_servers import STAMP, bench_requirements, ensure_bench_env
from voicewire.bench.peer_targets import Pcm, Refused, Target, WavReader, WyomingTarget, wyoming_target
from voicewire.bench.peers import (
    PeersRun,
    ProbeSettings,
    Reply,
    level_row,
    make_report,
    percentile,
    probe_once,
    run_peers,
    sequential_row,
)
from voicewire.bench.peers_report import markdown, plot
from voicewire.bench.wyoming_frames import WyomingEvent, WyomingReader, encode_event
from voicewire.cli import main


def pcm(*samples: int) -> bytes:
    return np.array(samples, dtype="<i2").tobytes()


def test_the_sentences_are_twenty_short_plain_ones() -> None:
    assert len(PEER_SENTENCES) == len(set(PEER_SENTENCES)) == 20
    for sentence in PEER_SENTENCES:
        assert 4 <= len(sentence.split()) <= 12 and sentence[-1] in ".?!"
        assert not any(c.isdigit() or c in "$%&@#/" for c in sentence), sentence


# -- percentiles and aggregation ------------------------------------------------------------------------------


def test_percentile_interpolates_like_numpy() -> None:
    values = [float(v) for v in range(1, 21)]
    assert percentile(values, 50) == pytest.approx(10.5)
    assert percentile(values, 95) == pytest.approx(19.05)
    assert percentile([7.0], 95) == 7.0
    assert percentile([], 50) is None


def test_sequential_row_leaves_failures_out_of_the_times() -> None:
    replies = [
        Reply(0.5, ttfa_s=0.1, first_chunk_s=0.09, audio_s=2.0),
        Reply(0.7, ttfa_s=0.3, first_chunk_s=0.29, audio_s=1.5),
        Reply(0.6, first_chunk_s=0.5, audio_s=1.0),  # audio, but none of it audible
        Reply(0.01, refused=True),
        Reply(2.0, error="ConnectionError: gone"),
    ]
    row = sequential_row(replies)
    assert row == {
        "requests": 5,
        "refused": 1,
        "errors": 1,
        "error_samples": ["ConnectionError: gone"],
        "silent": 1,
        "ttfa_ms_p50": 200.0,
        "ttfa_ms_p95": 290.0,
        "first_chunk_ms_p50": 290.0,
        "total_ms_p50": 600.0,
        "audio_s": 4.5,
        "x_realtime": 2.5,  # 4.5 s of audio in 1.8 s of successful requests
    }


def test_level_row_aggregates_clients_and_finds_the_slowest() -> None:
    fast = [Reply(1.0, ttfa_s=0.1, audio_s=3.0), Reply(1.0, ttfa_s=0.2, audio_s=3.0)]  # 3x real time
    refused_once = [Reply(0.5, ttfa_s=0.4, audio_s=1.0), Reply(0.5, refused=True, retry_after_s=1.0)]  # 1x
    failing = [Reply(0.25, error="RuntimeError: 500")]  # nothing heard: 0x
    row = level_row(3, 4.0, [fast, refused_once, failing])
    assert row["clients"] == 3 and row["wall_s"] == 4.0
    assert (row["requests"], row["completed"], row["refused"], row["errors"]) == (5, 3, 1, 1)
    assert row["audio_s"] == 7.0 and row["audio_s_per_wall_s"] == 1.75
    assert row["ttfa_ms_p50"] == 200.0 and row["ttfa_ms_p95"] == 380.0
    assert row["slowest_client_x_realtime"] == 0.0
    assert level_row(2, 4.0, [fast, refused_once])["slowest_client_x_realtime"] == 1.0


def test_level_row_of_nothing_is_empty_not_an_error() -> None:
    row = level_row(1, 0.0, [[]])
    assert row["requests"] == 0 and row["audio_s_per_wall_s"] is None
    assert row["ttfa_ms_p95"] is None and row["slowest_client_x_realtime"] is None


# -- the first audible sample, from a stream of PCM ------------------------------------------------------------


@dataclass(frozen=True)
class Chunks(Target):
    """Answers every sentence with the same chunks, or raises."""

    chunks: tuple[bytes, ...] = ()
    rate: int = 1000
    fail: Exception | None = None

    def speak(self, text: str) -> Iterator[Pcm]:
        for chunk in self.chunks:
            yield Pcm(self.rate, chunk)
        if self.fail is not None:
            raise self.fail


def test_onset_is_the_first_chunk_plus_its_leading_silence() -> None:
    reply = probe_once(Chunks("fake", chunks=(pcm(*[0] * 250, 3000, 3000),)), "hi")
    assert reply.ok and reply.first_chunk_s is not None and reply.ttfa_s is not None
    assert reply.ttfa_s == pytest.approx(reply.first_chunk_s + 0.250)
    assert reply.audio_s == pytest.approx(0.252)


def test_onset_in_a_later_chunk_counts_the_silence_played_before_it() -> None:
    # 10 s of silence first: the second chunk arrives long before it has played, so the listener
    # hears the click 10 s + 3 samples after the first chunk arrived.
    reply = probe_once(Chunks("fake", chunks=(pcm(*[0] * 10_000), pcm(0, 0, 0, -9000))), "hi")
    assert reply.first_chunk_s is not None and reply.ttfa_s is not None
    assert reply.ttfa_s == pytest.approx(reply.first_chunk_s + 10.003)


def test_audible_means_above_the_threshold() -> None:
    quiet = Chunks("fake", chunks=(pcm(0, 200, 200, 200),))  # 200 is about -44 dBFS
    assert probe_once(quiet, "hi").ttfa_s is None
    heard = probe_once(quiet, "hi", audible_dbfs=-50.0)
    assert heard.ttfa_s is not None and heard.first_chunk_s is not None
    assert heard.ttfa_s == pytest.approx(heard.first_chunk_s + 0.001)


def test_refusals_and_failures_are_results() -> None:
    refused = probe_once(Chunks("fake", fail=Refused("busy", retry_after=2.0)), "hi")
    assert refused.refused and refused.retry_after_s == 2.0 and not refused.ok
    failed = probe_once(Chunks("fake", chunks=(pcm(5000),), fail=ConnectionResetError("reset")), "hi")
    assert failed.error == "ConnectionResetError: reset" and failed.ttfa_s is None
    empty = probe_once(Chunks("fake"), "hi")
    assert empty.ok and empty.ttfa_s is None and empty.audio_s == 0.0


# -- WAV bodies as they stream ----------------------------------------------------------------------------------


def feed(reader: WavReader, body: bytes, step: int) -> bytes:
    return b"".join(reader.receive_data(body[i : i + step]) for i in range(0, len(body), step))


@pytest.mark.parametrize("step", [1, 3, 7, 44, 45, 4096])
def test_a_streamed_wav_becomes_its_samples_whatever_the_pieces(step: int) -> None:
    samples = pcm(*range(-500, 500, 3))
    for body in (wav_stream_header(22050) + samples, wav_file(samples, 24000)):
        reader = WavReader()
        assert feed(reader, body, step) == samples
        assert reader.in_data and reader.sample_rate in (22050, 24000)


@pytest.mark.parametrize("step", [1, 3, 4096])
def test_a_headerless_body_is_its_samples_whatever_the_pieces(step: int) -> None:
    samples = bytes(range(256)) * 4
    reader = WavReader(headerless_rate=22050)
    assert feed(reader, samples, step) == samples and reader.sample_rate == 22050


def test_wav_chunks_before_the_data_are_skipped() -> None:
    samples = pcm(1, 2, 3)
    header = wav_file(b"", 16000)[:36]  # RIFF, WAVE and fmt
    listed = header + b"LIST" + struct.pack("<I", 3) + b"abc\0" + b"data" + struct.pack("<I", len(samples)) + samples
    reader = WavReader()
    assert feed(reader, listed, 5) == samples and reader.sample_rate == 16000


def test_wav_that_is_not_16_bit_mono_pcm_is_refused() -> None:
    with pytest.raises(ValueError, match="Not a RIFF/WAVE"):
        WavReader().receive_data(b"ID3\x04" + bytes(40))
    stereo = bytearray(wav_stream_header(22050))
    stereo[22] = 2
    with pytest.raises(ValueError, match="2 channel"):
        WavReader().receive_data(bytes(stereo))
    with pytest.raises(ValueError, match="before its 'fmt '"):
        WavReader().receive_data(b"RIFF" + bytes(4) + b"WAVE" + b"data" + bytes(4))


# -- Wyoming frames ---------------------------------------------------------------------------------------------


EVENTS = [
    WyomingEvent("audio-start", {"rate": 22050, "width": 2, "channels": 1}),
    WyomingEvent("audio-chunk", {"rate": 22050, "width": 2, "channels": 1}, pcm(*range(300))),
    WyomingEvent("audio-stop"),
    WyomingEvent("synthesize", {"text": "Héllo\nthere", "voice": {"name": "joe"}}),
]


@pytest.mark.parametrize("step", [1, 2, 17, 1 << 16])
def test_frames_read_back_whatever_the_pieces(step: int) -> None:
    wire = b"".join(encode_event(e) for e in EVENTS)
    reader = WyomingReader()
    got: list[WyomingEvent] = []
    for i in range(0, len(wire), step):
        reader.receive_data(wire[i : i + step])
        got += reader.events_received()
    assert got == EVENTS and reader.at_boundary


def test_the_wire_format_is_a_header_line_then_data_then_payload() -> None:
    wire = encode_event(EVENTS[1])
    line, _, rest = wire.partition(b"\n")
    header = json.loads(line)
    assert header["type"] == "audio-chunk" and "data" not in header
    assert json.loads(rest[: header["data_length"]]) == EVENTS[1].data
    assert rest[header["data_length"] :] == EVENTS[1].payload == rest[-header["payload_length"] :]
    assert encode_event(WyomingEvent("describe")) == b'{"type": "describe", "version": "1.5.3"}\n'


def test_data_in_the_header_and_in_the_segment_are_merged() -> None:
    reader = WyomingReader()
    reader.receive_data(b'{"type": "info", "data": {"a": 1, "b": 1}, "data_length": 8}\n{"b": 2}')
    assert reader.events_received() == [WyomingEvent("info", {"a": 1, "b": 2})]
    reader.receive_data(b'{"type": "audio-chunk", "payload_length": 4}\nab')
    assert reader.events_received() == [] and not reader.at_boundary
    reader.receive_data(b"cd")
    assert reader.events_received() == [WyomingEvent("audio-chunk", {}, b"abcd")]


@pytest.mark.parametrize(
    ("wire", "message"),
    [
        (b"not json\n", "header line is not JSON"),
        (b'["audio-stop"]\n', "no string 'type'"),
        (b'{"type": "x", "data": [1]}\n', "'data' is not an object"),
        (b'{"type": "x", "payload_length": -1}\n', "payload_length -1"),
        (b'{"type": "x", "data_length": "3"}\n', "data_length '3'"),
        (b'{"type": "x", "data_length": 3}\n[1]', "data segment is not a JSON object"),
        (b'{"type": "x", "data_length": 3}\n{{{', "data segment is not JSON"),
        (b"{" * 70_000, "longer than 65536 bytes"),
    ],
)
def test_a_malformed_frame_raises_instead_of_ending_the_stream(wire: bytes, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        WyomingReader().receive_data(wire)


# -- the Wyoming client, against a tiny Wyoming server on loopback ------------------------------------------------


@pytest.fixture
def wyoming_server() -> Iterator[tuple[int, list[WyomingEvent]]]:
    """Answers ``synthesize`` with 0.1 s of audio in three chunks (or an error for the text "fail")."""
    received: list[WyomingEvent] = []
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.05)  # so that the loop sees ``stop`` (closing does not wake accept())
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            conn.settimeout(5)
            with conn:
                reader = WyomingReader()
                while not (events := reader.events_received()):
                    reader.receive_data(conn.recv(4096))
                received.extend(events)
                if events[0].data["text"] == "fail":
                    conn.sendall(encode_event(WyomingEvent("error", {"text": "no voice", "code": "VoiceError"})))
                    continue
                if events[0].data["text"] == "busy":
                    conn.sendall(encode_event(WyomingEvent("error", {"text": "at capacity", "code": "server_busy"})))
                    continue
                fmt = {"rate": 1000, "width": 2, "channels": 1}
                reply = [WyomingEvent("audio-start", fmt)]
                audio = [pcm(*[0] * 40), pcm(*[900] * 30), pcm(*[900] * 30)]
                reply += [WyomingEvent("audio-chunk", fmt, data) for data in audio]
                if events[0].data["text"] != "cut":
                    reply.append(WyomingEvent("audio-stop"))
                conn.sendall(b"".join(encode_event(e) for e in reply))

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield listener.getsockname()[1], received
    stop.set()
    thread.join(timeout=5)
    listener.close()


def test_the_wyoming_client_streams_the_audio_back(wyoming_server: tuple[int, list[WyomingEvent]]) -> None:
    port, received = wyoming_server
    target = WyomingTarget("wy", port=port, voice="joe")
    chunks = list(target.speak("Hello there."))
    assert [c.rate for c in chunks] == [1000] * 3 and b"".join(c.data for c in chunks)[80:82] == pcm(900)
    assert received == [WyomingEvent("synthesize", {"text": "Hello there.", "voice": {"name": "joe"}})]
    reply = probe_once(target, "Hello there.")
    assert reply.ok and reply.audio_s == pytest.approx(0.1)
    assert reply.ttfa_s is not None and reply.first_chunk_s is not None
    assert reply.ttfa_s >= reply.first_chunk_s + 0.040 - 1e-9


def test_the_wyoming_client_reports_errors_and_cut_streams(wyoming_server: tuple[int, list[WyomingEvent]]) -> None:
    port, _ = wyoming_server
    target = WyomingTarget("wy", port=port)
    assert probe_once(target, "fail").error == "RuntimeError: Wyoming error 'VoiceError': 'no voice'"
    busy = probe_once(target, "busy")  # voicewire's capacity refusal counts as refused, as its HTTP 429 does
    assert busy.refused and busy.error is None and busy.retry_after_s == 1.0
    error = probe_once(target, "cut").error
    assert error is not None and error.startswith("ConnectionError: ") and "before audio-stop" in error


def test_wyoming_targets_from_the_command_line() -> None:
    assert wyoming_target("mine=tcp://127.0.0.1:10200?voice=joe") == WyomingTarget(
        "mine", host="127.0.0.1", port=10200, voice="joe"
    )
    assert wyoming_target("mine=tcp://localhost:10200").voice is None
    for bad in ("tcp://127.0.0.1:10200", "mine=http://127.0.0.1:10200", "mine=tcp://127.0.0.1", "=tcp://h:1"):
        with pytest.raises(ValueError, match="NAME=tcp://HOST:PORT"):
            wyoming_target(bad)


# -- the bench environment ---------------------------------------------------------------------------------------


def test_a_matching_bench_environment_is_reused_without_installing(tmp_path: Path) -> None:
    import sys

    env = tmp_path / "env"
    (env / "bin").mkdir(parents=True)
    (env / "bin" / "python").touch()
    (env / STAMP).write_text(json.dumps({"requirements": bench_requirements(), "python": sys.version.split()[0]}))
    said: list[str] = []
    assert ensure_bench_env(env, said.append) == env / "bin" / "python"
    assert said == [f"bench environment: reusing {env}"]
    assert "piper-tts[http]==1.8.0" in bench_requirements() and "wyoming-piper==2.5.2" in bench_requirements()


def test_a_folder_that_is_not_an_environment_is_never_deleted(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("mine")
    with pytest.raises(RuntimeError, match="is not a virtual environment"):
        ensure_bench_env(tmp_path, lambda _: None)
    assert (tmp_path / "notes.txt").read_text() == "mine"


# -- the report ------------------------------------------------------------------------------------------------


def sample_report() -> dict[str, object]:
    settings = ProbeSettings(sentences=PEER_SENTENCES[:3], seconds=2.0, levels=(1, 2))
    seq = sequential_row([Reply(0.5, ttfa_s=0.1, first_chunk_s=0.1, audio_s=2.0)])
    levels = [level_row(n, 2.0, [[Reply(0.5, ttfa_s=0.1 * n, audio_s=2.0)]] * n) for n in (1, 2)]
    target = {"name": "fake", "sequential": seq, "levels": levels}
    return make_report(settings, [target], {"piper-tts": "1.8.0"})


def test_the_report_is_json_with_settings_versions_and_targets() -> None:
    report = json.loads(json.dumps(sample_report()))
    assert set(report) == {"benchmark", "machine", "versions", "settings", "targets"}
    assert report["settings"] == {"sentences": 3, "seconds": 2.0, "levels": [1, 2], "audible_dbfs": -40.0,
                                  "warmup": 2, "pause_s": 1.0}  # fmt: skip
    assert report["versions"]["piper-tts"] == "1.8.0" and "voicewire" in report["versions"]
    assert report["machine"]["cores"] >= 1
    assert [row["clients"] for row in report["targets"][0]["levels"]] == [1, 2]


def test_the_tables_have_a_row_per_target_and_level() -> None:
    text = markdown(sample_report())
    assert "| fake | 100.0 ms | 100.0 ms | 500.0 ms | 4.00x | 0 | 0 |" in text
    assert "| fake | 2 | 2.00 | 200.0 ms | 2 | 0 | 0 | 4.00x |" in text


def test_the_plot_is_a_png(tmp_path: Path) -> None:
    pytest.importorskip("matplotlib")
    plot(sample_report(), tmp_path / "peers.png")
    assert (tmp_path / "peers.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--targets", "piper"], "Unknown target 'piper'"),
        (["--levels", "1,0"], "must be positive"),
        (["--levels", "one"], "invalid literal"),
        (["--wyoming", "tcp://127.0.0.1:1"], "NAME=tcp://HOST:PORT"),
        (["--targets", ""], "Nothing to probe"),
        (["--targets", "voicewire-wyoming-joe", "--url", "http://x", "--key", "k"], "the run starts (no --url)"),
        (["--url", "http://127.0.0.1:1"], "--url needs --key"),
    ],
)
def test_bad_options_are_usage_errors(args: list[str], message: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("VOICEWIRE_API_KEY", raising=False)
    result = CliRunner().invoke(main, ["bench", "peers", *args])
    assert result.exit_code == 2 and message in result.output, result.output


# -- one short run against a real voicewire ------------------------------------------------------------------------


def test_a_short_run_against_a_real_voicewire() -> None:
    settings = ProbeSettings(sentences=PEER_SENTENCES[:3], seconds=2.0, levels=(1,), warmup=1, pause_s=0.0)
    said: list[str] = []
    run = PeersRun(targets=("voicewire-heart", "voicewire-heart-pcm", "voicewire-wyoming-heart"), workers=1)
    report = run_peers(run, settings, said.append)
    waves, pcm, wyoming = report["targets"]
    assert waves["name"] == "voicewire-heart" and waves["voice"] == "heart" and waves["rss_mb"] > 0
    assert waves["api"] == "POST /waves/v1/tts (wav)" and pcm["api"] == "POST /waves/v1/tts (pcm)"
    assert pcm["voice"] == "heart"
    assert wyoming["name"] == "voicewire-wyoming-heart" and wyoming["api"] == "Wyoming synthesize"
    for target in (waves, pcm, wyoming):
        seq = target["sequential"]
        assert (seq["requests"], seq["errors"], seq["refused"], seq["silent"]) == (3, 0, 0, 0), seq
        assert seq["ttfa_ms_p50"] is not None and seq["audio_s"] > 3.0
        [level] = target["levels"]
        assert level["clients"] == 1 and level["completed"] >= 1 and level["errors"] == 0
        assert level["slowest_client_x_realtime"] is not None and level["slowest_client_x_realtime"] > 0
    assert any("sequential first audio" in line for line in said)
    assert "| voicewire-heart | 1 |" in markdown(report) and "| voicewire-wyoming-heart | 1 |" in markdown(report)
