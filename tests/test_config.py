from __future__ import annotations

from pathlib import Path

import pytest

from voicewire.config import DEFAULT_ALIASES, Settings, wyoming_address
from voicewire.exceptions import ConfigError


def env(values: dict[str, str]):  # type: ignore[no-untyped-def]
    return values.get


def test_defaults(tmp_path: Path) -> None:
    s = Settings.from_env(env({"VOICEWIRE_HOME": str(tmp_path)}))
    assert (s.host, s.port, s.max_text_chars, s.idle_timeout) == ("127.0.0.1", 8000, 10_000, 60.0)
    assert s.aliases == DEFAULT_ALIASES
    # The voice ids the official SDK, the agent plugins and the seeds use by default.
    assert {"magnus", "meher", "sophia", "brannock"} <= set(s.aliases)
    assert s.db_path == tmp_path / "voicewire.db"


def test_env_values_are_cast(tmp_path: Path) -> None:
    s = Settings.from_env(env({"VOICEWIRE_HOME": str(tmp_path), "VOICEWIRE_PORT": "9001",
                               "VOICEWIRE_MAX_TEXT_CHARS": "50", "VOICEWIRE_PRELOAD": "heart, joe"}))  # fmt: skip
    assert (s.port, s.max_text_chars, s.preload) == (9001, 50, ("heart", "joe"))


def test_overrides_win_and_none_falls_through(tmp_path: Path) -> None:
    s = Settings.from_env(env({"VOICEWIRE_HOME": str(tmp_path), "VOICEWIRE_PORT": "9001"}), port=None, host="0.0.0.0")
    assert (s.port, s.host) == (9001, "0.0.0.0")


@pytest.mark.parametrize(("name", "value"), [("VOICEWIRE_PORT", "eighty"), ("VOICEWIRE_THREADS", "0"),
                                             ("VOICEWIRE_MAX_TEXT_CHARS", "-5")])  # fmt: skip
def test_bad_env_values_name_the_variable(tmp_path: Path, name: str, value: str) -> None:
    with pytest.raises(ConfigError, match=f"'{name}' has value '{value}'"):
        Settings.from_env(env({"VOICEWIRE_HOME": str(tmp_path), name: value}))


def test_aliases_from_file_and_env(tmp_path: Path) -> None:
    (tmp_path / "config.toml").write_text('[aliases]\nmeher = "joe"\n', encoding="utf-8")
    s = Settings.from_env(env({"VOICEWIRE_HOME": str(tmp_path), "VOICEWIRE_ALIASES": "liam=joe, avery = heart"}))
    assert s.aliases == {**DEFAULT_ALIASES, "meher": "joe", "liam": "joe", "avery": "heart"}


@pytest.mark.parametrize("raw", ["justname", "=joe", "a="])
def test_bad_alias_items(tmp_path: Path, raw: str) -> None:
    with pytest.raises(ConfigError, match="VOICEWIRE_ALIASES"):
        Settings.from_env(env({"VOICEWIRE_HOME": str(tmp_path), "VOICEWIRE_ALIASES": raw}))


def test_bad_config_file(tmp_path: Path) -> None:
    (tmp_path / "config.toml").write_text("[aliases\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"config\.toml"):
        Settings.from_env(env({"VOICEWIRE_HOME": str(tmp_path)}))


def test_wyoming_is_off_unless_asked_and_its_settings_come_from_env(tmp_path: Path) -> None:
    s = Settings.from_env(env({"VOICEWIRE_HOME": str(tmp_path)}))
    assert (s.wyoming, s.wyoming_units, s.wyoming_zeroconf, s.wyoming_voice) == ("", 4, False, "heart")
    s = Settings.from_env(env({"VOICEWIRE_HOME": str(tmp_path), "VOICEWIRE_WYOMING": "tcp://0.0.0.0:10200",
                               "VOICEWIRE_WYOMING_UNITS": "16", "VOICEWIRE_WYOMING_ZEROCONF": "true",
                               "VOICEWIRE_WYOMING_PRONUNCIATION_DICTS": "a, b"}))  # fmt: skip
    assert (s.wyoming, s.wyoming_units, s.wyoming_zeroconf) == ("tcp://0.0.0.0:10200", 16, True)
    assert s.wyoming_pronunciation_dicts == ("a", "b")
    assert wyoming_address("tcp://127.0.0.1:10200") == ("127.0.0.1", 10200)
    assert wyoming_address("tcp://[::1]:10200") == ("::1", 10200)


@pytest.mark.parametrize("uri", ["127.0.0.1:10200", "tcp://127.0.0.1", "udp://127.0.0.1:1", "tcp://:10200",
                                 "tcp://127.0.0.1:99999", "tcp://127.0.0.1:10200/x"])  # fmt: skip
def test_a_bad_wyoming_address_is_refused_naming_the_form(tmp_path: Path, uri: str) -> None:
    with pytest.raises(ConfigError, match="tcp://HOST:PORT"):
        wyoming_address(uri)
    with pytest.raises(ConfigError, match="'VOICEWIRE_WYOMING' has value"):
        Settings.from_env(env({"VOICEWIRE_HOME": str(tmp_path), "VOICEWIRE_WYOMING": uri}))


def test_voice_settings(tmp_path: Path) -> None:
    s = Settings.from_env(env({"VOICEWIRE_HOME": str(tmp_path)}))
    assert (s.max_loaded_voices, s.voices_url) == (4, "https://huggingface.co")
    mirror = Settings.from_env(env({"VOICEWIRE_HOME": str(tmp_path), "VOICEWIRE_MAX_LOADED_VOICES": "12",
                                    "VOICEWIRE_VOICES_URL": "https://mirror.example/hub/"}))  # fmt: skip
    assert (mirror.max_loaded_voices, mirror.voices_url) == (12, "https://mirror.example/hub")
    folder = Settings.from_env(env({"VOICEWIRE_HOME": str(tmp_path), "VOICEWIRE_VOICES_URL": str(tmp_path / "m")}))
    assert folder.voices_url == (tmp_path / "m").as_uri()


@pytest.mark.parametrize(("name", "value", "allowed"), [
    ("VOICEWIRE_MAX_LOADED_VOICES", "0", "positive integer"),
    ("VOICEWIRE_VOICES_URL", "ftp://mirror", "URL (http://, https:// or file://) or folder"),
    ("VOICEWIRE_VOICES_URL", "https://", "URL (http://, https:// or file://) or folder"),
])  # fmt: skip
def test_bad_voice_settings_say_what_is_allowed(tmp_path: Path, name: str, value: str, allowed: str) -> None:
    with pytest.raises(ConfigError) as refused:
        Settings.from_env(env({"VOICEWIRE_HOME": str(tmp_path), name: value}))
    assert str(refused.value) == f"Config '{name}' has value '{value}'. Not a valid {allowed}."
