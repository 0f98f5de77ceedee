"""The HTML timeline: written, self-contained, showing the operations and the verdict."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from spawned.sim.lincheck import Get, History, KeyValue, Put, Read, Register, Write, check, visualize


def bad_kv_history() -> History:
    history = History()
    a = history.invoke("alice", Put("x", 1))
    b = history.invoke("bob", Get("x"))
    history.ok(a)
    history.ok(b, 1)
    history.ok(history.invoke("alice", Put("x", 2)))
    history.ok(history.invoke("bob", Get("x")), 1)
    history.timeout(history.invoke("carol", Put("y", "</script><b>")))
    history.fail(history.invoke("dave", Put("y", 3)))
    return history


def page_data(page: str) -> dict[str, Any]:
    match = re.search(r'<script type="application/json" id="data">(.*?)</script>', page, re.DOTALL)
    assert match is not None
    return json.loads(match.group(1))


def test_write_html_draws_every_operation_and_marks_prefix_and_failure(tmp_path: Path) -> None:
    result = check(bad_kv_history(), KeyValue())
    path = result.write_html(tmp_path / "history.html")
    page = path.read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>")
    data = page_data(page)
    ops = data["ops"]
    assert isinstance(ops, list)
    assert [op["desc"] for op in ops] == [
        "put('x', 1)",
        "get('x') -> 1",
        "put('x', 2)",
        "get('x') -> 1",
        "put('y', '</script><b>')",
        "put('y', 3)",
    ]
    assert [op["lin"] for op in ops] == [0, 1, 2, None, None, None]
    assert [op["blocked"] for op in ops] == [False, False, False, True, False, False]
    assert [op["status"] for op in ops] == ["ok", "ok", "ok", "ok", "timeout", "fail"]
    assert data["clients"] == ["alice", "bob", "carol", "dave"]
    assert data["verdict"] == "illegal"
    assert data["failing"] == 0
    assert "then this operation cannot be linearized: #3 bob: get('x') -> 1" in str(data["report"])


def test_the_page_is_self_contained_and_escapes_values(tmp_path: Path) -> None:
    page = check(bad_kv_history(), KeyValue()).write_html(tmp_path / "h.html").read_text(encoding="utf-8")
    assert "http://" not in page
    assert "https://" not in page
    assert "<link" not in page
    assert "<script src" not in page
    assert page.count("</script>") == 2  # the data block and the code: the value's own is escaped
    assert "<b>" not in page


def test_visualize_draws_an_unchecked_history(tmp_path: Path) -> None:
    history = History()
    history.ok(history.invoke("a", Write(1)))
    history.ok(history.invoke("b", Read()), 1)
    path = visualize(history, None, tmp_path / "plain.html", title="just a history")
    page = path.read_text(encoding="utf-8")
    assert "<title>just a history</title>" in page
    data = page_data(page)
    assert data["verdict"] is None
    assert [op["desc"] for op in data["ops"]] == ["Write(value=1) -> None", "Read() -> 1"]


def test_visualize_with_history_and_result(tmp_path: Path) -> None:
    history = History()
    history.ok(history.invoke("a", Write(1)))
    result = check(history, Register())
    assert page_data(visualize(history, result, tmp_path / "x.html").read_text())["verdict"] == "ok"
    history.ok(history.invoke("b", Read()), 1)
    with pytest.raises(ValueError, match=r"the history has 2 operations but the result checked 1"):
        visualize(history, result, tmp_path / "y.html")
    with pytest.raises(ValueError, match=r"visualize needs a history, a check result, or both"):
        visualize(None, None, tmp_path / "z.html")


def test_a_broken_describe_does_not_lose_the_page(tmp_path: Path) -> None:
    class Broken(Register):
        def describe_state(self, state: object) -> str:
            raise RuntimeError

    history = History()
    history.ok(history.invoke("a", Write(1)))
    history.ok(history.invoke("b", Read()), 1)
    result = check(history, Broken())
    data = page_data(result.write_html(tmp_path / "b.html").read_text())
    assert [op["state"] for op in data["ops"]] == ["<unprintable: RuntimeError>"] * 2
