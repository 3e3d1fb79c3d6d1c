"""The real app on uvicorn on a real socket, in this process, with a real engine wrapped in a recorder."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import uvicorn

from voicewire.auth.store import MemoryStore
from voicewire.config import Settings
from voicewire.engines.base import Engine, EngineAudio, VoiceInfo
from voicewire.engines.catalog import Catalog
from voicewire.server.app import create_app
from voicewire.server.services import Services


class RecordingEngine(Engine):
    """The real engine, plus a log of when each call started."""

    def __init__(self, inner: Engine) -> None:
        self.inner = inner
        self.name = inner.name
        self.sample_rate = inner.sample_rate
        self.starts: list[float] = []

    def voices(self) -> Sequence[VoiceInfo]:
        return self.inner.voices()

    def load(self, voice_id: str) -> None:
        self.inner.load(voice_id)

    def synthesize(self, words: Sequence[str], voice_id: str, speed: float = 1.0) -> EngineAudio:
        self.starts.append(time.monotonic())
        return self.inner.synthesize(words, voice_id, speed)


class InProcessServer:
    def __init__(self, engine: RecordingEngine, home: Path, *, units: int = 1, **settings_: Any) -> None:
        self.engine = engine
        store = MemoryStore()
        record, self.key = store.create("flow", units)
        self.key_id = record.key_id
        settings = Settings(home=home, preload=(), max_text_chars=20_000, aliases={}, **settings_)
        app = self.app = create_app(settings, catalog=Catalog([engine], {}), store=store)
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        config = uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning", ws_max_size=4 << 20)
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> InProcessServer:
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            assert time.monotonic() < deadline, "server did not start"
            time.sleep(0.02)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=20)

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.key}"}

    @property
    def services(self) -> Services:
        svc: Services = self.app.state.services
        return svc

    def tasks(self) -> int:
        """Live asyncio tasks in the server's event loop (asked from inside the loop)."""
        loop = self.server.servers[0].get_loop()

        async def count() -> int:
            return len(asyncio.all_tasks()) - 1  # not this one

        return asyncio.run_coroutine_threadsafe(count(), loop).result(timeout=5)
