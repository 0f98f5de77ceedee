"""Porcupine's test cases (github.com/anishathalye/porcupine, ``porcupine_test.go``, MIT),
ported: its register, zero-duration, set and key-value histories, and the Jepsen etcd
histories vendored in ``tests/core/porcupine_etcd.txt`` with Porcupine's verdicts.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from spawned.sim.lincheck import (
    Append,
    Cas,
    CasRegister,
    Fail,
    Get,
    History,
    Invoke,
    KeyValue,
    Model,
    Ok,
    Put,
    Read,
    Register,
    Set,
    Timeout,
    Write,
    check,
)

Event = Invoke | Ok | Fail | Timeout

ETCD = Path(__file__).parent.parent / "core" / "porcupine_etcd.txt"


def _etcd_histories() -> dict[str, tuple[str, list[str]]]:
    histories: dict[str, tuple[str, list[str]]] = {}
    current: list[str] = []
    for line in ETCD.read_text().splitlines():
        if line.startswith("#"):
            continue
        if line.startswith("= "):
            _, name, expected = line.split()
            current = []
            histories[name] = (expected, current)
        else:
            current.append(line)
    return histories


HISTORIES = _etcd_histories()
LINE = re.compile(r"^(\d+) :(invoke|ok|fail|info) :(read|write|cas) (.*)$")


def parse_jepsen(lines: list[str]) -> History:
    """Porcupine's ``parseJepsenLog``: a timed-out read or an ``info`` operation (or one never
    completed) times out; a read of ``nil`` reads ``None``; a failed cas returns ``False``.
    """
    events: list[Event] = []
    open_ops: dict[str, int] = {}
    for n, line in enumerate(lines):
        match = LINE.match(line)
        assert match is not None, line
        process, kind, f, argument = match.groups()
        if kind == "invoke":
            op: Any = Read()
            if f == "write":
                op = Write(int(argument))
            elif f == "cas":
                old, new = argument.strip("[]").split()
                op = Cas(int(old), int(new))
            events.append(Invoke(n, process, op))
            open_ops[process] = n
            continue
        ident = open_ops.pop(process)
        if kind == "info" or argument == ":timed-out":
            events.append(Timeout(ident))
        elif f == "read":
            events.append(Ok(ident, None if argument == "nil" else int(argument)))
        else:
            events.append(Ok(ident, kind == "ok" if f == "cas" else None))
    return History.from_events(events)


def test_the_vendored_histories_are_all_there() -> None:
    assert len(HISTORIES) == 30
    verdicts = [expected for expected, _ in HISTORIES.values()]
    assert verdicts.count("valid") == 19


@pytest.mark.parametrize("name", sorted(HISTORIES))
def test_porcupine_etcd_history(name: str) -> None:
    """``TestEtcdJepsenNNN``."""
    expected, lines = HISTORIES[name]
    result = check(parse_jepsen(lines), CasRegister())
    assert result.verdict == ("ok" if expected == "valid" else "illegal")
    if not result.ok:
        assert result.failed is not None


# -- TestRegisterModel, TestZeroDuration ------------------------------------------------


def register(intervals: list[tuple[int, Any, Any, int, int]]) -> str:
    return check(History.from_intervals(intervals), Register(initial=0)).verdict


def test_register_model() -> None:
    """Examples from 6.824's 2017 quiz 2, section VII."""
    assert register([(0, Write(100), None, 0, 100), (1, Read(), 100, 25, 75), (2, Read(), 0, 30, 60)]) == "ok"
    assert (
        register([(0, Write(200), None, 0, 100), (1, Read(), 200, 10, 30), (2, Read(), 0, 40, 90)])
        == "illegal"
    )


def test_register_model_as_events() -> None:
    ok = [
        Invoke(0, 0, Write(100)),
        Invoke(1, 1, Read()),
        Invoke(2, 2, Read()),
        Ok(2, 0),
        Ok(1, 100),
        Ok(0),
    ]
    assert check(History.from_events(ok), Register(initial=0)).ok
    bad = [
        Invoke(0, 0, Write(200)),
        Invoke(1, 1, Read()),
        Ok(1, 200),
        Invoke(2, 2, Read()),
        Ok(2, 0),
        Ok(0),
    ]
    assert check(History.from_events(bad), Register(initial=0)).verdict == "illegal"


def test_zero_duration() -> None:
    ok = [
        (0, Write(100), None, 0, 100),
        (1, Read(), 100, 25, 75),
        (2, Read(), 0, 30, 30),
        (3, Read(), 0, 30, 30),
    ]
    assert register(ok) == "ok"
    bad = [
        (0, Write(200), None, 0, 100),
        (1, Read(), 200, 10, 10),
        (2, Read(), 200, 10, 10),
        (3, Read(), 0, 40, 90),
    ]
    assert register(bad) == "illegal"


def test_check_no_partitions() -> None:
    """``TestCheckNoPartitions``: an empty key-value history."""
    assert check(History(), KeyValue()).ok


# -- TestSetModel (Jepsen/Knossos's set) --------------------------------------------------


def set_history(read: list[int] | None) -> History:
    """Two concurrent adds (100 and 110) and a read returning ``read`` (``None``: timed out)."""
    events: list[Event] = [Invoke(0, 0, "add 100"), Invoke(1, 1, "add 110"), Invoke(2, 2, Read())]
    events.append(Timeout(2) if read is None else Ok(2, read))
    events += [Ok(1), Ok(0)]
    return History.from_events(events)


class AddReadSet(Set):
    """Porcupine's set: reads must not see duplicates; adds are spelt ``"add N"``."""

    def step(self, state: frozenset[Any], op: Any, result: Any) -> tuple[bool, frozenset[Any]]:
        if isinstance(op, str):
            return True, state | {int(op.split()[1])}
        if isinstance(result, list) and len(set(result)) != len(result):
            return False, state
        return super().step(state, op, result)


@pytest.mark.parametrize(
    ("read", "verdict"),
    [([], "ok"), ([100, 110], "ok"), (None, "ok"), ([100, 100, 110], "illegal"), ([120], "illegal")],
)
def test_set_model(read: list[int] | None, verdict: str) -> None:
    assert check(set_history(read), AddReadSet()).verdict == verdict


def test_set_model_one_add_seen() -> None:
    events: list[Event] = [
        Invoke(0, 0, "add 100"),
        Invoke(1, 1, "add 0"),
        Invoke(2, 2, Read()),
        Ok(2, [100]),
        Ok(1),
        Ok(0),
    ]
    assert check(History.from_events(events), AddReadSet()).ok


# -- the kv model: get/put/append on string values, partitioned by key -------------------


def kv(events: list[Event], model: Model[Any] | None = None) -> str:
    return check(History.from_events(events), model or KeyValue(initial="")).verdict


def test_kv_appends_concatenate_in_linearization_order() -> None:
    events: list[Event] = [
        Invoke(0, 0, Append("0", "x 0 0 y")),
        Invoke(1, 1, Append("0", "x 1 0 y")),
        Ok(0),
        Ok(1),
        Invoke(2, 0, Get("0")),
        Ok(2, "x 1 0 yx 0 0 y"),
    ]
    assert kv(events) == "ok"
    assert kv([*events[:-1], Ok(2, "x 0 0 y")]) == "illegal"


def test_kv_a_put_overwrites_appends() -> None:
    events: list[Event] = [
        Invoke(0, 0, Append("k", "a")),
        Ok(0),
        Invoke(1, 1, Put("k", "b")),
        Invoke(2, 0, Get("k")),
        Ok(2, "a"),
        Ok(1),
        Invoke(3, 0, Get("k")),
        Ok(3, "b"),
        Invoke(4, 0, Get("other")),
        Ok(4, ""),
    ]
    assert kv(events) == "ok"
    assert kv([*events[:-1], Ok(4, "b")]) == "illegal"
