"""A Piper (VITS) graph cut in two at the decoder's input, so a unit can be decoded window by window.

A Piper voice is one ONNX graph: text encoder, duration predictor and flow, then the HiFi-GAN
decoder (the nodes of scope ``/dec/``), which turns the latent ``z`` ``[1, channels, frames]`` into
``hop`` samples per frame and costs about two thirds of a unit's time. The front-end (ids to ``z``
and the per-id durations) runs once per unit; the decoder can then run on windows of ``z``.

The decoder is a stack of convolutions, so a stretch of its output depends only on nearby frames:
decoding a window with ``CONTEXT`` frames of context on each side and keeping its center gives the
samples of a whole decode (within 1e-6 on joe; 8 frames of context were not enough: 2e-3). The
engine checks this once per voice when it loads, and decodes whole units if it does not hold.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

__all__ = ["BATCH_FIRST_FRAMES", "CONTEXT", "FIRST_FRAMES", "ONSET_FRAMES", "Split", "Window", "split", "windows"]

DECODER_SCOPE = "/dec/"
CONTEXT = 16
"""Frames of context decoded on each side of a window and thrown away."""
FIRST_FRAMES = 32
"""Frames in a unit's first window (about 0.37 s at 22050 Hz): small, so the first audio is early."""
SECOND_GROWTH = 2
"""The second window is this many times the first: it is decoded while the first one plays (0.37 s)
and a client waits for its first frame meanwhile. At 4x (up to 168 frames with a short sentence's
tail) it took 180-350 ms on one thread beside the first window's render, and voice-agent clients
saw no frame for that long (``bench live``, Piper, 14 turns: a gap over 150 ms in 9 of them)."""
GROWTH = 4
"""Each window after the second is this many times the one before: fewer calls, less context
decoded twice."""
MAX_FRAMES = 512
BATCH_FIRST_FRAMES = 16
"""Frames in the first window of a unit nobody plays in real time (a sync body): that window only
gets the first bytes out, and nothing has to be decoded while it plays, so it can be half a stream's
(its context frames cost the same)."""
ONSET_FRAMES = 8
"""A batch unit's first window covers the model's lead (the silence before the first phoneme) and
this many frames more, so it holds the onset of the speech, which is what makes it worth sending."""


@dataclass(frozen=True)
class Split:
    """The two halves of a voice's graph (``onnx.ModelProto``)."""

    front: Any
    """Graph inputs to ``(latent, durations)``."""
    decoder: Any
    """``latent`` to audio."""
    latent: str
    """Name of the decoder's input tensor."""


@dataclass(frozen=True)
class Window:
    """Frames ``[start, end)`` of the latent are decoded from ``[lo, hi)``: context included."""

    lo: int
    start: int
    end: int
    hi: int


def decoder_input(model: Any) -> str | None:
    """The one tensor that the decoder's nodes read from the rest of the graph, or None when the
    graph has no ``/dec/`` scope or its decoder takes more than one input (a multi-speaker voice
    conditions it on the speaker too)."""
    produced_by = {out: node for node in model.graph.node for out in node.output}
    constants = {t.name for t in model.graph.initializer}
    outside: list[str] = []
    for node in model.graph.node:
        if not node.name.startswith(DECODER_SCOPE):
            continue
        for name in node.input:
            source = produced_by.get(name)
            if not name or name in constants or (source is not None and source.name.startswith(DECODER_SCOPE)):
                continue
            if source is not None and source.op_type == "Constant":
                continue
            if name not in outside:
                outside.append(name)
    return outside[0] if len(outside) == 1 else None


def split(model: Any) -> Split | None:
    """``model`` (with its durations exposed as a second output) cut at the decoder's input, or None
    if it has no single decoder input."""
    import onnx
    from onnx.utils import Extractor

    latent = decoder_input(model)
    if latent is None:
        return None
    audio, durations = model.graph.output[0].name, model.graph.output[1].name
    known = {v.name for v in (*model.graph.value_info, *model.graph.output, *model.graph.input)}
    if latent not in known or durations not in known:
        model = onnx.shape_inference.infer_shapes(model)
    extractor = Extractor(model)
    inputs = [i.name for i in model.graph.input]
    return Split(
        front=extractor.extract_model(inputs, [latent, durations]),
        decoder=extractor.extract_model([latent], [audio]),
        latent=latent,
    )


def windows(frames: int, first: int = FIRST_FRAMES, rest: int | None = None) -> Iterator[Window]:
    """The windows that decode ``frames`` frames of latent: ``first`` frames, then growing ones (or,
    given ``rest``, windows of that many frames: for audio nobody plays while it is made, where only
    the first window is hurried and each window more costs its context frames).

    A window takes the rest of the unit when that is at most half a window more than its context
    would decode anyway: one more window would cost more in context than it saves in waiting.
    """
    start, size = 0, first
    while start < frames:
        end = start + size
        if frames - end <= size // 2 + CONTEXT:
            end = frames
        yield Window(max(0, start - CONTEXT), start, end, min(frames, end + CONTEXT))
        grown = min(size * (SECOND_GROWTH if start == 0 else GROWTH), MAX_FRAMES)
        start, size = end, grown if rest is None else rest
