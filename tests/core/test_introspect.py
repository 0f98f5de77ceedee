"""The tree view is plain formatting over ProcessInfo records."""

from __future__ import annotations

import io

import pytest

from spawned._introspect import ProcessInfo, ProcessTree


def _tree() -> ProcessTree:
    bank = ProcessInfo("Bank 'bank'", "Bank", "bank", "running", 2, child_id="bank")
    names = ProcessInfo("NameServer#4", "NameServer", None, "not running", 0, child_id="names")
    inner = ProcessInfo(
        "Supervisor#2", "Supervisor", None, "running", 0, "supervisor", "services", 1, (bank, names)
    )
    cache = ProcessInfo("Cache#5", "Cache", None, "running", 0, child_id="cache")
    root = ProcessInfo(
        "Supervisor#1", "Supervisor", None, "running", 0, "supervisor", None, 0, (inner, cache)
    )
    return ProcessTree((root,))


def test_plain_text_tree_shows_ids_labels_status_mailbox_and_restarts() -> None:
    assert str(_tree()) == (
        "Supervisor#1 (supervisor, running, mailbox 0, restarts 0)\n"
        "├── services: Supervisor#2 (supervisor, running, mailbox 0, restarts 1)\n"
        "│   ├── bank: Bank 'bank' (worker, running, mailbox 2)\n"
        "│   └── names: NameServer#4 (worker, not running)\n"
        "└── cache: Cache#5 (worker, running, mailbox 0)"
    )


def test_walk_visits_every_record_depth_first() -> None:
    assert [info.label for info in _tree().walk()] == [
        "Supervisor#1",
        "Supervisor#2",
        "Bank 'bank'",
        "NameServer#4",
        "Cache#5",
    ]


def test_an_empty_tree_says_so() -> None:
    assert str(ProcessTree(())) == "(no processes)"


def test_print_writes_the_tree(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(__import__("sys").modules, "rich.console", None)  # as if rich were missing
    out = io.StringIO()
    _tree().print(file=out)
    assert out.getvalue() == str(_tree()) + "\n"


def test_print_uses_rich_when_installed() -> None:
    pytest.importorskip("rich")
    out = io.StringIO()
    _tree().print(file=out)
    assert "bank: Bank 'bank' (worker, running, mailbox 2)" in out.getvalue()
