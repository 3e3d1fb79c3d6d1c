"""Stateful sample-rate conversion for streams that arrive one unit (clause, sentence) at a time.

Engines speak at 24000 or 22050 Hz; clients ask for any rate from 8000 to 44100 Hz. A turn is
resampled by one :class:`StreamResampler` so the filter state carries across unit boundaries:
resampling each unit separately would put a filter edge (a click, and a few lost or extra samples)
at every join.

Quality is soxr ``HQ`` (20-bit precision, passband to 91% of Nyquist). Measured per second of
audio, 24000 -> 44100 Hz: 0.2-0.36 ms with ``HQ`` against 0.28-0.47 ms with ``VHQ`` (about 3000-4800x
vs 2100-3500x real time per core). ``VHQ`` buys nothing audible here: ``HQ``'s error on a test tone
is ~4e-7, about 75x below one step of the 16-bit output (3e-5), and aliases stay below -140 dB.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import soxr

__all__ = ["QUALITY", "StreamResampler", "resample"]

QUALITY = "HQ"
"""The soxr quality recipe used for every conversion (see the module docstring for why)."""

_EMPTY: npt.NDArray[np.float32] = np.zeros(0, dtype=np.float32)


class StreamResampler:
    """Resample one mono float32 stream, chunk by chunk, with no discontinuity at the joins.

    Feeding a signal through :meth:`process` in any chunking (including empty and one-sample chunks)
    and then calling :meth:`flush` gives the same samples as resampling it in one piece, and about
    ``len(input) * out_rate / in_rate`` of them: nothing is dropped or duplicated. Output lags input
    by the filter delay; :meth:`flush` returns the tail that is still held back.

    One instance is one stream: after :meth:`flush` it is finished, and calling :meth:`process` or
    :meth:`flush` again raises ``RuntimeError``. Make a new instance for the next turn (construction
    costs about 0.1 ms).

    When ``in_rate == out_rate`` it is an exact pass-through with no filter and no delay.
    """

    def __init__(self, in_rate: int, out_rate: int) -> None:
        """Create a resampler.

        Args:
            in_rate: Sample rate of the samples given to :meth:`process`, in Hz.
            out_rate: Sample rate of the samples returned, in Hz.

        Raises:
            ValueError: If a rate is not a positive integer.
        """
        for name, rate in (("in_rate", in_rate), ("out_rate", out_rate)):
            if isinstance(rate, bool) or not isinstance(rate, int) or rate <= 0:
                raise ValueError(f"{name} must be a positive integer number of Hz, got {rate!r}.")
        self.in_rate = in_rate
        self.out_rate = out_rate
        self._finished = False
        self._stream: soxr.ResampleStream | None = None
        if in_rate != out_rate:
            self._stream = soxr.ResampleStream(in_rate, out_rate, 1, dtype="float32", quality=QUALITY)

    @property
    def finished(self) -> bool:
        """True once :meth:`flush` has been called."""
        return self._finished

    def process(self, samples: npt.ArrayLike) -> npt.NDArray[np.float32]:
        """Resample the next chunk of the stream.

        Args:
            samples: 1-D mono samples at ``in_rate`` (converted to float32 if needed); may be empty.

        Returns:
            The output samples that are ready, float32 at ``out_rate``. Usually slightly fewer than
            the chunk's share, because of the filter delay; may be empty. In pass-through mode this
            is the input itself when it already is a contiguous float32 array (no copy).

        Raises:
            ValueError: If ``samples`` is not one-dimensional.
            RuntimeError: If the stream was already flushed.
        """
        x = self._check(samples)
        if self._stream is None or x.size == 0:
            # An empty chunk cannot produce output; skipping soxr avoids a call per empty unit.
            return x
        out: npt.NDArray[np.float32] = self._stream.resample_chunk(x)  # soxr is untyped
        return out

    def flush(self) -> npt.NDArray[np.float32]:
        """End the stream and return the samples still held back by the filter.

        Returns:
            The final float32 samples at ``out_rate`` (empty in pass-through mode).

        Raises:
            RuntimeError: If the stream was already flushed.
        """
        self._check(_EMPTY)
        self._finished = True
        if self._stream is None:
            return _EMPTY.copy()
        tail: npt.NDArray[np.float32] = self._stream.resample_chunk(_EMPTY, last=True)
        self._stream = None  # releases the soxr state now rather than with this object
        return tail

    def _check(self, samples: npt.ArrayLike) -> npt.NDArray[np.float32]:
        if self._finished:
            raise RuntimeError("This StreamResampler was flushed; create a new one for a new stream.")
        # soxr needs a contiguous float32 buffer; this is a no-op when the engine already gives one.
        x = np.ascontiguousarray(samples, dtype=np.float32)
        if x.ndim != 1:
            raise ValueError(f"Expected 1-D mono samples, got an array of shape {x.shape!r}.")
        return x

    def __repr__(self) -> str:
        state = "finished" if self._finished else "open"
        return f"StreamResampler(in_rate={self.in_rate}, out_rate={self.out_rate}, {state})"


def resample(samples: npt.ArrayLike, in_rate: int, out_rate: int) -> npt.NDArray[np.float32]:
    """Resample a whole signal at once; equal to one :meth:`StreamResampler.process` plus ``flush``.

    Args:
        samples: 1-D mono samples at ``in_rate``.
        in_rate: Input sample rate in Hz.
        out_rate: Output sample rate in Hz.

    Returns:
        float32 samples at ``out_rate``; the input itself when the rates are equal and it already
        is a contiguous float32 array.
    """
    stream = StreamResampler(in_rate, out_rate)
    head = stream.process(samples)
    tail = stream.flush()
    return head if tail.size == 0 else np.concatenate([head, tail])
