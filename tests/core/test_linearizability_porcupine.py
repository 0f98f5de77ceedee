"""Porcupine's and Knossos-style cases run through the harness's linearizability checker.

Porcupine (github.com/anishathalye/porcupine, ``porcupine_test.go``) checks a register
model and Jepsen's etcd cas-register histories; the same histories, with Porcupine's
verdicts, go through `check_key` here. Maelstrom's ``lin-kv`` tells a missing key apart
(error 20) where Porcupine's etcd model has ``nil``: a read of ``nil`` becomes a read failing
with 20, and a failed cas becomes 20 while no write has completed yet, 22 after.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from spawned.maelstrom.harness import KVOp, Op
from spawned.maelstrom.harness._checkers import check_lin_kv
from spawned.maelstrom.harness._linearizability import check_key

ETCD = Path(__file__).parent / "porcupine_etcd.txt"


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


def parse_jepsen(lines: list[str]) -> list[KVOp]:
    """Operations on one register from a Jepsen log, times being line numbers.

    As Porcupine does: a timed-out read or an ``info`` operation (or one never completed)
    has an unknown outcome.
    """
    invoked: dict[str, tuple[str, Any, int]] = {}
    ops: list[KVOp] = []
    first_write: int | None = None
    for t, line in enumerate(lines):
        match = LINE.match(line)
        assert match is not None, line
        process, kind, f, argument = match.groups()
        if kind == "invoke":
            value: Any = None
            if f == "cas":
                old, new = argument.strip("[]").split()
                value = (int(old), int(new))
            elif f == "write":
                value = int(argument)
            invoked[process] = (f, value, t)
            continue
        f, value, start = invoked.pop(process)
        if kind == "info" or argument == ":timed-out":
            ops.append(KVOp(f, "r", value, start, t, "info"))
        elif kind == "fail":
            assert f == "cas", line
            error = 20 if first_write is None or start < first_write else 22
            ops.append(KVOp("cas", "r", value, start, t, "fail", error))
        elif f == "read" and argument == "nil":
            ops.append(KVOp("read", "r", None, start, t, "fail", 20))
        else:
            ops.append(KVOp(f, "r", int(argument) if f == "read" else value, start, t))
            if f != "read" and first_write is None:
                first_write = t
    end = len(lines)
    ops.extend(KVOp(f, "r", value, start, end, "info") for f, value, start in invoked.values())
    return ops


def test_the_vendored_histories_are_all_there() -> None:
    assert len(HISTORIES) == 30
    verdicts = [expected for expected, _ in HISTORIES.values()]
    assert verdicts.count("valid") == 19
    assert verdicts.count("invalid") == 11


@pytest.mark.parametrize("name", sorted(HISTORIES))
def test_porcupine_etcd_history(name: str) -> None:
    """``TestEtcdJepsenNNN`` in Porcupine's ``porcupine_test.go``."""
    expected, lines = HISTORIES[name]
    ops = parse_jepsen(lines)
    assert check_key("r", ops, max_steps=500_000).verdict == expected


# -- Porcupine's register model: a register that starts at 0 --------------------------

ZERO = KVOp("write", "r", 0, -2, -1)
"""Porcupine's register starts at 0: a write of 0 before everything else."""


def put(value: int, call: float, ret: float) -> KVOp:
    return KVOp("write", "r", value, call, ret)


def get(value: int, call: float, ret: float) -> KVOp:
    return KVOp("read", "r", value, call, ret)


def test_register_model_linearizable() -> None:
    """``TestRegisterModel``, first history (6.824 2017 quiz 2, section VII)."""
    assert check_key("r", [ZERO, put(100, 0, 100), get(100, 25, 75), get(0, 30, 60)]).verdict == "valid"


def test_register_model_not_linearizable() -> None:
    """``TestRegisterModel``, second history: a read of 0 after a read of 200."""
    assert check_key("r", [ZERO, put(200, 0, 100), get(200, 10, 30), get(0, 40, 90)]).verdict == "invalid"


def test_zero_duration_linearizable() -> None:
    """``TestZeroDuration``, first history: operations whose call and return coincide."""
    ops = [ZERO, put(100, 0, 100), get(100, 25, 75), get(0, 30, 30), get(0, 30, 30)]
    assert check_key("r", ops).verdict == "valid"


def test_zero_duration_not_linearizable() -> None:
    """``TestZeroDuration``, second history."""
    ops = [ZERO, put(200, 0, 100), get(200, 10, 10), get(200, 10, 10), get(0, 40, 90)]
    assert check_key("r", ops).verdict == "invalid"


def test_call_at_the_instant_of_a_return_is_concurrent() -> None:
    """Porcupine orders a call before a return at the same time: the two overlap."""
    assert check_key("r", [put(1, 0, 5), put(2, 5, 6), get(1, 7, 8)]).verdict == "valid"
    assert check_key("r", [put(1, 0, 5), put(2, 5.5, 6), get(1, 7, 8)]).verdict == "invalid"


# -- Knossos-style edge cases -----------------------------------------------------------


def op(  # noqa: PLR0917 - reads like the history it builds
    f: str, value: Any, invoke: float, complete: float, outcome: str = "ok", error: int | None = None
) -> KVOp:
    return KVOp(f, "k", value, invoke, complete, outcome, error)  # type: ignore[arg-type]


EDGE_VALID = {
    "three overlapping writes, reads agree on the last": [
        op("write", 1, 0, 10),
        op("write", 2, 1, 10),
        op("write", 3, 2, 10),
        op("read", 2, 11, 12),
        op("read", 2, 13, 14),
    ],
    "a read overlapping two writes sees the first one": [
        op("write", 1, 0, 10),
        op("write", 2, 0, 10),
        op("read", 1, 5, 6),
        op("read", 2, 11, 12),
    ],
    "a pending write seen only long after its invocation": [
        op("write", 1, 0, 1),
        op("write", 2, 2, 3, "info"),
        op("read", 1, 100, 101),
        op("read", 2, 200, 201),
    ],
    "a pending cas never taking effect": [
        op("write", 1, 0, 1),
        op("cas", (1, 2), 2, 3, "info"),
        op("read", 1, 4, 5),
        op("read", 1, 6, 7),
    ],
    "a pending cas taking effect between two reads": [
        op("write", 1, 0, 1),
        op("cas", (1, 2), 2, 3, "info"),
        op("read", 1, 4, 5),
        op("read", 2, 6, 7),
    ],
    "a pending read says nothing": [op("write", 1, 0, 1), op("read", 9, 2, 3, "info")],
    "concurrent cas: one wins, the other fails": [
        op("write", 0, 0, 1),
        op("cas", (0, 1), 2, 10),
        op("cas", (0, 2), 2, 10, "fail", 22),
        op("read", 1, 11, 12),
    ],
    "cas on a missing key fails with 20, then the key appears": [
        op("cas", (0, 1), 0, 1, "fail", 20),
        op("read", None, 2, 3, "fail", 20),
        op("write", 5, 4, 5),
        op("cas", (5, 6), 6, 7),
        op("read", 6, 8, 9),
    ],
    "a read of a missing key concurrent with the first write": [
        op("write", 1, 0, 10),
        op("read", None, 1, 2, "fail", 20),
        op("read", 1, 3, 4),
    ],
    "an indefinite crash (code 13 as info) on a write that happened": [
        op("write", 1, 0, 1, "info", 13),
        op("read", 1, 2, 3),
    ],
}

EDGE_INVALID = {
    "a read misses a write that completed before it": [
        op("write", 1, 0, 1),
        op("read", None, 2, 3, "fail", 20),
    ],
    "two successful cas from the same value": [
        op("write", 0, 0, 1),
        op("cas", (0, 1), 2, 10),
        op("cas", (0, 2), 2, 10),
    ],
    "cas fails with 20 on a key that exists": [op("write", 1, 0, 1), op("cas", (1, 2), 2, 3, "fail", 20)],
    "a pending write that would have to take effect twice": [
        op("write", 1, 0, 1),
        op("write", 2, 2, 3, "info"),
        op("read", 2, 4, 5),
        op("write", 3, 6, 7),
        op("read", 2, 8, 9),
    ],
    "a read sees a cas that failed definitely": [
        op("write", 1, 0, 1),
        op("cas", (3, 4), 2, 3, "fail", 22),
        op("read", 4, 4, 5),
    ],
}


@pytest.mark.parametrize("case", EDGE_VALID)
def test_edge_case_linearizable(case: str) -> None:
    assert check_key("k", EDGE_VALID[case]).verdict == "valid"


@pytest.mark.parametrize("case", EDGE_INVALID)
def test_edge_case_not_linearizable(case: str) -> None:
    assert check_key("k", EDGE_INVALID[case]).verdict == "invalid"


def test_keys_are_checked_independently_through_check_lin_kv() -> None:
    history = [
        Op("c1", "n1", "write", (0, 1), 0, 1, "ok"),
        Op("c2", "n1", "read", (1, None), 0, 1, "fail", "missing", 20),
        Op("c1", "n1", "read", (0, None), 2, 3, "ok", 1),
        Op("c2", "n1", "write", (1, 7), 2, 3, "ok"),
        Op("c2", "n1", "read", (1, None), 4, 5, "ok", 1),
    ]
    check = check_lin_kv(history)
    assert not check.valid
    assert check.problems == (
        "key 1: not linearizable (3 operations); read -> 1 (4 .. 5) cannot be linearized",
    )


# -- bugs -------------------------------------------------------------------------------


def test_a_definitely_failed_write_never_happened() -> None:
    ops = [op("write", 1, 0, 1), op("write", 2, 2, 3, "fail", 22), op("read", 1, 4, 5)]
    assert check_key("k", ops).verdict == "valid"


def test_a_read_of_true_does_not_match_a_write_of_1() -> None:
    assert (
        check_key("k", [op("write", 1, 0, 1), op("read", value=True, invoke=2, complete=3)]).verdict
        == "invalid"
    )


def test_an_unfinished_search_is_not_valid() -> None:
    history = [Op(f"c{i}", "n1", "write", (0, i), 0, 10, "ok") for i in range(12)]
    history.append(Op("c0", "n1", "read", (0, None), 11, 12, "ok", 99))
    check = check_lin_kv(history, max_steps=5)
    assert check.stats["unknown-keys"] == [0]
    assert not check.valid
