"""Services: what the endpoints share, built once per process in the app's lifespan."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from starlette.requests import HTTPConnection

from voicewire.auth.limits import Limiter
from voicewire.auth.store import Store
from voicewire.config import Settings
from voicewire.engines.catalog import Catalog
from voicewire.server.auth import Authenticator
from voicewire.synthesis.pool import SynthesisPool

__all__ = ["LiveConnection", "Services", "services"]


class LiveConnection(Protocol):
    def drain(self) -> None:
        """Refuse new turns; close with 1001 once the running turn is over."""

    def close_now(self) -> None:
        """Close with 1001 at once, cancelling synthesis."""


@dataclass(eq=False)  # one per process, compared by identity
class Services:
    settings: Settings
    catalog: Catalog
    store: Store
    pool: SynthesisPool
    auth: Authenticator = field(init=False)
    limiter: Limiter = field(init=False)
    ready: bool = False
    """True once the preloaded voices are loaded."""
    draining: bool = False
    """True once a shutdown began: new work is refused, running turns finish."""
    connections: set[LiveConnection] = field(default_factory=set)

    def __post_init__(self) -> None:
        self.auth = Authenticator(self.store, failed_auth_limit=self.settings.failed_auth_limit)
        self.limiter = Limiter(self.store, ttl=self.settings.lease_ttl)

    # -- draining (voicewire.server.drain) ---------------------------------------------------------
    @property
    def drain_timeout(self) -> float:
        return self.settings.drain_timeout

    def live_connections(self) -> int:
        return len(self.connections)

    def begin_drain(self) -> None:
        self.draining = True
        for connection in list(self.connections):
            connection.drain()

    def close_all(self) -> None:
        for connection in list(self.connections):
            connection.close_now()


def services(conn: HTTPConnection) -> Services:
    found: Services = conn.app.state.services
    return found
