"""``--wyoming-zeroconf``: advertise the Wyoming listener as ``_wyoming._tcp`` on the local network.

Home Assistant browses for ``_wyoming._tcp.local.``, connects to the host and port of what it finds,
sends ``describe`` and offers to add the service (its unique id is the service name plus the program
name, so the name must stay the same across restarts: it defaults to ``voicewire-<host name>``).
As the ``wyoming`` package's ``HomeAssistantZeroconf`` does, the service carries one address and no
TXT properties; unlike it, a listener on every interface (``0.0.0.0``) advertises the address of the
interface that multicast leaves by, never ``0.0.0.0``, and a listener on loopback is refused at
start: nobody else could connect to what it would advertise.

``Advertisement`` uses python-zeroconf's threaded API: the supervisor of ``--workers N`` (no event
loop) advertises once for all its processes; a single process calls it through ``asyncio.to_thread``.
"""

from __future__ import annotations

import ipaddress
import logging
import socket

from voicewire.exceptions import ConfigError

__all__ = ["SERVICE_TYPE", "Advertisement", "advertised_address", "default_name"]

logger = logging.getLogger("voicewire.wyoming")

SERVICE_TYPE = "_wyoming._tcp.local."
_MDNS_GROUP = "224.0.0.251"


def default_name() -> str:
    """``voicewire-<host name>``: stable across restarts, and different on each machine."""
    return f"voicewire-{socket.gethostname().split('.')[0]}"[:63]


def advertised_address(host: str) -> str:
    """The address to advertise for a listener bound to ``host``.

    Raises:
        ConfigError: ``host`` is a loopback address (or a name for one), or cannot be resolved.
    """
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        try:
            ip = ipaddress.ip_address(socket.gethostbyname(host))
        except OSError as exc:
            raise ConfigError(f"Cannot resolve the Wyoming host {host!r} to advertise it: {exc}.") from None
    if ip.is_loopback:
        raise ConfigError(
            f"--wyoming-zeroconf advertises the Wyoming listener to the local network, but it listens on {host} "
            "(this machine only). Listen on an interface: --wyoming tcp://0.0.0.0:10200 (every interface) or "
            "tcp://<this machine's address>:10200. Wyoming has no authentication: anyone on that network can use it."
        )
    if ip.is_unspecified:
        return _multicast_interface_address()
    return str(ip)


def _multicast_interface_address() -> str:
    """The IPv4 address of the interface that mDNS traffic leaves by (no packet is sent)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect((_MDNS_GROUP, 5353))
        except OSError as exc:
            raise ConfigError(
                f"No network interface can reach the mDNS group {_MDNS_GROUP} ({exc}); --wyoming-zeroconf needs one."
            ) from None
        return str(probe.getsockname()[0])


class Advertisement:
    """One service announced until ``close`` (blocking calls: run them off the event loop)."""

    def __init__(self, name: str, address: str, port: int) -> None:
        self.name = name
        self.address = address
        self.port = port
        self._zeroconf: object | None = None
        self._info: object | None = None

    def open(self) -> None:
        """Announce the service (probes the network for the name first: about a second)."""
        from zeroconf import IPVersion, ServiceInfo, Zeroconf

        ip = ipaddress.ip_address(self.address)
        info = ServiceInfo(SERVICE_TYPE, f"{self.name}.{SERVICE_TYPE}", addresses=[ip.packed], port=self.port)
        zc = Zeroconf(ip_version=IPVersion.V4Only if ip.version == 4 else IPVersion.All)
        try:
            zc.register_service(info, allow_name_change=True)
        except BaseException:
            zc.close()
            raise
        self._zeroconf, self._info = zc, info
        logger.info("= Wyoming listener advertised as %r (%s:%d)", info.name, self.address, self.port)

    def close(self) -> None:
        """Withdraw the service (a goodbye packet) and stop the responder. Idempotent."""
        from zeroconf import ServiceInfo, Zeroconf

        zc, info, self._zeroconf, self._info = self._zeroconf, self._info, None, None
        if isinstance(zc, Zeroconf):
            try:
                if isinstance(info, ServiceInfo):
                    zc.unregister_service(info)
            finally:
                zc.close()
