"""The graph cut and the window plan, on small graphs built here (the real voice is in test_piper.py)."""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np
import onnxruntime as ort
import pytest
from onnx import TensorProto, helper, numpy_helper

from voicewire.engines.piper_graph import (
    CONTEXT,
    FIRST_FRAMES,
    MAX_FRAMES,
    SECOND_GROWTH,
    decoder_input,
    split,
    windows,
)


def vits_like(*, conditioned: bool = False, scoped: bool = True) -> Any:
    """ids-like input x [1, 2, T] -> "flow" -> latent -> "decoder" (a conv with a 3-frame reach) -> audio,
    and durations from a Ceil, as Piper exposes them."""
    dec = "/dec/" if scoped else "/other/"
    nodes = [
        helper.make_node("Mul", ["x", "two"], ["/Mul_7_output_0"], name="/Mul_7"),
        helper.make_node(
            "Conv", ["/Mul_7_output_0", "w"], ["/dec/conv_output"], name=f"{dec}conv_pre/Conv", pads=[3, 3]
        ),
        helper.make_node("Tanh", ["/dec/conv_output"], ["/dec/tanh_output"], name=f"{dec}Tanh"),
        helper.make_node("Unsqueeze", ["/dec/tanh_output", "axes"], ["output"], name="/Unsqueeze_11"),
        helper.make_node("Ceil", ["x"], ["/Ceil_output_0"], name="/Ceil"),
    ]
    inputs = [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 2, "T"])]
    if conditioned:  # a multi-speaker decoder also reads the speaker embedding
        inputs.append(helper.make_tensor_value_info("g", TensorProto.FLOAT, [1, 1, 1]))
        nodes[2] = helper.make_node("Add", ["/dec/conv_output", "g"], ["/dec/cond_output"], name=f"{dec}cond/Add")
        nodes.insert(3, helper.make_node("Tanh", ["/dec/cond_output"], ["/dec/tanh_output"], name=f"{dec}Tanh"))
    rng = np.random.default_rng(0)
    graph = helper.make_graph(
        nodes,
        "vits-like",
        inputs,
        [
            helper.make_tensor_value_info("output", TensorProto.FLOAT, None),
            helper.make_tensor_value_info("/Ceil_output_0", TensorProto.FLOAT, None),
        ],
        initializer=[
            numpy_helper.from_array(np.float32(2.0).reshape(1), "two"),
            numpy_helper.from_array(rng.standard_normal((1, 2, 7)).astype(np.float32), "w"),
            numpy_helper.from_array(np.asarray([1], np.int64), "axes"),
        ],
    )
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 15)], ir_version=8)


def run(model: Any, feeds: dict[str, np.ndarray]) -> list[np.ndarray]:
    session = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    return [np.asarray(x) for x in session.run(None, feeds)]


def test_the_decoder_input_is_found() -> None:
    assert decoder_input(vits_like()) == "/Mul_7_output_0"


@pytest.mark.parametrize("model", [vits_like(conditioned=True), vits_like(scoped=False)],
                         ids=["decoder-with-two-inputs", "no-decoder-scope"])  # fmt: skip
def test_no_cut_when_the_decoder_is_not_one_input_away(model: Any) -> None:
    assert decoder_input(model) is None
    assert split(model) is None


def test_the_halves_compose_to_the_whole() -> None:
    model = vits_like()
    x = np.random.default_rng(1).standard_normal((1, 2, 50)).astype(np.float32)
    audio, durations = run(model, {"x": x})
    cut = split(model)
    assert cut is not None and cut.latent == "/Mul_7_output_0"
    latent, front_durations = run(cut.front, {"x": x})
    (decoded,) = run(cut.decoder, {cut.latent: latent})
    np.testing.assert_array_equal(front_durations, durations)
    np.testing.assert_allclose(decoded, audio, atol=1e-6)
    # and the window plan rebuilds it: this decoder reaches 3 frames, well within the context
    parts = [run(cut.decoder, {cut.latent: latent[:, :, w.lo : w.hi]})[0][..., w.start - w.lo : w.end - w.lo]
             for w in windows(50, first=8)]  # fmt: skip
    np.testing.assert_allclose(np.concatenate(parts, axis=-1), audio, atol=1e-6)


@pytest.mark.parametrize("frames", [1, 31, 64, 65, 100, 241, 700, 3000])
def test_windows_cover_every_frame_once_with_context(frames: int) -> None:
    plan = list(windows(frames))
    assert plan[0].start == 0 and plan[-1].end == frames
    for a, b in itertools.pairwise(plan):
        assert a.end == b.start
        assert b.end - b.start >= a.end - a.start or b.end == frames
    for w in plan:
        assert w.lo == max(0, w.start - CONTEXT) and w.hi == min(frames, w.end + CONTEXT)
        assert w.end - w.start <= MAX_FRAMES + MAX_FRAMES // 2 + CONTEXT
    if frames > 2 * FIRST_FRAMES:
        assert plan[0].end == FIRST_FRAMES  # the first audio comes from a small window
    if len(plan) > 1:  # the second is made while the first plays: small too, whatever the unit's length
        second = FIRST_FRAMES * SECOND_GROWTH
        assert plan[1].end - plan[1].start <= second + second // 2 + CONTEXT
    else:
        assert len(plan) == 1  # a short unit costs no more decoded whole than its first window would


@pytest.mark.parametrize("frames", [1, 31, 64, 65, 100, 241, 700, 3000])
def test_batch_windows_hurry_only_the_first_and_take_the_rest_in_the_largest(frames: int) -> None:
    plan = list(windows(frames, rest=MAX_FRAMES))
    assert plan[0].start == 0 and plan[-1].end == frames
    assert [(w.start, w.end) for w in plan[:1]] == [(w.start, w.end) for w in list(windows(frames))[:1]]
    for a, b in itertools.pairwise(plan):
        assert a.end == b.start
        assert b.end - b.start >= MAX_FRAMES or b.end == frames
    assert len(plan) <= 1 + -(-(frames - plan[0].end) // MAX_FRAMES)  # no more windows than the largest need
    if frames == 241:  # a sentence of 2.8 s: its first window, then all the rest in one
        assert [(w.start, w.end) for w in plan] == [(0, FIRST_FRAMES), (FIRST_FRAMES, 241)]
