"""Services: what the endpoints share, built once per process in the app's lifespan."""

from __future__ import annotations

from dataclasses import dataclass, field

from starlette.requests import HTTPConnection

from voicewire.auth.store import KeyStore
from voicewire.config import Settings
from voicewire.engines.catalog import Catalog
from voicewire.server.auth import Authenticator
from voicewire.synthesis.pool import SynthesisPool

__all__ = ["Services", "services"]


@dataclass
class Services:
    settings: Settings
    catalog: Catalog
    store: KeyStore
    pool: SynthesisPool
    auth: Authenticator = field(init=False)
    ready: bool = False
    """True once the preloaded voices are loaded."""

    def __post_init__(self) -> None:
        self.auth = Authenticator(self.store)


def services(conn: HTTPConnection) -> Services:
    found: Services = conn.app.state.services
    return found
