"""A linearizability checker for key-value histories (Wing & Gong, with Lowe's memo).

Pure: it takes finished operations and returns a verdict. Keys are independent registers,
and linearizability is compositional (Herlihy & Wing), so each key is checked on its own.

The search: at any point the candidates are the operations not yet linearized that were
invoked before the earliest completion among the required ones left; a candidate that the
register accepts is applied, and the search goes deeper; a dead end backtracks. Each
(linearized set, register value) pair is visited once. Operations whose outcome is unknown
(``info``: a timeout or a crash) complete at infinity and need not be linearized at all.
The search is bounded: past ``max_steps`` it answers ``unknown`` instead of running on.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from typing import Any, Literal

from attrs import field, frozen

from ._values import typed

ABSENT: Any = object()
"""The register's value before the key is first written."""

Outcome = Literal["ok", "fail", "info"]
Verdict = Literal["valid", "invalid", "unknown"]


@frozen
class KVOp:
    """One client operation on one key of a key-value store.

    ``f`` is ``"read"``, ``"write"`` or ``"cas"``. ``value`` is the value written, the
    ``(from, to)`` pair of a cas, or (for a read that succeeded) the value read. ``outcome``
    is ``"ok"``; ``"fail"`` with ``error`` 20 (key does not exist) or 22 (precondition
    failed) for definite failures; or ``"info"`` when the outcome is unknown.
    """

    f: str
    key: Any
    value: Any
    invoke: float
    complete: float
    outcome: Outcome = "ok"
    error: int | None = None
    index: int = field(default=-1, eq=False)


@frozen
class KeyVerdict:
    """The verdict for one key, with the number of search steps it took."""

    key: Any
    verdict: Verdict
    steps: int
    ops: int


def _step(op: KVOp, value: Any, state: Any) -> tuple[bool, Any]:  # noqa: PLR0911 - one case per op and outcome
    """Whether ``op`` may take effect on a register holding ``state``, and the new state.

    ``value`` is the op's value in `typed` form (a cas's is a pair of them); so is ``state``,
    unless it is ``ABSENT``: ``true`` never matches ``1``.
    """
    match op.f, op.outcome:
        case "read", "ok":
            return state == value, state
        case "read", "fail":
            return state is ABSENT, state
        case "write", _:
            return True, value
        case "cas", "ok" | "info":
            old, new = value
            if state == old:
                return True, new
            return False, state
        case "cas", "fail" if op.error == 22:
            return state is not ABSENT and state != value[0], state
        case "cas", "fail":
            return state is ABSENT, state
        case _:
            return False, state


OBSERVED_FAILURES = frozenset({("read", 20), ("cas", 20), ("cas", 22)})
"""Definite failures that say something about the register: a missing key, another value."""


def _typed_value(op: KVOp) -> Any:
    if op.f == "cas":
        old, new = op.value
        return typed(old), typed(new)
    return typed(op.value)


def check_key(key: Any, ops: Sequence[KVOp], max_steps: int = 200_000) -> KeyVerdict:  # noqa: C901 - one search loop
    """Whether the operations on one key are linearizable, as a `KeyVerdict`.

    Values compare with their types (``true`` is not ``1``). Reads that ended with an
    unknown outcome say nothing and are left out. An operation that failed definitely did
    not happen: it is left out, except a read or cas failing with 20 (the key was absent)
    and a cas failing with 22 (the key held another value), which say what the register held.
    """
    kept = [
        op
        for op in ops
        if not (op.f == "read" and op.outcome == "info")
        and not (op.outcome == "fail" and (op.f, op.error) not in OBSERVED_FAILURES)
    ]
    kept.sort(key=lambda op: op.invoke)
    values = [_typed_value(op) for op in kept]
    n = len(kept)
    invoke = [op.invoke for op in kept]
    complete = [math.inf if op.outcome == "info" else op.complete for op in kept]
    required = 0
    for i, op in enumerate(kept):
        if op.outcome != "info":
            required |= 1 << i
    seen: set[tuple[int, Any]] = set()
    stack: list[tuple[int, Any]] = [(0, ABSENT)]
    steps = 0
    while stack:
        done, state = stack.pop()
        if done & required == required:
            return KeyVerdict(key, "valid", steps, n)
        steps += 1
        if steps > max_steps:
            return KeyVerdict(key, "unknown", steps, n)
        horizon = min(
            (complete[i] for i in range(n) if not done >> i & 1 and required >> i & 1), default=math.inf
        )
        for i in range(n):
            if done >> i & 1:
                continue
            if invoke[i] > horizon:
                break  # sorted by invocation: no later one is a candidate either
            accepted, after = _step(kept[i], values[i], state)
            if not accepted:
                continue
            config = (done | 1 << i, after)
            if config in seen:
                continue
            seen.add(config)
            stack.append((done | 1 << i, after))
    return KeyVerdict(key, "invalid", steps, n)


def check(ops: Iterable[KVOp], max_steps: int = 200_000) -> list[KeyVerdict]:
    """Check a whole history, key by key; each key gets at most ``max_steps`` steps."""
    by_key: dict[Any, tuple[Any, list[KVOp]]] = {}
    for op in ops:
        by_key.setdefault(typed(op.key), (op.key, []))[1].append(op)
    return [check_key(key, key_ops, max_steps) for key, key_ops in by_key.values()]
