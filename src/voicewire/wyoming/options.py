"""The Wyoming options of ``voicewire serve`` (each maps to the ``Settings`` field of its name)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import click

__all__ = ["wyoming_options"]

F = TypeVar("F", bound=Callable[..., Any])


def wyoming_options(command: F) -> F:
    """Adds ``--wyoming``, ``--wyoming-zeroconf``, ``--wyoming-units`` and ``--wyoming-voice``."""
    options = [
        click.option("--wyoming", default=None, metavar="tcp://HOST:PORT",
                     help="Also serve Home Assistant's Wyoming protocol there, e.g. tcp://127.0.0.1:10200. It has no "
                     "authentication: keep it on loopback or a trusted network. Env: VOICEWIRE_WYOMING."),
        click.option("--wyoming-zeroconf", is_flag=True, default=None,
                     help="Advertise the Wyoming listener as _wyoming._tcp (mDNS) so Home Assistant finds it "
                     "(needs a non-loopback --wyoming address). Env: VOICEWIRE_WYOMING_ZEROCONF."),
        click.option("--wyoming-units", type=click.IntRange(min=1), default=None,
                     help="Wyoming turns synthesized at once (default 4; 5 connections per unit). "
                     "Env: VOICEWIRE_WYOMING_UNITS."),
        click.option("--wyoming-voice", default=None,
                     help="Voice of a Wyoming request that names none (default heart). Env: VOICEWIRE_WYOMING_VOICE."),
    ]  # fmt: skip
    for option in reversed(options):
        command = option(command)
    return command
