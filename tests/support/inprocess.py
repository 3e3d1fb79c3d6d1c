"""The real app on uvicorn on a real socket, in this process, with a real engine wrapped in a recorder."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Callable, Coroutine, Sequence
from pathlib import Path
from typing import Any, TypeVar

from voicewire.auth.store import MemoryStore
from voicewire.config import Settings
from voicewire.engines.base import Engine, EngineAudio, UnitStream, Utterance, VoiceInfo
from voicewire.engines.catalog import Catalog
from voicewire.runtime.runtime import Runtime
from voicewire.server.app import create_app
from voicewire.server.run import DrainingServer, uvicorn_config

T = TypeVar("T")


class RecordingEngine(Engine):
    """The real engine, plus a log of when each call started and which it was."""

    def __init__(self, inner: Engine) -> None:
        self.inner = inner
        self.name = inner.name
        self.sample_rate = inner.sample_rate
        self.starts: list[float] = []
        self.calls: list[str] = []

    def voices(self) -> Sequence[VoiceInfo]:
        return self.inner.voices()

    def load(self, voice_id: str) -> None:
        self.inner.load(voice_id)

    def synthesize(self, voice_id: str, utterance: Utterance) -> EngineAudio:
        self.starts.append(time.monotonic())
        self.calls.append("synthesize")
        return self.inner.synthesize(voice_id, utterance)

    def synthesize_blocks(self, voice_id: str, utterance: Utterance, *, batch: bool = False) -> UnitStream:
        self.starts.append(time.monotonic())
        self.calls.append("synthesize_blocks")
        return self.inner.synthesize_blocks(voice_id, utterance, batch=batch)


class InProcessServer:
    """``engine`` (recorded) and any ``more`` engines, with ``aliases``, served by the real app."""

    def __init__(
        self,
        engine: RecordingEngine,
        home: Path,
        *,
        units: int = 1,
        more: Sequence[Engine] = (),
        aliases: dict[str, str] | None = None,
        **settings_: Any,
    ) -> None:
        self.engine = engine
        store = MemoryStore()
        record, self.key = store.create("flow", units)
        self.key_id = record.key_id
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        settings = Settings(home=home, preload=(), max_text_chars=20_000, aliases=aliases or {}, port=self.port,
                            log_level="warning", **settings_)  # fmt: skip
        self.runtime = Runtime(settings, catalog=Catalog([engine, *more], aliases or {}), store=store)
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

    def in_loop(self, make: Callable[[], Coroutine[Any, Any, T]], timeout: float = 30) -> T:
        """Run a coroutine in the server's event loop and wait for its result."""
        loop = self.server.servers[0].get_loop()

        async def wrapped() -> T:
            return await make()

        return asyncio.run_coroutine_threadsafe(wrapped(), loop).result(timeout=timeout)

    def tasks(self) -> int:
        """Live asyncio tasks in the server's event loop (asked from inside the loop)."""

        async def count() -> int:
            return len(asyncio.all_tasks()) - 1  # not this one

        return self.in_loop(count, timeout=5)

    def idle(self) -> bool:
        """Nothing queued or running on the synthesis workers, no stream admitted, no socket open."""
        pool = self.runtime.pool
        return pool.scheduler.busy == 0 and pool.scheduler.queued == 0 and pool.capacity.streams == 0 and not (
            self.runtime.connections
        )

    def wait_synthesis_paused(self, timeout: float = 20) -> None:
        """Polls until the workers have had nothing to do for five polls in a row (a stream paused
        because its client does not read)."""
        scheduler = self.runtime.pool.scheduler
        deadline = time.monotonic() + timeout
        quiet = 0
        while quiet < 5:
            assert time.monotonic() < deadline, "synthesis never paused"
            quiet = quiet + 1 if scheduler.busy == 0 and scheduler.queued == 0 else 0
            time.sleep(0.05)

    def wait_idle(self, timeout: float = 10) -> None:
        """Polls ``idle`` (a condition, not a guess at how long things take)."""
        deadline = time.monotonic() + timeout
        while not self.idle():
            assert time.monotonic() < deadline, "the server is still busy"
            time.sleep(0.02)
