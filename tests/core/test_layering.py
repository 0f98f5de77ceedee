"""The layering holds: the core never imports a backend, its import cycles exist only under
``TYPE_CHECKING``, and only ``tasks/_native.py`` touches asyncio or trio.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "spawned"
CORE = sorted(PACKAGE.glob("_*.py"))
BACKENDS = ("tasks", "threads")
EVENT_LOOPS = ("anyio", "asyncio", "trio", "sniffio")


def _runtime_imports(path: Path) -> list[str]:
    """The modules ``path`` imports when it is loaded (not under ``TYPE_CHECKING``, not
    inside a function), as absolute dotted names.
    """
    package = "spawned" if path.parent == PACKAGE else f"spawned.{path.parent.name}"
    found: list[str] = []
    for node in ast.parse(path.read_text()).body:
        if isinstance(node, ast.Import):
            found.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level == 0:
                found.append(node.module or "")
            else:
                base = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                found.append(f"{base}.{node.module}" if node.module else base)
    return found


def _all_imports(path: Path) -> list[str]:
    """Every module ``path`` names in an import, wherever the import is (absolute or relative)."""
    names: list[str] = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            names.append("." * node.level + (node.module or ""))
    return names


@pytest.mark.parametrize("path", CORE, ids=lambda p: p.name)
def test_the_core_never_imports_a_backend_or_an_event_loop(path: Path) -> None:
    bad = [
        name
        for name in _all_imports(path)
        if name.lstrip(".").split(".")[0] in (*BACKENDS, *EVENT_LOOPS)
        or name.startswith(tuple(f"spawned.{b}" for b in BACKENDS))
    ]
    assert bad == [], f"{path.name} imports {bad}: the core must stay backend-free"


def test_core_imports_have_no_cycle_outside_type_checking() -> None:
    graph = {
        f"spawned.{path.stem}": [name for name in _runtime_imports(path) if name.startswith("spawned._")]
        for path in CORE
    }
    done: set[str] = set()

    def visit(module: str, trail: tuple[str, ...]) -> None:
        if module in trail:
            cycle = " -> ".join((*trail[trail.index(module) :], module))
            pytest.fail(f"import cycle outside TYPE_CHECKING: {cycle}")
        if module in done:
            return
        for imported in graph.get(module, ()):
            visit(imported, (*trail, module))
        done.add(module)

    for module in graph:
        visit(module, ())


def test_only_the_native_layer_touches_asyncio_or_trio() -> None:
    touching = sorted(
        path.relative_to(PACKAGE).as_posix()
        for path in PACKAGE.rglob("*.py")
        if "maelstrom" not in path.parts
        and "cluster" not in path.parts  # nats-py is asyncio: a node runs it on an asyncio loop
        and any(name.split(".")[0] in ("asyncio", "trio") for name in _all_imports(path))
    )
    assert touching == ["tasks/_native.py"]
