"""The harness's Wing & Gong linearizability checker on hand-made key-value histories."""

from __future__ import annotations

import pytest

from spawned.maelstrom.harness import KVOp, check_linearizable
from spawned.maelstrom.harness._linearizability import check_key


def w(value: int, invoke: float, complete: float, outcome: str = "ok") -> KVOp:
    return KVOp("write", "k", value, invoke, complete, outcome)  # type: ignore[arg-type]


def r(value: int | None, invoke: float, complete: float, error: int | None = None) -> KVOp:
    return KVOp("read", "k", value, invoke, complete, "ok" if error is None else "fail", error)


def cas(  # noqa: PLR0917 - reads like the history it builds
    old: int, new: int, invoke: float, complete: float, outcome: str = "ok", error: int | None = None
) -> KVOp:
    return KVOp("cas", "k", (old, new), invoke, complete, outcome, error)  # type: ignore[arg-type]


def verdict(*ops: KVOp, max_steps: int = 100_000) -> str:
    return check_key("k", ops, max_steps).verdict


LINEARIZABLE = {
    "sequential write then read": [w(1, 0, 1), r(1, 2, 3)],
    "read overlapping a write may see the old value": [w(1, 0, 1), w(2, 2, 5), r(1, 3, 4)],
    "read overlapping a write may see the new value": [w(1, 0, 1), w(2, 2, 5), r(2, 3, 4)],
    "concurrent writes in either order": [w(1, 0, 4), w(2, 1, 3), r(1, 5, 6)],
    "read of a missing key fails with 20": [r(None, 0, 1, error=20), w(3, 2, 3), r(3, 4, 5)],
    "cas succeeds from the current value": [w(1, 0, 1), cas(1, 2, 2, 3), r(2, 4, 5)],
    "cas fails with 22 on another value": [w(1, 0, 1), cas(3, 2, 2, 3, "fail", 22), r(1, 4, 5)],
    "an unknown write may have happened": [w(1, 0, 1), w(2, 2, 3, "info"), r(2, 10, 11)],
    "an unknown write may not have happened": [w(1, 0, 1), w(2, 2, 3, "info"), r(1, 10, 11)],
    "an unknown cas took effect late": [w(1, 0, 1), cas(1, 7, 2, 3, "info"), r(1, 4, 5), r(7, 6, 8)],
}

NOT_LINEARIZABLE = {
    "stale read after a completed write": [w(1, 0, 1), w(2, 2, 3), r(1, 4, 5)],
    "read of a value never written": [w(1, 0, 1), r(9, 2, 3)],
    "read of a missing key after a write": [w(1, 0, 1), r(None, 2, 3, error=20)],
    "cas from a value it did not hold": [w(1, 0, 1), cas(5, 2, 2, 3), r(2, 4, 5)],
    "cas precondition failure on the value it held": [w(1, 0, 1), cas(1, 2, 2, 3, "fail", 22)],
    "values flip back": [w(1, 0, 1), w(2, 2, 3), r(2, 4, 5), r(1, 6, 7)],
    "two reads see writes in opposite orders": [
        w(1, 0, 10),
        w(2, 0, 10),
        r(1, 11, 12),
        r(2, 13, 14),
        r(1, 15, 16),
    ],
}


@pytest.mark.parametrize("ops", LINEARIZABLE.values(), ids=LINEARIZABLE.keys())
def test_linearizable_histories_pass(ops: list[KVOp]) -> None:
    assert verdict(*ops) == "valid"


@pytest.mark.parametrize("ops", NOT_LINEARIZABLE.values(), ids=NOT_LINEARIZABLE.keys())
def test_non_linearizable_histories_fail(ops: list[KVOp]) -> None:
    assert verdict(*ops) == "invalid"


def test_keys_are_checked_independently() -> None:
    other = [KVOp("write", "j", 1, 0, 1), KVOp("read", "j", 1, 2, 3)]
    stale = NOT_LINEARIZABLE["stale read after a completed write"]
    verdicts = {v.key: v.verdict for v in check_linearizable([*other, *stale])}
    assert verdicts == {"j": "valid", "k": "invalid"}


def test_an_invalid_key_names_the_operation_that_cannot_be_linearized() -> None:
    result = check_key("k", NOT_LINEARIZABLE["cas precondition failure on the value it held"])
    assert result.blocked == "cas 1 2 -> error 22 (2 .. 3)"
    assert result.result is not None
    assert "write 1  (0 .. 1)  => 1" in result.result.report()
    assert check_key("k", LINEARIZABLE["cas succeeds from the current value"]).blocked is None


def test_the_search_is_bounded() -> None:
    concurrent = [w(i, 0, 100) for i in range(12)]
    result = check_key("k", [*concurrent, r(99, 101, 102)], max_steps=50)
    assert result.verdict == "unknown"
    assert result.steps == 50


def test_a_long_sequential_history_is_fast() -> None:
    ops = [w(i, 2 * i, 2 * i + 1) if i % 2 == 0 else r(i - 1, 2 * i, 2 * i + 1) for i in range(400)]
    assert check_key("k", ops, max_steps=10_000).verdict == "valid"
