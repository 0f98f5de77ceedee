"""Every example runs on every backend and prints exactly its EXPECTED output."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

from spawned.testing import BACKENDS

EXAMPLES = sorted(
    p for p in (Path(__file__).parent.parent / "examples").glob("*.py") if not p.name.startswith("_")
)

NEEDS = {
    "starlette_app": ("starlette", "httpx2"),
    "telemetry_console": ("opentelemetry",),
    "cluster_bank": ("nats", "msgspec"),
}
"""Examples that need an optional extra (``web``, ``telemetry``, ``cluster``: all part of
``test``), and the modules they import.
"""


def _skip_unless_installed(path: Path) -> None:
    missing = [module for module in NEEDS.get(path.stem, ()) if importlib.util.find_spec(module) is None]
    if missing:
        pytest.skip(f"examples/{path.name} needs {', '.join(missing)}: pip install -e '.[test]'")


def _expected(path: Path) -> str:
    spec = importlib.util.spec_from_file_location(f"example_{path.stem}", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.path.insert(0, str(path.parent))
    try:
        spec.loader.exec_module(module)
    finally:
        sys.path.remove(str(path.parent))
    return module.EXPECTED


def test_there_are_examples() -> None:
    assert {"bank", "name_server", "job_service", "starlette_app"} <= {p.stem for p in EXAMPLES}
    assert set(NEEDS) <= {p.stem for p in EXAMPLES}


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_example_prints_expected_output(path: Path, backend: str) -> None:
    _skip_unless_installed(path)
    done = subprocess.run(  # noqa: S603 - runs our own example files
        [sys.executable, str(path), "--backend", backend],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout == _expected(path)


def test_an_example_whose_extra_is_missing_is_skipped_with_the_reason(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    bank = next(p for p in EXAMPLES if p.stem == "bank")
    monkeypatch.setitem(NEEDS, "bank", ("spawned_no_such_module",))
    with pytest.raises(pytest.skip.Exception, match=r"examples/bank\.py needs spawned_no_such_module"):
        _skip_unless_installed(bank)
