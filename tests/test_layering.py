"""The architecture rules of ``docs/architecture.md``, checked on the source.

1. The pure core (``protocol/``, ``dialects/``, ``text/``, ``audio/``) does no I/O.
2. The layers only import downwards: engines know nothing of synthesis, protocols or dialects;
   synthesis nothing of the runtime, dialects or web frameworks; the runtime nothing of the server,
   the dialects or web frameworks; dialects nothing of the runtime, the server or synthesis; the
   voice manager (``voices/``) nothing of the server, the runtime or synthesis.

Every ``.py`` file is parsed (never imported) and every import in its tree is checked: top-level,
inside functions, classes, ``try`` blocks, and ``importlib.import_module`` / ``__import__`` calls with a
literal name. Relative imports are resolved against the file's package. Engine implementations may
be imported for annotations only (inside ``if TYPE_CHECKING:``); ``voicewire.engines.base`` (the
interface and its value types) may be imported anywhere.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src"
PURE_PACKAGES = ("voicewire.protocol", "voicewire.dialects", "voicewire.text", "voicewire.audio")

FORBIDDEN: tuple[str, ...] = (
    # concurrency, sockets, servers, clients, storage, processes
    "asyncio", "anyio", "threading", "socket", "starlette", "uvicorn", "httpx", "websockets", "sqlite3",
    "subprocess",
    # the same kind of thing under other names
    "concurrent.futures", "multiprocessing", "selectors", "ssl", "http.client", "http.server", "urllib.request",
    # the impure parts of voicewire
    "voicewire.engines.", "voicewire.server", "voicewire.auth", "voicewire.synthesis", "voicewire.cli",
    "voicewire.bench", "voicewire.runtime", "voicewire.metrics",
)  # fmt: skip
WEB = ("starlette", "uvicorn", "websockets", "httpx")
LAYERS: dict[str, tuple[str, ...]] = {
    "voicewire.engines": ("voicewire.synthesis", "voicewire.protocol", "voicewire.dialects", "voicewire.runtime",
                          "voicewire.server", "voicewire.auth", "voicewire.metrics", *WEB),
    "voicewire.synthesis": ("voicewire.dialects", "voicewire.runtime", "voicewire.server", "voicewire.auth", *WEB),
    "voicewire.runtime": ("voicewire.dialects", "voicewire.server", *WEB),
    "voicewire.protocol": ("voicewire.dialects",),
    "voicewire.metrics": ("voicewire.server", *WEB),
    "voicewire.errors": ("voicewire.server", *WEB),
    "voicewire.wyoming": ("voicewire.server", *WEB),
    # The voice manager (catalogs, downloads, installs) runs in the CLI, never in a request.
    "voicewire.voices": ("voicewire.synthesis", "voicewire.protocol", "voicewire.runtime", "voicewire.server",
                         "voicewire.auth", "voicewire.metrics", *WEB),
}
"""Per package (or module): what it must not import, beyond the no-I/O rule of the pure packages."""
ALLOWED: tuple[str, ...] = ("voicewire.engines.base",)
"""Exceptions to FORBIDDEN, anywhere in a file."""
TYPE_ONLY_OK: tuple[str, ...] = ("voicewire.engines.",)
"""Forbidden at run time but fine inside ``if TYPE_CHECKING:`` (annotations only)."""


@dataclass(frozen=True)
class Violation:
    line: int
    module: str
    statement: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.statement!r} imports {self.module!r}"


def _within(name: str, prefixes: tuple[str, ...]) -> bool:
    """``name`` is one of ``prefixes`` or inside one; a prefix ending in "." covers its submodules only."""
    return any(name.startswith(p) if p.endswith(".") else name == p or name.startswith(p + ".") for p in prefixes)


def _is_type_checking(test: ast.expr) -> bool:
    if isinstance(test, ast.Name):
        return test.id == "TYPE_CHECKING"
    return isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"


def _resolve(module: str | None, level: int, importer: str, is_package: bool) -> str:
    """The absolute module of ``from <level dots><module> import ...`` written in module ``importer``."""
    if level == 0:
        return module or ""
    package = importer.split(".") if is_package else importer.split(".")[:-1]
    if level - 1 > len(package) - 1:
        raise ValueError(f"relative import beyond the top-level package in {importer}")
    base = package[: len(package) - (level - 1)]
    return ".".join([*base, module] if module else base)


def _imported(node: ast.AST, importer: str, is_package: bool) -> list[str]:
    """Every module name an import statement (or a literal dynamic import call) may load."""
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    if isinstance(node, ast.ImportFrom):
        module = _resolve(node.module, node.level, importer, is_package)
        # `from pkg import name` loads pkg and, when name is a submodule, pkg.name too.
        return [module, *(f"{module}.{alias.name}" for alias in node.names if alias.name != "*")]
    if isinstance(node, ast.Call) and node.args:
        func = node.func
        called = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""
        first = node.args[0]
        if (
            called in ("import_module", "__import__")
            and isinstance(first, ast.Constant)
            and isinstance(first.value, str)
        ):
            return [first.value]
    return []


def _type_only_nodes(tree: ast.AST) -> set[int]:
    """ids of the nodes inside the body (not the ``else``) of an ``if TYPE_CHECKING:``."""
    inside: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and _is_type_checking(node.test):
            for statement in node.body:
                inside.update(id(n) for n in ast.walk(statement))
    return inside


def check_source(
    source: str, importer: str, *, is_package: bool = False, forbidden: tuple[str, ...] = FORBIDDEN
) -> list[Violation]:
    """Imports in ``source`` (the text of module ``importer``) of ``forbidden`` modules (by default the
    no-I/O rule's)."""
    tree = ast.parse(source)
    type_only = _type_only_nodes(tree)
    lines = source.splitlines()
    found: list[Violation] = []
    for node in ast.walk(tree):
        for name in _imported(node, importer, is_package):
            if not _within(name, forbidden) or _within(name, ALLOWED):
                continue
            if id(node) in type_only and _within(name, TYPE_ONLY_OK):
                continue
            line = getattr(node, "lineno", 0)
            found.append(Violation(line, name, lines[line - 1].strip() if 0 < line <= len(lines) else ""))
            break  # one violation per statement is enough to name it
    return sorted(found, key=lambda v: v.line)


def module_name(path: Path) -> tuple[str, bool]:
    """``src/voicewire/text/chunker.py`` -> (``voicewire.text.chunker``, False); packages -> True."""
    parts = list(path.relative_to(SRC).with_suffix("").parts)
    if parts[-1] == "__init__":
        return ".".join(parts[:-1]), True
    return ".".join(parts), False


def pure_files() -> list[Path]:
    files: list[Path] = []
    for package in PURE_PACKAGES:
        files += sorted((SRC / package.replace(".", "/")).rglob("*.py"))
    return files


# -- the rule, file by file ---------------------------------------------------------------------


@pytest.mark.parametrize("path", pure_files(), ids=lambda p: str(p.relative_to(SRC)))
def test_pure_module_does_no_io_imports(path: Path) -> None:
    importer, is_package = module_name(path)
    violations = check_source(path.read_text(encoding="utf-8"), importer, is_package=is_package)
    assert not violations, f"{path.relative_to(SRC.parent)} must do no I/O, but:\n" + "\n".join(
        f"  {v}" for v in violations
    )


def test_the_rule_sees_every_pure_package() -> None:
    found = {module_name(p)[0] for p in pure_files()}
    for expected in ("voicewire.protocol.sequencer", "voicewire.dialects.waves.live", "voicewire.dialects.openai",
                     "voicewire.dialects.wyoming.session", "voicewire.dialects.wyoming.framing",
                     "voicewire.text.chunker", "voicewire.text.normalize", "voicewire.audio.encoders"):  # fmt: skip
        assert expected in found
    assert all(p.is_file() for p in pure_files())


def layer_files() -> list[tuple[Path, tuple[str, ...]]]:
    out = []
    for layer, forbidden in LAYERS.items():
        base = SRC / layer.replace(".", "/")
        files = sorted(base.rglob("*.py")) if base.is_dir() else [base.with_suffix(".py")]
        out += [(path, forbidden) for path in files]
    return out


def _id(value: object) -> str:
    return str(value.relative_to(SRC)) if isinstance(value, Path) else ""


@pytest.mark.parametrize(("path", "forbidden"), layer_files(), ids=_id)
def test_layers_only_import_downwards(path: Path, forbidden: tuple[str, ...]) -> None:
    importer, is_package = module_name(path)
    violations = check_source(path.read_text(encoding="utf-8"), importer, is_package=is_package, forbidden=forbidden)
    assert not violations, f"{path.relative_to(SRC.parent)} reaches up the layers:\n" + "\n".join(
        f"  {v}" for v in violations
    )


def test_every_layer_exists() -> None:
    assert len(layer_files()) > 25 and all(path.is_file() for path, _ in layer_files())


# -- the checker can fail -------------------------------------------------------------------------

IN_PROTOCOL = "voicewire.protocol.frames"


@pytest.mark.parametrize(
    ("source", "module"),
    [
        ("import asyncio\n", "asyncio"),
        ("import os, socket as s\n", "socket"),
        ("import asyncio.subprocess\n", "asyncio.subprocess"),
        ("from asyncio import Queue\n", "asyncio"),
        ("from concurrent.futures import ThreadPoolExecutor\n", "concurrent.futures"),
        ("def f() -> None:\n    import threading\n", "threading"),
        ("class C:\n    def m(self) -> None:\n        from starlette.responses import Response\n",
         "starlette.responses"),
        ("try:\n    import uvicorn\nexcept ImportError:\n    pass\n", "uvicorn"),
        ("def f():\n    def g():\n        import sqlite3\n", "sqlite3"),
        ("import importlib\nm = importlib.import_module('httpx')\n", "httpx"),
        ("ws = __import__('websockets')\n", "websockets"),
        ("from voicewire.engines.piper import PiperEngine\n", "voicewire.engines.piper"),
        ("from voicewire.engines import hibari\n", "voicewire.engines.hibari"),
        ("import voicewire.engines.registry\n", "voicewire.engines.registry"),
        ("from ..engines.onnx import session_options\n", "voicewire.engines.onnx"),
        ("from .. import server\n", "voicewire.server"),
        ("from ..auth import store\n", "voicewire.auth"),
        ("from voicewire.synthesis.render import TurnRenderer\n", "voicewire.synthesis.render"),
        ("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import asyncio\n", "asyncio"),
        ("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    pass\nelse:\n    from voicewire.engines.piper "
         "import PiperEngine\n", "voicewire.engines.piper"),
    ],
)  # fmt: skip
def test_checker_finds_forbidden_imports(source: str, module: str) -> None:
    violations = check_source(source, IN_PROTOCOL)
    assert [v.module for v in violations] == [module], violations


@pytest.mark.parametrize(
    "source",
    [
        "import re\nimport math\nfrom dataclasses import dataclass\n",
        "import asyncio_helpers\nimport threadingx\nimport http\nfrom http import HTTPStatus\n",  # prefixes, not names
        "from voicewire.engines.base import Engine, VoiceInfo\n",
        "from voicewire.engines import base\nimport voicewire.engines\n",
        "from ..engines.base import EngineAudio\n",
        "from . import chunker\nfrom .chunker import Chunker\nfrom ..audio.formats import FORMATS\n",
        "from voicewire.exceptions import InvalidField\n",
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from voicewire.engines.piper import PiperEngine\n",
        "import typing\nif typing.TYPE_CHECKING:\n    from ..engines.catalog import Catalog\n",
        "x = 'import asyncio'\n# import socket\n",
    ],
)
def test_checker_allows_pure_imports(source: str) -> None:
    assert check_source(source, IN_PROTOCOL) == []


def test_relative_imports_resolve_against_the_package() -> None:
    assert _resolve("chunker", 1, "voicewire.text.normalize", False) == "voicewire.text.chunker"
    assert _resolve("chunker", 1, "voicewire.text", True) == "voicewire.text.chunker"
    assert _resolve(None, 2, "voicewire.text.normalize", False) == "voicewire"
    assert _resolve("server.app", 2, "voicewire.audio", True) == "voicewire.server.app"
    # In a package's __init__, `from .. import server` climbs out of that package.
    assert [v.module for v in check_source("from .. import server\n", "voicewire.audio", is_package=True)] == [
        "voicewire.server"
    ]
    with pytest.raises(ValueError, match="beyond the top-level package"):
        _resolve("x", 4, "voicewire.text.normalize", False)


def test_a_violation_names_the_line_and_the_import() -> None:
    source = "import re\n\n\ndef speak() -> None:\n    import threading\n"
    [violation] = check_source(source, IN_PROTOCOL)
    assert str(violation) == "line 5: 'import threading' imports 'threading'"
