"""The real app on uvicorn on a real socket, in this process, with a real engine wrapped in a recorder."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from voicewire.auth.store import MemoryStore
from voicewire.config import Settings
from voicewire.engines.base import Engine, EngineAudio, Utterance, VoiceInfo
from voicewire.engines.catalog import Catalog
from voicewire.runtime.runtime import Runtime
from voicewire.server.app import create_app
from voicewire.server.run import DrainingServer, uvicorn_config


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

    def synthesize(self, voice_id: str, utterance: Utterance) -> EngineAudio:
        self.starts.append(time.monotonic())
        return self.inner.synthesize(voice_id, utterance)


class InProcessServer:
    def __init__(self, engine: RecordingEngine, home: Path, *, units: int = 1, **settings_: Any) -> None:
        self.engine = engine
        store = MemoryStore()
        record, self.key = store.create("flow", units)
        self.key_id = record.key_id
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        settings = Settings(home=home, preload=(), max_text_chars=20_000, aliases={}, port=self.port,
                            log_level="warning", **settings_)  # fmt: skip
        self.runtime = Runtime(settings, catalog=Catalog([engine], {}), store=store)
        self.server = DrainingServer(uvicorn_config(settings, create_app(self.runtime)), self.runtime)
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

    def tasks(self) -> int:
        """Live asyncio tasks in the server's event loop (asked from inside the loop)."""
        loop = self.server.servers[0].get_loop()

        async def count() -> int:
            return len(asyncio.all_tasks()) - 1  # not this one

        return asyncio.run_coroutine_threadsafe(count(), loop).result(timeout=5)
