"""Sample-level conversions: float32 <-> signed 16-bit PCM, and 16-bit PCM -> G.711 mu-law / A-law.

Every encoder goes through :func:`float_to_pcm16`, so clipping and rounding are decided in one place.
The G.711 functions are bit-exact with the ITU/Sun reference that Python's ``audioop.lin2ulaw`` and
``audioop.lin2alaw`` implement for 16-bit input; they use a 65536-entry lookup table (64 KiB per law,
built on first use) because ``audioop`` is gone from Python 3.13 and a table lookup is the fastest
vectorized form anyway.
"""

from __future__ import annotations

from functools import cache

import numpy as np
import numpy.typing as npt

__all__ = ["float_to_pcm16", "lin2alaw", "lin2ulaw", "pcm16_to_float"]

_SCALE = 32767.0
"""Full scale. 32767 (not 32768) keeps +1.0 and -1.0 symmetric: -1.0 -> -32767, never -32768."""


def float_to_pcm16(samples: npt.ArrayLike) -> npt.NDArray[np.int16]:
    """Convert float samples in [-1, 1] to signed 16-bit little-endian samples.

    Values outside [-1, 1] are clipped (an engine overshooting must not wrap around to the
    opposite sign), then scaled by 32767 and rounded to the nearest integer (ties to even),
    not truncated, so the error is at most half a step and has no DC bias. NaN becomes 0.

    Args:
        samples: 1-D mono samples, any float dtype (converted to float32).

    Returns:
        A new 1-D array of dtype ``<i2``; ``.tobytes()`` is s16le PCM on any host.

    Raises:
        ValueError: If ``samples`` is not one-dimensional.
    """
    x = np.asarray(samples, dtype=np.float32)
    if x.ndim != 1:
        raise ValueError(f"Expected 1-D mono samples, got an array of shape {x.shape!r}.")
    y = np.clip(x, -1.0, 1.0)  # a fresh array: the caller's buffer is never modified
    np.nan_to_num(y, copy=False, nan=0.0)  # before the cast, where NaN would be undefined
    y *= _SCALE
    np.rint(y, out=y)
    return y.astype("<i2")


def pcm16_to_float(pcm: bytes | npt.NDArray[np.int16]) -> npt.NDArray[np.float32]:
    """Convert s16le bytes (or an int16 array) to float32 samples, the inverse of :func:`float_to_pcm16`.

    Args:
        pcm: Little-endian 16-bit mono PCM bytes, or an int16 array.

    Returns:
        A new float32 array; -32768 maps slightly below -1.0 (to -32768/32767).

    Raises:
        ValueError: If ``pcm`` is bytes of odd length.
    """
    if isinstance(pcm, bytes | bytearray | memoryview):
        if len(pcm) % 2:
            raise ValueError(f"16-bit PCM needs an even number of bytes, got {len(pcm)}.")
        pcm = np.frombuffer(pcm, dtype="<i2")
    return pcm.astype(np.float32) / np.float32(_SCALE)


def lin2ulaw(pcm16: npt.NDArray[np.int16]) -> npt.NDArray[np.uint8]:
    """Encode 16-bit samples as G.711 mu-law bytes (same result as ``audioop.lin2ulaw(data, 2)``).

    Args:
        pcm16: 1-D int16 samples.

    Returns:
        One uint8 per sample.
    """
    return _ulaw_table()[_as_index(pcm16)]


def lin2alaw(pcm16: npt.NDArray[np.int16]) -> npt.NDArray[np.uint8]:
    """Encode 16-bit samples as G.711 A-law bytes (same result as ``audioop.lin2alaw(data, 2)``).

    Args:
        pcm16: 1-D int16 samples.

    Returns:
        One uint8 per sample.
    """
    return _alaw_table()[_as_index(pcm16)]


def _as_index(pcm16: npt.NDArray[np.int16]) -> npt.NDArray[np.uint16]:
    # Reinterpreting the bits as uint16 turns every int16 into a table index with no arithmetic.
    return np.asarray(pcm16, dtype=np.int16).view(np.uint16)


def _all_int16_by_index() -> npt.NDArray[np.int32]:
    """Every int16 value, placed at the index that its uint16 bit pattern has."""
    return np.arange(65536, dtype=np.uint16).view(np.int16).astype(np.int32)


def _segment(magnitude: npt.NDArray[np.int32], segment_ends: tuple[int, ...]) -> npt.NDArray[np.intp]:
    """The reference ``search()``: the first segment whose end is >= magnitude (8 if none)."""
    return np.searchsorted(np.asarray(segment_ends), magnitude, side="left")


@cache
def _ulaw_table() -> npt.NDArray[np.uint8]:
    # Sun's g711.c st_14linear2ulaw, applied to the 14-bit value audioop passes (sample >> 2).
    pcm = _all_int16_by_index() >> 2  # arithmetic shift, as in C
    mask = np.where(pcm < 0, 0x7F, 0xFF)
    magnitude = np.minimum(np.abs(pcm), 8159) + 33  # CLIP, then BIAS >> 2
    seg = _segment(magnitude, (0x3F, 0x7F, 0xFF, 0x1FF, 0x3FF, 0x7FF, 0xFFF, 0x1FFF))
    code = (seg << 4) | ((magnitude >> (seg + 1)) & 0xF)
    code = np.where(seg >= 8, 0x7F, code)  # past the last segment: the reference returns the maximum
    return ((code ^ mask) & 0xFF).astype(np.uint8)


@cache
def _alaw_table() -> npt.NDArray[np.uint8]:
    # Sun's g711.c st_linear2alaw, applied to the 13-bit value audioop passes (sample >> 3).
    pcm = _all_int16_by_index() >> 3
    negative = pcm < 0
    mask = np.where(negative, 0x55, 0xD5)  # even-bit inversion; sign bit set for >= 0
    magnitude = np.where(negative, -pcm - 1, pcm)
    seg = _segment(magnitude, (0x1F, 0x3F, 0x7F, 0xFF, 0x1FF, 0x3FF, 0x7FF, 0xFFF))
    shift = np.maximum(seg, 1)  # segments 0 and 1 share the same step size
    code = (seg << 4) | ((magnitude >> shift) & 0xF)
    code = np.where(seg >= 8, 0x7F, code)
    return ((code ^ mask) & 0xFF).astype(np.uint8)
