"""What ``--wyoming-zeroconf`` advertises: never loopback, never 0.0.0.0."""

from __future__ import annotations

import ipaddress

import pytest

from voicewire.exceptions import ConfigError
from voicewire.wyoming.zeroconf import advertised_address, default_name


@pytest.mark.parametrize("host", ["127.0.0.1", "127.0.1.1", "::1", "localhost"])
def test_a_loopback_listener_cannot_be_advertised(host: str) -> None:
    with pytest.raises(ConfigError, match=r"tcp://0\.0\.0\.0:10200"):
        advertised_address(host)


def test_a_listener_on_every_interface_advertises_a_real_address() -> None:
    address = ipaddress.ip_address(advertised_address("0.0.0.0"))
    assert address.version == 4 and not address.is_loopback and not address.is_unspecified
    assert advertised_address("192.0.2.77") == "192.0.2.77"
    assert default_name().startswith("voicewire-") and len(default_name()) <= 63
