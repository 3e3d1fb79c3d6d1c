"""The ``voicewire`` command: serve, speak, voices, keys, bench.

Every option maps to a ``Settings`` field and falls back to ``VOICEWIRE_<FIELD>``; errors are one
line on stderr naming what was wrong (exit status 2), never a traceback.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any

import click

from voicewire import __version__
from voicewire.config import Settings
from voicewire.exceptions import ConfigError, VoicewireError
from voicewire.home import check_home
from voicewire.voices.cli import bench_voices, voices
from voicewire.wyoming.options import wyoming_options

__all__ = ["main"]

_SUFFIX_FORMATS = {".wav": "wav", ".mp3": "mp3", ".pcm": "pcm", ".raw": "pcm", ".ulaw": "mulaw",
                   ".mulaw": "mulaw", ".alaw": "alaw"}  # fmt: skip


class _Group(click.Group):
    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except VoicewireError as exc:
            click.echo(f"voicewire: error: {exc}", err=True)
            sys.exit(2)


home_option = click.option("--home", type=click.Path(path_type=Path), default=None,
                           help="Data folder (keys, added voices, caches). Env: VOICEWIRE_HOME.")  # fmt: skip
store_option = click.option("--store", default=None, help="Keys, limits and usage: redis://HOST:PORT/DB, or the "
                            "SQLite file in the home by default. Env: VOICEWIRE_STORE.")  # fmt: skip


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="voicewire")
def main() -> None:
    """voicewire: a self-hosted, offline text-to-speech server that speaks the Waves API."""


main.add_command(voices)


@main.command()
@click.option("--host", default=None, help="Address to bind (default 127.0.0.1). Env: VOICEWIRE_HOST.")
@click.option("--port", type=int, default=None, help="Port (default 8000). Env: VOICEWIRE_PORT.")
@click.option("--workers", type=int, default=None, help="Server processes on the port (default: one per core).")
@home_option
@store_option
@click.option("--threads", type=int, default=None, help="onnxruntime threads per model session.")
@click.option("--scheduler", type=click.Choice(["deadline", "fifo"]), default=None,
              help="Order of engine calls (default deadline). Env: VOICEWIRE_SCHEDULER.")  # fmt: skip
@click.option("--admission/--no-admission", default=None, help="Refuse streams early at capacity (default on).")
@click.option("--forwarded-allow-ips", default=None,
              help="Proxies whose X-Forwarded-For is believed (comma-separated addresses or networks, or *; "
              "default 127.0.0.1). Behind a proxy on another host, name it. Env: VOICEWIRE_FORWARDED_ALLOW_IPS.")
@click.option("--log-level", default=None, help="debug, info, warning, error.")
@wyoming_options
def serve(
    host: str | None,
    port: int | None,
    workers: int | None,
    home: Path | None,
    store: str | None,
    threads: int | None,
    scheduler: str | None,
    admission: bool | None,
    forwarded_allow_ips: str | None,
    log_level: str | None,
    **wyoming: Any,
) -> None:
    """Run the server (prints an API key when none exists yet)."""
    from voicewire.config import parse_setting
    from voicewire.server.run import run

    proxies = None if forwarded_allow_ips is None else parse_setting("forwarded_allow_ips", forwarded_allow_ips)
    settings = Settings.from_env(host=host, port=port, workers=workers, home=home, store=store, threads=threads,
                                 scheduler=scheduler, admission=admission, log_level=log_level,
                                 forwarded_allow_ips=proxies, **wyoming)  # fmt: skip
    check_home(settings.home)
    keys = _open_store(settings)
    try:
        if not keys.has_active_key():
            _, key = keys.create("default", 1)
            click.echo("voicewire: no API key existed, so one was made. It is shown once; keep it:", err=True)
            click.echo(f"\n    export VOICEWIRE_API_KEY={key}\n", err=True)
    finally:
        keys.close()
    run(settings)


@main.command()
@click.argument("text", required=False)
@click.option("-f", "--file", "text_file", type=click.File("r", encoding="utf-8"), help="Read the text from FILE.")
@click.option("-o", "--output", type=click.Path(path_type=Path), required=True, help="Audio file to write.")
@click.option("--voice", default="magnus", show_default=True)
@click.option("--model", default="lightning_v3.1", show_default=True)
@click.option("--format", "fmt", default=None, help="pcm, wav, mp3, mulaw, alaw (default: from -o's suffix).")
@click.option("--sample-rate", type=int, default=44100, show_default=True)
@click.option("--speed", type=float, default=1.0, show_default=True)
@home_option
def speak(text: str | None, text_file: Any, output: Path, voice: str, model: str, fmt: str | None,
          sample_rate: int, speed: float, home: Path | None) -> None:  # fmt: skip
    """Synthesize TEXT (or -f FILE) into an audio file, without a server or network."""
    import asyncio

    from voicewire.dialects.waves.request import parse_request

    if (text is None) == (text_file is None):
        raise click.UsageError("Give the text as an argument or with -f FILE (one of them).")
    if not output.parent.is_dir():  # before synthesis, not after it
        raise click.BadParameter(f"folder {str(output.parent)!r} does not exist.", param_hint="'-o' / '--output'")
    body = {
        "text": text if text is not None else text_file.read(),
        "voice_id": voice,
        "model": model,
        "output_format": fmt or _SUFFIX_FORMATS.get(output.suffix.lower(), "wav"),
        "sample_rate": sample_rate,
        "speed": speed,
    }
    request = parse_request(body).turn
    settings = Settings.from_env(home=home)
    with click.progressbar(length=len(request.text) + 1, label="Speaking", file=sys.stderr,
                           hidden=text_file is None) as bar:  # fmt: skip
        data, seconds, elapsed = asyncio.run(_speak(settings, request, bar.update))
    try:
        output.write_bytes(data)
    except OSError as exc:
        raise ConfigError(f"Cannot write {str(output)!r}: {exc.strerror}.") from None
    click.echo(f"Wrote {output} ({seconds:.1f} s of audio in {elapsed:.1f} s, "
               f"{seconds / max(elapsed, 1e-9):.1f}x real time).", err=True)  # fmt: skip


async def _speak(settings: Settings, request: Any, progress: Any) -> tuple[bytes, float, float]:
    """The turn pipeline on this process's own workers: (file bytes, seconds of audio, seconds taken)."""
    from dataclasses import replace

    from voicewire.audio.encoders import wav_file
    from voicewire.engines.registry import build_catalog
    from voicewire.synthesis.pipeline import Pacing, TurnPipeline
    from voicewire.synthesis.pool import SynthesisPool
    from voicewire.synthesis.units import split_text

    voice = build_catalog(settings).resolve(request.options.voice_id)
    language = voice.language(request.options.language)
    whole_wav = request.options.output_format == "wav"
    options = replace(request.options, output_format="pcm") if whole_wav else request.options
    workers = settings.synthesis_workers
    pool = SynthesisPool(workers, utilization=1.0)
    try:
        await pool.load(voice)  # so the figure printed is synthesis speed
        started = time.perf_counter()
        pipeline = TurnPipeline(pool, voice, options, language=language, pacing=Pacing.BATCH, lookahead=workers)
        units = split_text(request.text)
        pieces: list[bytes] = []
        try:
            for unit, first_word in units:
                pipeline.add(unit, first_word)
            for unit, _ in units:
                pieces += [piece.audio async for piece in pipeline.next_unit()]
                progress(len(unit) + 1)
            pieces.append(await pipeline.finish())
        finally:
            await pipeline.aclose()
        elapsed = time.perf_counter() - started
    finally:
        pool.close()
    data = b"".join(pieces)
    if whole_wav:
        data = wav_file(data, options.sample_rate)
    return data, pipeline.seconds, elapsed


@main.group()
def keys() -> None:
    """Create, list and revoke API keys."""


@keys.command("create")
@click.option("--name", default="default", show_default=True)
@click.option("--units", type=int, default=1, show_default=True, help="Concurrency units of the key.")
@home_option
@store_option
def keys_create(name: str, units: int, home: Path | None, store: str | None) -> None:
    """Print a new key on stdout (the only time it is shown)."""
    opened = _open_store(Settings.from_env(home=home, store=store))
    try:
        _, key = opened.create(name, units)
    finally:
        opened.close()
    click.echo(key)


@keys.command("list")
@home_option
@store_option
def keys_list(home: Path | None, store: str | None) -> None:
    """Every key: id, name, units, created, status."""
    opened = _open_store(Settings.from_env(home=home, store=store))
    try:
        records = opened.list()
    finally:
        opened.close()
    click.echo(f"{'KEY ID':<10} {'NAME':<20} {'UNITS':>5}  {'CREATED':<20} STATUS")
    for k in records:
        created = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(k.created_at))
        click.echo(f"{k.key_id:<10} {k.name:<20} {k.units:>5}  {created:<20} {'active' if k.active else 'revoked'}")


@keys.command("revoke")
@click.argument("ref")
@home_option
@store_option
def keys_revoke(ref: str, home: Path | None, store: str | None) -> None:
    """Revoke the key with key id or name REF."""
    opened = _open_store(Settings.from_env(home=home, store=store))
    try:
        record = opened.revoke(ref)
    finally:
        opened.close()
    click.echo(f"Revoked key {record.key_id} ({record.name}).")


@keys.command("usage")
@home_option
@store_option
def keys_usage(home: Path | None, store: str | None) -> None:
    """Requests, characters synthesized and seconds of audio per key (all processes and replicas)."""
    opened = _open_store(Settings.from_env(home=home, store=store))
    try:
        names = {k.key_id: k.name for k in opened.list()}
        rows = opened.usage()
    finally:
        opened.close()
    click.echo(f"{'KEY ID':<10} {'NAME':<20} {'REQUESTS':>9} {'CHARACTERS':>11} {'AUDIO SECONDS':>14}")
    for u in rows:
        click.echo(f"{u.key_id:<10} {names.get(u.key_id, '?'):<20} {u.requests:>9} {u.characters:>11} "
                   f"{u.audio_seconds:>14.1f}")  # fmt: skip


def _open_store(settings: Settings) -> Any:
    from voicewire.auth.open import open_store

    if not settings.store:
        try:
            settings.home.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise ConfigError(f"VOICEWIRE_HOME {str(settings.home)!r} cannot be created: {exc.strerror}.") from None
    return open_store(settings.store, settings.home)


@main.group()
def bench() -> None:
    """Measure speed and memory (figures go in BENCHMARKS.md)."""


bench.add_command(bench_voices)


@bench.command("engines")
@click.option("--threads", default="1,2", show_default=True, help="onnxruntime threads to try, comma-separated.")
@click.option("--json", "as_json", is_flag=True)
def bench_engines(threads: str, as_json: bool) -> None:
    """Real-time factor of each engine (sequential, one stream) and first-clause latency."""
    from voicewire.bench.corpus import JA_CLAUSE, JA_SENTENCES
    from voicewire.bench.engines import bench_engine
    from voicewire.engines.hibari import HibariEngine
    from voicewire.engines.kokoro import KokoroEngine
    from voicewire.engines.piper import PiperEngine

    japanese = {"sentences": JA_SENTENCES, "clause": JA_CLAUSE, "language": "ja-JP", "rounds": 1, "clause_rounds": 7}
    rows = []
    for n in (int(t) for t in threads.split(",")):
        for engine, voice, kwargs in ((HibariEngine(threads=n), "heart", {}), (PiperEngine(threads=n), "joe", {}),
                                      (KokoroEngine(threads=n), "jf_alpha", japanese)):  # fmt: skip
            rows.append({"threads": n, **bench_engine(engine, voice, **kwargs)})  # type: ignore[arg-type]
            engine.close()
    _print_rows(rows, as_json)


@bench.command("speak")
@click.option("--voices", default="heart,joe", show_default=True, help="Voices to time, comma-separated.")
@click.option("--formats", default="wav,mp3", show_default=True, help="Output formats to time, comma-separated.")
@click.option("--sentences", default=480, show_default=True, help="Length of the text (the corpus, repeated).")
@click.option("--json", "as_json", is_flag=True)
def bench_speak_cmd(voices: str, formats: str, sentences: int, as_json: bool) -> None:
    """`voicewire speak -f` on a long text, whole command timed: x real time, CPU, peak RSS."""
    from voicewire.bench.speak import bench_speak

    rows = [bench_speak(v, f, sentences) for v in voices.split(",") for f in formats.split(",")]
    _print_rows(rows, as_json)


@bench.command("sync")
@click.option("--url", default=None, help="A running server; by default one is started for the run.")
@click.option("--key", envvar="VOICEWIRE_API_KEY", default=None, help="API key for --url.")
@click.option("--repeat", default=5, show_default=True)
@click.option("--json", "as_json", is_flag=True)
def bench_sync_cmd(url: str | None, key: str | None, repeat: int, as_json: bool) -> None:
    """TTFB and total time of POST /waves/v1/tts for a short and a long text; server RSS."""
    import contextlib

    from voicewire.bench.corpus import LONG_TEXT, SHORT_TEXT
    from voicewire.bench.http import bench_sync
    from voicewire.bench.server import BenchServer, rss_mb, spawn_server

    with contextlib.ExitStack() as stack:
        if url is None:  # one worker process: its RSS is the figure that matters per process
            server = stack.enter_context(spawn_server(["--workers", "1"], env={"VOICEWIRE_WORKERS": "1"}))
        else:
            if not key:
                raise click.UsageError("--url needs --key (or VOICEWIRE_API_KEY).")
            server = BenchServer(url, key, 0)
        loaded = rss_mb(server.pid) if server.pid else {}
        rows = []
        for voice in ("heart", "magnus"):
            for text in (SHORT_TEXT, LONG_TEXT):
                for fmt, rate in (("pcm", 24000), ("mp3", 44100)):
                    rows.append(bench_sync(server.url, server.key, text, voice, fmt, rate, repeat))
        after = rss_mb(server.pid) if server.pid else {}
    if as_json:
        click.echo(json.dumps({"requests": rows, "server_rss": {"loaded": loaded, "after": after}}, indent=2))
        return
    _print_rows(rows, as_json)
    if loaded:
        click.echo(f"server RSS with both engines loaded: {loaded['rss_mb']} MB; after the run: "
                   f"{after['rss_mb']} MB (peak {after['peak_rss_mb']} MB)")  # fmt: skip


@bench.command("live")
@click.option("--url", default=None, help="A running server; by default one is started for the run.")
@click.option("--key", envvar="VOICEWIRE_API_KEY", default=None, help="API key for --url.")
@click.option("--turns", default=50, show_default=True, help="Turns per voice and input mode.")
@click.option("--tokens-per-second", type=float, default=None, help="Pace word-by-word input like an LLM.")
@click.option("--json", "as_json", is_flag=True)
def bench_live_cmd(
    url: str | None, key: str | None, turns: int, tokens_per_second: float | None, as_json: bool
) -> None:
    """Time to first audible audio on the live WebSocket: one-shot and word-by-word turns."""
    import contextlib

    from voicewire.bench.live import run_live_bench
    from voicewire.bench.server import BenchServer, spawn_server

    with contextlib.ExitStack() as stack:
        if url is None:
            server = stack.enter_context(spawn_server())
        else:
            if not key:
                raise click.UsageError("--url needs --key (or VOICEWIRE_API_KEY).")
            server = BenchServer(url, key, 0)
        rows = run_live_bench(server.url, server.key, turns, tokens_per_second=tokens_per_second)
    _print_rows(rows, as_json)


@bench.command("load")
@click.option("--url", default=None, help="A running server; by default one is started for each policy.")
@click.option("--key", envvar="VOICEWIRE_API_KEY", default=None, help="API key for --url (with enough units).")
@click.option("--clients", default="25,50,75,100,125", show_default=True, help="Concurrent streams per level.")
@click.option("--scenario", type=click.Choice(["oneshot", "tokens", "mixed"]), default="oneshot", show_default=True)
@click.option("--voice", default="heart", show_default=True)
@click.option("--tokens-per-second", type=float, default=20.0, show_default=True, help="Pace of the tokens scenario.")
@click.option("--policy", type=click.Choice(["both", "deadline", "fifo"]), default="both", show_default=True,
              help="Started servers: the deadline scheduler with admission control, plain FIFO, or both.")  # fmt: skip
@click.option("--deflate", is_flag=True, help="Clients offer permessage-deflate, as the official SDK's do.")
@click.option("--server-deflate", is_flag=True, help="Started servers accept permessage-deflate.")
@click.option("--workers", type=int, default=1, show_default=True, help="Server processes (started server only).")
@click.option("--sample-rate", type=int, default=24000, show_default=True)
@click.option("--format", "output_format", type=click.Choice(["pcm", "mp3"]), default="pcm", show_default=True,
              help="mp3 needs miniaudio (test extras) to find the first audible sample.")  # fmt: skip
@click.option("--arrival-rate", type=float, default=5.0, show_default=True, help="New streams per second.")
@click.option("--sentences", type=int, default=8, show_default=True, help="Sentences per stream (~3 s each).")
@click.option("--json", "as_json", is_flag=True)
def bench_load_cmd(url: str | None, key: str | None, clients: str, scenario: str, voice: str, tokens_per_second: float,
                   policy: str, deflate: bool, server_deflate: bool, workers: int, sample_rate: int,
                   output_format: str, arrival_rate: float, sentences: int, as_json: bool) -> None:  # fmt: skip
    """Many live streams at once, each played in real time: first audio, underruns, CPU, RSS."""
    import asyncio
    import contextlib

    from voicewire.bench.load import find_capacity
    from voicewire.bench.server import BenchServer, spawn_server

    levels = [int(n) for n in clients.split(",")]
    policies = ["fifo", "deadline"] if policy == "both" else [policy]
    rows: list[dict[str, Any]] = []
    for name in policies if url is None else ["(given server)"]:
        with contextlib.ExitStack() as stack:
            if url is None:
                env = {"VOICEWIRE_WORKERS": str(workers), "VOICEWIRE_SCHEDULER": name,
                       "VOICEWIRE_ADMISSION": "true" if name == "deadline" else "false",
                       "VOICEWIRE_WS_DEFLATE": "true" if server_deflate else "false"}  # fmt: skip
                server = stack.enter_context(spawn_server(["--workers", str(workers)], env=env, units=max(levels)))
            else:
                if not key:
                    raise click.UsageError("--url needs --key (or VOICEWIRE_API_KEY).")
                server = BenchServer(url, key, 0)
            results = asyncio.run(
                find_capacity(
                    server.url,
                    server.key,
                    levels,
                    scenario=scenario,
                    voice=voice,
                    tokens_per_second=tokens_per_second,
                    compression="deflate" if deflate else None,
                    sample_rate=sample_rate,
                    arrival_rate=arrival_rate,
                    sentences=sentences,
                    output_format=output_format,
                    server_pid=server.pid or None,
                )
            )
        for r in results:
            rows.append({"policy": name, "workers": workers, **r.row(), "healthy": r.healthy})
        best = max((r.clients for r in results if r.healthy), default=0)
        if not as_json:
            click.echo(f"{name}: largest healthy level (no underruns, first-audio p95 <= 250 ms): {best} streams",
                       err=True)  # fmt: skip
    _print_rows(rows, as_json)


@bench.command("peers")
@click.option("--targets", default="piper-http,wyoming-piper,voicewire-joe,voicewire-heart", show_default=True,
              help="Built-in servers to probe, comma-separated (an empty string: only --wyoming targets).")
@click.option("--wyoming", "wyoming", multiple=True, metavar="NAME=tcp://HOST:PORT[?voice=V]",
              help="Also probe a running Wyoming TTS server (repeatable).")
@click.option("--url", default=None, help="A running voicewire for the voicewire-* targets; by default one is started.")
@click.option("--key", envvar="VOICEWIRE_API_KEY", default=None, help="API key for --url (16 units for 16 clients).")
@click.option("--workers", type=int, default=None, help="Processes of the started voicewire (default: one per core).")
@click.option("--sentences", type=click.IntRange(1, 20), default=20, show_default=True,
              help="How many of the 20 fixed sentences to speak.")
@click.option("--seconds", type=click.FloatRange(min=0.1), default=20.0, show_default=True,
              help="Length of each concurrency level.")
@click.option("--levels", default="1,2,4,8,16", show_default=True, help="Concurrent clients per level.")
@click.option("--audible-dbfs", type=float, default=-40.0, show_default=True,
              help="A sample above this level is audible (the bench live / load definition).")
@click.option("--env-dir", type=click.Path(path_type=Path), default=None,
              help="The peers' virtual environment (default: ~/.cache/voicewire/bench-peers), reused while "
              "the pins match.")
@click.option("--plot", "plot_path", type=click.Path(path_type=Path), default=None,
              help="Write the plot here (PNG; needs matplotlib).")
@click.option("--table", "table_path", type=click.Path(path_type=Path), default=None,
              help="Write the Markdown tables here.")
@click.option("--json", "as_json", is_flag=True, help="Print the JSON report instead of the tables.")
def bench_peers_cmd(targets: str, wyoming: tuple[str, ...], url: str | None, key: str | None, workers: int | None,
                    sentences: int, seconds: float, levels: str, audible_dbfs: float, env_dir: Path | None,
                    plot_path: Path | None, table_path: Path | None, as_json: bool) -> None:  # fmt: skip
    """Side by side with piper.http_server and wyoming-piper: first audio, then 1-16 concurrent clients."""
    import importlib.util

    from voicewire.bench.corpus import PEER_SENTENCES
    from voicewire.bench.peer_targets import wyoming_target
    from voicewire.bench.peers import BUILTIN_TARGETS, PeersRun, ProbeSettings, run_peers
    from voicewire.bench.peers_report import markdown, plot

    names = tuple(t for t in targets.split(",") if t)
    unknown = [t for t in names if t not in BUILTIN_TARGETS]
    if unknown:
        raise click.UsageError(f"Unknown target {unknown[0]!r} (available: {', '.join(BUILTIN_TARGETS)}).")
    try:
        extra = tuple(wyoming_target(spec) for spec in wyoming)
        counts = tuple(int(n) for n in levels.split(","))
    except ValueError as exc:
        raise click.UsageError(str(exc)) from None
    if not counts or min(counts) < 1:
        raise click.UsageError(f"--levels {levels!r} must be positive client counts.")
    if url is not None and not key:
        raise click.UsageError("--url needs --key (or VOICEWIRE_API_KEY).")
    if url is not None and any(t.startswith("voicewire-wyoming-") for t in names):
        raise click.UsageError("voicewire-wyoming-* targets probe the voicewire the run starts (no --url); for a "
                               "running one, use --wyoming NAME=tcp://HOST:PORT?voice=V.")  # fmt: skip
    if not names and not extra:
        raise click.UsageError("Nothing to probe: no --targets and no --wyoming.")
    if plot_path is not None and importlib.util.find_spec("matplotlib") is None:  # say so before the run, not after
        raise click.UsageError("--plot needs matplotlib: pip install 'voicewire[bench]'.")
    settings = ProbeSettings(sentences=PEER_SENTENCES[:sentences], seconds=seconds, levels=counts,
                             audible_dbfs=audible_dbfs)  # fmt: skip
    run = PeersRun(targets=names, extra=extra, url=url, key=key or "", workers=workers, env_dir=env_dir)
    report = run_peers(run, settings, progress=lambda line: click.echo(line, err=True))
    if plot_path is not None:
        plot(report, plot_path)
    if table_path is not None:
        table_path.write_text(markdown(report))
    click.echo(json.dumps(report, indent=2) if as_json else markdown(report), nl=as_json)


@bench.command("soak")
@click.option("--url", default=None, help="A running server; by default one is started for the run.")
@click.option("--key", envvar="VOICEWIRE_API_KEY", default=None,
              help="API key for --url (4 units per client; the server needs VOICEWIRE_FAILED_AUTH_LIMIT=0, as "
              "the soak sends wrong keys on purpose).")  # fmt: skip
@click.option("--requests", "count", default=10_000, show_default=True, help="Requests in all.")
@click.option("--concurrency", default=8, show_default=True, help="Requests at a time.")
@click.option("--warmup", default=0.1, show_default=True, help="Share of the requests before the baseline sample.")
@click.option("--workers", type=int, default=2, show_default=True, help="Server processes (started server only).")
@click.option("--json", "as_json", is_flag=True)
def bench_soak_cmd(url: str | None, key: str | None, count: int, concurrency: int, warmup: float, workers: int,
                   as_json: bool) -> None:  # fmt: skip
    """Mixed requests (sync, SSE, WebSocket, disconnects, bad requests): RSS, descriptors, tasks; exit 1 on FAIL."""
    import contextlib

    from voicewire.bench.server import BenchServer, spawn_server
    from voicewire.bench.soak import run_soak

    with contextlib.ExitStack() as stack:
        if url is None:
            # Wrong keys are part of the mix: the per-address brake on them would lock the soak out.
            env = {"VOICEWIRE_WORKERS": str(workers), "VOICEWIRE_FAILED_AUTH_LIMIT": "0"}
            server = stack.enter_context(spawn_server(["--workers", str(workers)], env=env, units=4 * concurrency))
        else:
            if not key:
                raise click.UsageError("--url needs --key (or VOICEWIRE_API_KEY).")
            server = BenchServer(url, key, 0)
        report = run_soak(server.url, server.key, requests=count, concurrency=concurrency, warmup=warmup,
                          pid=server.pid or None, progress=lambda line: click.echo(line, err=True))  # fmt: skip
    if as_json:
        click.echo(json.dumps(report, indent=2))
    else:
        _print_soak(report)
    if report["verdict"] != "PASS":
        sys.exit(1)


def _print_soak(report: dict[str, Any]) -> None:
    rows = [{"stage": stage, **sample} for stage, sample in report["samples"].items()]
    _print_rows([*rows, {"stage": "growth %", **report["growth_after_warmup_pct"]}], False)
    click.echo()
    _print_rows(report["kinds"], False)
    for error in report["unexpected_errors"]:
        click.echo(f"unexpected: {error}")
    click.echo(f"\n{report['requests']} requests in {report['duration_s']} s, {report['concurrency']} at a time")
    failed = [name for name, ok in report["checks"].items() if ok is False]
    click.echo(f"{report['verdict']}" + (f": {', '.join(failed)}" if failed else ""))


@bench.command("store")
@click.option("--redis", "redis_url", default=None, help="Also measure a Redis store at this URL.")
@click.option("--rounds", default=2000, show_default=True)
@click.option("--json", "as_json", is_flag=True)
def bench_store_cmd(redis_url: str | None, rounds: int, as_json: bool) -> None:
    """Cost of admitting a request (take + release a lease) in each store."""
    import tempfile

    from voicewire.auth.open import open_store

    rows = []
    with tempfile.TemporaryDirectory() as home:
        for name, url in (("sqlite", ""), ("redis", redis_url)):
            if url is None:
                continue
            store = open_store(url, Path(home))
            started = time.perf_counter()
            for _ in range(rounds):
                lease = store.acquire("bench", "synthesis", 1_000_000, 30)
                store.release([lease] if lease else [])
            per = (time.perf_counter() - started) / rounds * 1e6
            rows.append({"store": name, "rounds": rounds, "us_per_admission": round(per, 1)})
            store.close()
    _print_rows(rows, as_json)


from voicewire.bench.dicts import bench_dicts_command  # noqa: E402 - a command of its own module

bench.add_command(bench_dicts_command)


def _print_rows(rows: list[dict[str, Any]], as_json: bool) -> None:
    if as_json:
        click.echo(json.dumps(rows, indent=2))
        return
    if not rows:
        return
    columns = list(rows[0])
    widths = {c: max(len(c), *(len(str(r.get(c))) for r in rows)) for c in columns}
    click.echo("  ".join(c.ljust(widths[c]) for c in columns))
    for r in rows:
        click.echo("  ".join(str(r.get(c)).ljust(widths[c]) for c in columns))
