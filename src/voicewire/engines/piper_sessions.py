"""Opening a Piper voice's sessions fast enough for a voice's first request.

A Piper front-end graph has ~2,700 nodes, and onnxruntime spends 2-3 s building a session from it on
this 2-core VM whatever the options (``perf``: most of it in onnxruntime's own per-node work), while
a call takes tens of milliseconds. That time goes with the graph's *structure*, not with its weights,
and the voices that one Piper release exports at one quality have the same structure: they differ
in their weights. So a graph is opened in two parts (``read_graph``):

- its **structure**: the graph with every float tensor of more than one element (the weights, and
  what the export folded out of them) made an input. ``SessionPool`` builds one onnxruntime session
  per structure and thread count, the first time a voice of that structure opens, and keeps it
  in onnxruntime's format beside the cached graphs (``structure-<digest>.<version>.ort``: opening
  that is ~30 % faster, and another onnxruntime version builds it again);
- its **weights**: that voice's tensors as ``OrtValue``s, fed to the shared session on every call
  (``Weighted``).

Another voice of a structure already open then loads in the time it takes to read its weights
(~0.25 s for joe's 56 MB), not 2-3 s, and its sessions for lone calls (more threads) cost no memory.
Fed as inputs, the weights cannot be pre-packed by onnxruntime: a front-end call costs 1-4 % more
(measured on joe, paired; the same samples to the bit). Scalars and integer tensors (shapes, axes,
the export's constants) stay in the structure, so two graphs share a session only if those match.
"""

from __future__ import annotations

import contextlib
import hashlib
import math
import os
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from voicewire.engines.onnx import session_options

__all__ = ["GraphParts", "SessionPool", "Weighted", "read_graph", "read_windows_verdict", "write_windows_verdict"]


@dataclass(frozen=True, eq=False)
class GraphParts:
    """One graph as ``read_graph`` splits it."""

    structure: bytes
    """The serialized graph, its weights made inputs."""
    digest: str
    """Names the structure: graphs with equal digests share their sessions."""
    weights: Mapping[str, Any]
    """Input name to ``OrtValue``."""
    folder: Path | None
    """Where the structure's onnxruntime-format copy is kept (the cached graph's folder), or None."""


def read_graph(graph: str | bytes) -> GraphParts:
    """A graph (a path, or the serialized model) split into its structure and its weights."""
    import onnx
    import onnxruntime as ort
    from onnx import helper, numpy_helper

    model = onnx.load(graph) if isinstance(graph, str) else onnx.load_from_string(graph)
    inputs = {i.name for i in model.graph.input}
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
        structure=structure,
        digest=hashlib.sha256(structure).hexdigest()[:24],
        weights=weights,
        folder=Path(graph).parent if isinstance(graph, str) else None,
    )


class Weighted:
    """A structure's session run with one voice's weights; used like an ``InferenceSession``."""

    def __init__(self, session: Any, weights: Mapping[str, Any]) -> None:
        self.session = session
        self.weights = weights
        self._outputs = [o.name for o in session.get_outputs()]

    def get_inputs(self) -> list[Any]:
        return [i for i in self.session.get_inputs() if i.name not in self.weights]

    def get_outputs(self) -> list[Any]:
        return list(self.session.get_outputs())

    def get_session_options(self) -> Any:
        return self.session.get_session_options()

    def run(self, output_names: Sequence[str] | None, feeds: Mapping[str, Any]) -> list[Any]:
        import onnxruntime as ort

        values = dict(self.weights)
        for name, value in feeds.items():
            values[name] = ort.OrtValue.ortvalue_from_numpy(np.ascontiguousarray(value))
        return [v.numpy() for v in self.session.run_with_ort_values(list(output_names or self._outputs), values)]


class SessionPool:
    """One engine's structure sessions, by structure and thread count; never let go (they hold no
    weights: the ones open are a few per engine)."""

    def __init__(self) -> None:
        self._sessions: dict[tuple[str, int], Any] = {}
        self._building: dict[tuple[str, int], threading.Lock] = {}
        self._lock = threading.Lock()

    def open(self, parts: Sequence[GraphParts], threads: int) -> list[Weighted]:
        """Sessions of ``parts`` with ``threads`` intra-op threads; a structure not open yet is built
        here (seconds)."""
        return [Weighted(self._session(p, threads), p.weights) for p in parts]

    def opened(self, parts: Sequence[GraphParts], threads: int) -> list[Weighted] | None:
        """The sessions if every structure is open already, else None (nothing is built)."""
        sessions = [self._sessions.get((p.digest, threads)) for p in parts]
        if any(s is None for s in sessions):
            return None
        return [Weighted(s, p.weights) for s, p in zip(sessions, parts, strict=True)]

    def _session(self, parts: GraphParts, threads: int) -> Any:
        key = (parts.digest, threads)
        session = self._sessions.get(key)
        if session is not None:
            return session
        with self._lock:
            building = self._building.setdefault(key, threading.Lock())
        with building:  # two voices of one structure opening side by side build it once
            session = self._sessions.get(key)
            if session is None:
                session = _build(parts, threads)
                self._sessions[key] = session
        return session


def _build(parts: GraphParts, threads: int) -> Any:
    import onnxruntime as ort

    providers = ["CPUExecutionProvider"]
    if parts.folder is None:
        return ort.InferenceSession(parts.structure, session_options(threads), providers=providers)
    saved = parts.folder / f"structure-{parts.digest}.{ort.__version__}.ort"  # the format is read from ".ort"
    if saved.is_file():
        with contextlib.suppress(Exception):  # damaged or foreign: built again below
            options = session_options(threads)
            options.add_session_config_entry("session.load_model_format", "ORT")
            return ort.InferenceSession(str(saved), options, providers=providers)
    options = session_options(threads)
    # "Extended" stays valid on another CPU of the same machine class; "all" would tie the copy to this one.
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_EXTENDED
    tmp = saved.with_name(f".{saved.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    options.optimized_model_filepath = str(tmp)
    options.add_session_config_entry("session.save_model_format", "ORT")
    session = ort.InferenceSession(parts.structure, options, providers=providers)
    with contextlib.suppress(OSError):  # a read-only cache: the next start builds it again
        tmp.replace(saved)
    return session


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
