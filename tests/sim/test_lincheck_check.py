"""The search: timed-out and failed operations, the failing operation and prefix, budgets,
partitions, user models and their errors.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pytest

from spawned.sim.lincheck import (
    UNKNOWN,
    Cas,
    CasRegister,
    Get,
    History,
    KeyValue,
    Model,
    Operation,
    Put,
    Read,
    Register,
    Write,
    check,
    partition_by,
)


def stale_read_history() -> History:
    """a writes 1 then 2; afterwards b reads 1: not linearizable."""
    history = History()
    history.ok(history.invoke("a", Write(1)))
    history.ok(history.invoke("a", Write(2)))
    history.ok(history.invoke("b", Read()), 1)
    return history


def test_an_empty_history_is_linearizable() -> None:
    result = check(History(), Register())
    assert result.ok
    assert result.report() == "linearizable: 0 operations checked against Register"


def test_the_failed_operation_and_the_longest_prefix_are_named() -> None:
    result = check(stale_read_history(), Register())
    assert result.verdict == "illegal"
    assert not result.ok
    assert not result.unknown
    assert [op.op for op in result.prefix] == [Write(1), Write(2)]
    assert result.failure is not None
    assert result.failure.states == (1, 2)
    assert result.failed is not None
    assert (result.failed.client, result.failed.op, result.failed.result) == ("b", Read(), 1)
    assert result.report() == (
        "not linearizable against Register\n"
        "longest linearizable prefix (2 operations):\n"
        "  #0 a: write(1)  (0 .. 1)  => 1\n"
        "  #1 a: write(2)  (2 .. 3)  => 2\n"
        "then this operation cannot be linearized: #2 b: read() -> 1  (4 .. 5)"
    )
    assert str(result) == result.report()


def test_a_linearizable_history_gives_a_linearization() -> None:
    history = History()
    w = history.invoke("a", Write(1))
    r = history.invoke("b", Read())
    history.ok(r, 1)  # the read saw the write, so the write took effect first
    history.ok(w)
    result = check(history, Register())
    assert result.ok
    (part,) = result.partitions
    assert [op.op for op in part.linearization] == [Write(1), Read()]
    assert part.states == (1, 1)
    assert part.blocked is None


def test_a_failed_operation_is_left_out() -> None:
    history = History()
    history.fail(history.invoke("a", Write(1)))
    history.ok(history.invoke("b", Read()), None)
    assert check(history, Register()).ok
    history.ok(history.invoke("b", Read()), 1)
    assert check(history, Register()).verdict == "illegal"


def test_a_timed_out_write_may_take_effect_late() -> None:
    history = History()
    w = history.invoke("a", Write(1))
    history.timeout(w)
    history.ok(history.invoke("b", Read()), None)
    history.ok(history.invoke("b", Read()), 1)  # it took effect after the first read
    history.ok(history.invoke("b", Read()), 1)
    assert check(history, Register()).ok


def test_a_timed_out_write_may_never_take_effect() -> None:
    history = History()
    history.timeout(history.invoke("a", Write(1)))
    history.ok(history.invoke("b", Read()), None)
    assert check(history, Register()).ok


def test_a_timed_out_write_takes_effect_once() -> None:
    history = History()
    history.ok(history.invoke("c", Write(0)))
    history.timeout(history.invoke("a", Write(1)))
    history.ok(history.invoke("b", Read()), 1)
    history.ok(history.invoke("c", Write(2)))
    history.ok(history.invoke("b", Read()), 1)  # it cannot take effect a second time
    assert check(history, Register()).verdict == "illegal"


def test_a_timed_out_write_cannot_take_effect_before_its_invocation() -> None:
    history = History()
    history.ok(history.invoke("b", Read()), 1)
    history.timeout(history.invoke("a", Write(1)))
    assert check(history, Register()).verdict == "illegal"


def test_an_operation_never_ended_counts_as_timed_out() -> None:
    history = History()
    history.invoke("a", Write(1))
    history.ok(history.invoke("b", Read()), 1)
    result = check(history, Register())
    assert result.ok
    assert "[pending]" in result.describe(history.operations[0])
    assert "never returned" in result.describe(history.operations[0])


def test_a_timed_out_cas_may_have_succeeded() -> None:
    history = History()
    history.timeout(history.invoke("a", Cas(0, 1)))
    history.ok(history.invoke("b", Read()), 1)
    assert check(history, CasRegister(initial=0)).ok


def test_max_steps_gives_unknown_deterministically() -> None:
    history = _hard_history()
    result = check(history, Register(), max_steps=10)
    assert result.verdict == "unknown"
    assert result.unknown
    assert not result.ok
    assert result.steps == 10
    assert result.failed is None
    assert result.report().startswith("unknown: the search for Register ran out of time or steps")
    assert check(history, Register()).verdict == "illegal"


def test_a_zero_timeout_gives_unknown() -> None:
    assert check(_hard_history(), Register(), timeout=0).verdict == "unknown"


def test_bad_budgets_are_refused() -> None:
    with pytest.raises(ValueError, match=r"timeout must be None or a number of seconds >= 0, got -1"):
        check(History(), Register(), timeout=-1)
    with pytest.raises(ValueError, match=r"max_steps must be None or an int >= 0, got -5"):
        check(History(), Register(), max_steps=-5)


def _hard_history(writers: int = 8) -> History:
    """Concurrent writes then a read of a value nobody wrote: every order must be tried."""
    history = History()
    tokens = [history.invoke(f"w{i}", Write(i)) for i in range(writers)]
    for token in tokens:
        history.ok(token)
    history.ok(history.invoke("r", Read()), -1)
    return history


def test_memoisation_keeps_the_search_small() -> None:
    # 12 concurrent writes: 12! orders, but only 12 * 2**11 (linearized set, state) pairs
    result = check(_hard_history(12), Register(), max_steps=12 * 2**14)
    assert result.verdict == "illegal"


def test_a_part_found_illegal_ends_a_long_search_elsewhere() -> None:
    history = History()
    hard = [history.invoke(f"w{i}", Put("hard", i)) for i in range(14)]
    for token in hard:
        history.ok(token)
    history.ok(history.invoke("r", Get("hard")), -1)
    history.ok(history.invoke("e", Get("easy")), "never written")
    result = check(history, KeyValue())
    assert result.verdict == "illegal"
    assert [p.verdict for p in result.partitions] == ["unknown", "illegal"]
    assert result.failed is not None
    assert result.failed.op == Get("easy")


class Unhashable(Model[Any]):
    def init(self) -> Any:
        return ()

    def step(self, state: Any, op: Any, result: Any) -> tuple[bool, Any]:
        return True, [*state, op]


class UnhashableInit(Model[Any]):
    def init(self) -> Any:
        return {}

    def step(self, state: Any, op: Any, result: Any) -> tuple[bool, Any]:
        return True, state


def test_an_unhashable_state_is_refused_naming_it() -> None:
    history = History()
    history.ok(history.invoke("a", "op"), "r")
    with pytest.raises(
        TypeError,
        match=r"Unhashable.step\(\) for 'op' -> 'r' returned the unhashable state \['op'\] \(list\): "
        r"the checker remembers every .* states must be hashable",
    ):
        check(history, Unhashable())
    with pytest.raises(
        TypeError, match=r"UnhashableInit.init\(\) returned the unhashable state \{\} \(dict\)"
    ):
        check(history, UnhashableInit())


class LosesOperations(Register):
    def partition(self, operations: Sequence[Operation]) -> Sequence[Sequence[Operation]]:
        return [operations[1:]]


def test_a_partition_that_loses_an_operation_is_refused() -> None:
    with pytest.raises(
        ValueError, match=r"LosesOperations.partition\(\) must return every operation exactly once"
    ):
        check(stale_read_history(), LosesOperations())


# -- a user model: Porcupine's nondeterministic register, as a set of possible states ---


def subsets(values: tuple[int, ...]) -> list[frozenset[int]]:
    found = [frozenset[int]()]
    for value in values:
        found += [s | {value} for s in found]
    return found


class PutAnyRegister(Model[frozenset[frozenset[int]]]):
    """``("put-any", values)`` writes some subset of values; ``("get-any", ())`` reads a
    subset of what is held; ``("get-all", ())`` reads all of it. The state is the set of
    register contents still possible (Porcupine's ``NondeterministicModel.ToModel``).
    """

    def init(self) -> frozenset[frozenset[int]]:
        return frozenset({frozenset()})

    def step(self, state: frozenset[frozenset[int]], op: Any, result: Any) -> tuple[bool, Any]:
        kind, values = op
        if kind == "put-any":
            return True, frozenset(subsets(values))
        read = frozenset(result)
        if kind == "get-any":
            after = frozenset(s for s in state if read <= s)
        else:
            after = frozenset(s for s in state if read == s)
        return bool(after), after

    def describe_op(self, op: Any, result: Any) -> str:
        kind, values = op
        return f"{kind}({list(values)})" if kind == "put-any" else f"{kind}() -> {sorted(result)}"


def test_porcupine_nondeterministic_register_model() -> None:
    """``TestNondeterministicRegisterModel``: get-any reads {2} and {1, 4} while get-all reads
    {1, 2, 3}, so 4 both is and is not in the register.
    """
    events = History()
    put = events.invoke(0, ("put-any", (1, 2, 3, 4)))
    get1 = events.invoke(1, ("get-any", ()))
    get2 = events.invoke(2, ("get-any", ()))
    get_all = events.invoke(3, ("get-all", ()))
    events.ok(get2, [2])
    events.ok(get1, [1, 4])
    events.ok(get_all, [1, 2, 3])
    events.ok(put, [])
    result = check(events, PutAnyRegister())
    assert result.verdict == "illegal"
    assert "get-any() -> [1, 4]" in result.report() or "get-all() -> [1, 2, 3]" in result.report()


def test_user_model_defaults() -> None:
    model = PutAnyRegister()
    assert Model.describe_op(model, "x", UNKNOWN) == "'x' -> ?"
    assert Model.describe_op(model, "x", 1) == "'x' -> 1"
    assert model.describe_state(frozenset()) == "frozenset()"
    assert Model.describe_part(model, []) == "an empty part"
    history = History()
    history.ok(history.invoke(0, ("put-any", (1,))), None)
    assert Model.describe_part(model, history.operations) == "the part starting with put-any([1])"
    assert model.partition(history.operations) == [history.operations]


def test_partition_by_groups_in_order_of_first_operation() -> None:
    history = History()
    for key in ("b", "a", "b", "c"):
        history.ok(history.invoke(0, Get(key)), None)
    groups = partition_by(history.operations, lambda o: o.op.key)
    assert [[o.id for o in g] for g in groups] == [[0, 2], [1], [3]]


def test_the_longest_prefix_counts_operations_that_returned_first() -> None:
    """A timed-out write could make the prefix longer, but says less: it is left out."""
    history = History()
    history.ok(history.invoke("a", Write(1)))
    history.timeout(history.invoke("b", Write(2)))
    history.ok(history.invoke("c", Read()), 3)
    result = check(history, Register())
    assert [op.op for op in result.prefix] == [Write(1)]
    assert result.failed is not None
    assert result.failed.op == Read()
