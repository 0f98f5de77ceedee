"""The sequential specification a history is checked against: `Model`."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Hashable, Sequence
from typing import Any, Generic, TypeVar

from ._history import UNKNOWN, Operation

S = TypeVar("S")


class Model(ABC, Generic[S]):
    """A sequential specification: what one operation at a time does to a state.

    Subclass it and write `init` and `step`; `partition`, `describe_op` and
    `describe_state` are optional. States must be **hashable** and compare by value (ints,
    strings, tuples, frozensets, frozen attrs classes): the checker remembers every
    (operations linearized, state) pair it has seen (Lowe's memoisation), and a model whose
    states are lists, sets or dicts is refused with a `TypeError` naming the state.

    ``step`` must be a pure function: it returns a new state and never changes the one it
    is given.

    Example:
        ```python
        class Flag(Model[bool]):
            def init(self) -> bool:
                return False

            def step(self, state: bool, op: Any, result: Any) -> tuple[bool, bool]:
                match op:
                    case "raise":
                        return True, True
                    case "look":
                        return result is UNKNOWN or result == state, state
                raise TypeError(f"Flag knows 'raise' and 'look', not {op!r}")
        ```
    """

    @abstractmethod
    def init(self) -> S:
        """The state before any operation."""

    @abstractmethod
    def step(self, state: S, op: Any, result: Any) -> tuple[bool, S]:
        """Whether ``op`` returning ``result`` may happen in ``state``, and the state after it.

        ``result`` is `UNKNOWN` for an operation that timed out or never returned: any
        result is then possible (answer ``True`` with the state it would leave if it took
        effect; the checker also tries it not taking effect at all).
        """

    def partition(self, operations: Sequence[Operation]) -> Sequence[Sequence[Operation]]:
        """Split a history into parts that can be checked on their own (P-compositionality).

        A history must be linearizable exactly when every part is, as with the keys of a
        key-value map (see `partition_by`). Each part is checked from `init`, so a model that
        partitions keeps one part's state (one key's value). By default: one part.
        """
        return [operations]

    def describe_part(self, operations: Sequence[Operation]) -> str:
        """How reports and the timeline name one part of a partitioned history."""
        if not operations:
            return "an empty part"
        return f"the part starting with {self.describe_op(operations[0].op, operations[0].result)}"

    def describe_op(self, op: Any, result: Any) -> str:
        """How reports and the timeline show ``op`` returning ``result``."""
        if result is UNKNOWN:
            return f"{op!r} -> ?"
        return f"{op!r} -> {result!r}"

    def describe_state(self, state: S) -> str:
        """How reports and the timeline show a state."""
        return repr(state)


def partition_by(
    operations: Sequence[Operation], key: Callable[[Operation], Hashable]
) -> list[list[Operation]]:
    """Group ``operations`` by ``key(operation)``, each group in history order, the groups in
    order of their first operation: the usual `Model.partition`.

    Example:
        ```python
        def partition(self, operations):
            return partition_by(operations, lambda o: o.op.key)
        ```
    """
    groups: dict[Hashable, list[Operation]] = {}
    for operation in operations:
        groups.setdefault(key(operation), []).append(operation)
    return list(groups.values())
