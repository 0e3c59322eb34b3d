"""The house rules the file list promises: small modules, no import cycles, arrows pointing down.

Read from the source with `ast` (nothing is imported), so these run in milliseconds. An import
inside a function is a deliberate late binding and is not counted; a module-level one is.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "photoarchive"
MAX_LINES = 400

# Lower layers never import higher ones: web -> library / accounts / ops -> db / storage / media.
LAYERS = {
    "db": 0,
    "storage": 0,
    "media": 0,
    "accounts": 1,
    "library": 2,
    "ops": 3,
    "web": 4,
    "app": 5,
    "cli": 5,
}


def _modules() -> dict[str, Path]:
    found = {}
    for path in PACKAGE.rglob("*.py"):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        found[name] = path
    return found


MODULES = _modules()


def _imports(name: str, path: Path) -> set[str]:
    """The package's own modules that module `name` imports when it is loaded (a package
    loading its own submodules is not an import of itself)."""
    out: set[str] = set()
    for node in ast.parse(path.read_text()).body:
        if isinstance(node, ast.Import):
            out.update(alias.name for alias in node.names if alias.name in MODULES)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            submodules = {
                f"{node.module}.{alias.name}"
                for alias in node.names
                if f"{node.module}.{alias.name}" in MODULES
            }
            out.update(submodules)
            # `from package import submodule` depends on that submodule, not on whatever else
            # the package's __init__ gathers (the routes package lists every route module).
            if node.module in MODULES and node.module != name and len(submodules) < len(node.names):
                out.add(node.module)
    return out


GRAPH = {name: _imports(name, path) for name, path in MODULES.items()}


def _layer(module: str) -> int | None:
    parts = module.split(".")
    return LAYERS.get(parts[1]) if len(parts) > 1 else None


def _cycle_from(start: str) -> list[str] | None:
    """An import path that leads from `start` back to itself, if there is one."""
    stack = [(start, [start])]
    seen = set()
    while stack:
        module, path = stack.pop()
        for target in sorted(GRAPH[module]):
            if target == start:
                return [*path, start]
            if target not in seen:
                seen.add(target)
                stack.append((target, [*path, target]))
    return None


def test_the_package_is_found() -> None:
    assert "photoarchive.library.access" in MODULES
    # Without edges the other checks would pass vacuously.
    assert "photoarchive.db" in GRAPH["photoarchive.library.photos"]


@pytest.mark.parametrize("module", sorted(MODULES))
def test_no_module_is_over_the_limit(module: str) -> None:
    lines = len(MODULES[module].read_text().splitlines())
    assert lines <= MAX_LINES, f"{module} has {lines} lines; split it by concern"


def test_no_import_cycles() -> None:
    cycles = [cycle for module in sorted(GRAPH) if (cycle := _cycle_from(module))]
    assert not cycles, "import cycles: " + "; ".join(" -> ".join(c) for c in cycles)


def test_arrows_point_down() -> None:
    upward = [
        f"{module} -> {target}"
        for module, targets in GRAPH.items()
        for target in targets
        if (low := _layer(module)) is not None
        and (high := _layer(target)) is not None
        and high > low
    ]
    assert not upward, "imports from a lower layer into a higher one: " + ", ".join(upward)


def test_the_rules_see_a_cycle_and_an_upward_arrow(monkeypatch: pytest.MonkeyPatch) -> None:
    """The checks above are only worth something if they can fail."""
    monkeypatch.setitem(GRAPH, "photoarchive.db", {*GRAPH["photoarchive.db"], "photoarchive.web"})
    monkeypatch.setitem(GRAPH, "photoarchive.web", {"photoarchive.db"})
    assert _cycle_from("photoarchive.db") is not None
    with pytest.raises(AssertionError, match=r"photoarchive\.db -> photoarchive\.web"):
        test_arrows_point_down()
