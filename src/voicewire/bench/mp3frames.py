"""How many samples an MPEG layer III stream holds, from its frame headers (no decoding).

The load benchmark's player needs to know how much audio each chunk of an mp3 stream carries, as it
arrives; counting frames does that for a few microseconds per chunk.
"""

from __future__ import annotations

__all__ = ["FrameCounter"]

_BITRATES = {  # kbps by bitrate index: MPEG-1 layer III, MPEG-2/2.5 layer III
    1: (0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320),
    2: (0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160),
}
_RATES = {3: (44100, 48000, 32000), 2: (22050, 24000, 16000), 0: (11025, 12000, 8000)}  # by version bits


class FrameCounter:
    """Feed stream bytes in any pieces; ``feed`` returns the samples of the frames they completed."""

    def __init__(self) -> None:
        self._buffer = bytearray()

    def feed(self, data: bytes) -> int:
        self._buffer += data
        samples = 0
        buf = self._buffer
        i = 0
        while i + 4 <= len(buf):
            if buf[i] != 0xFF or (buf[i + 1] & 0xE0) != 0xE0:
                i += 1  # not a frame start (ID3 or junk): skip
                continue
            version = (buf[i + 1] >> 3) & 0x3
            layer = (buf[i + 1] >> 1) & 0x3
            bitrate_index = buf[i + 2] >> 4
            rate_index = (buf[i + 2] >> 2) & 0x3
            if version == 1 or layer != 1 or bitrate_index in (0, 15) or rate_index == 3:
                i += 1
                continue
            mpeg1 = version == 3
            bitrate = _BITRATES[1 if mpeg1 else 2][bitrate_index] * 1000
            rate = _RATES[version][rate_index]
            padding = (buf[i + 2] >> 1) & 0x1
            length = (144 if mpeg1 else 72) * bitrate // rate + padding
            if i + length > len(buf):
                break  # the rest of this frame has not arrived
            samples += 1152 if mpeg1 else 576
            i += length
        del buf[:i]
        return samples
