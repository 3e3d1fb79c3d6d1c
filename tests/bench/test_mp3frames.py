from __future__ import annotations

import miniaudio
import numpy as np

from voicewire.audio.encoders import make_encoder
from voicewire.bench.mp3frames import FrameCounter


def test_counts_the_samples_of_a_stream_fed_in_pieces() -> None:
    encoder = make_encoder("mp3", 24000)
    tone = (0.3 * np.sin(np.arange(24000 * 3) * 2 * np.pi * 220 / 24000)).astype(np.float32)
    stream = encoder.header() + b"".join(encoder.encode(tone[i : i + 999]) for i in range(0, tone.size, 999))
    stream += encoder.finish()
    counter = FrameCounter()
    counted = sum(counter.feed(stream[i : i + 700]) for i in range(0, len(stream), 700))
    decoded = miniaudio.mp3_read_s16(stream)
    # The decoder drops LAME's Info frame and encoder delay; the frame count includes them.
    assert decoded.sample_rate == 24000
    assert 0 <= counted - len(decoded.samples) <= 2 * 576 + 1105


def test_incomplete_frames_wait_and_junk_is_skipped() -> None:
    encoder = make_encoder("mp3", 44100)
    stream = encoder.encode(np.zeros(44100, np.float32)) + encoder.finish()
    counter = FrameCounter()
    assert counter.feed(b"ID3junk" + stream[:10]) == 0
    assert counter.feed(stream[10:]) >= 44100
