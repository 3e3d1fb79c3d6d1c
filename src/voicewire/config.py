"""Settings: the one configuration object, and the only module that reads the environment.

Every CLI flag maps to a field here and to an environment variable ``VOICEWIRE_<FIELD>``.
Voice aliases can also live in ``$VOICEWIRE_HOME/config.toml``::

    [aliases]
    magnus = "joe"
    meher = "heart"
"""

from __future__ import annotations

import dataclasses
import os
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import platformdirs

from voicewire.exceptions import ConfigError

__all__ = ["DEFAULT_ALIASES", "Settings", "default_home", "parse_setting", "parse_voices_url", "wyoming_address"]

# The Waves voice ids that clients use by default (the seeds' samples, the official SDK's examples,
# the LiveKit, Pipecat and VideoSDK plugins, the v4 turn protocol), mapped to voices that ship with
# voicewire by gender: a client that names none of voicewire's own voices speaks out of the box.
DEFAULT_ALIASES: Mapping[str, str] = {
    "magnus": "joe",  # male: the seeds, the SDK's default, VideoSDK's default
    "meher": "heart",  # female: LiveKit's and Pipecat's default with lightning_v3.1_pro
    "sophia": "heart",  # female: LiveKit's and Pipecat's default with lightning_v3.1
    "malcom": "joe",  # male: SDK 4.4.7's example
    "malcolm": "joe",
    "daniel": "joe",  # SDK 4.4.7's v3.1 example
    "kanik": "joe",  # SDK 5.14's helper example
    "emily": "heart",  # the v2 catalog's example (VideoSDK's notes)
    "brannock": "joe",  # Pipecat's v4 turn protocol default
}

GetEnv = Callable[[str], str | None]


def default_home() -> Path:
    return Path(platformdirs.user_data_dir("voicewire", appauthor=False))


@dataclass(frozen=True, kw_only=True)
class Settings:
    home: Path = field(default_factory=default_home)
    """Where keys (voicewire.db), added voices and caches live."""

    host: str = "127.0.0.1"
    port: int = 8000
    max_text_chars: int = 10_000
    """Longest text per sync/SSE request or per WebSocket turn buffer; longer text is refused."""

    idle_timeout: float = 60.0
    """Seconds a live WebSocket may stay silent before it is closed (``?timeout=N`` overrides)."""

    threads: int = 1
    """onnxruntime intra-op threads per model session."""

    lone_threads: int = field(default_factory=lambda: os.cpu_count() or 1)
    """onnxruntime intra-op threads of a Piper call that runs alone on the machine (a second session
    per voice); at most ``threads``: no second session."""

    synthesis_workers: int = field(default_factory=lambda: os.cpu_count() or 1)
    """Worker threads that run engines; synthesis never runs on the event loop."""

    aliases: Mapping[str, str] = field(default_factory=lambda: dict(DEFAULT_ALIASES))
    """Waves voice id -> local voice id."""

    preload: tuple[str, ...] = ("heart", "joe")
    """Voices loaded at start so the first request does not pay for loading."""

    store: str = ""
    """Where keys, leases and usage live: empty for the SQLite file in ``home``, or ``redis://...``."""

    lease_ttl: float = 30.0
    """Seconds a concurrency lease lives without renewal: how soon a crashed process's slots free up."""

    workers: int = field(default_factory=lambda: os.cpu_count() or 1)
    """Server processes on one port (``voicewire serve --workers``), each with its own engines."""

    drain_timeout: float = 30.0
    """On SIGTERM, how long active turns may run before their sockets are closed with 1001."""

    scheduler: str = "deadline"
    """Order of engine calls: ``deadline`` (first units and starving streams first) or ``fifo``."""

    admission: bool = True
    """Refuse a new stream early (429) when the measured capacity has no room for it."""

    utilization: float = 0.85
    """Share of the synthesis workers' time admission may promise to real-time streams."""

    busy_wait: float = 10.0
    """Seconds a request nobody plays in real time (a sync body, an OpenAI file, a Wyoming one-shot)
    waits in line for capacity before its 429 ``server_busy``; live streams are refused at once instead."""

    ws_deflate: bool = False
    """Accept permessage-deflate on the live WebSocket (see BENCHMARKS.md for why it is off)."""

    key_cache_ttl: float = 5.0
    """Seconds a checked key is trusted without asking the store again: how soon a revoked key stops
    working, on open WebSockets too (checked again at every turn)."""

    failed_auth_limit: int = 10
    """Wrong keys a client address may send per minute before all its keys are refused (0: no limit)."""

    forwarded_allow_ips: tuple[str, ...] = ("127.0.0.1",)
    """Addresses (or networks, or ``*``) of the proxies whose ``X-Forwarded-For`` is believed: behind
    a proxy on another host, name it, or every client looks like the proxy (one client's wrong keys
    would then brake everyone's)."""

    cors_origins: tuple[str, ...] = ()
    """Web origins (``https://app.example``) whose pages may call the HTTP API; none by default."""

    playground: bool = True
    """Serve the playground page at ``/`` (static files; the page still needs a key to speak)."""

    log_level: str = "info"

    wyoming: str = ""
    """Serve Home Assistant's Wyoming protocol on ``tcp://HOST:PORT`` (empty: off). Wyoming has no
    authentication: whoever reaches the address can use the voices, so keep it on loopback unless the
    network is trusted."""

    wyoming_units: int = 4
    """Concurrency units of the Wyoming listener (it has no keys): turns synthesized at once, and five
    open connections per unit."""

    wyoming_voice: str = "heart"
    """The voice of a Wyoming ``synthesize`` that names none (and the first choice for a language)."""

    wyoming_pronunciation_dicts: tuple[str, ...] = ()
    """Pronunciation dictionaries applied to every Wyoming turn (ids, in order)."""

    wyoming_zeroconf: bool = False
    """Advertise the Wyoming listener as ``_wyoming._tcp`` on the local network (mDNS)."""

    wyoming_zeroconf_name: str = ""
    """The advertised service name (empty: ``voicewire-<host name>``)."""

    max_loaded_voices: int = 4
    """Voices a process keeps loaded at most; past it the least recently used one is unloaded (a
    voice used in the last few seconds is kept, so a running turn never has to reload it)."""

    voices_url: str = "https://huggingface.co"
    """Where ``voicewire voices available`` / ``install`` read catalogs and voice files: the Hugging
    Face hub, a mirror of it (same paths), or a local folder laid out the same way (``file://`` URL or
    plain path). The server itself never fetches anything."""
    dict_max_items: int = 5_000
    """Items per pronunciation dictionary (more is a 400)."""

    dict_max_per_key: int = 100
    """Pronunciation dictionaries per key (one more is a 400)."""

    dict_max_word_chars: int = 100
    """Characters in a dictionary item's word or phrase."""

    dict_max_pronunciation_chars: int = 200
    """Characters in a dictionary item's pronunciation (a respelling, or IPA between slashes)."""

    @property
    def db_path(self) -> Path:
        return self.home / "voicewire.db"

    @property
    def voices_dir(self) -> Path:
        return self.home / "voices"

    @property
    def cache_dir(self) -> Path:
        return self.home / "cache"

    def replace(self, **changes: Any) -> Settings:
        return dataclasses.replace(self, **changes)

    @classmethod
    def from_env(cls, get_env: GetEnv = os.environ.get, **overrides: Any) -> Settings:
        """Settings from ``VOICEWIRE_*`` variables, the home's config.toml, then ``overrides``.

        ``overrides`` with the value ``None`` are ignored, so CLI options that were not given
        fall through to the environment.
        """
        values: dict[str, Any] = {}
        home = overrides.get("home") or get_env("VOICEWIRE_HOME")
        if home:
            values["home"] = Path(home).expanduser()
        for name, cast in _CASTS.items():
            raw = get_env("VOICEWIRE_" + name.upper())
            if raw is not None and raw != "":
                values[name] = _cast(name, raw, cast)
        settings = cls(**values)
        aliases = dict(DEFAULT_ALIASES)
        aliases.update(_file_aliases(settings.home / "config.toml"))
        raw_aliases = get_env("VOICEWIRE_ALIASES")
        if raw_aliases:
            aliases.update(_parse_aliases(raw_aliases))
        given = {k: v for k, v in overrides.items() if v is not None and k != "home"}
        return settings.replace(aliases=aliases, **given)


def parse_setting(name: str, raw: str) -> Any:
    """A setting given as text (a CLI option), read the way its ``VOICEWIRE_*`` variable is.

    Raises:
        ConfigError: the text is not a valid value (the message names the setting).
    """
    return _cast(name, raw, _CASTS[name])


def _cast(name: str, raw: str, cast: Callable[[str], Any]) -> Any:
    try:
        return cast(raw)
    except ValueError:
        raise ConfigError(
            f"Config 'VOICEWIRE_{name.upper()}' has value {raw!r}. Not a valid {cast.__name__}."
        ) from None


def _positive_int(raw: str) -> int:
    value = int(raw)
    if value < 1:
        raise ValueError(raw)
    return value


def _non_negative_int(raw: str) -> int:
    value = int(raw)
    if value < 0:
        raise ValueError(raw)
    return value


def _origin_list(raw: str) -> tuple[str, ...]:
    origins = tuple(o.strip().rstrip("/") for o in raw.split(",") if o.strip())
    for origin in origins:
        scheme, sep, host = origin.partition("://")
        if origin != "*" and (scheme not in ("http", "https") or not sep or not host or "/" in host):
            raise ValueError(raw)
    return origins


def _address_list(raw: str) -> tuple[str, ...]:
    import ipaddress

    items = tuple(a.strip() for a in raw.split(",") if a.strip())
    for item in items:
        if item != "*":
            ipaddress.ip_network(item, strict=False)  # ValueError names nothing: _cast does
    if not items:
        raise ValueError(raw)
    return items


def _non_negative_float(raw: str) -> float:
    value = float(raw)
    if not value >= 0:
        raise ValueError(raw)
    return value


def _positive_float(raw: str) -> float:
    value = float(raw)
    if not value > 0:
        raise ValueError(raw)
    return value


def _policy(raw: str) -> str:
    if raw not in ("deadline", "fifo"):
        raise ValueError(raw)
    return raw


def _bool(raw: str) -> bool:
    value = raw.strip().lower()
    if value not in ("1", "0", "true", "false", "yes", "no", "on", "off"):
        raise ValueError(raw)
    return value in ("1", "true", "yes", "on")


def parse_voices_url(raw: str) -> str:
    """``http(s)://`` and ``file://`` URLs as given (no trailing slash); a plain path becomes a file URL."""
    value = raw.strip()
    scheme, sep, rest = value.partition("://")
    if sep:
        if scheme.lower() not in ("http", "https", "file") or not rest.strip("/"):
            raise ValueError(raw)
        return value.rstrip("/")
    if not value:
        raise ValueError(raw)
    return Path(value).expanduser().resolve().as_uri()  # a folder: never ends with "/"


def _voice_list(raw: str) -> tuple[str, ...]:
    return tuple(v.strip() for v in raw.split(",") if v.strip())


def wyoming_address(uri: str) -> tuple[str, int]:
    """``tcp://HOST:PORT`` -> ``(HOST, PORT)`` (IPv6 hosts in brackets: ``tcp://[::1]:10200``).

    Raises:
        ConfigError: not a ``tcp://`` URI with a host and a port from 0 to 65535.
    """
    from urllib.parse import urlsplit

    try:
        parts = urlsplit(uri)
        port = parts.port
    except ValueError:
        port = None
        parts = None
    if parts is None or parts.scheme != "tcp" or not parts.hostname or port is None or parts.path not in ("", "/"):
        raise ConfigError(
            f"Config 'wyoming' has value {uri!r}. Expected tcp://HOST:PORT, e.g. tcp://127.0.0.1:10200 "
            "(loopback only) or tcp://0.0.0.0:10200 (every interface: Wyoming has no authentication)."
        )
    return parts.hostname, port


def _wyoming_uri(raw: str) -> str:
    if raw.strip():
        try:
            wyoming_address(raw.strip())
        except ConfigError:
            raise ValueError(raw) from None
    return raw.strip()


_positive_int.__name__ = "positive integer"
_positive_float.__name__ = "positive number"
_non_negative_float.__name__ = "number (0 or more)"
_policy.__name__ = "scheduler (deadline or fifo)"
_bool.__name__ = "boolean (true or false)"
_voice_list.__name__ = "comma-separated list of voices"
_wyoming_uri.__name__ = "tcp://HOST:PORT address (or empty: off)"
parse_voices_url.__name__ = "URL (http://, https:// or file://) or folder"
_non_negative_int.__name__ = "whole number (0 or more)"
_origin_list.__name__ = "comma-separated list of origins like https://app.example (or *)"
_address_list.__name__ = "comma-separated list of IP addresses or networks (or *)"

_CASTS: dict[str, Callable[[str], Any]] = {
    "host": str,
    "port": int,
    "max_text_chars": _positive_int,
    "idle_timeout": float,
    "threads": _positive_int,
    "lone_threads": _positive_int,
    "synthesis_workers": _positive_int,
    "preload": _voice_list,
    "log_level": str,
    "store": str,
    "lease_ttl": _positive_float,
    "workers": _positive_int,
    "drain_timeout": float,
    "scheduler": _policy,
    "admission": _bool,
    "utilization": _positive_float,
    "busy_wait": _non_negative_float,
    "ws_deflate": _bool,
    "playground": _bool,
    "failed_auth_limit": _non_negative_int,
    "key_cache_ttl": _non_negative_float,
    "cors_origins": _origin_list,
    "forwarded_allow_ips": _address_list,
    "wyoming": _wyoming_uri,
    "wyoming_units": _positive_int,
    "wyoming_voice": str,
    "wyoming_pronunciation_dicts": _voice_list,
    "wyoming_zeroconf": _bool,
    "wyoming_zeroconf_name": str,
    "max_loaded_voices": _positive_int,
    "voices_url": parse_voices_url,
    "dict_max_items": _positive_int,
    "dict_max_per_key": _positive_int,
    "dict_max_word_chars": _positive_int,
    "dict_max_pronunciation_chars": _positive_int,
}


def _parse_aliases(raw: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for item in raw.split(","):
        if not item.strip():
            continue
        name, sep, target = item.partition("=")
        if not sep or not name.strip() or not target.strip():
            raise ConfigError(
                f"Config 'VOICEWIRE_ALIASES' has item {item!r}. Expected 'waves_id=local_voice', comma-separated."
            )
        out[name.strip()] = target.strip()
    return out


def _file_aliases(path: Path) -> dict[str, str]:
    if not path.is_file():
        return {}
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"Cannot read {str(path)!r}: {exc}.") from None
    table = data.get("aliases", {})
    if not isinstance(table, dict) or not all(isinstance(v, str) for v in table.values()):
        raise ConfigError(f"{str(path)!r}: [aliases] must map voice ids to voice ids (strings).")
    return {str(k): v for k, v in table.items()}
