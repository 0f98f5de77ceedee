"""Checkers for each workload: pure functions from a history to a `Check`."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from attrs import field, frozen

from ._linearizability import KVOp
from ._linearizability import check as check_linearizable


@frozen
class Op:
    """One client operation of a run, as the history records it.

    ``f`` names the operation (``"echo"``, ``"broadcast"``, ``"read"``...), ``value`` is its
    argument, ``result`` what the node answered, ``outcome`` ``"ok"``, ``"fail"`` (a definite
    error, with its ``error`` code) or ``"info"`` (no answer in time, or an indefinite error).
    ``final`` marks the reads made after the workload, once the network healed.
    """

    process: str
    node: str
    f: str
    value: Any
    invoke: float
    complete: float
    outcome: str
    result: Any = None
    error: int | None = None
    final: bool = False


@frozen
class Check:
    """A checker's verdict: ``valid`` or not, why not, and the figures it measured."""

    valid: bool
    problems: tuple[str, ...] = ()
    stats: dict[str, Any] = field(factory=dict[str, Any])


def _counts(history: Sequence[Op]) -> dict[str, int]:
    counts = Counter(op.outcome for op in history if not op.final)
    return {"ok": counts["ok"], "fail": counts["fail"], "info": counts["info"]}


def quantiles(values: Sequence[float]) -> dict[str, float]:
    """The 0, 0.5, 0.95, 0.99 and 1 quantiles of ``values`` (nearest rank), rounded to ms."""
    if not values:
        return {}
    ordered = sorted(values)
    out: dict[str, float] = {}
    for q in (0.0, 0.5, 0.95, 0.99, 1.0):
        index = min(len(ordered) - 1, max(0, math.ceil(q * len(ordered)) - 1))
        out[str(q)] = round(ordered[index], 4)
    return out


def check_echo(history: Sequence[Op]) -> Check:
    """Every request got ``echo_ok`` with the same ``echo``."""
    problems = [
        f"{op.process} on {op.node}: echo {op.value!r} got {op.outcome} {op.result!r}"
        for op in history
        if op.outcome != "ok" or op.result != op.value
    ]
    ok = sum(op.outcome == "ok" for op in history)
    if not ok:
        problems.append("no echo succeeded")
    return Check(not problems, tuple(problems[:20]), _counts(history))


def check_unique_ids(history: Sequence[Op]) -> Check:
    """Every ``generate`` succeeded, and no id was handed out twice."""
    ids = Counter(_hashable(op.result) for op in history if op.outcome == "ok")
    problems = [f"id {value!r} was generated {n} times" for value, n in ids.items() if n > 1]
    problems += [f"{op.process} on {op.node}: generate {op.outcome}" for op in history if op.outcome != "ok"]
    if not ids:
        problems.append("no id was generated")
    return Check(not problems, tuple(problems[:20]), {**_counts(history), "ids": len(ids)})


def _hashable(value: Any) -> Any:
    if isinstance(value, list):
        return tuple(_hashable(v) for v in value)  # pyright: ignore[reportUnknownVariableType]
    if isinstance(value, dict):
        return tuple(sorted((k, _hashable(v)) for k, v in value.items()))  # pyright: ignore[reportUnknownVariableType, reportUnknownArgumentType]
    return value


def check_set(history: Sequence[Op], add: str, read_key: Callable[[Op], Iterable[Any]]) -> Check:
    """A grow-only set read on every node: every acknowledged element is in every final
    read, nothing read was never added.

    An element's stable latency runs from its ``add``'s invocation to the first read that
    contains it after the last read that lacked it (as Jepsen's set-full checker measures),
    over the reads made during the workload; an element no workload read showed stably
    (added in its last moments) is counted as unmeasured.
    """
    attempted = {op.value for op in history if op.f == add}
    acked = {op.value: op.invoke for op in history if op.f == add and op.outcome == "ok"}
    reads = sorted((op for op in history if op.f == "read" and op.outcome == "ok"), key=lambda op: op.invoke)
    finals = [op for op in reads if op.final]
    problems: list[str] = []
    nodes = {op.node for op in history}
    final_nodes = {op.node for op in finals}
    if missing_nodes := sorted(nodes - final_nodes):
        problems.append(f"no final read succeeded on {missing_nodes}")
    for op in finals:
        seen = set(read_key(op))
        if lost := sorted(set(acked) - seen):
            problems.append(f"final read on {op.node} lacks {len(lost)} acknowledged values, e.g. {lost[:5]}")
    for op in reads:
        if unexpected := sorted(set(read_key(op)) - attempted, key=repr):
            problems.append(f"read on {op.node} returned values never added: {unexpected[:5]}")
            break
    seen_by = [(op.invoke, frozenset(_hashable(v) for v in read_key(op))) for op in reads if not op.final]
    latencies: list[float] = []
    for value, added in acked.items():
        after = [(at, seen) for at, seen in seen_by if at >= added]
        last_absent = max((at for at, seen in after if value not in seen), default=-math.inf)
        stable = next((at for at, seen in after if at > last_absent and value in seen), None)
        if stable is not None:
            latencies.append(stable - added)
    stats = {
        **_counts(history),
        "acknowledged": len(acked),
        "stable-latency": quantiles(latencies),
        "stable-latency-unmeasured": len(acked) - len(latencies),
    }
    return Check(not problems, tuple(problems[:20]), stats)


def _messages(op: Op) -> Iterable[Any]:
    return op.result or ()


def check_broadcast(history: Sequence[Op]) -> Check:
    """Every acknowledged broadcast is read on every node after healing."""
    return check_set(history, "broadcast", _messages)


def check_g_set(history: Sequence[Op]) -> Check:
    """Every acknowledged ``add`` is read on every node after healing."""
    return check_set(history, "add", _messages)


def check_g_counter(history: Sequence[Op]) -> Check:
    """Each final read lies between the sum of acknowledged adds and the sum of all adds."""
    low = sum(op.value for op in history if op.f == "add" and op.outcome == "ok")
    high = sum(op.value for op in history if op.f == "add" and op.outcome != "fail")
    finals = [op for op in history if op.final and op.f == "read"]
    problems = [
        f"final read on {op.node}: {op.outcome} {op.result!r}, expected between {low} and {high}"
        for op in finals
        if op.outcome != "ok" or not (isinstance(op.result, int) and low <= op.result <= high)
    ]
    nodes = {op.node for op in history}
    if missing := sorted(nodes - {op.node for op in finals}):
        problems.append(f"no final read on {missing}")
    return Check(not problems, tuple(problems[:20]), {**_counts(history), "acknowledged-sum": low})


def to_kv_op(op: Op) -> KVOp:
    """The linearizability checker's view of a lin-kv history entry."""
    key, argument = op.value
    value = op.result if op.f == "read" and op.outcome == "ok" else argument
    return KVOp(op.f, key, value, op.invoke, op.complete, op.outcome, op.error)  # type: ignore[arg-type]


def check_lin_kv(history: Sequence[Op], max_steps: int = 200_000) -> Check:
    """The history of reads, writes and cas on each key is linearizable."""
    verdicts = check_linearizable((to_kv_op(op) for op in history), max_steps)
    problems = [
        f"key {v.key!r}: not linearizable ({v.ops} operations)" for v in verdicts if v.verdict == "invalid"
    ]
    unknown = [v.key for v in verdicts if v.verdict == "unknown"]
    stats = {**_counts(history), "keys": len(verdicts), "unknown-keys": unknown}
    return Check(not problems, tuple(problems), stats)


CHECKERS: dict[str, Callable[[Sequence[Op]], Check]] = {
    "echo": check_echo,
    "unique-ids": check_unique_ids,
    "broadcast": check_broadcast,
    "g-set": check_g_set,
    "g-counter": check_g_counter,
    "lin-kv": check_lin_kv,
}
