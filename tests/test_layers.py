"""What may import what (docs/architecture.md), read from the source of every module.

A new import across the layers fails here; the known exceptions are listed one by one, so
removing one is a one-line change and adding one is a decision someone sees in review.
"""

from __future__ import annotations

import ast
from pathlib import Path

WORKBOOK = Path(__file__).resolve().parent.parent / "workbook"

# Layer -> the layers it may import besides itself (imports under ``if TYPE_CHECKING`` are types
# only and not counted).
ALLOWED: dict[str, set[str]] = {
    "core": {"errors"},
    "xlsx": {"core", "errors", "atomic"},
    "inputs": {"xlsx", "core", "errors"},
    "outputs": {"inputs", "xlsx", "core", "errors", "atomic"},
    "cli": {"outputs", "inputs", "xlsx", "core", "errors", "atomic"},
    "atomic": {"errors"},
    "errors": set(),
}

# Known exceptions on main (module -> imported layer), to be removed rather than copied.
EXCEPTIONS = {
    ("core/scoring.py", "xlsx"),  # the cell normaliser and its messages
    ("core/self_sheet.py", "xlsx"),  # the same, for the 自评 cells
    ("xlsx/package.py", "inputs"),  # CellRef, A1 helpers, parse_workbook_xml from reader
    ("xlsx/notes.py", "inputs"),  # CellRef from reader
    ("atomic.py", "core"),  # names, to recognise an assessment workbook before overwriting it
    ("atomic.py", "inputs"),  # read_package_info, the same
    ("cli/addin.py", "xlplugin"),  # builds and installs the add-in (xlplugin loads xlwings lazily)
}


def layer_of(path: Path) -> str:
    relative = path.relative_to(WORKBOOK)
    return relative.parts[0] if len(relative.parts) > 1 else relative.stem


def _run_time_nodes(tree: ast.AST) -> list[ast.AST]:
    """Every node except those under ``if TYPE_CHECKING:``."""
    nodes: list[ast.AST] = []
    pending = [tree]
    while pending:
        node = pending.pop()
        nodes.append(node)
        if isinstance(node, ast.If) and ast.unparse(node.test).endswith("TYPE_CHECKING"):
            pending += node.orelse
            continue
        pending += ast.iter_child_nodes(node)
    return nodes


def imported_modules(path: Path) -> set[str]:
    found: set[str] = set()
    for node in _run_time_nodes(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            if node.module == "workbook":
                found |= {f"workbook.{alias.name}" for alias in node.names}
        elif isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
    return found


def test_layers_import_only_what_they_may() -> None:
    violations = []
    for path in sorted(WORKBOOK.rglob("*.py")):
        source = layer_of(path)
        if source not in ALLOWED:  # package markers, standards/, templates/
            continue
        relative = path.relative_to(WORKBOOK).as_posix()
        for module in imported_modules(path):
            parts = module.split(".")
            if parts[0] == "xlwings":
                violations.append(f"{relative} imports xlwings (only xlplugin/ may)")
            if parts[0] == "xlplugin" and (relative, "xlplugin") not in EXCEPTIONS:
                violations.append(f"{relative} imports {module}")
            if parts[0] != "workbook" or len(parts) < 2:
                continue
            target = parts[1]
            if target in (source, "__init__") or target not in ALLOWED:
                continue
            if target not in ALLOWED[source] and (relative, target) not in EXCEPTIONS:
                violations.append(f"{relative} imports {module}")
    assert violations == [], f"see docs/architecture.md, What may import what: {violations}"


def test_the_check_sees_a_violation(tmp_path: Path) -> None:
    module = tmp_path / "m.py"
    module.write_text(
        "from typing import TYPE_CHECKING\n"
        "from workbook.outputs.summary import write_summary\n"
        "import xlwings as xw\n"
        "if TYPE_CHECKING:\n"
        "    from workbook.cli.main import cli\n",
        "utf-8",
    )
    assert imported_modules(module) == {"typing", "workbook.outputs.summary", "xlwings"}
