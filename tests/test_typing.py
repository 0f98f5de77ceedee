"""pyright infers a server's reply type through its handle and rejects wrong message types.

``tests/typing/usage.py`` holds the cases; pyright (strict, the project's settings) must
report no error on it, which proves every ``assert_type`` and every expected error (each
``# pyright: ignore[rule]`` must be needed). Its ``reveal_type`` lines must match their
``# revealed:`` comments. Skipped when pyright is not installed, unless
``SPAWNED_REQUIRE_PYRIGHT=1`` (as in CI, which installs ``.[dev]`` and runs this file again).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).parent.parent
USAGE = ROOT / "tests" / "typing" / "usage.py"
PYRIGHT = shutil.which("pyright")

REQUIRED = os.environ.get("SPAWNED_REQUIRE_PYRIGHT") == "1"

pytestmark = pytest.mark.skipif(
    PYRIGHT is None and not REQUIRED, reason="pyright is not installed (pip install -e '.[dev]')"
)


def _pyright(*args: str) -> Any:
    assert PYRIGHT is not None
    done = subprocess.run(  # noqa: S603 - runs the project's own type checker
        [PYRIGHT, "--outputjson", *args], capture_output=True, text=True, cwd=ROOT, timeout=300, check=False
    )
    return json.loads(done.stdout)


def test_usage_file_infers_and_rejects_as_written() -> None:
    report = _pyright(str(USAGE))
    diagnostics: list[dict[str, Any]] = report["generalDiagnostics"]
    errors = [d for d in diagnostics if d["severity"] == "error"]
    assert not errors, errors

    expected: dict[int, str] = {}
    for number, line in enumerate(USAGE.read_text().splitlines(), start=1):
        found = re.search(r"reveal_type\((.*)\)\s+# revealed: (.*)$", line)
        if found:
            expected[number] = found.group(2).strip()
    revealed = {
        d["range"]["start"]["line"] + 1: re.sub(r'^Type of ".*" is "(.*)"$', r"\1", d["message"])
        for d in diagnostics
        if d["severity"] == "information"
    }
    assert expected
    assert revealed == expected


def test_usage_file_expects_rejections() -> None:
    text = USAGE.read_text()
    assert text.count("# pyright: ignore[reportArgumentType]") >= 6
    assert "reportIncompatibleMethodOverride" in text


def test_public_api_is_fully_typed() -> None:
    report = _pyright("--verifytypes", "spawned", "--ignoreexternal")
    completeness = report["typeCompleteness"]
    assert completeness["completenessScore"] == 1, [
        s["name"] for s in completeness["symbols"] if not s["isTypeKnown"]
    ]
