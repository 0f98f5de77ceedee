from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

pytest.importorskip("nats")
pytest.importorskip("msgspec")


def _children() -> list[str]:
    """The live child processes of this pytest process (nats-server, node subprocesses)."""
    found: list[str] = []
    me = str(os.getpid())
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            cmdline = (stat.parent / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if fields[1] == me and fields[0] != "Z":
            found.append(f"{stat.parent.name}: {cmdline}")
    return found


@pytest.fixture(autouse=True)
def _no_process_left_behind() -> Iterator[None]:
    """Every cluster test leaves no nats-server or node subprocess running."""
    yield
    assert _children() == [], "a cluster test left a subprocess running"
