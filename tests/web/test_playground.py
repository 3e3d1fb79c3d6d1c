"""The playground in a real headless Chromium (Debian's ``chromium``, driven by Playwright) against a
real server: the page loads, speaks over the live WebSocket, plays, highlights words and offers the
audio for download, without a JavaScript error."""

from __future__ import annotations

import io
import shutil
import struct
import wave
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, ConsoleMessage, Page, sync_playwright

from support.server import RunningServer, start_server

TEXT = "Hello from voicewire. Every word here was spoken on this machine."
SHOTS = Path(__file__).resolve().parents[2] / "artifacts"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    running = start_server(tmp_path_factory.mktemp("web-home"), units=4)
    yield running
    running.stop()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    chromium = shutil.which("chromium")
    assert chromium, "Debian's chromium is needed for the playground tests: apt-get install chromium"
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=chromium,
            # Root in a container has no user namespace for the sandbox; audio may start without a
            # gesture (the test clicks anyway); nothing reaches out to the network.
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--autoplay-policy=no-user-gesture-required",
                "--disable-background-networking",
                "--disable-dev-shm-usage",
            ],
        )
        yield launched
        launched.close()


class Playground:
    """The page, with every JavaScript error and console error it produces."""

    def __init__(self, page: Page, server: RunningServer) -> None:
        self.page = page
        self.server = server
        self.problems: list[str] = []
        page.on("pageerror", lambda exc: self.problems.append(f"page error: {exc}"))
        page.on("console", self._console)
        page.goto(server.url + "/")

    def _console(self, message: ConsoleMessage) -> None:
        if message.type == "error":
            self.problems.append(f"console error: {message.text}")

    def load_voices(self, key: str) -> None:
        self.page.fill("#key", key)
        self.page.click("#load")

    def choose(self, *, voice: str, fmt: str = "pcm", rate: int = 24000, model: str = "lightning_v3.1") -> None:
        self.page.wait_for_selector("#speak:not([disabled])")
        self.page.select_option("#model", model)
        self.page.select_option("#voice", voice)
        self.page.select_option("#format", fmt)
        self.page.select_option("#rate", str(rate))

    def stats(self) -> dict[str, Any]:
        stats: dict[str, Any] = self.page.evaluate("() => window.voicewirePlayground.stats")
        return stats

    def wait_for(self, condition: str, timeout_ms: int = 60_000) -> None:
        self.page.wait_for_function(f"() => {{ const s = window.voicewirePlayground.stats; return {condition}; }}",
                                    timeout=timeout_ms)  # fmt: skip

    def download(self) -> bytes:
        """Clicks the download link, as a user would, and returns the file's bytes."""
        self.page.wait_for_selector("#download:not(.hidden)")
        with self.page.expect_download() as info:
            self.page.click("#download")
        return Path(info.value.path()).read_bytes()


@pytest.fixture
def playground(browser: Browser, server: RunningServer) -> Iterator[Playground]:
    page = browser.new_page()
    yield Playground(page, server)
    page.close()


def test_speak_streams_plays_highlights_and_downloads(playground: Playground, server: RunningServer) -> None:
    page = playground.page
    assert page.title() == "voicewire playground"
    playground.load_voices(server.key)
    playground.choose(voice="heart", fmt="pcm", rate=24000)
    page.fill("#text", TEXT)
    page.click("#speak")

    playground.wait_for("s.completes === 1")
    # Playback runs on the audio clock: a highlighted word means the context played past its start.
    playground.wait_for("s.highlighted >= 3")
    stats = playground.stats()
    assert stats["chunks"] >= 1 and stats["audioBytes"] > 24000 * 2  # more than a second of 16-bit audio
    assert stats["words"] == len(TEXT.split())
    assert isinstance(stats["ttfaMs"], int) and stats["ttfaMs"] >= 0
    assert page.inner_text("#ttfa") == f"{stats['ttfaMs']} ms"
    assert stats["scheduledSeconds"] == pytest.approx(stats["audioBytes"] / 2 / 24000, rel=1e-3)
    assert page.inner_text("#transcript").split() == TEXT.split()
    page.screenshot(path=str(_shot("playground.png")), full_page=True)

    with wave.open(io.BytesIO(playground.download())) as wav:
        assert (wav.getframerate(), wav.getsampwidth(), wav.getnchannels()) == (24000, 2, 1)
        assert wav.getnframes() * 2 == stats["audioBytes"]
    assert stats["errors"] == [] and playground.problems == []


@pytest.mark.parametrize(("fmt", "rate", "width"), [("wav", 16000, 2), ("mulaw", 8000, 1), ("alaw", 8000, 1)])
def test_other_formats_play_and_download_as_wav(
    playground: Playground, server: RunningServer, fmt: str, rate: int, width: int
) -> None:
    playground.load_voices(server.key)
    playground.choose(voice="heart", fmt=fmt, rate=rate)
    playground.page.fill("#text", "Formats are decoded in the page.")
    playground.page.click("#speak")
    playground.wait_for("s.completes === 1 && s.highlighted >= 1")
    stats = playground.stats()
    header = 44 if fmt == "wav" else 0
    assert stats["scheduledSeconds"] == pytest.approx((stats["audioBytes"] - header) / width / rate, rel=1e-3)
    data = playground.download()
    code, channels, file_rate, bits = struct.unpack("<HHI6xH", data[20:36])
    assert data[:4] == b"RIFF" and data[8:16] == b"WAVEfmt " and data[36:40] == b"data"
    assert (code, channels, file_rate, bits) == ({"wav": 1, "alaw": 6, "mulaw": 7}[fmt], 1, rate, 8 * width)
    assert struct.unpack("<I", data[40:44])[0] == len(data) - 44 == stats["audioBytes"] - header
    assert stats["errors"] == [] and playground.problems == []


def test_mp3_streams_through_media_source(playground: Playground, server: RunningServer) -> None:
    playground.load_voices(server.key)
    playground.choose(voice="magnus", fmt="mp3", rate=24000, model="lightning_v3.1_pro")
    playground.page.fill("#text", "An mp3 stream plays while it arrives.")
    playground.page.click("#speak")
    playground.wait_for("s.completes === 1 && s.highlighted >= 1")
    data = playground.download()
    assert data[:2] == b"\xff\xf3" or data[:2] == b"\xff\xfb" or data[:3] == b"ID3"
    assert playground.stats()["errors"] == [] and playground.problems == []


def test_live_typing_sends_text_as_it_is_typed(playground: Playground, server: RunningServer) -> None:
    page = playground.page
    playground.load_voices(server.key)
    playground.choose(voice="heart")
    page.check("#live")
    page.fill("#text", "")
    page.click("#text")
    for piece in ("Typed one ", "key at ", "a time. "):
        page.keyboard.type(piece, delay=15)
        page.wait_for_timeout(400)  # longer than the page's typing pause: this piece goes out alone
    page.keyboard.press("Enter")
    playground.wait_for("s.completes === 1")
    # Each piece went out alone with continue: true, then the flush; a busy machine may stall the
    # browser inside a piece past the typing pause, which splits that piece once more.
    assert playground.stats()["sent"] >= 4
    assert page.inner_text("#transcript").split() == ["Typed", "one", "key", "at", "a", "time."]
    assert playground.stats()["errors"] == [] and playground.problems == []


def test_a_wrong_key_is_named_on_the_page(playground: Playground) -> None:
    playground.load_voices("vw_not_a_real_key")
    playground.page.wait_for_selector("#status.error")
    assert "Invalid or revoked API key" in playground.page.inner_text("#status")
    assert playground.page.is_disabled("#speak")


def test_the_page_is_static_and_locked_to_its_own_origin(server: RunningServer) -> None:
    page = httpx.get(server.url + "/")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "connect-src 'self'" in page.headers["content-security-policy"]
    script = httpx.get(server.url + "/playground/playground.js")
    assert script.status_code == 200 and "javascript" in script.headers["content-type"]
    assert httpx.get(server.url + "/playground", follow_redirects=False).status_code == 308


def _shot(name: str) -> Path:
    SHOTS.mkdir(exist_ok=True)
    return SHOTS / name
