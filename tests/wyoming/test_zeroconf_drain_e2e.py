"""``serve --workers 2 --wyoming tcp://<interface>:PORT --wyoming-zeroconf``: the service is seen by a
zeroconf browser as Home Assistant browses for it, both processes serve the shared port, and SIGTERM
drains an open stream before the listener closes. One server for the module (the last test stops it)."""

from __future__ import annotations

import asyncio
import signal
import socket
import threading
from collections.abc import Iterator

import pytest
from wyoming.client import AsyncTcpClient
from wyoming.event import Event
from wyoming.info import Describe, Info
from wyoming.tts import SynthesizeChunk, SynthesizeStart, SynthesizeStop, SynthesizeVoice
from zeroconf import ServiceBrowser, ServiceInfo, ServiceStateChange, Zeroconf

from support.server import RunningServer, free_port, start_server
from support.wyoming_client import Groups, read_until

SERVICE = "_wyoming._tcp.local."


def interface_address() -> str:
    """The IPv4 address mDNS leaves this machine by (the test needs a multicast-capable interface)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.connect(("224.0.0.251", 5353))
        return str(probe.getsockname()[0])


class Browser:
    """A zeroconf browser for ``_wyoming._tcp`` in this process, as Home Assistant runs one."""

    def __init__(self) -> None:
        self.zeroconf = Zeroconf()
        self.changes: list[tuple[str, ServiceStateChange]] = []
        self.changed = threading.Condition()
        self.browser = ServiceBrowser(self.zeroconf, SERVICE, handlers=[self._on_change])

    def _on_change(self, zeroconf: Zeroconf, service_type: str, name: str, state_change: ServiceStateChange) -> None:
        with self.changed:
            self.changes.append((name, state_change))
            self.changed.notify_all()

    def wait_for(self, name: str, change: ServiceStateChange, timeout: float = 15.0) -> None:
        with self.changed:
            assert self.changed.wait_for(lambda: (name, change) in self.changes, timeout), self.changes

    def close(self) -> None:
        self.browser.cancel()
        self.zeroconf.close()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    found = Browser()
    yield found
    found.close()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, browser: Browser) -> Iterator[tuple[RunningServer, str, int, str]]:
    address, port = interface_address(), free_port()
    name = f"voicewire-test-{port}"
    env = {"VOICEWIRE_PRELOAD": "heart", "VOICEWIRE_WYOMING_ZEROCONF_NAME": name, "VOICEWIRE_DRAIN_TIMEOUT": "20"}
    running = start_server(tmp_path_factory.mktemp("wyoming-zc"), "--workers", "2", "--wyoming",
                           f"tcp://{address}:{port}", "--wyoming-zeroconf", extra_env=env)  # fmt: skip
    try:
        yield running, address, port, name
    finally:
        running.stop()


def test_the_service_is_advertised_and_answers_describe(
    server: tuple[RunningServer, str, int, str], browser: Browser
) -> None:
    _, address, port, name = server
    full = f"{name}.{SERVICE}"
    browser.wait_for(full, ServiceStateChange.Added)
    info = ServiceInfo(SERVICE, full)
    assert info.request(browser.zeroconf, 5000)
    assert (info.parsed_addresses(), info.port) == ([address], port)

    async def describe(host: str, at: int) -> Info:  # what Home Assistant does with what it found
        async with AsyncTcpClient(host, at) as c:
            await c.write_event(Describe().event())
            event = (await read_until(c, "info"))[-1]
            assert event is not None
            return Info.from_event(event)

    async def many() -> list[Info]:  # several connections: the two processes share the port
        return await asyncio.wait_for(asyncio.gather(*(describe(address, port) for _ in range(6))), 30)

    answers = asyncio.run(many())
    assert {a.tts[0].name for a in answers} == {"voicewire"}


def test_sigterm_lets_an_open_stream_finish_then_stops_listening(
    server: tuple[RunningServer, str, int, str], browser: Browser
) -> None:
    running, address, port, name = server

    async def run() -> tuple[list[Event | None], bool]:
        async with AsyncTcpClient(address, port) as c:
            await c.write_event(SynthesizeStart(voice=SynthesizeVoice(name="heart")).event())
            await c.write_event(SynthesizeChunk(text="The first sentence is spoken at once. ").event())
            first = await read_until(c, "audio-chunk", "error")
            running.process.send_signal(signal.SIGTERM)
            await asyncio.sleep(1.0)  # the server is draining now
            refused = await _refused(address, port)
            await c.write_event(SynthesizeChunk(text="The second one still belongs to the open stream.").event())
            await c.write_event(SynthesizeStop().event())
            rest = await read_until(c, "synthesize-stopped", "error")
            rest.append(await asyncio.wait_for(c.read_event(), 30))  # then the server closes the connection
        return first + rest, refused

    events, refused = asyncio.run(run())
    assert refused
    assert events[-1] is None and events[-2] is not None and events[-2].type == "synthesize-stopped"
    groups = Groups()
    for event in events[:-2]:
        assert event is not None
        groups.add(event)
    assert groups.starts == groups.stops == 1 and len(groups.samples()) / groups.rate > 3.0
    assert running.process.wait(timeout=60) == 0
    assert "Traceback" not in running.output()
    browser.wait_for(f"{name}.{SERVICE}", ServiceStateChange.Removed)


async def _refused(host: str, port: int) -> bool:
    """A new connection is not served: refused outright, or answered ``error`` (shutting down) and closed."""
    try:
        async with AsyncTcpClient(host, port) as c:
            await c.write_event(Describe().event())
            events = await read_until(c, "info", "error")
    except OSError:
        return True
    return [e.type if e else None for e in events][:1] in (["error"], [None])
