"""Opening a Piper voice's sessions fast enough for a voice's first request.

onnxruntime takes a time that grows with the square of a graph's nodes to build a session: joe's
front-end (2,687 nodes) took 2.6-3.1 s on this 2-core VM whatever the options, its first quarter
0.28 s, its first half 0.73 s (``perf``: onnxruntime's own per-node work, kernel lookups by the
look of it), while a call takes tens of milliseconds. Two things follow (``read_graph``):

- a graph is opened as **pieces** of at most ``PIECE_NODES`` nodes in their order, cut where the
  fewest tensors cross, each its own session; a call runs them in turn and hands each the tensors
  it needs (``OrtValue``s, no copy). joe's front-end in 8 pieces: built in 0.5 s, calls as fast, the
  same samples to the bit;
- a piece's **weights** (every float tensor of more than one element) are made inputs, so the
  sessions belong to the graph's *structure*: the voices that one Piper release exports at one
  quality differ only in their weights. ``SessionPool`` opens a structure's sessions once per
  thread count, and each voice feeds them its own weights (``Weighted``): a voice whose structure is
  open loads in the time it takes to read its weights (~0.25 s for joe's 56 MB), and its sessions
  for lone calls (more threads) cost no memory. Fed as inputs, weights cannot be pre-packed by
  onnxruntime: a front-end call costs 0-5 % more (joe, paired runs).

Scalars and integer tensors (shapes, axes, the export's constants) stay in the structure, so two
graphs share sessions only if those match too. A graph of at most ``PIECE_NODES`` nodes (a decoder:
built in 30 ms) is opened whole, on its own, with its weights in it, which onnxruntime pre-packs.
"""

from __future__ import annotations

import contextlib
import hashlib
import itertools
import math
import os
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from voicewire.engines.onnx import session_options

__all__ = ["PIECE_NODES", "GraphParts", "Piece", "SessionPool", "Weighted", "read_graph", "read_windows_verdict",
           "write_windows_verdict"]  # fmt: skip

PIECE_NODES = 350
"""Most nodes in one piece: joe's front-end in 8 pieces builds in 0.5 s (whole: 2.6-3.1 s)."""


@dataclass(frozen=True)
class Piece:
    """Consecutive nodes of a graph as a model of their own."""

    model: bytes
    inputs: tuple[str, ...]
    """Graph inputs, weights and tensors of earlier pieces that its nodes read."""
    outputs: tuple[str, ...]
    """Its tensors that later pieces read, and the graph's outputs it makes."""


@dataclass(frozen=True, eq=False)
class GraphParts:
    """One graph as ``read_graph`` splits it."""

    digest: str | None
    """Names the structure: graphs with equal digests share their sessions. None for a small graph,
    opened on its own with its weights in it."""
    pieces: tuple[Piece, ...]
    inputs: tuple[str, ...]
    """The graph's inputs, weights left out."""
    outputs: tuple[str, ...]
    weights: Mapping[str, Any]
    """Input name to ``OrtValue``."""


def read_graph(graph: str | bytes) -> GraphParts:
    """A graph (a path, or the serialized model) split into the pieces of its structure and its weights."""
    import onnx
    import onnxruntime as ort
    from onnx import helper, numpy_helper

    model = onnx.load(graph) if isinstance(graph, str) else onnx.load_from_string(graph)
    inputs = [i.name for i in model.graph.input]
    outputs = tuple(o.name for o in model.graph.output)
    if len(model.graph.node) <= PIECE_NODES:
        # Small (joe's decoder: built in 30 ms): a session of its own, whose weights onnxruntime
        # pre-packs. Fed in, they made its calls ~3 % slower (4 threads side by side, paired).
        whole = Piece(model.SerializeToString(), tuple(inputs), outputs)
        return GraphParts(digest=None, pieces=(whole,), inputs=tuple(inputs), outputs=outputs, weights={})
    weights: dict[str, Any] = {}
    kept = []
    for tensor in model.graph.initializer:
        if tensor.data_type != onnx.TensorProto.FLOAT or math.prod(tensor.dims) < 2:
            kept.append(tensor)
            continue
        weights[tensor.name] = ort.OrtValue.ortvalue_from_numpy(numpy_helper.to_array(tensor))
        if tensor.name not in inputs:
            model.graph.input.append(helper.make_tensor_value_info(tensor.name, tensor.data_type, list(tensor.dims)))
    del model.graph.initializer[:]
    model.graph.initializer.extend(kept)
    # Nothing here changes how the graph runs, and two voices' exports may word them differently.
    model.doc_string = ""
    model.graph.doc_string = ""
    del model.metadata_props[:]
    structure = model.SerializeToString()
    return GraphParts(
        digest=hashlib.sha256(structure).hexdigest()[:24],
        pieces=_pieces(model, structure),
        inputs=tuple(name for name in inputs if name not in weights),
        outputs=outputs,
        weights=weights,
    )


def _pieces(model: Any, structure: bytes) -> tuple[Piece, ...]:
    """``model`` cut into pieces of at most ``PIECE_NODES`` nodes; whole when it is small, holds a
    subgraph (which reads tensors its node does not name) or a tensor of unknown type crosses."""
    import onnx
    from onnx import helper, shape_inference

    nodes = list(model.graph.node)
    whole = (Piece(structure, tuple(i.name for i in model.graph.input), tuple(o.name for o in model.graph.output)),)
    count = math.ceil(len(nodes) / PIECE_NODES)
    if count < 2 or any(a.type in (onnx.AttributeProto.GRAPH, onnx.AttributeProto.GRAPHS) for n in nodes
                        for a in n.attribute):  # fmt: skip
        return whole
    try:
        inferred = shape_inference.infer_shapes(model).graph
    except Exception:  # onnx cannot infer this graph's types: onnxruntime still runs it whole
        return whole
    types = {v.name: v.type for v in (*inferred.value_info, *inferred.input, *inferred.output)}
    producer = {name: i for i, node in enumerate(nodes) for name in node.output if name}
    last_read = {name: i for i, node in enumerate(nodes) for name in node.input if name}
    last_read.update((o.name, len(nodes)) for o in model.graph.output)
    cuts = _cuts(nodes, producer, last_read, count)
    constants = {t.name: t for t in model.graph.initializer}
    pieces = []
    for start, end in itertools.pairwise(cuts):
        part = nodes[start:end]
        made = {name for node in part for name in node.output if name}
        read = list(dict.fromkeys(name for node in part for name in node.input if name))
        ins = [name for name in read if name not in made and name not in constants]
        outs = sorted((name for name in made if last_read.get(name, -1) >= end), key=producer.__getitem__)
        if any(name not in types for name in (*ins, *outs)):
            return whole
        body = helper.make_graph(part, f"piece-{start}", [helper.make_value_info(n, types[n]) for n in ins],
                                 [helper.make_value_info(n, types[n]) for n in outs],
                                 [constants[n] for n in read if n in constants])  # fmt: skip
        piece = helper.make_model(body, opset_imports=model.opset_import)
        piece.ir_version = model.ir_version
        pieces.append(Piece(piece.SerializeToString(), tuple(ins), tuple(outs)))
    return tuple(pieces)


def _cuts(nodes: list[Any], producer: dict[str, int], last_read: dict[str, int], count: int) -> list[int]:
    """Node indices where ``count`` pieces begin (and the end): near equal sizes, each cut within a
    quarter of a piece of its ideal place where the fewest tensors cross it."""
    n = len(nodes)
    change = [0] * (n + 2)  # tensors made before a cut and read at or after it, as differences
    for name, made in producer.items():
        if last_read.get(name, -1) > made:
            change[made + 1] += 1
            change[last_read[name] + 1] -= 1
    crossing, running = [], 0
    for k in range(n + 1):
        running += change[k]
        crossing.append(running)
    cuts, slack = [0], n // (4 * count)
    for j in range(1, count):
        ideal = n * j // count
        cuts.append(min(range(ideal - slack, ideal + slack + 1), key=lambda k: (crossing[k], abs(k - ideal))))
    return [*cuts, n]


class Weighted:
    """A structure's sessions run with one voice's weights: ``run`` as an ``InferenceSession``'s."""

    def __init__(self, sessions: Sequence[Any], parts: GraphParts) -> None:
        self.sessions = sessions
        self.parts = parts

    @property
    def inputs(self) -> tuple[str, ...]:
        return self.parts.inputs

    @property
    def outputs(self) -> tuple[str, ...]:
        return self.parts.outputs

    @property
    def weights(self) -> Mapping[str, Any]:
        return self.parts.weights

    def run(self, output_names: Sequence[str] | None, feeds: Mapping[str, Any]) -> list[Any]:
        import onnxruntime as ort

        values = dict(self.parts.weights)
        for name, value in feeds.items():
            values[name] = ort.OrtValue.ortvalue_from_numpy(np.ascontiguousarray(value))
        for session, piece in zip(self.sessions, self.parts.pieces, strict=True):
            made = session.run_with_ort_values(list(piece.outputs), {name: values[name] for name in piece.inputs})
            values.update(zip(piece.outputs, made, strict=True))
        return [values[name].numpy() for name in (output_names or self.outputs)]


class SessionPool:
    """One engine's shared sessions, by structure and thread count; never let go (they hold no
    weights: the ones open are a few per engine). A small graph's sessions are its own."""

    def __init__(self) -> None:
        self._sessions: dict[tuple[str, int], tuple[Any, ...]] = {}
        self._building: dict[tuple[str, int], threading.Lock] = {}
        self._lock = threading.Lock()

    def open(self, parts: Sequence[GraphParts], threads: int) -> list[Weighted]:
        """Sessions of ``parts`` with ``threads`` intra-op threads; a structure not open yet is built here."""
        return [Weighted(self._open(p, threads), p) for p in parts]

    def opened(self, parts: Sequence[GraphParts], threads: int) -> list[Weighted] | None:
        """The sessions if every shared structure is open already, else None (nothing built): nothing
        slow is built (a small graph's own session is: it takes milliseconds)."""
        if any(p.digest is not None and (p.digest, threads) not in self._sessions for p in parts):
            return None
        return self.open(parts, threads)

    def _open(self, parts: GraphParts, threads: int) -> tuple[Any, ...]:
        if parts.digest is None:  # its own: let go with the voice
            return _build(parts, threads)
        key = (parts.digest, threads)
        sessions = self._sessions.get(key)
        if sessions is not None:
            return sessions
        with self._lock:
            building = self._building.setdefault(key, threading.Lock())
        with building:  # two voices of one structure opening side by side build it once
            sessions = self._sessions.get(key)
            if sessions is None:
                sessions = _build(parts, threads)
                self._sessions[key] = sessions
        return sessions


def _build(parts: GraphParts, threads: int) -> tuple[Any, ...]:
    import onnxruntime as ort

    providers = ["CPUExecutionProvider"]
    return tuple(ort.InferenceSession(p.model, session_options(threads), providers=providers) for p in parts.pieces)


def _verdict_path(graph: str) -> Path:
    import onnxruntime as ort

    from voicewire.engines import piper_graph

    # The answer holds for one way of cutting windows: another context or size asks again.
    cut = (f"{piper_graph.CONTEXT}-{piper_graph.FIRST_FRAMES}-{piper_graph.SECOND_GROWTH}-{piper_graph.GROWTH}"
           f"-{piper_graph.MAX_FRAMES}")  # fmt: skip
    return Path(f"{graph}.windows-{cut}-{ort.__version__}")


def read_windows_verdict(graphs: Sequence[str | bytes]) -> bool | None:
    """Whether decoding these graphs in windows gives the samples of a whole decode, as found out at
    an earlier load (three model runs); None: not known yet."""
    if not graphs or not isinstance(graphs[0], str):
        return None
    try:
        value = _verdict_path(graphs[0]).read_text(encoding="ascii").strip()
    except OSError:
        return None
    return {"1": True, "0": False}.get(value)


def write_windows_verdict(graphs: Sequence[str | bytes], windowed: bool) -> None:
    if not graphs or not isinstance(graphs[0], str):
        return
    path = _verdict_path(graphs[0])
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    with contextlib.suppress(OSError):
        tmp.write_text("1" if windowed else "0", encoding="ascii")
        tmp.replace(path)
