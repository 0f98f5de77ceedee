"""Maelstrom's ``lin-kv`` histories checked by `spawned.sim.lincheck`.

A thin adapter: each key is a register (linearizability is compositional, Herlihy & Wing),
its operations become a [`lincheck.History`][spawned.sim.lincheck.History], and
`LinKvRegister` says what Maelstrom's store does, errors included: a read or cas of a
missing key fails with 20, a cas whose ``from`` does not match fails with 22. Such a
failure did happen and says what the register held, so it is checked like a result.
The search (Wing & Gong with Lowe's memo) is lincheck's, bounded by ``max_steps`` per key.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, Literal

from attrs import field, frozen

from spawned.sim import lincheck

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
    """The verdict for one key, with the number of search steps it took.

    ``result`` is lincheck's full answer: [`report()`][spawned.sim.lincheck.CheckResult.report]
    gives the longest linearizable prefix and the operation that could not follow it, and
    [`write_html`][spawned.sim.lincheck.CheckResult.write_html] draws the key's timeline.
    """

    key: Any
    verdict: Verdict
    steps: int
    ops: int
    result: lincheck.CheckResult | None = field(default=None, eq=False, repr=False)

    @property
    def blocked(self) -> str | None:
        """When ``invalid``, the operation that could not be linearized, with its times."""
        failed = None if self.result is None else self.result.failed
        if self.result is None or failed is None:
            return None
        until = "?" if failed.complete_at is None else f"{failed.complete:g}"
        return f"{self.result.model.describe_op(failed.op, failed.result)} ({failed.invoke:g} .. {until})"


@frozen
class Error:
    """The result of a read or cas that failed definitely with Maelstrom error ``code``."""

    code: int


class LinKvRegister(lincheck.Model[Any]):
    """One key of Maelstrom's ``lin-kv`` store, as a [`lincheck.Model`][spawned.sim.lincheck.Model].

    Operations are lincheck's `Read`, `Write` and `Cas` on `typed` values; the register
    holds `ABSENT` until written. A read returns the value, a cas ``True``; a read or cas of
    an absent key returns ``Error(20)``, a cas from another value ``Error(22)``.
    """

    def init(self) -> Any:
        """The key is absent."""
        return ABSENT

    def step(self, state: Any, op: Any, result: Any) -> tuple[bool, Any]:
        """Whether ``op`` returning ``result`` may happen in ``state``, and the state after it."""
        match op, result:
            case lincheck.Read(), Error(20):
                return state is ABSENT, state
            case lincheck.Read(), _:
                return result is lincheck.UNKNOWN or state == result, state
            case lincheck.Write(value), _:
                return True, value
            case lincheck.Cas(), Error(20):
                return state is ABSENT, state
            case lincheck.Cas(expected), Error(22):
                return state is not ABSENT and state != expected, state
            case lincheck.Cas(expected, new), _:
                return (True, new) if state == expected else (False, state)
            case _:
                raise TypeError(
                    f"LinKvRegister knows Read(), Write(value) and Cas(expected, new), not {op!r}"
                )

    def describe_op(self, op: Any, result: Any) -> str:
        """``read -> 3``, ``write 3``, ``cas 3 4 -> error 22``, with values untyped."""
        shown = (
            "?"
            if result is lincheck.UNKNOWN
            else f"error {result.code}"
            if isinstance(result, Error)
            else repr(_untyped(result))
        )
        match op:
            case lincheck.Read():
                return f"read -> {shown}"
            case lincheck.Write(value):
                return f"write {_untyped(value)!r}"
            case lincheck.Cas(expected, new):
                return f"cas {_untyped(expected)!r} {_untyped(new)!r} -> {shown}"
            case _:
                return super().describe_op(op, result)

    def describe_state(self, state: Any) -> str:
        """The value held, or ``absent``."""
        return "absent" if state is ABSENT else repr(_untyped(state))


def _untyped(value: Any) -> Any:
    return value[1] if isinstance(value, tuple) and len(value) == 2 else value  # pyright: ignore[reportUnknownArgumentType, reportUnknownVariableType]


OBSERVED_FAILURES = frozenset({("read", 20), ("cas", 20), ("cas", 22)})
"""Definite failures that say something about the register: a missing key, another value."""


def _interval(op: KVOp, position: int) -> tuple[int, Any, Any, float, float | None] | None:
    """``op`` as a lincheck interval ``(client, op, result, invoke, complete)``, or ``None``
    when it says nothing: a read of unknown outcome, a failure that did not happen. The
    client is the op's ``index`` in the Maelstrom history, else its ``position`` on the key.
    """
    client = op.index if op.index >= 0 else position
    match op.f:
        case "read":
            operation: Any = lincheck.Read()
        case "write":
            operation = lincheck.Write(typed(op.value))
        case "cas":
            old, new = op.value
            operation = lincheck.Cas(typed(old), typed(new))
        case _:
            return None
    match op.outcome:
        case "info":
            return None if op.f == "read" else (client, operation, None, op.invoke, None)
        case "fail" if (op.f, op.error) in OBSERVED_FAILURES:
            return (client, operation, Error(op.error), op.invoke, op.complete)  # pyright: ignore[reportArgumentType] - in OBSERVED_FAILURES
        case "fail":
            return None
        case "ok":
            result = typed(op.value) if op.f == "read" else True
            return (client, operation, result, op.invoke, op.complete)


MAX_STEPS = 1_000_000
"""The default bound on each key's search: entries visited by lincheck's search (about seven
per (operations linearized, value) pair tried on Porcupine's etcd histories).
"""

_VERDICTS: dict[str, Verdict] = {"ok": "valid", "illegal": "invalid", "unknown": "unknown"}


def check_key(key: Any, ops: Sequence[KVOp], max_steps: int = MAX_STEPS) -> KeyVerdict:
    """Whether the operations on one key are linearizable, as a `KeyVerdict`.

    Values compare with their types (``true`` is not ``1``). Reads that ended with an
    unknown outcome say nothing and are left out. An operation that failed definitely did
    not happen: it is left out, except a read or cas failing with 20 (the key was absent)
    and a cas failing with 22 (the key held another value), which say what the register held.
    Past ``max_steps`` search steps the verdict is ``unknown``.
    """
    intervals = [interval for i, op in enumerate(ops) if (interval := _interval(op, i)) is not None]
    result = lincheck.check(lincheck.History.from_intervals(intervals), LinKvRegister(), max_steps=max_steps)
    return KeyVerdict(key, _VERDICTS[result.verdict], result.steps, len(intervals), result)


def check(ops: Iterable[KVOp], max_steps: int = MAX_STEPS) -> list[KeyVerdict]:
    """Check a whole history, key by key; each key gets at most ``max_steps`` steps."""
    by_key: dict[Any, tuple[Any, list[KVOp]]] = {}
    for op in ops:
        by_key.setdefault(typed(op.key), (op.key, []))[1].append(op)
    return [check_key(key, key_ops, max_steps) for key, key_ops in by_key.values()]
