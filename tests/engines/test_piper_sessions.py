"""Graphs split into a shared structure and their own weights (``engines.piper_sessions``), on small
graphs made here: ``y = (x @ W + b) * scale`` with ``W`` and ``b`` the weights."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto, helper, numpy_helper

from voicewire.engines.piper_sessions import SessionPool, read_graph


def graph(weight: np.ndarray, bias: np.ndarray, *, scale: float = 2.0, doc: str = "", axes: int = 1) -> bytes:
    nodes = [
        helper.make_node("MatMul", ["x", "W"], ["xw"]),
        helper.make_node("Add", ["xw", "b"], ["xwb"]),
        helper.make_node("Mul", ["xwb", "scale"], ["scaled"]),
        helper.make_node("Unsqueeze", ["scaled", "axes"], ["y"]),
    ]
    initializers = [
        numpy_helper.from_array(weight.astype(np.float32), "W"),
        numpy_helper.from_array(bias.astype(np.float32), "b"),
        numpy_helper.from_array(np.asarray(scale, np.float32), "scale"),  # a scalar: part of the structure
        numpy_helper.from_array(np.asarray([axes], np.int64), "axes"),  # an integer: part of it too
    ]
    body = helper.make_graph(
        nodes, "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)], initializers,
    )  # fmt: skip
    model = helper.make_model(body, opset_imports=[helper.make_opsetid("", 17)], doc_string=doc)
    model.ir_version = 8
    helper.set_model_props(model, {"voice": doc})
    return bytes(model.SerializeToString())


RNG = np.random.default_rng(7)
W1, B1 = RNG.standard_normal((3, 4)), RNG.standard_normal(4)
W2, B2 = RNG.standard_normal((3, 4)), RNG.standard_normal(4)
X = np.asarray([[0.5, -1.0, 2.0]], np.float32)


def same(ours: np.ndarray, theirs: np.ndarray) -> None:
    # Not to the bit: with its weights constant, onnxruntime may fuse MatMul and Add (on joe's graphs
    # the samples come out equal to the bit).
    np.testing.assert_allclose(ours, theirs, rtol=1e-6, atol=1e-6)


def plain(model: bytes) -> np.ndarray:
    session = ort.InferenceSession(model, providers=["CPUExecutionProvider"])
    return np.asarray(session.run(None, {"x": X})[0])


def test_the_weights_become_inputs_and_scalars_and_integers_stay() -> None:
    parts = read_graph(graph(W1, B1))
    assert set(parts.weights) == {"W", "b"}
    structure = onnx.load_from_string(parts.structure)
    assert {t.name for t in structure.graph.initializer} == {"scale", "axes"}
    assert [i.name for i in structure.graph.input] == ["x", "W", "b"]
    assert parts.folder is None


def test_graphs_that_differ_in_weights_or_wording_share_a_structure_and_others_do_not() -> None:
    first = read_graph(graph(W1, B1, doc="first voice"))
    assert read_graph(graph(W2, B2, doc="second voice")).digest == first.digest
    assert read_graph(graph(W1, B1, scale=3.0)).digest != first.digest
    assert read_graph(graph(W1, B1, axes=0)).digest != first.digest


def test_each_graph_runs_with_its_own_weights_on_one_shared_session() -> None:
    pool = SessionPool()
    (one,) = pool.open([read_graph(graph(W1, B1))], threads=1)
    (two,) = pool.open([read_graph(graph(W2, B2))], threads=1)
    assert one.session is two.session
    assert [i.name for i in one.get_inputs()] == ["x"]
    same(one.run(None, {"x": X})[0], plain(graph(W1, B1)))
    same(two.run(["y"], {"x": X})[0], plain(graph(W2, B2)))
    (wide,) = pool.open([read_graph(graph(W2, B2))], threads=2)
    assert wide.session is not one.session and wide.get_session_options().intra_op_num_threads == 2


def test_opened_builds_nothing() -> None:
    pool = SessionPool()
    parts = [read_graph(graph(W1, B1))]
    assert pool.opened(parts, 1) is None
    pool.open(parts, 1)
    again = pool.opened([read_graph(graph(W2, B2))], 1)
    assert again is not None and again[0].session is pool.open(parts, 1)[0].session
    assert pool.opened(parts, 2) is None


def test_a_structure_is_kept_in_onnxruntime_format_beside_the_graph_and_opened_from_it(tmp_path: Path) -> None:
    path = tmp_path / "voice.front.onnx"
    path.write_bytes(graph(W1, B1))
    parts = read_graph(str(path))
    assert parts.folder == tmp_path
    SessionPool().open([parts], 1)
    (saved,) = tmp_path.glob("structure-*.ort")
    assert saved.name == f"structure-{parts.digest}.{ort.__version__}.ort"
    assert not list(tmp_path.glob(".*.tmp"))
    before = saved.stat().st_mtime_ns
    (session,) = SessionPool().open([parts], 1)  # another process: opens the saved copy
    assert saved.stat().st_mtime_ns == before
    same(session.run(None, {"x": X})[0], plain(graph(W1, B1)))
    saved.write_bytes(b"damaged")
    (rebuilt,) = SessionPool().open([parts], 1)
    same(rebuilt.run(None, {"x": X})[0], plain(graph(W1, B1)))
