"""Opening a Piper voice's sessions fast enough for a voice's first request.

A Piper graph has ~2,700 nodes, and onnxruntime spends seconds building a session from the ONNX
file even with every optimization off (measured 2.6-3.3 s on a busy 2-core box for the front-end).
Two things are kept beside the cached graphs (``<home>/cache/piper``) the first time a voice loads
(``voicewire voices install`` does it before the voice is visible), so later loads skip them:

- the session in onnxruntime's own format (``<graph>.<version>.ort``), saved at the "extended"
  optimization level, which stays valid on another CPU of the same machine class: opening it takes
  about 30 % less time, and it runs as fast (0.46 s for one sentence either way);
- whether decoding in windows gives the samples of a whole decode (``<front>.windows-<cut>-<version>``,
  for one way of cutting windows), which takes three model runs to find out.

Both carry onnxruntime's version in their name: another version builds them again. Anything that
cannot be read or written falls back to the plain ONNX graphs.
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from voicewire.engines.onnx import session_options

__all__ = ["open_sessions", "read_windows_verdict", "write_windows_verdict"]


def _tag() -> str:
    import onnxruntime as ort

    return str(ort.__version__)


def _ort_path(graph: str) -> Path:
    return Path(f"{graph.removesuffix('.onnx')}.{_tag()}.ort")  # onnxruntime reads the format from ".ort"


def _verdict_path(graph: str) -> Path:
    from voicewire.engines import piper_graph

    # The answer holds for one way of cutting windows: another context or size asks again.
    cut = (f"{piper_graph.CONTEXT}-{piper_graph.FIRST_FRAMES}-{piper_graph.SECOND_GROWTH}-{piper_graph.GROWTH}"
           f"-{piper_graph.MAX_FRAMES}")  # fmt: skip
    return Path(f"{graph}.windows-{cut}-{_tag()}")


def open_sessions(graphs: Sequence[str | bytes], threads: int) -> list[Any]:
    """onnxruntime sessions of ``graphs`` (paths of cached graphs, or bytes): from the saved
    onnxruntime-format copies when they exist, else from the graphs, saving the copies."""
    import onnxruntime as ort

    providers = ["CPUExecutionProvider"]
    paths = [g for g in graphs if isinstance(g, str)]
    if len(paths) != len(graphs):
        return [ort.InferenceSession(g, session_options(threads), providers=providers) for g in graphs]
    saved = [_ort_path(p) for p in paths]
    if all(p.is_file() for p in saved):
        with contextlib.suppress(Exception):  # damaged or foreign copies: build them again below
            return [ort.InferenceSession(str(p), _ort_format(session_options(threads)), providers=providers)
                    for p in saved]  # fmt: skip
    sessions = []
    for graph, target in zip(paths, saved, strict=True):
        options = session_options(threads)
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_EXTENDED
        tmp = target.with_name(f".{target.name}.{os.getpid()}.{threading.get_ident()}.tmp")
        options.optimized_model_filepath = str(tmp)
        options.add_session_config_entry("session.save_model_format", "ORT")
        sessions.append(ort.InferenceSession(graph, options, providers=providers))
        with contextlib.suppress(OSError):  # a read-only cache: the next load builds it again
            tmp.replace(target)
    return sessions


def _ort_format(options: Any) -> Any:
    options.add_session_config_entry("session.load_model_format", "ORT")
    return options


def read_windows_verdict(graphs: Sequence[str | bytes]) -> bool | None:
    """The saved answer for these graphs (None: not known yet)."""
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
