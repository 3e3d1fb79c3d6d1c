"""Independent decoders for every output format (never voicewire's own code)."""

from __future__ import annotations

import io
import warnings
import wave

import miniaudio
import numpy as np
import numpy.typing as npt

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    import audioop  # stdlib up to 3.12; the audioop-lts package from 3.13


def decode(data: bytes, fmt: str, rate: int) -> tuple[npt.NDArray[np.float32], int]:
    """Samples in [-1, 1] and the sample rate the stream itself declares (or ``rate`` for raw formats)."""
    if fmt == "pcm":
        return np.frombuffer(data, "<i2").astype(np.float32) / 32768, rate
    if fmt == "wav":
        with wave.open(io.BytesIO(data)) as w:
            assert w.getnchannels() == 1 and w.getsampwidth() == 2
            frames = w.readframes(w.getnframes())
            return np.frombuffer(frames, "<i2").astype(np.float32) / 32768, w.getframerate()
    if fmt == "mp3":
        if not data:
            return np.zeros(0, np.float32), rate
        decoded = miniaudio.mp3_read_s16(data)
        assert decoded.nchannels == 1
        return np.asarray(decoded.samples, np.float32) / 32768, decoded.sample_rate
    if fmt in ("mulaw", "ulaw"):
        return np.frombuffer(audioop.ulaw2lin(data, 2), "<i2").astype(np.float32) / 32768, rate
    if fmt == "alaw":
        return np.frombuffer(audioop.alaw2lin(data, 2), "<i2").astype(np.float32) / 32768, rate
    raise ValueError(fmt)


def rms_db(x: npt.NDArray[np.float32]) -> float:
    return float(20 * np.log10(np.sqrt(np.mean(np.square(x, dtype=np.float64))) + 1e-12)) if x.size else -240.0
