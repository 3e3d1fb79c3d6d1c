"""Encoders, checked by independent decoders: wave, soundfile, miniaudio and the stdlib audioop."""

from __future__ import annotations

import io
import struct
import warnings
import wave
from collections.abc import Callable

import miniaudio
import numpy as np
import numpy.typing as npt
import pytest
import soundfile

from voicewire.audio.encoders import (
    MP3_BITRATES,
    Encoder,
    make_encoder,
    wav_file,
    wav_stream_header,
)
from voicewire.audio.formats import CONTENT_TYPES, FORMATS, MP3_SAMPLE_RATES
from voicewire.audio.pcm import float_to_pcm16, lin2alaw, lin2ulaw, pcm16_to_float

with warnings.catch_warnings():
    # The independent G.711 reference: stdlib on 3.11/3.12, where importing it warns (also when
    # pytest runs with -W error, which overrides pyproject's filter); audioop-lts on 3.13+.
    warnings.simplefilter("ignore", DeprecationWarning)
    import audioop

RATES = [8000, 22050, 44100]
ALL_INT16 = np.arange(-32768, 32768, dtype=np.int16)
LAME_DELAY = 1105  # encoder delay (576) + decoder delay (529) that LAME streams start with


def _tone(rate: int, seconds: float, freq: float = 440.0, amplitude: float = 0.5) -> npt.NDArray[np.float32]:
    t = np.arange(int(rate * seconds)) / rate
    return (amplitude * np.sin(2 * np.pi * freq * t)).astype(np.float32)


def _random_chunks(x: npt.NDArray[np.float32], seed: int = 0) -> list[npt.NDArray[np.float32]]:
    rng = np.random.default_rng(seed)
    chunks, pos = [], 0
    while pos < x.size:
        size = int(rng.choice([0, 1, 5, 100, 577, 1152, 3000]))
        chunks.append(x[pos : pos + size])
        pos += size
    return chunks


def _stream(encoder: Encoder, chunks: list[npt.NDArray[np.float32]]) -> bytes:
    return encoder.header() + b"".join(encoder.encode(c) for c in chunks) + encoder.finish()


def _dominant_frequency(x: npt.NDArray[np.float64], rate: int) -> float:
    return float(np.argmax(np.abs(np.fft.rfft(x * np.hanning(x.size)))) * rate / x.size)


# --- float -> s16le -------------------------------------------------------------------------------


def test_pcm16_clips_rounds_and_is_little_endian() -> None:
    x = np.array([0.0, 1.0, -1.0, 1.5, -7.0, 0.6 / 32767, -0.6 / 32767, 0.4 / 32767, 0.5, np.nan], np.float32)
    expected = struct.pack("<10h", 0, 32767, -32767, 32767, -32767, 1, -1, 0, 16384, 0)
    assert make_encoder("pcm", 16000).encode(x) == expected
    assert float_to_pcm16(x).tobytes() == expected
    assert float_to_pcm16(np.array([1.0], np.float32)).tobytes() == b"\xff\x7f"


def test_pcm16_does_not_modify_its_input() -> None:
    x = np.array([2.0, -0.5], np.float32)
    float_to_pcm16(x)
    assert x.tolist() == [2.0, -0.5]


def test_pcm16_round_trip_is_within_half_a_step() -> None:
    x = np.random.default_rng(0).uniform(-1, 1, 10000).astype(np.float32)
    assert np.max(np.abs(pcm16_to_float(float_to_pcm16(x).tobytes()) - x)) <= 0.5 / 32767 + 1e-7


# --- G.711 ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("ours", "reference", "decode"),
    [(lin2ulaw, audioop.lin2ulaw, audioop.ulaw2lin), (lin2alaw, audioop.lin2alaw, audioop.alaw2lin)],
)
def test_g711_is_bit_exact_with_audioop_for_every_int16(
    ours: Callable[[npt.NDArray[np.int16]], npt.NDArray[np.uint8]],
    reference: Callable[[bytes, int], bytes],
    decode: Callable[[bytes, int], bytes],
) -> None:
    pcm = ALL_INT16.astype("<i2").tobytes()
    encoded = ours(ALL_INT16).tobytes()
    assert encoded == reference(pcm, 2)
    # Decoding back lands within G.711's quantization: 4 mantissa bits, so ~1/32 of the magnitude.
    decoded = np.frombuffer(decode(encoded, 2), "<i2").astype(np.int64)
    inside = np.abs(ALL_INT16.astype(np.int64)) <= 32000  # mu-law saturates at 32124
    error = np.abs(decoded - ALL_INT16)[inside]
    assert np.all(error <= np.abs(ALL_INT16.astype(np.int64))[inside] / 32 + 16)


@pytest.mark.parametrize(("fmt", "reference"), [("mulaw", audioop.lin2ulaw), ("alaw", audioop.lin2alaw)])
def test_g711_encoder_matches_audioop_on_floats(fmt: str, reference: Callable[[bytes, int], bytes]) -> None:
    x = np.random.default_rng(1).uniform(-1.2, 1.2, 5000).astype(np.float32)
    assert make_encoder(fmt, 8000).encode(x) == reference(float_to_pcm16(x).tobytes(), 2)


# --- WAV ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("rate", RATES)
def test_wav_file_has_exact_sizes_and_reads_back(rate: int) -> None:
    pcm = float_to_pcm16(_tone(rate, 0.3)).tobytes()
    data = wav_file(pcm, rate)
    assert len(data) == 44 + len(pcm)
    riff_size, data_size = struct.unpack_from("<I", data, 4)[0], struct.unpack_from("<I", data, 40)[0]
    assert (riff_size, data_size) == (len(data) - 8, len(pcm))
    with wave.open(io.BytesIO(data)) as w:
        assert (w.getnchannels(), w.getsampwidth(), w.getframerate()) == (1, 2, rate)
        assert w.getnframes() == len(pcm) // 2
        assert w.readframes(w.getnframes()) == pcm


def test_wav_file_of_no_audio_is_valid() -> None:
    with wave.open(io.BytesIO(wav_file(b"", 16000))) as w:
        assert w.getnframes() == 0


def test_wav_file_rejects_odd_byte_count() -> None:
    with pytest.raises(ValueError, match="even"):
        wav_file(b"\x00\x01\x02", 8000)


@pytest.mark.parametrize("rate", RATES)
def test_wav_stream_reads_to_end_of_data(rate: int) -> None:
    header = wav_stream_header(rate)
    assert len(header) == 44
    assert struct.unpack_from("<I", header, 4)[0] == struct.unpack_from("<I", header, 40)[0] == 0xFFFFFFFF
    x = _tone(rate, 0.5)
    data = _stream(make_encoder("wav", rate), _random_chunks(x))
    pcm = float_to_pcm16(x).tobytes()
    assert data == header + pcm
    # stdlib wave believes the header (nframes = 0xFFFFFFFF // 2) but reads up to the end of data.
    with wave.open(io.BytesIO(data)) as w:
        assert (w.getnchannels(), w.getsampwidth(), w.getframerate()) == (1, 2, rate)
        assert w.getnframes() == 0x7FFFFFFF
        assert w.readframes(w.getnframes()) == pcm
    # libsndfile (soundfile) notices the size is past the end and reports the true length.
    decoded, decoded_rate = soundfile.read(io.BytesIO(data), dtype="int16")
    assert decoded_rate == rate
    assert decoded.tobytes() == pcm


# --- MP3 ------------------------------------------------------------------------------------------


def test_mp3_bitrate_table_covers_exactly_the_mp3_rates() -> None:
    assert sorted(MP3_BITRATES) == sorted(MP3_SAMPLE_RATES)


@pytest.mark.parametrize("rate", MP3_SAMPLE_RATES)
def test_mp3_stream_of_small_chunks_decodes_as_one_stream(rate: int) -> None:
    x = _tone(rate, 1.0)
    data = _stream(make_encoder("mp3", rate), _random_chunks(x))
    # Chunking is invisible: the bytes equal one encode() of the whole signal.
    whole = make_encoder("mp3", rate)
    assert data == whole.encode(x) + whole.finish()

    # mp3_read_s16 decodes at the stream's own rate; miniaudio.decode() would convert to 44.1 kHz
    # stereo by default and so could not show a wrong stream rate.
    decoded = miniaudio.mp3_read_s16(data)
    assert (decoded.sample_rate, decoded.nchannels) == (rate, 1)
    frame = 1152 if rate >= 32000 else 576  # samples per frame: MPEG-1 vs MPEG-2/2.5
    assert x.size + LAME_DELAY <= decoded.num_frames <= x.size + LAME_DELAY + frame
    # Constant bit rate: the size matches the bit rate over the decoded duration (within a frame).
    expected_bytes = MP3_BITRATES[rate] * 1000 / 8 * decoded.num_frames / rate
    assert abs(len(data) - expected_bytes) <= MP3_BITRATES[rate] * 1000 / 8 * frame / rate + 1
    samples = np.frombuffer(decoded.samples, np.int16).astype(np.float64)[LAME_DELAY : LAME_DELAY + x.size]
    assert _dominant_frequency(samples, rate) == pytest.approx(440, abs=2)
    assert np.max(np.abs(samples)) / 32767 == pytest.approx(0.5, abs=0.05)


def test_mp3_holds_back_samples_until_a_frame_is_full() -> None:
    encoder = make_encoder("mp3", 24000)
    assert encoder.encode(_tone(24000, 0.001)) == b""
    assert encoder.encode(np.zeros(0, np.float32)) == b""
    assert len(encoder.finish()) > 0


@pytest.mark.parametrize("rate", MP3_SAMPLE_RATES)
def test_mp3_stream_of_no_audio_is_short_silence(rate: int) -> None:
    decoded = miniaudio.mp3_read_s16(make_encoder("mp3", rate).finish())
    assert decoded.sample_rate == rate
    assert 0 < decoded.num_frames <= LAME_DELAY + 1152
    assert not any(decoded.samples)


# --- every format ---------------------------------------------------------------------------------


def _decode(fmt: str, data: bytes, rate: int) -> npt.NDArray[np.float64]:
    """Decode a whole stream with a decoder that is not ours; samples scaled to [-1, 1]."""
    if fmt == "pcm":
        pcm = data
    elif fmt == "wav":
        decoded, decoded_rate = soundfile.read(io.BytesIO(data), dtype="int16")
        assert decoded_rate == rate
        pcm = decoded.tobytes()
    elif fmt in ("mulaw", "alaw"):
        pcm = (audioop.ulaw2lin if fmt == "mulaw" else audioop.alaw2lin)(data, 2)
    else:
        decoded_mp3 = miniaudio.mp3_read_s16(data)
        assert decoded_mp3.sample_rate == rate
        pcm = decoded_mp3.samples.tobytes()[2 * LAME_DELAY :]
    return np.frombuffer(pcm, "<i2").astype(np.float64) / 32767


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("rate", RATES)
def test_concatenated_stream_is_one_valid_file(fmt: str, rate: int) -> None:
    x = _tone(rate, 0.8, amplitude=0.7)
    encoder = make_encoder(fmt, rate)
    assert (encoder.content_type, encoder.sample_rate) == (CONTENT_TYPES[fmt], rate)
    decoded = _decode(fmt, _stream(encoder, _random_chunks(x, seed=rate)), rate)
    assert decoded.size >= x.size
    assert _dominant_frequency(decoded[: x.size], rate) == pytest.approx(440, abs=2)
    if fmt != "mp3":  # sample-exact formats: the signal itself comes back
        tolerance = 0.5 / 32767 if fmt in ("pcm", "wav") else 0.7 / 32 + 16 / 32767
        assert decoded.size == x.size
        assert np.max(np.abs(decoded - x)) <= tolerance + 1e-7


@pytest.mark.parametrize("fmt", FORMATS)
def test_encoder_serves_one_stream(fmt: str) -> None:
    encoder = make_encoder(fmt, 8000)
    assert encoder.encode(np.zeros(0, np.float32)) == b""
    encoder.finish()
    with pytest.raises(RuntimeError, match="finished"):
        encoder.encode(_tone(8000, 0.1))
    with pytest.raises(RuntimeError, match="finished"):
        encoder.finish()


@pytest.mark.parametrize("fmt", FORMATS)
def test_encoders_reject_multichannel_input(fmt: str) -> None:
    with pytest.raises(ValueError, match="1-D"):
        make_encoder(fmt, 16000).encode(np.zeros((100, 2), np.float32))


@pytest.mark.parametrize(
    ("fmt", "rate", "message"),
    [
        ("ulaw", 8000, "Unknown audio format"),  # aliases are resolved by the caller
        ("ogg", 8000, "Unknown audio format"),
        ("pcm", 7999, "outside"),
        ("wav", 48000, "outside"),
        ("mp3", 16001, "MP3 cannot use"),
        ("mp3", 44100.0, "integer"),
    ],
)
def test_make_encoder_rejects_what_it_cannot_produce(fmt: str, rate: int, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        make_encoder(fmt, rate)


def test_any_integer_rate_works_for_sample_formats() -> None:
    for fmt in ("pcm", "wav", "mulaw", "alaw"):
        assert make_encoder(fmt, 12345).sample_rate == 12345
