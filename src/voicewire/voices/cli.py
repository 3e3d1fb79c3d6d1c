"""``voicewire voices``: list installed voices, list what the catalogs offer, install, remove, add.

Errors are one ``voicewire: error:`` line (exit status 2), as everywhere in the command.
"""

from __future__ import annotations

import contextlib
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import click

from voicewire.config import Settings

if TYPE_CHECKING:
    from voicewire.voices.catalog import CatalogEntry
    from voicewire.voices.fetch import Progress

__all__ = ["bench_voices", "voices"]

home_option = click.option("--home", type=click.Path(path_type=Path), default=None,
                           help="Data folder (keys, voices, caches). Env: VOICEWIRE_HOME.")  # fmt: skip
url_option = click.option("--url", default=None, help="Hub, mirror or local folder the catalogs and voice files come "
                          "from (default https://huggingface.co). Env: VOICEWIRE_VOICES_URL.")  # fmt: skip

_HOT = "a running server picks it up within seconds"


def _settings(home: Path | None, url: str | None = None) -> Settings:
    from voicewire.config import parse_voices_url

    settings = Settings.from_env(home=home)
    if url is not None:
        try:
            settings = settings.replace(voices_url=parse_voices_url(url))
        except ValueError:
            message = f"{url!r} is no http(s):// or file:// URL or folder."
            raise click.BadParameter(message, param_hint="--url") from None
    return settings


def _mb(size: int) -> str:
    return f"{size / 1e6:.1f} MB"


@click.group(invoke_without_command=True)
@click.option("--model", default=None, help="Only voices of this Waves model (lightning_v3.1_pro, ...).")
@click.option("--json", "as_json", is_flag=True, help="Print the server's GET /waves/v1/{model}/get_voices body "
              "(installed voices, and the ones listed but not installed).")  # fmt: skip
@home_option
@click.pass_context
def voices(ctx: click.Context, model: str | None, as_json: bool, home: Path | None) -> None:
    """List installed voices: engine, language, size (and manage them: available, install, remove, add)."""
    if ctx.invoked_subcommand is not None:
        return
    from voicewire.dialects.waves import catalog as waves_catalog
    from voicewire.dialects.waves.request import MODELS, canonical_model
    from voicewire.engines.base import VoiceInfo

    canonical = None
    if model is not None:
        canonical = canonical_model(model)
        if canonical is None:
            raise click.BadParameter(f"{model!r}; models: {', '.join(MODELS)}", param_hint="--model")
    settings = _settings(home)
    if as_json:
        from voicewire.engines.registry import build_catalog

        click.echo(json.dumps(waves_catalog.voices_body(build_catalog(settings).voices(), canonical), indent=2))
        return
    from voicewire.voices.installed import installed_voices

    installed = installed_voices(settings.voices_dir)
    by_id = {v.voice_id: v for v in installed}
    rows = [(v.voice_id, v) for v in installed]
    rows += [(alias.lower(), by_id[target.lower()]) for alias, target in settings.aliases.items()
             if target.lower() in by_id]  # fmt: skip
    click.echo(f"{'VOICE':<14} {'SPEAKS WITH':<12} {'ENGINE':<7} {'MODEL':<19} {'LANGUAGE':<9} {'SIZE':<9}  WHERE")
    for listed, voice in rows:
        info = VoiceInfo(voice_id=voice.voice_id, engine=voice.engine, display_name="", languages=(voice.language,),
                         sample_rate=0)  # fmt: skip
        model_name = waves_catalog.model_of(info)
        if canonical is not None and model_name != canonical:
            continue
        speaks = voice.voice_id if listed != voice.voice_id else "-"
        click.echo(f"{listed:<14} {speaks:<12} {voice.engine:<7} {model_name:<19} {voice.language:<9} "
                   f"{_mb(voice.size):<9}  {voice.where}")  # fmt: skip


@voices.command("available")
@click.option("--language", default=None, help="Only voices of this language: en, en-GB, pt_BR, ...")
@click.option("--engine", type=click.Choice(["piper", "kokoro", "hibari"]), default=None, help="Only this engine's.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per voice, with its files and digests.")
@url_option
@home_option
def voices_available(language: str | None, engine: str | None, as_json: bool, url: str | None,
                     home: Path | None) -> None:  # fmt: skip
    """List the voices the catalogs offer (Piper, Kokoro, hibari) and whether each is installed.

    A catalog that cannot be read is named on stderr (its last copy stands in, if there is one), and
    the exit status is 1.
    """
    from voicewire.voices.catalog import matches_language
    from voicewire.voices.manager import VoiceManager

    manager = VoiceManager(_settings(home, url))
    offer = manager.available()
    installed = {v.voice_id for v in manager.installed()}
    entries = [e for e in offer.entries if (language is None or matches_language(e, language))
               and (engine is None or e.engine == engine)]  # fmt: skip
    entries.sort(key=lambda e: (e.engine, e.language, e.voice_id, e.key))
    if as_json:
        click.echo(json.dumps([{**e.to_json(), "installed": e.voice_id in installed} for e in entries], indent=1))
    else:
        click.echo(f"{'VOICE':<18} {'ENGINE':<7} {'LANGUAGE':<9} {'QUALITY':<8} {'SIZE':<9}  {'INSTALLED':<9}  "
                   "CATALOG KEY")  # fmt: skip
        for e in entries:
            click.echo(f"{e.voice_id:<18} {e.engine:<7} {e.language:<9} {e.quality or '-':<8} {_mb(e.size):<9}  "
                       f"{'yes' if e.voice_id in installed else 'no':<9}  {e.key}")  # fmt: skip
    for problem in offer.problems:
        click.echo(f"voicewire: warning: {problem}", err=True)
    if language is not None and not entries and offer.entries:
        languages = sorted({e.language for e in offer.entries})
        click.echo(f"voicewire: no voice for language {language!r}; the catalogs have: {', '.join(languages)}.",
                   err=True)  # fmt: skip
    if offer.problems:
        sys.exit(1)


@voices.command("install")
@click.argument("names", nargs=-1, required=True)
@url_option
@home_option
def voices_install(names: tuple[str, ...], url: str | None, home: Path | None) -> None:
    """Download, verify and install voices: NAME is a voice id (lessac, af_heart, emma) or a catalog key
    (en_US-lessac-high)."""
    from voicewire.voices.manager import VoiceManager

    manager = VoiceManager(_settings(home, url))
    entries = [manager.find(name) for name in names]  # every name is known before anything downloads
    for entry in entries:
        if manager.is_installed(entry):
            click.echo(f"Voice {entry.voice_id!r} is installed already.")
            continue
        manager.install(entry, _progress)
        click.echo(f"Installed voice {entry.voice_id!r} ({entry.engine}, {entry.language}, {_mb(entry.size)}) from "
                   f"{entry.key}; {_HOT}.")  # fmt: skip


@contextlib.contextmanager
def _progress(entry: CatalogEntry, already: int) -> Iterator[Progress | None]:
    """A progress bar on a terminal (stderr), else one line saying what downloads."""
    what = f"{entry.voice_id} ({_mb(entry.size)})"
    if not sys.stderr.isatty():
        resumed = f", continuing at {_mb(already)}" if already else ""
        click.echo(f"Downloading {what} from {entry.files[-1].url}{resumed}", err=True)
        yield None
        return
    with click.progressbar(length=entry.size, label=f"Downloading {what}", file=sys.stderr,
                           show_percent=True, show_eta=True) as bar:  # fmt: skip
        if already:
            bar.update(already)
        yield bar.update


@voices.command("remove")
@click.argument("names", nargs=-1, required=True)
@home_option
def voices_remove(names: tuple[str, ...], home: Path | None) -> None:
    """Remove installed voices (a running server stops offering them within seconds; turns that are
    speaking with one finish)."""
    from voicewire.voices.manager import VoiceManager

    manager = VoiceManager(_settings(home))
    for name in names:
        voice = manager.remove(name)
        click.echo(f"Removed voice {voice.voice_id!r} ({voice.engine}); a running server stops offering it within "
                   "seconds.")  # fmt: skip


@voices.command("add")
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--name", default=None, help="Voice id (default: from the file name, en_US-lessac-medium -> lessac).")
@home_option
def voices_add(paths: tuple[Path, ...], name: str | None, home: Path | None) -> None:
    """Add voices from local files: a Piper .onnx (with its .onnx.json beside it), a hibari voice .onnx,
    or Kokoro voice vectors (.bin, .npy, or kokoro-onnx's voices-v1.0.bin with all of them)."""
    from voicewire.voices.manager import VoiceManager

    for added in VoiceManager(_settings(home)).add(paths, name):
        if added.skipped:
            click.echo(f"Skipped voice {added.voice_id!r} ({added.engine}): {added.skipped}.")
        else:
            click.echo(f"Added voice {added.voice_id!r} ({added.engine}); {_HOT}.")


@click.command("voices")
@click.option("--counts", default="1,10,50", show_default=True, help="Installed Piper voices per run, comma-separated.")
@click.option("--budget", type=int, default=None, help="VOICEWIRE_MAX_LOADED_VOICES of the servers (default: its "
              "default).")  # fmt: skip
@click.option("--json", "as_json", is_flag=True)
def bench_voices(counts: str, budget: int | None, as_json: bool) -> None:
    """Many installed voices: server start time and RSS, first request to a cold voice, RSS within the budget."""
    from voicewire.bench.voices import run_voices_bench

    try:
        numbers = tuple(int(n) for n in counts.split(","))
    except ValueError:
        raise click.BadParameter(f"{counts!r} is no comma-separated list of numbers.", param_hint="--counts") from None
    if not numbers or min(numbers) < 1:
        raise click.BadParameter(f"{counts!r}: each count must be at least 1.", param_hint="--counts")
    rows = run_voices_bench(numbers, progress=lambda line: click.echo(line, err=True), budget=budget)
    if as_json:
        click.echo(json.dumps(rows, indent=2))
        return
    for row in rows:
        click.echo("  ".join(f"{k}={v}" for k, v in row.items()))
