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
from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Any, Literal

from attrs import field, frozen

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


def _step(op: KVOp, state: Any) -> tuple[bool, Any]:  # noqa: PLR0911 - one case per op and outcome
    """Whether ``op`` may take effect on a register holding ``state``, and the new state."""
    match op.f, op.outcome:
        case "read", "ok":
            return state is not ABSENT and state == op.value, state
        case "read", "fail":
            return op.error == 20 and state is ABSENT, state
        case "write", _:
            return True, op.value
        case "cas", "ok":
            old, new = op.value
            return state is not ABSENT and state == old, new
        case "cas", "info":
            old, new = op.value
            if state is not ABSENT and state == old:
                return True, new
            return False, state
        case "cas", "fail" if op.error == 22:
            return state is not ABSENT and state != op.value[0], state
        case "cas", "fail" if op.error == 20:
            return state is ABSENT, state
        case _:
            return False, state


def check_key(key: Any, ops: Sequence[KVOp], max_steps: int = 200_000) -> KeyVerdict:  # noqa: C901 - one search loop
    """Whether the operations on one key are linearizable, as a `KeyVerdict`.

    Reads that ended with an unknown outcome say nothing and are left out; failed writes
    and operations failing with another error than 20 or 22 never happened and are left out.
    """
    kept = [
        op
        for op in ops
        if not (op.f == "read" and op.outcome == "info")
        and not (op.outcome == "fail" and op.error not in {20, 22})
    ]
    kept.sort(key=lambda op: op.invoke)
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
            accepted, after = _step(kept[i], state)
            if not accepted:
                continue
            config = (done | 1 << i, _freeze(after))
            if config in seen:
                continue
            seen.add(config)
            stack.append((done | 1 << i, after))
    return KeyVerdict(key, "invalid", steps, n)


def _freeze(value: Any) -> Any:
    if isinstance(value, list):
        return tuple(_freeze(v) for v in value)  # pyright: ignore[reportUnknownVariableType]
    if isinstance(value, dict):
        return tuple(sorted((k, _freeze(v)) for k, v in value.items()))  # pyright: ignore[reportUnknownVariableType, reportUnknownArgumentType]
    return value


def check(ops: Iterable[KVOp], max_steps: int = 200_000) -> list[KeyVerdict]:
    """Check a whole history, key by key; each key gets at most ``max_steps`` steps."""
    by_key: dict[Any, list[KVOp]] = defaultdict(list)
    for op in ops:
        by_key[_freeze(op.key)].append(op)
    return [check_key(key, key_ops, max_steps) for key, key_ops in by_key.items()]
