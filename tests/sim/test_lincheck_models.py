"""Each built-in model on good and bad histories, and the errors a model gives."""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from typing import Any

import pytest

from spawned.sim.lincheck import (
    UNKNOWN,
    Add,
    Append,
    Cas,
    CasKey,
    CasRegister,
    Contains,
    Counter,
    Dequeue,
    Enqueue,
    Get,
    History,
    Increment,
    KeyValue,
    Model,
    Put,
    Queue,
    Read,
    Register,
    Remove,
    Set,
    Write,
    check,
)

Interval = tuple[Hashable, Any, Any, float, float | None]


def verdict(model: Model[Any], intervals: Sequence[Interval]) -> str:
    return check(History.from_intervals(intervals), model).verdict


def sequential(model: Model[Any], steps: list[tuple[Any, Any]]) -> str:
    """One client doing ``(op, result)`` one after the other."""
    return verdict(model, [("c", op, result, 2 * i, 2 * i + 1) for i, (op, result) in enumerate(steps)])


# -- register --------------------------------------------------------------------------


def test_register_reads_what_was_written_last() -> None:
    assert sequential(Register(), [(Read(), None), (Write(1), None), (Read(), 1)]) == "ok"
    assert sequential(Register(), [(Write(1), None), (Write(2), None), (Read(), 1)]) == "illegal"
    assert sequential(Register(initial=0), [(Read(), 0)]) == "ok"
    assert sequential(Register(initial=0), [(Read(), None)]) == "illegal"


def test_register_concurrent_write_may_be_seen_or_not() -> None:
    for seen in (0, 1):
        assert verdict(Register(0), [("a", Write(1), None, 0, 10), ("b", Read(), seen, 1, 2)]) == "ok"
    # once a read saw the new value, a later read cannot see the old one
    bad = [("a", Write(1), None, 0, 10), ("b", Read(), 1, 1, 2), ("c", Read(), 0, 3, 4)]
    assert verdict(Register(0), bad) == "illegal"


# -- compare-and-set register ----------------------------------------------------------


def test_cas_register_success_and_failure_must_match_the_value() -> None:
    model = CasRegister(initial=0)
    assert sequential(model, [(Cas(0, 1), True), (Read(), 1), (Cas(0, 2), False), (Read(), 1)]) == "ok"
    assert sequential(model, [(Cas(0, 1), True), (Cas(0, 2), True)]) == "illegal"
    assert sequential(model, [(Cas(1, 2), True)]) == "illegal"
    assert sequential(model, [(Cas(0, 2), False)]) == "illegal"
    assert sequential(model, [(Write(5), None), (Read(), 5)]) == "ok"


def test_cas_register_two_concurrent_cas_from_the_same_value_cannot_both_succeed() -> None:
    model = CasRegister(initial=0)
    both = [("a", Cas(0, 1), True, 0, 10), ("b", Cas(0, 2), True, 0, 10)]
    assert verdict(model, both) == "illegal"
    one = [("a", Cas(0, 1), True, 0, 10), ("b", Cas(0, 2), False, 0, 10)]
    assert verdict(model, one) == "ok"


# -- key-value map ---------------------------------------------------------------------


def test_key_value_keys_are_independent_registers() -> None:
    model = KeyValue()
    steps = [(Put("x", 1), None), (Put("y", 2), None), (Get("x"), 1), (Get("y"), 2), (Get("z"), None)]
    assert sequential(model, steps) == "ok"
    assert sequential(model, [(Put("x", 1), None), (Get("y"), 1)]) == "illegal"


def test_key_value_append_and_cas() -> None:
    model = KeyValue(initial="")
    steps = [
        (Append("k", "a"), None),
        (Append("k", "b"), None),
        (Get("k"), "ab"),
        (CasKey("k", "ab", "c"), True),
    ]
    assert sequential(model, [*steps, (Get("k"), "c"), (CasKey("k", "ab", "d"), False)]) == "ok"
    assert sequential(model, [*steps, (Get("k"), "ab")]) == "illegal"
    assert (
        sequential(KeyValue(), [(Append("k", (1,)), None), (Append("k", (2,)), None), (Get("k"), (1, 2))])
        == "ok"
    )


def test_key_value_is_checked_key_by_key() -> None:
    history = History.from_intervals(
        [
            ("a", Put("x", 1), None, 0, 1),
            ("b", Put("y", 1), None, 0, 1),
            ("a", Get("x"), 1, 2, 3),
            ("b", Get("y"), 7, 2, 3),
        ]
    )
    result = check(history, KeyValue())
    assert [(len(p.operations), p.verdict) for p in result.partitions] == [(2, "ok"), (2, "illegal")]
    assert result.verdict == "illegal"
    assert result.failed is not None
    assert result.failed.op == Get("y")
    assert "key 'y' is not" in result.report()


# -- counter, set, queue ---------------------------------------------------------------


def test_counter() -> None:
    model = Counter()
    assert sequential(model, [(Increment(), None), (Increment(2), 3), (Read(), 3)]) == "ok"
    assert sequential(model, [(Increment(), None), (Read(), 2)]) == "illegal"
    assert sequential(model, [(Increment(), 2)]) == "illegal"
    concurrent = [("a", Increment(), 1, 0, 10), ("b", Increment(), 2, 0, 10)]
    assert verdict(model, concurrent) == "ok"
    assert verdict(model, [("a", Increment(), 2, 0, 10), ("b", Increment(), 2, 0, 10)]) == "illegal"


def test_set() -> None:
    model = Set()
    steps = [(Add(1), None), (Add(2), None), (Contains(1), True), (Remove(1), None), (Contains(1), False)]
    assert sequential(model, [*steps, (Read(), [2])]) == "ok"
    assert sequential(model, [*steps, (Read(), [1, 2])]) == "illegal"
    assert sequential(model, [(Add(1), None), (Contains(1), False)]) == "illegal"


def test_queue_is_fifo() -> None:
    model = Queue()
    steps = [(Enqueue(1), None), (Enqueue(2), None), (Read(), [1, 2]), (Dequeue(), 1), (Dequeue(), 2)]
    assert sequential(model, [*steps, (Dequeue(), None)]) == "ok"
    assert sequential(model, [(Enqueue(1), None), (Enqueue(2), None), (Dequeue(), 2)]) == "illegal"
    assert sequential(Queue(empty="empty"), [(Dequeue(), "empty")]) == "ok"
    concurrent = [("a", Enqueue(1), None, 0, 10), ("b", Enqueue(2), None, 0, 10), ("c", Dequeue(), 2, 11, 12)]
    assert verdict(model, concurrent) == "ok"


@pytest.mark.parametrize(
    ("model", "op"),
    [
        (Register(), Read()),
        (CasRegister(), Cas(1, 2)),
        (KeyValue(), Get("k")),
        (KeyValue(), CasKey("k", 1, 2)),
        (Counter(), Increment()),
        (Counter(), Read()),
        (Set(), Contains(1)),
        (Set(), Read()),
        (Queue(), Dequeue()),
        (Queue(), Read()),
    ],
    ids=lambda v: type(v).__name__,
)
def test_an_operation_that_timed_out_says_nothing_about_its_result(model: Model[Any], op: Any) -> None:
    history = History()
    history.timeout(history.invoke("a", op))
    assert check(history, model).ok


@pytest.mark.parametrize(
    ("model", "known"),
    [
        (Register(), r"Register knows the operations Read\(\) and Write\(value\), not Put"),
        (
            CasRegister(),
            r"CasRegister knows the operations Read\(\), Write\(value\) and Cas\(expected, new\)",
        ),
        (KeyValue(), r"KeyValue knows the operations Get\(key\), Put\(key, value\), Append\(key, value\)"),
        (Counter(), r"Counter knows the operations Increment\(by\) and Read\(\)"),
        (Set(), r"Set knows the operations Add\(item\), Remove\(item\), Contains\(item\) and Read\(\)"),
        (Queue(), r"Queue knows the operations Enqueue\(item\), Dequeue\(\) and Read\(\)"),
    ],
    ids=lambda v: type(v).__name__ if isinstance(v, Model) else "",
)
def test_an_unknown_operation_is_refused_naming_what_the_model_knows(model: Model[Any], known: str) -> None:
    history = History()
    history.ok(history.invoke("a", Put("k", 1) if not isinstance(model, KeyValue) else Write(1)))
    with pytest.raises(TypeError, match=known):
        check(history, model)


@pytest.mark.parametrize(
    ("model", "op", "result", "text"),
    [
        (Register(), Write(1), None, "write(1)"),
        (Register(), Read(), 1, "read() -> 1"),
        (Register(), Read(), UNKNOWN, "read() -> ?"),
        (CasRegister(), Cas(1, 2), True, "cas(1, 2) -> ok"),
        (CasRegister(), Cas(1, 2), False, "cas(1, 2) -> fail"),
        (CasRegister(), Cas(1, 2), UNKNOWN, "cas(1, 2) -> ?"),
        (KeyValue(), Get("x"), "v", "get('x') -> 'v'"),
        (KeyValue(), Put("x", 1), None, "put('x', 1)"),
        (KeyValue(), Append("x", "a"), None, "append('x', 'a')"),
        (KeyValue(), CasKey("x", 1, 2), True, "cas('x', 1, 2) -> ok"),
        (Counter(), Increment(2), None, "increment(2)"),
        (Counter(), Increment(2), 5, "increment(2) -> 5"),
        (Set(), Add(1), None, "add(1)"),
        (Set(), Remove(1), None, "remove(1)"),
        (Set(), Contains(1), True, "contains(1) -> True"),
        (Queue(), Enqueue(1), None, "enqueue(1)"),
        (Queue(), Dequeue(), 1, "dequeue() -> 1"),
        (Queue(), Read(), (1,), "read() -> (1,)"),
    ],
)
def test_models_describe_operations(model: Model[Any], op: Any, result: Any, text: str) -> None:
    assert model.describe_op(op, result) == text


def test_set_describes_its_state_sorted() -> None:
    assert Set().describe_state(frozenset({3, 1, 2})) == "{1, 2, 3}"
    assert Set().describe_state(frozenset({1, "a"})) in ("{1, 'a'}", "{'a', 1}")
