"""The three catalogs, each read from its real public layout on the Hugging Face hub (or a mirror of
it: every URL is ``VOICEWIRE_VOICES_URL`` + the hub's own path).

Piper
    ``rhasspy/piper-voices/resolve/main/voices.json``: one object per voice key
    (``en_US-lessac-medium``) with ``language.code``, ``quality`` and ``files``, a map from the file's
    path in the repository (``en/en_US/lessac/medium/en_US-lessac-medium.onnx``) to its ``size_bytes``
    and ``md5_digest``. A voice is installed as ``<id>.onnx`` + ``<id>.onnx.json``.

    Ids: the speaker name of the key (``lessac``), as ``voicewire voices add`` names a Piper file.
    A name that two locales share (``mls`` in fr_FR and nl_NL) or that another engine uses is
    qualified with its locale everywhere (``mls_fr_fr``, ``mls_nl_nl``), so an id never depends on
    what was installed first. The qualities of one voice (low, medium, high) share its id: only one
    of them is installed at a time, and a bare name installs medium (else high, low, x_low).

Kokoro
    ``onnx-community/Kokoro-82M-v1.0-ONNX``: ``voices/<name>.bin``, each a raw float32 510x256
    style table (522,240 bytes), the layout ``kokoro-js`` reads. Sizes and digests come from the
    hub's listing of that folder, ``api/models/onnx-community/Kokoro-82M-v1.0-ONNX/tree/main/voices``
    (a JSON list of ``{type, path, size, oid, lfs: {oid, size}}``): ``lfs.oid`` is the SHA-256 of a
    file kept in Git LFS, ``oid`` the Git blob SHA-1 of one that is not. Names are Kokoro's own
    (``af_heart``): the first letter is the language, the second the gender.

hibari
    The registry of the installed ``hibari-tts`` (``hibari.voices.VOICES``: file, bytes, sha256)
    with its files under ``hibari.voices.BASE_URL``. A mirror may add voices in a ``voices.json`` of
    the same format one level above that folder (``maureesewilliams/hibari/resolve/main/voices.json``,
    voicewire's convention); the package's own entries always win over a served one.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from collections.abc import Collection, Sequence
from typing import Any, Protocol

from voicewire.exceptions import DownloadFailed
from voicewire.voices.catalog import CatalogEntry, RemoteFile
from voicewire.voices.fetch import fetch_bytes, join_url

__all__ = [
    "HUB",
    "KOKORO_LANGUAGES",
    "KOKORO_REPO",
    "KOKORO_VOICE_BYTES",
    "PIPER_REPO",
    "HibariSource",
    "KokoroSource",
    "PiperSource",
    "Source",
    "kokoro_language",
    "kokoro_listing_path",
    "parse_kokoro_listing",
    "parse_piper_voices",
    "piper_ids",
    "preferred_quality",
]

HUB = "https://huggingface.co"
PIPER_REPO = "rhasspy/piper-voices"
KOKORO_REPO = "onnx-community/Kokoro-82M-v1.0-ONNX"
KOKORO_VOICE_BYTES = 510 * 256 * 4
KOKORO_LANGUAGES = {"a": "en-US", "b": "en-GB", "e": "es", "f": "fr-FR", "h": "hi", "i": "it", "j": "ja",
                    "p": "pt-BR", "z": "zh-CN"}  # fmt: skip
"""Kokoro's first letter of a voice name -> the language it speaks."""
KOKORO_NAME = re.compile(r"^([a-z])([fm])_[a-z0-9_]+$")
PIPER_RATES = {"x_low": 16000, "low": 16000, "medium": 22050, "high": 22050}
PIPER_QUALITY_ORDER = ("medium", "high", "low", "x_low")


class Source(Protocol):
    """One catalog."""

    engine: str

    def entries(self) -> list[CatalogEntry]:
        """Every voice it offers.

        Raises:
            DownloadFailed: the catalog could not be fetched or read (the message names the URL).
        """
        ...


# -- Piper -----------------------------------------------------------------------------------------


class PiperSource:
    engine = "piper"

    def __init__(self, base: str, *, reserved: Collection[str] = ()) -> None:
        """``reserved``: ids other engines use; a Piper name equal to one is qualified with its locale."""
        self.base = base
        self.reserved = frozenset(r.lower() for r in reserved)
        self.url = join_url(base, f"{PIPER_REPO}/resolve/main/voices.json")

    def entries(self) -> list[CatalogEntry]:
        raw = fetch_bytes(self.url)
        assert raw is not None
        try:
            doc = json.loads(raw)
        except ValueError as exc:
            raise DownloadFailed(f"{self.url} is not a Piper voices.json: {exc}.", self.url) from None
        if not isinstance(doc, dict):
            raise DownloadFailed(f"{self.url} is not a Piper voices.json: not a JSON object.", self.url)
        return parse_piper_voices(doc, join_url(self.base, f"{PIPER_REPO}/resolve/main"), self.reserved)


def piper_ids(keys: Sequence[str], reserved: Collection[str] = ()) -> dict[str, str]:
    """Voice key -> id (see the module's docstring): the speaker name, or ``name_locale`` when the
    name is in several locales or is ``reserved``."""
    locales: dict[str, set[str]] = defaultdict(set)
    parts = {}
    for key in keys:
        pieces = key.split("-")
        if len(pieces) == 3 and all(pieces):
            locale, name, _quality = pieces
            parts[key] = (locale.lower(), name.lower())
            locales[name.lower()].add(locale.lower())
    ids = {}
    for key in keys:
        if key not in parts:
            ids[key] = re.sub(r"[^a-z0-9_-]", "_", key.lower())
            continue
        locale, name = parts[key]
        ids[key] = name if len(locales[name]) == 1 and name not in reserved else f"{name}_{locale}"
    return ids


def parse_piper_voices(doc: dict[str, Any], files_base: str, reserved: Collection[str] = ()) -> list[CatalogEntry]:
    """Entries of a Piper ``voices.json``; voices without a model, a config, or their sizes and
    digests are left out (they could not be verified)."""
    ids = piper_ids([k for k, v in doc.items() if isinstance(v, dict)], reserved)
    out = []
    for key, voice in doc.items():
        if not isinstance(voice, dict) or not isinstance(voice.get("files"), dict):
            continue
        model = config = None
        for path, meta in voice["files"].items():
            if not isinstance(meta, dict) or "size_bytes" not in meta or "md5_digest" not in meta:
                continue
            if path.endswith(".onnx"):
                model = (path, meta)
            elif path.endswith(".onnx.json"):
                config = (path, meta)
        if model is None or config is None:
            continue
        voice_id = ids[key]
        language: dict[str, Any] = voice["language"] if isinstance(voice.get("language"), dict) else {}
        code = str(language.get("code") or key.split("-")[0]).replace("_", "-")
        quality = str(voice.get("quality", ""))
        try:
            files = tuple(_piper_file(files_base, path, meta, voice_id + suffix)
                          for (path, meta), suffix in ((config, ".onnx.json"), (model, ".onnx")))  # fmt: skip
        except (TypeError, ValueError):
            continue
        speakers = int(voice.get("num_speakers") or 1)
        country = str(language.get("country_english") or "")
        described = ", ".join(x for x in (country, f"{speakers} speakers (the default one speaks)"
                                          if speakers > 1 else "") if x)  # fmt: skip
        description = f"Piper voice {key}" + (f" ({described})" if described else "")
        out.append(CatalogEntry(voice_id=voice_id, engine="piper", key=str(key), language=code,
                                sample_rate=PIPER_RATES.get(quality, 22050), files=files, quality=quality,
                                description=description))  # fmt: skip
    return out


def _piper_file(files_base: str, path: str, meta: dict[str, Any], target: str) -> RemoteFile:
    return RemoteFile(url=join_url(files_base, path), size=int(meta["size_bytes"]),
                      digest="md5:" + str(meta["md5_digest"]).lower(), target=target)  # fmt: skip


def preferred_quality(entries: Sequence[CatalogEntry]) -> CatalogEntry:
    """Of one voice's qualities, the one a bare name installs."""
    rank = {q: i for i, q in enumerate(PIPER_QUALITY_ORDER)}
    return min(entries, key=lambda e: rank.get(e.quality, len(rank)))


# -- Kokoro ----------------------------------------------------------------------------------------


def kokoro_language(name: str) -> str | None:
    """``af_heart`` -> ``en-US``; None for a name that is not Kokoro's (``<language><f|m>_<name>``)."""
    found = KOKORO_NAME.match(name)
    return KOKORO_LANGUAGES.get(found.group(1)) if found else None


def kokoro_listing_path() -> str:
    return f"api/models/{KOKORO_REPO}/tree/main/voices"


class KokoroSource:
    engine = "kokoro"

    def __init__(self, base: str) -> None:
        self.base = base
        self.url = join_url(base, kokoro_listing_path())

    def entries(self) -> list[CatalogEntry]:
        raw = fetch_bytes(self.url)
        assert raw is not None
        try:
            listing = json.loads(raw)
        except ValueError as exc:
            raise DownloadFailed(f"{self.url} is not a hub folder listing: {exc}.", self.url) from None
        if not isinstance(listing, list):
            raise DownloadFailed(f"{self.url} is not a hub folder listing: not a JSON list.", self.url)
        return parse_kokoro_listing(listing, join_url(self.base, f"{KOKORO_REPO}/resolve/main"))


def parse_kokoro_listing(listing: list[Any], files_base: str) -> list[CatalogEntry]:
    """Entries of the hub's listing of ``voices/``: every ``<name>.bin`` of Kokoro's naming and of
    the size of a 510x256 float32 table."""
    out = []
    for item in listing:
        if not isinstance(item, dict) or item.get("type") != "file":
            continue
        path = str(item.get("path", ""))
        name = path.rsplit("/", 1)[-1].removesuffix(".bin")
        language = kokoro_language(name)
        if not path.endswith(".bin") or language is None:
            continue
        lfs = item.get("lfs") if isinstance(item.get("lfs"), dict) else None
        digest = f"sha256:{lfs['oid']}" if lfs and lfs.get("oid") else f"git-sha1:{item.get('oid', '')}"
        try:
            size = int(lfs["size"] if lfs and "size" in lfs else item["size"])
        except (KeyError, TypeError, ValueError):
            continue
        if size != KOKORO_VOICE_BYTES or digest.endswith(":"):
            continue
        gender = "female" if name[1] == "f" else "male"
        out.append(CatalogEntry(voice_id=name, engine="kokoro", key=name, language=language, sample_rate=24000,
                                files=(RemoteFile(url=join_url(files_base, path), size=size, digest=digest.lower(),
                                                  target=name + ".bin"),),
                                gender=gender, description="Kokoro-82M v1.0 voice"))  # fmt: skip
    return sorted(out, key=lambda e: e.voice_id)


# -- hibari ----------------------------------------------------------------------------------------


class HibariSource:
    engine = "hibari"

    def __init__(self, base: str) -> None:
        from hibari.voices import BASE_URL

        self.base = base
        # hibari's files live on the hub; a mirror keeps the same paths under its own base.
        self.files_base = base.rstrip("/") + BASE_URL.removeprefix(HUB) if BASE_URL.startswith(HUB + "/") else BASE_URL
        self.registry_url = self.files_base.rstrip("/").rsplit("/", 1)[0] + "/voices.json"

    def entries(self) -> list[CatalogEntry]:
        """The package's voices (known offline), plus those of a served registry, if there is one.

        Raises:
            DownloadFailed: the served registry exists but cannot be fetched or read.
        """
        from hibari.voices import VOICES

        entries = {name: self._entry(name, entry, None) for name, entry in VOICES.items() if not entry.get("bundled")}
        raw = fetch_bytes(self.registry_url, missing_ok=True)
        if raw is not None:
            try:
                served = json.loads(raw)
                if not isinstance(served, dict):
                    raise ValueError("not a JSON object")
            except ValueError as exc:
                raise DownloadFailed(f"{self.registry_url} is not a hibari voice registry: {exc}.",
                                     self.registry_url) from None  # fmt: skip
            for name, entry in served.items():
                if name in VOICES or name in entries or not _hibari_entry_ok(name, entry):
                    continue
                entries[name] = self._entry(name, entry, {k: v for k, v in entry.items() if k != "bundled"})
        return [e for e in entries.values() if e is not None]

    def local_entries(self) -> list[CatalogEntry]:
        """The package's voices alone (no network)."""
        from hibari.voices import VOICES

        found = [self._entry(name, entry, None) for name, entry in VOICES.items() if not entry.get("bundled")]
        return [e for e in found if e is not None]

    def _entry(self, name: str, entry: dict[str, Any], sidecar: dict[str, Any] | None) -> CatalogEntry | None:
        try:
            file = RemoteFile(url=join_url(self.files_base, str(entry["file"])), size=int(entry["bytes"]),
                              digest="sha256:" + str(entry["sha256"]).lower(), target=str(entry["file"]))  # fmt: skip
        except (KeyError, TypeError, ValueError):
            return None
        return CatalogEntry(voice_id=name, engine="hibari", key=name, language=str(entry.get("language", "en-US")),
                            sample_rate=24000, files=(file,), gender=str(entry.get("gender", "")),
                            description=f"hibari voice distilled from Kokoro {entry.get('kokoro', '?')}",
                            registry_entry=sidecar)  # fmt: skip


def _hibari_entry_ok(name: str, entry: Any) -> bool:
    from voicewire.engines.hibari import REGISTRY_FIELDS

    if not isinstance(entry, dict) or any(f not in entry for f in REGISTRY_FIELDS):
        return False
    file = str(entry["file"])
    return bool(re.fullmatch(r"[a-z0-9_-]+", name)) and "/" not in file and not file.startswith(".")
