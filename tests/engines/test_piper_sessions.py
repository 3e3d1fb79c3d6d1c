"""Graphs opened as pieces of a structure shared by graphs that differ in their weights
(``engines.piper_sessions``), on small graphs made here: ``y = (x @ W + b) * scale``, then a chain of
``links`` Add/Mul steps with weights of their own."""

from __future__ import annotations

import numpy as np
import onnx
import onnxruntime as ort
import pytest
from onnx import TensorProto, helper, numpy_helper

from voicewire.engines import piper_sessions
from voicewire.engines.piper_sessions import SessionPool, read_graph


def graph(seed: int, *, scale: float = 2.0, doc: str = "", axes: int = 1, links: int = 0) -> bytes:
    rng = np.random.default_rng(seed)
    nodes = [
        helper.make_node("MatMul", ["x", "W"], ["xw"]),
        helper.make_node("Add", ["xw", "b"], ["t0"]),
    ]
    initializers = [
        numpy_helper.from_array(rng.standard_normal((3, 4)).astype(np.float32), "W"),
        numpy_helper.from_array(rng.standard_normal(4).astype(np.float32), "b"),
        numpy_helper.from_array(np.asarray(scale, np.float32), "scale"),  # a scalar: part of the structure
        numpy_helper.from_array(np.asarray([axes], np.int64), "axes"),  # an integer: part of it too
    ]
    for i in range(links):  # each step reads the one before and the first: two tensors cross most cuts
        nodes.append(helper.make_node("Mul" if i % 2 else "Add", [f"t{i}", f"k{i}"], [f"u{i}"]))
        nodes.append(helper.make_node("Add", [f"u{i}", "t0"], [f"t{i + 1}"]))
        initializers.append(numpy_helper.from_array(rng.standard_normal(4).astype(np.float32) / 4, f"k{i}"))
    nodes += [helper.make_node("Mul", [f"t{links}", "scale"], ["scaled"]),
              helper.make_node("Unsqueeze", ["scaled", "axes"], ["y"])]  # fmt: skip
    body = helper.make_graph(
        nodes, "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)], initializers,
    )  # fmt: skip
    model = helper.make_model(body, opset_imports=[helper.make_opsetid("", 17)], doc_string=doc)
    model.ir_version = 8
    helper.set_model_props(model, {"voice": doc})
    return bytes(model.SerializeToString())


X = np.asarray([[0.5, -1.0, 2.0]], np.float32)


def same(ours: np.ndarray, theirs: np.ndarray) -> None:
    # Not to the bit: with its weights constant, onnxruntime may fuse MatMul and Add (on joe's graphs
    # the samples come out equal to the bit).
    np.testing.assert_allclose(ours, theirs, rtol=1e-6, atol=1e-6)


def plain(model: bytes) -> np.ndarray:
    session = ort.InferenceSession(model, providers=["CPUExecutionProvider"])
    return np.asarray(session.run(None, {"x": X})[0])


@pytest.fixture(autouse=True)
def small_pieces(monkeypatch: pytest.MonkeyPatch) -> None:
    """Graphs of more than 3 nodes count as large (shared, in pieces); ``graph`` has 4 or more."""
    monkeypatch.setattr(piper_sessions, "PIECE_NODES", 3)


def test_the_weights_become_inputs_and_scalars_and_integers_stay() -> None:
    parts = read_graph(graph(1))
    assert set(parts.weights) == {"W", "b"}
    assert (parts.inputs, parts.outputs) == (("x",), ("y",))
    models = [onnx.load_from_string(piece.model) for piece in parts.pieces]
    assert {t.name for m in models for t in m.graph.initializer} == {"scale", "axes"}
    assert [i.name for i in models[0].graph.input] == ["x", "W", "b"]


def test_a_small_graph_is_opened_whole_with_its_weights_and_on_its_own(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(piper_sessions, "PIECE_NODES", 4)
    parts = read_graph(graph(1))
    assert parts.digest is None and not parts.weights and len(parts.pieces) == 1
    pool = SessionPool()
    (one,) = pool.open([parts], 1)
    opened = pool.opened([parts], 2)  # built at once: it takes milliseconds
    assert opened is not None and opened[0].sessions is not one.sessions
    same(one.run(None, {"x": X})[0], plain(graph(1)))
    same(opened[0].run(None, {"x": X})[0], plain(graph(1)))


def test_graphs_that_differ_in_weights_or_wording_share_a_structure_and_others_do_not() -> None:
    first = read_graph(graph(1, doc="first voice"))
    assert read_graph(graph(2, doc="second voice")).digest == first.digest
    assert read_graph(graph(1, scale=3.0)).digest != first.digest
    assert read_graph(graph(1, axes=0)).digest != first.digest


def test_each_graph_runs_with_its_own_weights_on_shared_sessions() -> None:
    pool = SessionPool()
    (one,) = pool.open([read_graph(graph(1))], threads=1)
    (two,) = pool.open([read_graph(graph(2))], threads=1)
    assert one.sessions is two.sessions
    assert one.inputs == ("x",)
    same(one.run(None, {"x": X})[0], plain(graph(1)))
    same(two.run(["y"], {"x": X})[0], plain(graph(2)))
    (wide,) = pool.open([read_graph(graph(2))], threads=2)
    assert wide.sessions is not one.sessions
    assert {s.get_session_options().intra_op_num_threads for s in wide.sessions} == {2}


def test_opened_builds_nothing() -> None:
    pool = SessionPool()
    parts = [read_graph(graph(1))]
    assert pool.opened(parts, 1) is None
    pool.open(parts, 1)
    again = pool.opened([read_graph(graph(2))], 1)
    assert again is not None and again[0].sessions is pool.open(parts, 1)[0].sessions
    assert pool.opened(parts, 2) is None


def test_a_long_graph_is_opened_as_pieces_that_give_its_outputs(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(piper_sessions, "PIECE_NODES", 10)
    model = graph(3, links=20)  # 44 nodes: 5 pieces
    parts = read_graph(model)
    assert len(parts.pieces) == 5
    nodes = [onnx.load_from_string(p.model).graph.node for p in parts.pieces]
    assert sum(len(n) for n in nodes) == 44 and all(6 <= len(n) <= 12 for n in nodes)
    for before, after in zip(parts.pieces, parts.pieces[1:], strict=False):
        assert set(after.inputs) - set(parts.weights) - {"x"} <= set(before.outputs) | {"t0"}
        assert "t0" in after.inputs  # read by every step: it crosses every cut
    assert parts.pieces[-1].outputs == ("y",)
    (opened,) = SessionPool().open([parts], 1)
    assert len(opened.sessions) == 5
    same(opened.run(None, {"x": X})[0], plain(model))


def test_a_graph_with_a_subgraph_is_not_cut(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(piper_sessions, "PIECE_NODES", 2)
    then = helper.make_graph([helper.make_node("Identity", ["x"], ["a"])], "then", [],
                             [helper.make_tensor_value_info("a", TensorProto.FLOAT, [1, 3])])  # fmt: skip
    other = helper.make_graph([helper.make_node("Neg", ["x"], ["c"])], "else", [],
                              [helper.make_tensor_value_info("c", TensorProto.FLOAT, [1, 3])])  # fmt: skip
    nodes = [helper.make_node("ReduceSum", ["x"], ["s"], keepdims=0),
             helper.make_node("Greater", ["s", "zero"], ["positive"]),
             helper.make_node("If", ["positive"], ["y"], then_branch=then, else_branch=other)]  # fmt: skip
    body = helper.make_graph(nodes, "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3])],
                             [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 3])],
                             [numpy_helper.from_array(np.asarray(0.0, np.float32), "zero")])  # fmt: skip
    model = helper.make_model(body, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    parts = read_graph(model.SerializeToString())
    assert len(parts.pieces) == 1
    (opened,) = SessionPool().open([parts], 1)
    same(opened.run(None, {"x": X})[0], X)
