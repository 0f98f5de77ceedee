"""The harness's workload checkers on hand-made histories."""

from __future__ import annotations

from typing import Any

import pytest

from spawned.maelstrom.harness import Op, topology
from spawned.maelstrom.harness._checkers import (
    acceptable_sums,
    check_broadcast,
    check_echo,
    check_g_counter,
    check_lin_kv,
    check_unique_ids,
    quantiles,
)


def op(
    f: str,
    value: Any = None,
    result: Any = None,
    *,
    at: float = 0.0,
    node: str = "n1",
    outcome: str = "ok",
    final: bool = False,
    error: int | None = None,
) -> Op:
    return Op("c1", node, f, value, at, at + 0.01, outcome, result, error, final)


def test_echo_needs_every_reply_to_echo_its_request() -> None:
    assert check_echo([op("echo", "a", "a"), op("echo", "b", "b")]).valid
    bad = check_echo([op("echo", "a", "a"), op("echo", "b", "c")])
    assert not bad.valid
    assert "'b'" in bad.problems[0]
    assert not check_echo([op("echo", "a", outcome="info")]).valid


def test_unique_ids_rejects_a_duplicate() -> None:
    assert check_unique_ids([op("generate", result="n1-0"), op("generate", result="n2-0")]).valid
    bad = check_unique_ids([op("generate", result="x"), op("generate", result="x", node="n2")])
    assert bad.problems == ("id 'x' was generated 2 times",)
    assert check_unique_ids([op("generate", result=1), op("generate", result=True)]).valid
    assert check_unique_ids([op("generate", result=[1]), op("generate", result=[2])]).valid


def history(final_n2: list[int]) -> list[Op]:
    return [
        op("broadcast", 1, at=0.0),
        op("broadcast", 2, at=1.0, node="n2"),
        op("broadcast", 3, at=1.5, outcome="info"),
        op("read", result=[1], at=0.5, node="n2"),
        op("read", result=[1, 2], at=2.0),
        op("read", result=[1, 2], at=3.0, node="n2"),
        op("read", result=[1, 2, 3], at=4.0, final=True),
        op("read", result=final_n2, at=4.0, node="n2", final=True),
    ]


def test_broadcast_passes_when_every_acknowledged_value_is_read_everywhere() -> None:
    check = check_broadcast(history([1, 2]))  # 3 was not acknowledged: it need not be there
    assert check.valid, check.problems
    assert check.stats["acknowledged"] == 2
    latency = check.stats["stable-latency"]
    assert (latency["0.0"], latency["1.0"]) == (0.5, 1.0)  # 1: read at 0.5; 2: sent at 1.0, read at 2.0


def test_broadcast_fails_on_a_lost_value_and_on_a_value_never_sent() -> None:
    lost = check_broadcast(history([1]))
    assert not lost.valid
    assert "lacks 1 acknowledged values, e.g. [2]" in lost.problems[0]
    invented = check_broadcast(history([1, 2, 7]))
    assert not invented.valid
    assert "never added: [7]" in invented.problems[0]


def test_acceptable_counter_sums_are_the_acknowledged_sum_plus_subsets_of_pending_adds() -> None:
    assert acceptable_sums(10, []) == [(10, 10)]
    assert acceptable_sums(10, [5]) == [(10, 10), (15, 15)]
    assert acceptable_sums(0, [1, 2]) == [(0, 3)]  # 0, 1, 2, 3 merge into one range
    assert acceptable_sums(0, [10, 20]) == [(0, 0), (10, 10), (20, 20), (30, 30)]


def test_acceptable_counter_sums_are_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    import spawned.maelstrom.harness._checkers as checkers

    monkeypatch.setattr(checkers, "MAX_COUNTER_RANGES", 3)
    ranges = acceptable_sums(0, [10, 100])  # 0, 10, 100, 110: the smallest gap closes
    assert ranges == [(0, 10), (100, 100), (110, 110)]
    assert len(acceptable_sums(0, [1 << i for i in range(4, 12)])) == 3


def test_an_undecided_lin_kv_check_is_unknown_not_valid() -> None:
    writes = [op("write", (0, i), at=0, outcome="ok") for i in range(12)]
    check = check_lin_kv([*writes, op("read", (0, None), 99, at=1)], max_steps=5)
    assert (check.valid, check.unknown) == (False, True)
    assert "unknown" in check.problems[0]
    wrong = [op("write", (1, 1), at=0), op("read", (1, None), 2, at=1)]
    mixed = check_lin_kv([*writes, op("read", (0, None), 99, at=1), *wrong], max_steps=5)
    assert (mixed.valid, mixed.unknown) == (False, False)  # one key is certainly wrong


def test_g_counter_final_reads_lie_between_acknowledged_and_attempted_sums() -> None:
    adds = [op("add", 2), op("add", 3, outcome="info"), op("add", 4, outcome="fail", error=11)]
    assert check_g_counter(
        [*adds, op("read", result=2, final=True), op("read", result=5, node="n1", final=True)]
    ).valid
    assert not check_g_counter([*adds, op("read", result=1, final=True)]).valid
    assert not check_g_counter([*adds, op("read", result=9, final=True)]).valid


def test_lin_kv_history_is_checked_per_key() -> None:
    good = [op("write", (0, 1), at=0), op("read", (0, None), 1, at=1)]
    stale = [op("write", (0, 1), at=0), op("write", (0, 2), at=1), op("read", (0, None), 1, at=2)]
    assert check_lin_kv(good).valid
    assert check_lin_kv(stale).problems == (
        "key 0: not linearizable (3 operations); read -> 1 (2 .. 2.01) cannot be linearized",
    )


def test_quantiles_use_nearest_rank() -> None:
    assert quantiles([]) == {}
    assert quantiles([0.3, 0.1, 0.2]) == {"0.0": 0.1, "0.5": 0.2, "0.95": 0.3, "0.99": 0.3, "1.0": 0.3}


def test_topologies() -> None:
    nodes = [f"n{i}" for i in range(1, 6)]
    assert topology("line", nodes)["n3"] == ["n2", "n4"]
    assert topology("total", nodes)["n1"] == ["n2", "n3", "n4", "n5"]
    assert topology("grid", nodes) == {
        "n1": ["n2", "n4"],
        "n2": ["n1", "n3", "n5"],
        "n3": ["n2"],
        "n4": ["n1", "n5"],
        "n5": ["n2", "n4"],
    }
    assert topology("tree2", nodes)["n1"] == ["n2", "n3"]
    assert topology("tree2", nodes)["n2"] == ["n1", "n4", "n5"]


def test_final_reads_do_not_measure_stable_latency() -> None:
    late = [op("broadcast", 1, at=0.0), op("read", result=[1], at=5.0, final=True)]
    check = check_broadcast(late)
    assert check.valid
    assert check.stats["stable-latency"] == {}
    assert check.stats["stable-latency-unmeasured"] == 1
