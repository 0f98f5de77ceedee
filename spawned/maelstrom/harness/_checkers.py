"""Checkers for each workload: pure functions from a history to a `Check`."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from attrs import field, frozen

from ._linearizability import MAX_STEPS, KVOp
from ._linearizability import check as check_linearizable
from ._values import Typed, typed

MAX_COUNTER_RANGES = 10_000
"""How many disjoint ranges of acceptable counter values the g-counter checker tracks."""


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
    """A checker's verdict: ``valid`` or not, why not, and the figures it measured.

    ``unknown`` marks a check that could not decide (Knossos's ``:unknown``, such as a
    linearizability search that reached its step limit); it is never ``valid``.
    """

    valid: bool
    problems: tuple[str, ...] = ()
    stats: dict[str, Any] = field(factory=dict[str, Any])
    unknown: bool = False


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
        if op.outcome != "ok" or typed(op.result) != typed(op.value)
    ]
    ok = sum(op.outcome == "ok" for op in history)
    if not ok:
        problems.append("no echo succeeded")
    return Check(not problems, tuple(problems[:20]), _counts(history))


def check_unique_ids(history: Sequence[Op]) -> Check:
    """Every ``generate`` succeeded, and no id was handed out twice (``1`` and ``true`` differ)."""
    generated = {typed(op.result): op.result for op in history if op.outcome == "ok"}
    ids = Counter(typed(op.result) for op in history if op.outcome == "ok")
    problems = [f"id {generated[value]!r} was generated {n} times" for value, n in ids.items() if n > 1]
    problems += [f"{op.process} on {op.node}: generate {op.outcome}" for op in history if op.outcome != "ok"]
    if not ids:
        problems.append("no id was generated")
    return Check(not problems, tuple(problems[:20]), {**_counts(history), "ids": len(ids)})


def check_set(history: Sequence[Op], add: str, read_key: Callable[[Op], Any]) -> Check:
    """A grow-only set read on every node: every acknowledged element is in every final
    read, nothing read was never added, and every read is a list.

    Elements compare with their types (``true`` is not ``1``). A read that is not a list
    is a problem of its own, and is taken as empty. An element's stable latency runs from
    its ``add``'s invocation to the first read that contains it after the last read that
    lacked it (as Jepsen's set-full checker measures), over the reads made during the
    workload; an element no workload read showed stably (added in its last moments) is
    counted as unmeasured.
    """
    attempted = {typed(op.value): op.value for op in history if op.f == add}
    acked = {typed(op.value): op.invoke for op in history if op.f == add and op.outcome == "ok"}
    reads = sorted((op for op in history if op.f == "read" and op.outcome == "ok"), key=lambda op: op.invoke)
    problems: list[str] = []
    contents: dict[int, frozenset[Typed]] = {}
    for op in reads:
        read = read_key(op)
        if not isinstance(read, list):
            problems.append(f"read on {op.node} returned {read!r}, not a list")
            read = []
        contents[id(op)] = frozenset(typed(v) for v in read)  # pyright: ignore[reportUnknownVariableType]
    finals = [op for op in reads if op.final]
    nodes = {op.node for op in history}
    final_nodes = {op.node for op in finals}
    if missing_nodes := sorted(nodes - final_nodes):
        problems.append(f"no final read succeeded on {missing_nodes}")
    lost = [(op, sorted((v[1] for v in set(acked) - contents[id(op)]), key=repr)) for op in finals]
    problems += [
        f"final read on {op.node} lacks {len(values)} acknowledged values, e.g. {values[:5]}"
        for op, values in lost
        if values
    ]
    for op in reads:
        if unexpected := sorted(contents[id(op)] - set(attempted), key=repr):
            shown = [v[1] for v in unexpected[:5]]
            problems.append(f"read on {op.node} returned values never added: {shown}")
            break
    seen_by = [(op.invoke, contents[id(op)]) for op in reads if not op.final]
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


def _messages(op: Op) -> Any:
    return [] if op.result is None else op.result


def check_broadcast(history: Sequence[Op]) -> Check:
    """Every acknowledged broadcast is read on every node after healing."""
    return check_set(history, "broadcast", _messages)


def check_g_set(history: Sequence[Op]) -> Check:
    """Every acknowledged ``add`` is read on every node after healing."""
    return check_set(history, "add", _messages)


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def acceptable_sums(definite: int, pending: Iterable[int]) -> list[tuple[int, int]]:
    """The counter values a final read may hold, as sorted, disjoint, inclusive ranges.

    ``definite`` is the sum of the acknowledged adds; each of the ``pending`` adds (no
    answer, or an indefinite error) may have happened or not, so the values are
    ``definite`` plus the sum of any subset of them, as Maelstrom's g-counter checker
    computes. Adjacent values merge into one range. The tracking is bounded: past
    `MAX_COUNTER_RANGES` ranges the two closest are merged, so with very many pending adds
    of scattered sizes a few values between subset sums are accepted too.
    """
    ranges = [(definite, definite)]
    for delta in pending:
        shifted = [(low + delta, high + delta) for low, high in ranges]
        merged: list[tuple[int, int]] = []
        for low, high in sorted([*ranges, *shifted]):
            if merged and low <= merged[-1][1] + 1:
                merged[-1] = (merged[-1][0], max(merged[-1][1], high))
            else:
                merged.append((low, high))
        ranges = _coarsen(merged)
    return ranges


def _coarsen(ranges: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """At most `MAX_COUNTER_RANGES` ranges: close the smallest gaps between neighbours."""
    excess = len(ranges) - MAX_COUNTER_RANGES
    if excess <= 0:
        return ranges
    gaps = sorted(range(len(ranges) - 1), key=lambda i: ranges[i + 1][0] - ranges[i][1])
    closed = set(gaps[:excess])
    out: list[tuple[int, int]] = []
    for i, (low, high) in enumerate(ranges):
        if i - 1 in closed:
            out[-1] = (out[-1][0], high)
        else:
            out.append((low, high))
    return out


def check_g_counter(history: Sequence[Op]) -> Check:
    """Each final read is an integer: the sum of the acknowledged adds plus the sum of some
    subset of the adds whose outcome is unknown (see `acceptable_sums`).
    """
    adds = [op for op in history if op.f == "add"]
    problems = [f"add of {op.value!r} on {op.node}: not an integer" for op in adds if not _is_int(op.value)]
    definite = sum(op.value for op in adds if op.outcome == "ok" and _is_int(op.value))
    pending = [op.value for op in adds if op.outcome == "info" and _is_int(op.value)]
    ranges = acceptable_sums(definite, pending)
    finals = [op for op in history if op.final and op.f == "read"]
    problems += [
        f"final read on {op.node}: {op.outcome} {op.result!r}, expected one of {_ranges_text(ranges)}"
        for op in finals
        if op.outcome != "ok"
        or not (_is_int(op.result) and any(low <= op.result <= high for low, high in ranges))
    ]
    nodes = {op.node for op in history}
    if missing := sorted(nodes - {op.node for op in finals}):
        problems.append(f"no final read on {missing}")
    stats = {**_counts(history), "acknowledged-sum": definite, "acceptable": [list(r) for r in ranges[:20]]}
    return Check(not problems, tuple(problems[:20]), stats)


def _ranges_text(ranges: Sequence[tuple[int, int]]) -> str:
    shown = ", ".join(str(low) if low == high else f"{low}..{high}" for low, high in ranges[:10])
    return shown + (f" (and {len(ranges) - 10} more ranges)" if len(ranges) > 10 else "")


def to_kv_op(op: Op) -> KVOp:
    """The linearizability checker's view of a lin-kv history entry."""
    key, argument = op.value
    value = op.result if op.f == "read" and op.outcome == "ok" else argument
    return KVOp(op.f, key, value, op.invoke, op.complete, op.outcome, op.error)  # type: ignore[arg-type]


def check_lin_kv(history: Sequence[Op], max_steps: int = MAX_STEPS) -> Check:
    """The history of reads, writes and cas on each key is linearizable.

    A key whose search reached ``max_steps`` is undecided: the check is then not valid,
    and ``unknown`` unless another key is certainly not linearizable (as Knossos answers
    ``:unknown``, which Maelstrom counts as not valid).
    """
    verdicts = check_linearizable((to_kv_op(op) for op in history), max_steps)
    problems = [
        f"key {v.key!r}: not linearizable ({v.ops} operations); {v.blocked} cannot be linearized"
        for v in verdicts
        if v.verdict == "invalid"
    ]
    unknown = [v.key for v in verdicts if v.verdict == "unknown"]
    undecided = [
        f"key {v.key!r}: unknown, the search gave up after {max_steps} steps ({v.ops} operations)"
        for v in verdicts
        if v.verdict == "unknown"
    ]
    stats = {**_counts(history), "keys": len(verdicts), "unknown-keys": unknown}
    valid = not problems and not undecided
    return Check(valid, (*problems, *undecided), stats, unknown=not problems and bool(undecided))


CHECKERS: dict[str, Callable[[Sequence[Op]], Check]] = {
    "echo": check_echo,
    "unique-ids": check_unique_ids,
    "broadcast": check_broadcast,
    "g-set": check_g_set,
    "g-counter": check_g_counter,
    "lin-kv": check_lin_kv,
}
