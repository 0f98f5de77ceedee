"""Every Python code block in the docs and the README is a runnable example that the suite runs.

A docs page shows Python only by including an ``examples/`` file (or a section of one) with
``--8<--``; ``tests/test_examples.py`` runs each top-level example on every backend,
``examples/testing/`` is part of the test paths, and ``tests/maelstrom/test_harness.py`` runs
each ``examples/maelstrom/`` node under the harness on every backend. The README cannot include files, so each
of its Python blocks must appear verbatim in an example.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).parent.parent
DOCS = sorted((ROOT / "docs").rglob("*.md"))
FENCE = re.compile(
    r"^(?P<indent> *)```(?P<lang>\w*)[^\n]*\n(?P<body>.*?)^(?P=indent)```", re.MULTILINE | re.DOTALL
)
SNIPPET = re.compile(r'^--8<-- "(?P<path>[^":]+)(?::(?P<section>[\w-]+))?"$')
RUN_BY_TESTS = [
    *sorted((ROOT / "examples").glob("*.py")),
    *sorted((ROOT / "examples" / "testing").glob("*.py")),
    *sorted((ROOT / "examples" / "maelstrom").glob("*.py")),  # run under the harness by tests/maelstrom
]


def _blocks(text: str) -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    for match in FENCE.finditer(text):
        indent = len(match["indent"])
        body = "\n".join(line[indent:] for line in match["body"].splitlines())
        found.append((match["lang"], body))
    return found


def test_there_are_docs() -> None:
    assert len(DOCS) >= 10


@pytest.mark.parametrize("page", DOCS, ids=lambda p: str(p.relative_to(ROOT / "docs")))
def test_python_blocks_only_include_examples_the_suite_runs(page: Path) -> None:
    for lang, body in _blocks(page.read_text()):
        if lang not in {"python", "py", "pycon"}:
            continue
        lines = [line for line in body.splitlines() if line.strip()]
        assert lines, f"{page.name}: an empty python block"
        for line in lines:
            snippet = SNIPPET.match(line.strip())
            assert snippet, f"{page.name}: python blocks must include an example, found {line!r}"
            path = ROOT / snippet["path"]
            assert path in RUN_BY_TESTS, f"{page.name}: {snippet['path']} is not run by the tests"
            section = snippet["section"]
            if section:
                source = path.read_text()
                assert f"# --8<-- [start:{section}]" in source, f"{snippet['path']} lacks section {section}"
                assert f"# --8<-- [end:{section}]" in source, f"{snippet['path']} lacks section {section}"


def test_readme_python_blocks_are_examples() -> None:
    sources = "\n".join(path.read_text() for path in RUN_BY_TESTS)
    blocks = [body for lang, body in _blocks((ROOT / "README.md").read_text()) if lang == "python"]
    assert blocks
    for body in blocks:
        assert body.strip() in sources, f"README block not found verbatim in examples/:\n{body}"


def _public_docstrings() -> list[tuple[str, str]]:
    import importlib
    import inspect

    found: list[tuple[str, str]] = []
    for module_name in (
        "spawned",
        "spawned.tasks",
        "spawned.threads",
        "spawned.testing",
        "spawned.maelstrom",
    ):
        module = importlib.import_module(module_name)
        found.append((module_name, inspect.getdoc(module) or ""))
        for name in module.__all__:
            obj = getattr(module, name)
            found.append((f"{module_name}.{name}", inspect.getdoc(obj) or ""))
            for member, value in vars(obj).items() if inspect.isclass(obj) else ():
                if not member.startswith("_"):
                    found.append((f"{module_name}.{name}.{member}", inspect.getdoc(value) or ""))
    return found


def test_code_in_docstrings_is_valid_python() -> None:
    blocks = [
        (where, body)
        for where, doc in _public_docstrings()
        for lang, body in _blocks(doc)
        if lang == "python"
    ]
    assert len(blocks) >= 3
    for where, body in blocks:
        compile(body, where, "exec")  # fragments for the API reference: they must at least parse
