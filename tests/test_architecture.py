"""The package's architecture as a test: no import cycle among workbook modules, and no import
that runs backwards along the flow files -> inputs -> scores -> outputs -> commands.

Every import counts, at module level or inside a function, ``TYPE_CHECKING`` ones included: a
lazy import is for an optional or heavy third-party library, never to hide a cycle.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import workbook

PACKAGE = Path(workbook.__file__).parent

# Layers, lowest first: a module imports only from its own layer or lower ones. ``errors`` is
# the one exception tree everyone raises; ``atomic`` is the one place outputs reach the disk,
# used by the package writer, so it sits with xlsx.
LAYERS: dict[str, int] = {
    "workbook.errors": 0,
    "workbook.standards": 0,
    "workbook.demo_data": 0,
    "workbook.core": 1,
    "workbook.xlsx": 2,
    "workbook.atomic": 2,
    "workbook.inputs": 3,
    "workbook.outputs": 4,
    "workbook.cli": 5,
}

# Lazy imports (inside a function) that close a cycle, known and owned elsewhere (issue 11 §1:
# shared layout and the default-template options belong in small modules both sides import).
# Each must still exist: the test says when to remove one.
KNOWN_CYCLE_IMPORTS: set[tuple[str, str]] = {
    ("workbook.core.scoring", "workbook.core.survey"),
    ("workbook.outputs.demo", "workbook.outputs.previous_items"),
    ("workbook.outputs.demo", "workbook.outputs.rectification"),
    ("workbook.outputs.demo", "workbook.outputs.summary"),
    ("workbook.outputs.demo", "workbook.outputs.template"),
    ("workbook.outputs.demo", "workbook.outputs.year_sheet"),
    ("workbook.outputs.template.book", "workbook.outputs.demo"),
    ("workbook.outputs.template.branch_sheet", "workbook.outputs.previous_items"),
    ("workbook.outputs.template.options", "workbook.outputs.previous_items"),
    ("workbook.outputs.year_sheet", "workbook.outputs.template"),
}


def _modules() -> dict[str, Path]:
    modules = {}
    for path in PACKAGE.rglob("*.py"):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        modules[name] = path
    return modules


def _imports(name: str, path: Path, modules: dict[str, Path]) -> set[str]:
    """The workbook modules ``name`` imports, anywhere in its source."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                module = ".".join([*base, node.module] if node.module else base)
            else:
                module = node.module or ""
            for alias in node.names:
                submodule = f"{module}.{alias.name}"
                found.add(submodule if submodule in modules else module)
    return {module for module in found if module in modules and module != name}


def _graph() -> dict[str, set[str]]:
    modules = _modules()
    return {name: _imports(name, path, modules) for name, path in modules.items()}


def _layer(module: str) -> int | None:
    for prefix, layer in LAYERS.items():
        if module == prefix or module.startswith(prefix + "."):
            return layer
    return None


def _cycles(graph: dict[str, set[str]]) -> list[frozenset[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[frozenset[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph.get(node, ())):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = set()
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.add(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(frozenset(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_the_graph_sees_the_package() -> None:
    """The checks below look at real imports (a graph without edges would pass anything)."""
    graph = _graph()
    assert "workbook.core.cells" in graph["workbook.core.scoring"]
    assert "workbook.inputs.consolidate" in graph["workbook.outputs.json_report"]
    # A lazy import inside a function counts.
    assert "workbook.xlsx.workbook_info" in graph["workbook.atomic"]


def test_no_import_cycle() -> None:
    graph = _graph()
    gone = [edge for edge in KNOWN_CYCLE_IMPORTS if edge[1] not in graph[edge[0]]]
    assert gone == [], "a known cycle is gone: remove it from KNOWN_CYCLE_IMPORTS"
    for module, target in KNOWN_CYCLE_IMPORTS:
        graph[module] = graph[module] - {target}
    cycles = _cycles(graph)
    assert cycles == [], "import cycles: " + "; ".join(
        " <-> ".join(sorted(cycle)) for cycle in cycles
    )


def test_every_module_has_a_layer() -> None:
    assert [m for m in _graph() if m != "workbook" and _layer(m) is None] == []


@pytest.mark.parametrize("layer", sorted(set(LAYERS.values())))
def test_no_import_runs_backwards(layer: int) -> None:
    """core imports nothing from xlsx/inputs/outputs/cli; xlsx nothing from inputs/outputs/cli;
    inputs nothing from outputs/cli; outputs nothing from cli."""
    backwards = [
        f"{module} -> {target}"
        for module, targets in sorted(_graph().items())
        if _layer(module) == layer
        for target in sorted(targets)
        if (_layer(target) or 0) > layer
    ]
    assert backwards == []


def test_the_layer_check_catches_a_backward_import() -> None:
    graph = {"workbook.core.scoring": {"workbook.xlsx.cells"}}
    assert [
        (m, t) for m, ts in graph.items() for t in ts if (_layer(t) or 0) > (_layer(m) or 0)
    ] == [("workbook.core.scoring", "workbook.xlsx.cells")]
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [frozenset("abc")]
