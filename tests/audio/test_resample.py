"""StreamResampler: chunking never changes the result, lengths follow the rate ratio, frequencies survive."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pytest

from voicewire.audio.resample import StreamResampler, resample

RATE_PAIRS = [(24000, 44100), (24000, 8000), (22050, 16000), (22050, 44100), (24000, 24000)]

# soxr is deterministic and, measured, gives bit-identical output for any chunking. The tolerance
# still allows float32 rounding differences should a soxr version align its internal blocks with
# chunk edges: 1e-6 is ~30x below one 16-bit step (3e-5), so invisible after encoding, while a
# real join defect (a filter restart, a dropped sample) shows up as errors around 1e-1.
CHUNKING_ATOL = 1e-6


def _test_signal(rate: int, seconds: float, seed: int = 0) -> npt.NDArray[np.float32]:
    """Tones plus noise: broadband enough that any dropped or repeated sample is visible."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(rate * seconds)) / rate
    x = 0.4 * np.sin(2 * np.pi * 220 * t) + 0.2 * np.sin(2 * np.pi * 3100 * t) + 0.1 * rng.standard_normal(t.size)
    return x.astype(np.float32)


def _random_chunks(x: npt.NDArray[np.float32], seed: int) -> list[npt.NDArray[np.float32]]:
    """Split x into chunks of random sizes, including empty and one-sample chunks."""
    rng = np.random.default_rng(seed)
    chunks, pos = [], 0
    while pos < x.size:
        size = int(rng.choice([0, 1, 1, 2, 3, 64, 441, 1000, 4801]))
        chunks.append(x[pos : pos + size])
        pos += size
    return chunks


def _dominant_frequency(x: npt.NDArray[np.float32], rate: int) -> float:
    """Peak of the windowed spectrum, refined by parabolic interpolation on log magnitudes."""
    spectrum = np.abs(np.fft.rfft(x * np.hanning(x.size))) + 1e-12
    k = int(np.argmax(spectrum))
    a, b, c = np.log(spectrum[k - 1 : k + 2])
    offset = 0.5 * (a - c) / (a - 2 * b + c)
    return float((k + offset) * rate / x.size)


@pytest.mark.parametrize(("in_rate", "out_rate"), RATE_PAIRS)
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_chunked_equals_whole(in_rate: int, out_rate: int, seed: int) -> None:
    x = _test_signal(in_rate, 1.3, seed)
    whole = resample(x, in_rate, out_rate)

    stream = StreamResampler(in_rate, out_rate)
    parts = [stream.process(chunk) for chunk in _random_chunks(x, seed)]
    chunked = np.concatenate([*parts, stream.flush()])

    assert chunked.dtype == np.float32
    assert chunked.shape == whole.shape
    np.testing.assert_allclose(chunked, whole, rtol=0, atol=CHUNKING_ATOL)


@pytest.mark.parametrize(("in_rate", "out_rate"), RATE_PAIRS)
@pytest.mark.parametrize("n", [1, 2, 7, 1000, 24001, 33333])
def test_output_length_follows_rate_ratio(in_rate: int, out_rate: int, n: int) -> None:
    out = resample(_test_signal(in_rate, n / in_rate), in_rate, out_rate)
    assert abs(out.size - n * out_rate / in_rate) <= 2


@pytest.mark.parametrize(("in_rate", "out_rate"), RATE_PAIRS)
def test_sine_keeps_its_frequency(in_rate: int, out_rate: int) -> None:
    # A wrong-rate "resampler" (pass-through, or sample dropping without filtering) would shift the
    # tone to 440 * in_rate / out_rate, at least 40 Hz away for every pair here but the identity.
    t = np.arange(in_rate) / in_rate
    tone = (0.8 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)
    out = resample(tone, in_rate, out_rate)
    assert _dominant_frequency(out[200:-200], out_rate) == pytest.approx(440, abs=0.5)
    # Amplitude survives too: the steady part of a 440 Hz tone is far inside the passband.
    assert np.max(np.abs(out[200:-200])) == pytest.approx(0.8, abs=0.01)


def test_no_click_at_unit_joins() -> None:
    # A sine split at arbitrary points and resampled in pieces stays as smooth as the sine:
    # the largest step between neighbours is what a 440 Hz tone at 44.1 kHz allows.
    in_rate, out_rate = 24000, 44100
    t = np.arange(in_rate) / in_rate
    tone = (0.8 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)
    stream = StreamResampler(in_rate, out_rate)
    out = np.concatenate(
        [
            stream.process(tone[:5000]),
            stream.process(tone[5000:5001]),
            stream.process(tone[5001:]),
            stream.flush(),
        ]
    )
    steepest = 0.8 * 2 * np.pi * 440 / out_rate
    assert np.max(np.abs(np.diff(out[100:-100]))) <= steepest * 1.01


def test_same_rate_is_exact_pass_through_without_copy() -> None:
    x = _test_signal(24000, 0.1)
    stream = StreamResampler(24000, 24000)
    out = stream.process(x)
    assert out is x
    assert stream.flush().size == 0
    assert resample(x, 22050, 22050) is x


def test_pass_through_converts_other_dtypes() -> None:
    out = StreamResampler(16000, 16000).process(np.array([0.25, -0.5], dtype=np.float64))
    assert out.dtype == np.float32
    assert out.tolist() == [0.25, -0.5]


@pytest.mark.parametrize(("in_rate", "out_rate"), RATE_PAIRS)
def test_empty_stream_gives_nothing(in_rate: int, out_rate: int) -> None:
    stream = StreamResampler(in_rate, out_rate)
    assert stream.process(np.zeros(0, dtype=np.float32)).size == 0
    assert stream.flush().size == 0


def test_float64_input_equals_float32_input() -> None:
    x = _test_signal(22050, 0.2)
    np.testing.assert_array_equal(resample(x.astype(np.float64), 22050, 44100), resample(x, 22050, 44100))


@pytest.mark.parametrize(("in_rate", "out_rate"), [(24000, 44100), (24000, 24000)])
def test_stream_is_finished_after_flush(in_rate: int, out_rate: int) -> None:
    stream = StreamResampler(in_rate, out_rate)
    stream.process(_test_signal(in_rate, 0.01))
    assert not stream.finished
    stream.flush()
    assert stream.finished
    with pytest.raises(RuntimeError, match="flushed"):
        stream.process(_test_signal(in_rate, 0.01))
    with pytest.raises(RuntimeError, match="flushed"):
        stream.flush()


def test_rejects_multichannel_input() -> None:
    with pytest.raises(ValueError, match="1-D"):
        StreamResampler(24000, 8000).process(np.zeros((10, 2), dtype=np.float32))


@pytest.mark.parametrize("rate", [0, -8000, 8000.5, True])
def test_rejects_bad_rates(rate: object) -> None:
    with pytest.raises(ValueError, match="positive integer"):
        StreamResampler(24000, rate)  # type: ignore[arg-type]
