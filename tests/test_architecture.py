"""The shape of harness/: packages by layer, each importing only the packages below it (imports
inside functions count: a lazy upward import is the same layering mistake, only hidden), no
import circles, only `pytest_plugin` speaks pytest, and files no larger than their concept needs."""

from __future__ import annotations

import ast
import functools
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1] / "harness"
# Bottom to top. A package may import itself and the packages before it, never one after it.
# `harness/__init__.py` and `harness/errors.py` stand at the bottom with util.
LAYERS = [
    "util",
    "catalog",
    "contract",
    "wire",
    "generation",
    "rules",
    "reference",
    "divergences",
    "corpus",
    "targets",
    "engine",
    "online",
    "emulator",
    "cassettes",
    "scenarios",
    "reporting",
    "pytest_plugin",
    "cli",
]
BOTTOM = {"harness", "harness.errors"}
MAX_LINES = 600  # a module as large as its concept needs, but still one a person reads whole
MAX_TOP_LEVEL = 5  # .py files directly under harness/: everything else lives in its layer's package


def _modules(root: Path = ROOT) -> dict[str, Path]:
    mods = {}
    for p in root.rglob("*.py"):
        if "node_modules" in p.parts:
            continue
        parts = p.relative_to(root.parent).with_suffix("").parts
        mods[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = p
    return mods


@functools.cache
def _import_nodes(path: Path, mtime_ns: int) -> list[ast.Import | ast.ImportFrom]:
    """The file's import statements; parsed once per process (three tests walk every module)."""
    return [n for n in ast.walk(ast.parse(path.read_text())) if isinstance(n, (ast.Import, ast.ImportFrom))]


def _imported_names(name: str, path: Path, mods: dict[str, Path] | None = None) -> list[tuple[str, int]]:
    """(dotted name, line) of every import in the file, relative ones made absolute. `from p import
    m` of a submodule `m` imports p.m (and p's __init__, which runs first: not counted as an edge)."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = []
    for node in _import_nodes(path, path.stat().st_mtime_ns):
        if isinstance(node, ast.Import):
            found += [(a.name, node.lineno) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(anchor + ([node.module] if node.module else []))
            subs = [f"{base}.{a.name}" for a in node.names if mods is None or f"{base}.{a.name}" in mods]
            named = subs if mods is not None and len(subs) == len(node.names) else [base, *subs]
            found += [(t, node.lineno) for t in named]
    return found


def _imports(name: str, path: Path, mods: dict[str, Path]) -> set[str]:
    found: set[str] = set()
    for t, _ in _imported_names(name, path, mods):
        while t and t not in mods:
            t = t.rpartition(".")[0]
        if t and t != name:
            found.add(t)
    return found


def _layer(module: str) -> int | None:
    """The layer index of a harness module; None for a module outside harness."""
    if module in BOTTOM:
        return 0
    parts = module.split(".")
    if parts[0] != "harness" or len(parts) < 2:
        return None
    return LAYERS.index(parts[1]) if parts[1] in LAYERS else -1


def upward_imports(root: Path = ROOT) -> list[str]:
    """Every import of a package above the importer's own, as `file:line: a -> b` lines."""
    mods = _modules(root)
    bad = []
    for name, path in sorted(mods.items()):
        mine = _layer(name)
        for target, line in _imported_names(name, path, mods):
            while target and target not in mods:
                target = target.rpartition(".")[0]
            theirs = _layer(target) if target else None
            if mine is None or theirs is None or target == name:
                continue
            if mine == -1 or theirs == -1 or theirs > mine:
                bad.append(f"{path.relative_to(root.parent)}:{line}: {name} -> {target}")
    return sorted(set(bad))


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    out: list[list[str]] = []

    def visit(v: str) -> None:
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
            component = []
            while True:
                w = stack.pop()
                on.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                out.append(sorted(component))

    for v in graph:
        if v not in index:
            visit(v)
    return out


def test_every_package_has_a_layer():
    packages = {p.name for p in ROOT.iterdir() if p.is_dir() and (p / "__init__.py").exists()}
    assert packages == set(LAYERS)


def test_packages_import_only_downward():
    assert upward_imports() == []


def test_the_layer_test_sees_an_upward_import(tmp_path):
    """A deliberately added upward import (catalog -> engine, inside a function) is caught."""
    root = tmp_path / "harness"
    for package in ("catalog", "engine"):
        (root / package).mkdir(parents=True)
        (root / package / "__init__.py").write_text("")
    (root / "__init__.py").write_text("")
    (root / "engine" / "run.py").write_text("from harness.catalog import x\n")
    (root / "catalog" / "x.py").write_text("def f():\n    from harness.engine import run\n")
    assert upward_imports(root) == ["harness/catalog/x.py:2: harness.catalog.x -> harness.engine.run"]


def test_every_package_says_what_it_owns_and_may_import():
    missing = []
    for package in LAYERS:
        doc = ast.get_docstring(ast.parse((ROOT / package / "__init__.py").read_text())) or ""
        owns, _, may = doc.partition("May import:")
        if not owns.strip() or not may.strip():
            missing.append(package)
    assert missing == [], "each package's docstring says what it owns and, in a 'May import:' line, what it may import"


def test_only_the_pytest_plugin_imports_pytest():
    speakers = {
        name
        for name, path in _modules().items()
        if any(t == "pytest" or t.startswith(("pytest.", "_pytest")) for t, _ in _imported_names(name, path))
    }
    assert {s for s in speakers if not s.startswith("harness.pytest_plugin")} == set()


def test_no_import_circles():
    mods = _modules()
    graph = {m: _imports(m, p, mods) for m, p in mods.items()}
    assert _cycles(graph) == []


def test_the_checker_sees_a_circle():
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_few_modules_at_the_top():
    top = sorted(p.name for p in ROOT.glob("*.py"))
    assert len(top) <= MAX_TOP_LEVEL, top


@pytest.mark.parametrize("suffix", [".py", ".mjs"])
def test_files_stay_readable(suffix):
    big = {
        str(p.relative_to(ROOT.parent)): n
        for p in ROOT.rglob(f"*{suffix}")
        if "node_modules" not in p.parts and (n := len(p.read_text().splitlines())) > MAX_LINES
    }
    assert big == {}, f"files over {MAX_LINES} lines"
