"""The shape of the code (issue 10), read from the source with ``ast``: a pure core, no
import cycle, no module reaching into another's private names.

Every ``import`` counts, at module level or inside a function, under ``TYPE_CHECKING``
or not: a function-level import is still a dependency, only a later one.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "icestatus"
# The pure core: what may not know about terminals, Typer or how answers are shown.
CORE = {
    "enums", "errors", "settings", "models", "coverage", "names", "states", "registry", "validate", "replay", "query", "match",
    "reports", "agreements", "ingest", "curate", "sources", "sources.xlsx", "sources.ice_columns", "sources.ice_sheet",
    "sources.ice_page_table", "sources.ice_page_transcript",
    # I/O beneath the CLI, no terminal either: ICE's site (fetch), the user's archive, their use (update).
    "fetch", "archive", "update",
}
PRESENTATION = ("rich", "typer", "icestatus.output", "icestatus.cli")


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {_module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def _imports(path: Path) -> Iterator[tuple[str, list[str], int]]:
    """(module imported, names taken from it, line) for every import statement."""
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, [], node.lineno
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.module, [a.name for a in node.names], node.lineno


def _internal(target: str, names: list[str]) -> set[str]:
    """The icestatus modules an import statement depends on (``from icestatus.cli import
    query`` depends on the module ``cli.query``; ``from icestatus.cli import app`` on ``cli``)."""
    if target != "icestatus" and not target.startswith("icestatus."):
        return set()
    base = target.removeprefix("icestatus").removeprefix(".")
    found = set()
    for name in names or [""]:
        sub = f"{base}.{name}".lstrip(".") if name else base
        found.add(sub if sub in MODULES else base)
    return {m for m in found if m in MODULES and m != ""}


def test_every_core_module_is_listed() -> None:
    """A new module is either core (listed above) or presentation (output/, cli/)."""
    others = {m for m in MODULES if m and m != "__main__" and not m.startswith(("output", "cli"))}
    assert others == CORE


@pytest.mark.parametrize("module", sorted(CORE))
def test_the_core_imports_no_presentation(module: str) -> None:
    bad = [(target, line) for target, _, line in _imports(MODULES[module])
           if any(target == p or target.startswith(p + ".") for p in PRESENTATION)]
    assert bad == [], f"icestatus.{module} imports {bad}"


def test_output_imports_no_cli_and_no_typer() -> None:
    for module, path in MODULES.items():
        if module.startswith("output"):
            bad = [t for t, _, _ in _imports(path) if t == "typer" or t.startswith(("typer.", "icestatus.cli"))]
            assert bad == [], f"icestatus.{module} imports {bad}"


def test_no_import_cycle() -> None:
    graph = {m: set() for m in MODULES}
    for module, path in MODULES.items():
        for target, names, _ in _imports(path):
            graph[module] |= _internal(target, names) - {module}
    # The package root imports nothing; a package's __init__ counts as the package.
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path_: list[str] = []

    def visit(m: str) -> None:
        state[m] = 1
        path_.append(m)
        for n in sorted(graph[m]):
            if state.get(n) == 1:
                cycle = [*path_[path_.index(n):], n]
                pytest.fail("import cycle: " + " -> ".join(f"icestatus.{x}" if x else "icestatus" for x in cycle))
            if n not in state:
                visit(n)
        path_.pop()
        state[m] = 2

    for m in sorted(graph):
        if m not in state:
            visit(m)
    assert graph["cli"] >= {"cli.query", "cli.ingest", "cli.moa", "cli.reports"}  # the check sees edges


def test_no_module_imports_a_private_name_of_another() -> None:
    bad = []
    for path in MODULES.values():
        for target, names, line in _imports(path):
            if target.startswith("icestatus"):
                bad += [f"{path.name}:{line} {target}.{n}" for n in names if n.startswith("_") and n != "__version__"]
    assert bad == []
