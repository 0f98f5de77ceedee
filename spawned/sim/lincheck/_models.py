"""The built-in models and their operations: registers, a key-value map, a counter, a set, a
FIFO queue.

Operations are small frozen values; a model refuses one it does not know with a
`TypeError` naming the operations it knows.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from typing import Any, NoReturn

from attrs import frozen

from ._history import UNKNOWN, Operation
from ._model import Model, partition_by


@frozen
class Read:
    """Read the whole state: a register's value, a counter, a set's items, a queue's items."""


@frozen
class Write:
    """Write ``value`` to a register (its result is ignored)."""

    value: Any


@frozen
class Cas:
    """Compare-and-set a register: set it to ``new`` if it holds ``expected``; returns whether
    it did.
    """

    expected: Any
    new: Any


@frozen
class Get:
    """Read the value of ``key`` (the map's ``initial`` value when it has none)."""

    key: Hashable


@frozen
class Put:
    """Set ``key`` to ``value`` (its result is ignored)."""

    key: Hashable
    value: Any


@frozen
class Append:
    """Append ``value`` to the value of ``key`` (``+``; a key with no value takes ``value``)."""

    key: Hashable
    value: Any


@frozen
class CasKey:
    """Compare-and-set ``key``: set it to ``new`` if it holds ``expected``; returns whether it
    did.
    """

    key: Hashable
    expected: Any
    new: Any


@frozen
class Increment:
    """Add ``by`` to a counter; returns nothing (``None``) or the counter's new value."""

    by: int = 1


@frozen
class Add:
    """Add ``item`` to a set (its result is ignored)."""

    item: Hashable


@frozen
class Remove:
    """Remove ``item`` from a set if it is there (its result is ignored)."""

    item: Hashable


@frozen
class Contains:
    """Whether ``item`` is in a set."""

    item: Hashable


@frozen
class Enqueue:
    """Put ``item`` at the back of a queue (its result is ignored)."""

    item: Any


@frozen
class Dequeue:
    """Take the item at the front of a queue; returns it, or the queue's ``empty`` value."""


_KV_OPS = "Get(key), Put(key, value), Append(key, value) and CasKey(key, expected, new)"


def _unknown_op(model: object, op: Any, known: str) -> NoReturn:
    raise TypeError(f"{type(model).__name__} knows the operations {known}, not {op!r}")


def _items(result: Any, kind: type[tuple[Any, ...] | frozenset[Any]]) -> object:
    """``result`` as a tuple or frozenset, or ``None`` when it holds no items (a wrong result)."""
    try:
        return kind(result)
    except TypeError:
        return None


def _show(result: Any) -> str:
    return "?" if result is UNKNOWN else repr(result)


def _show_bool(result: Any) -> str:
    return "?" if result is UNKNOWN else "ok" if result else "fail"


@frozen
class Register(Model[Any]):
    """A read/write register holding ``initial`` at first: operations `Read` and `Write`."""

    initial: Any = None

    def init(self) -> Any:
        """The register holds ``initial``."""
        return self.initial

    def step(self, state: Any, op: Any, result: Any) -> tuple[bool, Any]:
        """A write always happens; a read returns the value held."""
        match op:
            case Read():
                return result is UNKNOWN or result == state, state
            case Write(value):
                return True, value
            case _:
                _unknown_op(self, op, "Read() and Write(value)")

    def describe_op(self, op: Any, result: Any) -> str:
        """``read() -> 3``, ``write(3)``."""
        match op:
            case Read():
                return f"read() -> {_show(result)}"
            case Write(value):
                return f"write({value!r})"
            case _:
                return super().describe_op(op, result)


@frozen
class CasRegister(Model[Any]):
    """A register with compare-and-set, holding ``initial`` at first: `Read`, `Write`, `Cas`."""

    initial: Any = None

    def init(self) -> Any:
        """The register holds ``initial``."""
        return self.initial

    def step(self, state: Any, op: Any, result: Any) -> tuple[bool, Any]:
        """As `Register`, and a `Cas` succeeds exactly when the register holds ``expected``."""
        match op:
            case Read():
                return result is UNKNOWN or result == state, state
            case Write(value):
                return True, value
            case Cas(expected, new):
                if result is UNKNOWN:
                    return state == expected, new
                if result:
                    return state == expected, new
                return state != expected, state
            case _:
                _unknown_op(self, op, "Read(), Write(value) and Cas(expected, new)")

    def describe_op(self, op: Any, result: Any) -> str:
        """``read() -> 3``, ``write(3)``, ``cas(3, 4) -> ok``."""
        match op:
            case Read():
                return f"read() -> {_show(result)}"
            case Write(value):
                return f"write({value!r})"
            case Cas(expected, new):
                return f"cas({expected!r}, {new!r}) -> {_show_bool(result)}"
            case _:
                return super().describe_op(op, result)


@frozen
class KeyValue(Model[Any]):
    """A key-value map whose keys hold ``initial`` at first: `Get`, `Put`, `Append`, `CasKey`.

    Checked key by key (P-compositionally, as Porcupine does): linearizability is local
    (Herlihy & Wing), so the history is linearizable exactly when each key's part is, and
    many small searches are far cheaper than one big one. A state is one key's value.
    """

    initial: Any = None

    def init(self) -> Any:
        """A key holds ``initial``."""
        return self.initial

    def step(self, state: Any, op: Any, result: Any) -> tuple[bool, Any]:
        """One key's register: `Get` reads it, `Put` writes it, `Append` adds to it."""
        match op:
            case Get():
                return result is UNKNOWN or result == state, state
            case Put(_, value):
                return True, value
            case Append(_, value):
                return True, value if state is None else state + value
            case CasKey(_, expected, new):
                if result is UNKNOWN or result:
                    return state == expected, new
                return state != expected, state
            case _:
                _unknown_op(self, op, _KV_OPS)

    def partition(self, operations: Sequence[Operation]) -> Sequence[Sequence[Operation]]:
        """One part per key."""
        return partition_by(operations, _key_of)

    def describe_part(self, operations: Sequence[Operation]) -> str:
        """``key 'x'``."""
        return f"key {_key_of(operations[0])!r}" if operations else "no key"

    def describe_op(self, op: Any, result: Any) -> str:
        """``get('x') -> 3``, ``put('x', 3)``, ``append('x', 'a')``, ``cas('x', 3, 4) -> ok``."""
        match op:
            case Get(key):
                return f"get({key!r}) -> {_show(result)}"
            case Put(key, value):
                return f"put({key!r}, {value!r})"
            case Append(key, value):
                return f"append({key!r}, {value!r})"
            case CasKey(key, expected, new):
                return f"cas({key!r}, {expected!r}, {new!r}) -> {_show_bool(result)}"
            case _:
                return super().describe_op(op, result)


def _key_of(operation: Operation) -> Hashable:
    op = operation.op
    if not isinstance(op, Get | Put | Append | CasKey):
        _unknown_op(KeyValue(), op, _KV_OPS)
    return op.key


@frozen
class Counter(Model[int]):
    """A counter starting at ``initial``: `Increment` and `Read`."""

    initial: int = 0

    def init(self) -> int:
        """The counter holds ``initial``."""
        return self.initial

    def step(self, state: int, op: Any, result: Any) -> tuple[bool, int]:
        """An increment adds ``by`` (and, if it returned a number, returned the new value)."""
        match op:
            case Increment(by):
                after = state + by
                return result is None or result is UNKNOWN or result == after, after
            case Read():
                return result is UNKNOWN or result == state, state
            case _:
                _unknown_op(self, op, "Increment(by) and Read()")

    def describe_op(self, op: Any, result: Any) -> str:
        """``increment(1)``, ``increment(1) -> 4``, ``read() -> 4``."""
        match op:
            case Increment(by):
                return f"increment({by!r})" if result is None else f"increment({by!r}) -> {_show(result)}"
            case Read():
                return f"read() -> {_show(result)}"
            case _:
                return super().describe_op(op, result)


@frozen
class Set(Model[frozenset[Any]]):
    """A set, empty at first: `Add`, `Remove`, `Contains` and `Read` (which returns all the
    items, in any order; compared as a set).
    """

    def init(self) -> frozenset[Any]:
        """The empty set."""
        return frozenset()

    def step(self, state: frozenset[Any], op: Any, result: Any) -> tuple[bool, frozenset[Any]]:
        """Adds and removes always happen; `Contains` and `Read` say what is there."""
        match op:
            case Add(item):
                return True, state | {item}
            case Remove(item):
                return True, state - {item}
            case Contains(item):
                return result is UNKNOWN or bool(result) == (item in state), state
            case Read():
                return result is UNKNOWN or _items(result, frozenset) == state, state
            case _:
                _unknown_op(self, op, "Add(item), Remove(item), Contains(item) and Read()")

    def describe_op(self, op: Any, result: Any) -> str:
        """``add(3)``, ``remove(3)``, ``contains(3) -> True``, ``read() -> {1, 3}``."""
        match op:
            case Add(item):
                return f"add({item!r})"
            case Remove(item):
                return f"remove({item!r})"
            case Contains(item):
                return f"contains({item!r}) -> {_show(result)}"
            case Read():
                return f"read() -> {_show(result)}"
            case _:
                return super().describe_op(op, result)

    def describe_state(self, state: frozenset[Any]) -> str:
        """``{1, 3}``, sorted where the items allow it."""
        try:
            items = sorted(state)
        except TypeError:
            items = list(state)
        return "{" + ", ".join(map(repr, items)) + "}"


@frozen
class Queue(Model[tuple[Any, ...]]):
    """A FIFO queue, empty at first: `Enqueue`, `Dequeue` (returns ``empty`` on an empty queue)
    and `Read` (returns all the items, front first).
    """

    empty: Any = None

    def init(self) -> tuple[Any, ...]:
        """The empty queue."""
        return ()

    def step(self, state: tuple[Any, ...], op: Any, result: Any) -> tuple[bool, tuple[Any, ...]]:
        """Enqueue appends; dequeue takes the front item, which is what it must return."""
        match op:
            case Enqueue(item):
                return True, (*state, item)
            case Dequeue():
                if not state:
                    return result is UNKNOWN or result == self.empty, state
                return result is UNKNOWN or result == state[0], state[1:]
            case Read():
                return result is UNKNOWN or _items(result, tuple) == state, state
            case _:
                _unknown_op(self, op, "Enqueue(item), Dequeue() and Read()")

    def describe_op(self, op: Any, result: Any) -> str:
        """``enqueue(3)``, ``dequeue() -> 3``, ``read() -> (3, 4)``."""
        match op:
            case Enqueue(item):
                return f"enqueue({item!r})"
            case Dequeue():
                return f"dequeue() -> {_show(result)}"
            case Read():
                return f"read() -> {_show(result)}"
            case _:
                return super().describe_op(op, result)
