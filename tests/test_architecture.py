"""The import graph of src/irsim (read with ast, every import including those inside functions): no cycle, and
no import running back up the layers (docs/architecture.md)."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src"

#: Layers, bottom up: a module may import its own layer and those below, never above.
LAYERS = (
    ("errors", "parameters", "solvers", "units"),
    ("schemas", "scenarios", "io"),
    ("assessment", "models"),
    ("cohort", "inference", "sbml", "analysis"),
    ("reporting", "validation"),
    ("workflows", "simulation", "trials"),
    ("interfaces", "__main__"),
)
#: The one import between faces: `irsim serve` starts the web app (the web app never imports the CLI).
FACE_EDGES = {("irsim.interfaces.cli_web", "irsim.interfaces.web.app")}


def _modules() -> dict[str, tuple[Path, bool]]:
    mods = {}
    for f in (SRC / "irsim").rglob("*.py"):
        parts = list(f.relative_to(SRC).with_suffix("").parts)
        is_pkg = parts[-1] == "__init__"
        mods[".".join(parts[:-1] if is_pkg else parts)] = (f, is_pkg)
    return mods


def _known(name: str, mods) -> str:
    while name not in mods:
        name = name.rsplit(".", 1)[0]
    return name


def import_graph() -> dict[str, set[str]]:
    """module -> the irsim modules it imports (a name imported from a package counts as its submodule)."""
    mods = _modules()
    graph = {m: set() for m in mods}
    for m, (path, is_pkg) in mods.items():
        base = m.split(".") if is_pkg else m.split(".")[:-1]
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                pkg = ".".join(base[: len(base) - node.level + 1] + [node.module or ""]).strip(".") if node.level \
                    else node.module or ""
                targets = [f"{pkg}.{a.name}" if f"{pkg}.{a.name}" in mods else pkg for a in node.names]
            else:
                continue
            graph[m] |= {_known(t, mods) for t in targets if t == "irsim" or t.startswith("irsim.")}
        graph[m].discard(m)
    return graph


GRAPH = import_graph()


def _cycles(graph) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index, low, stack, on, out = {}, {}, [], set(), []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in graph:
        if v not in index:
            visit(v)
    return out


def _layer(module: str) -> int | None:
    parts = module.split(".")
    if len(parts) == 1:
        return None  # the root package (version, disclaimer): importable from anywhere
    return next(i for i, names in enumerate(LAYERS) if parts[1] in names)


def test_graph_is_read():
    assert "irsim.interfaces.web.app" in GRAPH["irsim.interfaces.cli_web"]
    assert "irsim.assessment.formulas" in GRAPH["irsim.models.organs.liver"]


def test_no_import_cycle():
    assert _cycles(GRAPH) == []


def test_every_package_has_a_layer():
    assert all(_layer(m) is not None for m in GRAPH if m != "irsim")


def test_no_import_runs_up_the_layers():
    up = [(m, t) for m, ts in GRAPH.items() for t in ts
          if _layer(m) is not None and _layer(t) is not None and _layer(t) > _layer(m)]
    assert up == []


def test_faces_meet_only_in_the_library():
    cli = lambda m: m.startswith("irsim.interfaces.") and not m.startswith("irsim.interfaces.web")  # noqa: E731
    web = lambda m: m.startswith("irsim.interfaces.web")  # noqa: E731
    crossing = [(m, t) for m, ts in GRAPH.items() for t in ts
                if ((cli(m) and web(t)) or (web(m) and cli(t))) and (m, t) not in FACE_EDGES]
    assert crossing == []
    library = [m for m in GRAPH if not m.startswith("irsim.interfaces") and m != "irsim.__main__"]
    assert [(m, t) for m in library for t in GRAPH[m] if t.startswith("irsim.interfaces")] == []


@pytest.mark.parametrize("module", ["irsim.assessment.formulas", "irsim.models.organs"])
def test_pure_formulas_register_no_calculator(module):
    code = (f"import {module}, irsim.assessment.registry as r, sys; "
            "assert not r.REGISTRY and 'irsim.assessment.catalog' not in sys.modules, sorted(r.REGISTRY)")
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert res.returncode == 0, res.stderr
