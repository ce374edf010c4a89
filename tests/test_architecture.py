"""The package's architecture as a test (docs/architecture.md, "What may import what").

Read from the source of every module of ``workbook/``, every import counts: at module level,
inside a function, or under ``if TYPE_CHECKING:`` (a lazy import is for an optional or heavy
third-party library, never to hide a cycle or a backward import). Three checks:

- ``workbook/`` never imports xlwings; ``xlplugin/`` is the one place that does;
- an import runs only forwards along the flow files -> inputs -> scores -> outputs -> commands:
  each folder imports only the folders ``ALLOWED`` lists for it;
- no import cycle between workbook modules.

The known exceptions are listed one by one, each with its reason; a listed exception that is
gone fails too, so the lists only shrink.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import workbook

PACKAGE = Path(workbook.__file__).parent

# Folder (or top-level module) -> the others it may import besides itself, lowest first.
# ``errors`` is the one exception tree everyone raises; ``atomic`` is the one place outputs
# reach the disk (the package writer uses it, so it sits with xlsx).
ALLOWED: dict[str, frozenset[str]] = {
    "errors": frozenset(),
    "standards": frozenset(),  # the standard files (data)
    "demo_data": frozenset(),  # the demo's data files
    "core": frozenset({"errors"}),
    "xlsx": frozenset({"core", "errors", "atomic"}),
    "atomic": frozenset({"xlsx", "core", "errors"}),
    "inputs": frozenset({"xlsx", "core", "errors", "atomic"}),
    "outputs": frozenset({"inputs", "xlsx", "core", "errors", "atomic"}),
    "cli": frozenset({"outputs", "inputs", "xlsx", "core", "errors", "atomic"}),
}

# Imports across the folders that ALLOWED does not list (module -> module), each justified.
KNOWN_CROSSINGS: dict[tuple[str, str], str] = {
    ("workbook.errors", "workbook.core.problems"): (
        "types only (TYPE_CHECKING): the errors that carry the input problems name their type"
    ),
}

# Imports of xlplugin (module -> xlplugin module) from workbook/, each justified.
KNOWN_XLPLUGIN_IMPORTS: dict[tuple[str, str], str] = {
    ("workbook.cli.addin", "xlplugin.addin"): (
        "``branch-assess addin`` builds the add-in; xlplugin.addin does not import xlwings"
    ),
    ("workbook.cli.addin", "xlplugin.install"): (
        "``branch-assess addin install`` installs it; xlplugin.install does not import xlwings"
    ),
}

# Imports that close a cycle (module -> module), each justified. None today: the demo fills the
# template and every other output, and nothing imports the demo back (the default template's
# options live in outputs/demo.py; ``lines_needed`` is core/layout's).
KNOWN_CYCLE_IMPORTS: dict[tuple[str, str], str] = {}


def _modules() -> dict[str, Path]:
    modules = {}
    for path in PACKAGE.rglob("*.py"):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        modules[name] = path
    return modules


def _imports(name: str, path: Path) -> list[tuple[str, list[str]]]:
    """Every import of ``name``, anywhere in its source: (module, the names imported from it;
    empty for ``import module``)."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: list[tuple[str, list[str]]] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [(alias.name, []) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                module = ".".join([*base, node.module] if node.module else base)
            else:
                module = node.module or ""
            found.append((module, [alias.name for alias in node.names]))
    return found


def _imported(name: str, path: Path) -> set[str]:
    """The modules ``name`` imports (``from m import x``: ``m``)."""
    return {module for module, _ in _imports(name, path)}


def _workbook_imports(name: str, path: Path, modules: dict[str, Path]) -> set[str]:
    """The workbook modules ``name`` imports (``from pkg import module`` counts the module)."""
    found: set[str] = set()
    for module, imported in _imports(name, path):
        for alias in imported or [""]:
            submodule = f"{module}.{alias}"
            found.add(submodule if submodule in modules else module)
    return {module for module in found if module in modules and module != name}


def _graph() -> dict[str, set[str]]:
    modules = _modules()
    return {name: _workbook_imports(name, path, modules) for name, path in modules.items()}


def _folder(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[0] == "workbook" else None


def _crossings(graph: dict[str, set[str]]) -> list[tuple[str, str]]:
    """Imports from one folder into another that ALLOWED does not list."""
    return [
        (module, target)
        for module, targets in sorted(graph.items())
        for target in sorted(targets)
        if (source := _folder(module)) is not None
        and (into := _folder(target)) is not None
        and into != source
        and into not in ALLOWED.get(source, frozenset())
    ]


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
    assert "workbook.core.survey" in graph["workbook.core.scoring"]
    assert "workbook.inputs.consolidate" in graph["workbook.outputs.json_report"]
    # A lazy import inside a function counts, and so does one under TYPE_CHECKING.
    assert "workbook.xlsx.workbook_info" in graph["workbook.atomic"]
    assert "workbook.core.problems" in graph["workbook.errors"]
    # ``from workbook.core import names`` is an import of the module core.names.
    assert "workbook.core.names" in graph["workbook.core.survey"]


def test_workbook_never_imports_xlwings() -> None:
    """xlplugin/ is the only place that imports xlwings; workbook/ imports xlplugin only where
    listed (and those modules of xlplugin do not import xlwings)."""
    modules = _modules()
    xlwings = []
    xlplugin = set()
    for name, path in sorted(modules.items()):
        for module in _imported(name, path):
            if module.split(".")[0] == "xlwings":
                xlwings.append(f"{name} imports {module}")
            if module.startswith("xlplugin."):
                xlplugin.add((name, module))
    assert xlwings == []
    assert xlplugin == set(KNOWN_XLPLUGIN_IMPORTS)
    plugin = PACKAGE.parent / "xlplugin"
    for _, module in KNOWN_XLPLUGIN_IMPORTS:
        path = plugin / f"{module.split('.')[1]}.py"
        at_import = [
            node
            for node in ast.parse(path.read_text(encoding="utf-8")).body
            if isinstance(node, ast.Import | ast.ImportFrom)
        ]
        names = {a.name for n in at_import if isinstance(n, ast.Import) for a in n.names}
        names |= {n.module or "" for n in at_import if isinstance(n, ast.ImportFrom)}
        assert not any(n.split(".")[0] == "xlwings" for n in names), module


def test_every_module_is_in_a_folder_of_the_rules() -> None:
    assert [m for m in _graph() if m != "workbook" and _folder(m) not in ALLOWED] == []


@pytest.mark.parametrize("folder", list(ALLOWED))
def test_imports_run_only_forwards(folder: str) -> None:
    """core imports nothing from xlsx/inputs/outputs/cli; xlsx and atomic nothing from
    inputs/outputs/cli; inputs nothing from outputs/cli; outputs nothing from cli."""
    crossings = [
        f"{module} -> {target}"
        for module, target in _crossings(_graph())
        if _folder(module) == folder and (module, target) not in KNOWN_CROSSINGS
    ]
    assert crossings == [], "see docs/architecture.md, What may import what"


def test_known_crossings_still_exist() -> None:
    assert sorted(set(KNOWN_CROSSINGS) - set(_crossings(_graph()))) == []


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


def test_core_has_no_cycle_and_no_exception() -> None:
    """The pure core is a tree of imports: no known exception there at all."""
    listed = set(KNOWN_CYCLE_IMPORTS) | set(KNOWN_CROSSINGS)
    assert [edge for edge in listed if _folder(edge[0]) == "core"] == []
    core = {m: {t for t in ts if _folder(t) == "core"} for m, ts in _graph().items()}
    assert _cycles({m: ts for m, ts in core.items() if _folder(m) == "core"}) == []


def test_the_checks_catch_what_they_are_for(tmp_path: Path) -> None:
    graph = {
        "workbook.core.scoring": {"workbook.xlsx.cells", "workbook.core.survey"},
        "workbook.core.survey": {"workbook.core.scoring"},
    }
    assert _crossings(graph) == [("workbook.core.scoring", "workbook.xlsx.cells")]
    assert _cycles(graph) == [frozenset({"workbook.core.scoring", "workbook.core.survey"})]
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [frozenset("abc")]
    module = tmp_path / "m.py"
    module.write_text(
        "from typing import TYPE_CHECKING\n"
        "from workbook.outputs.summary import write_summary\n"
        "def f():\n"
        "    import xlwings as xw\n"
        "if TYPE_CHECKING:\n"
        "    from workbook.cli.main import cli\n",
        "utf-8",
    )
    assert {"xlwings", "workbook.outputs.summary", "workbook.cli.main"} <= _imported("m", module)
