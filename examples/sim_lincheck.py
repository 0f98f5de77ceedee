"""Checking histories with spawned.sim.lincheck: a built-in model and one of your own.

A history is what clients saw: each operation's invocation and its end (a result, a known
failure, or a timeout). `lincheck.check` finds whether the operations can be put in one
order, each taking effect between its invocation and its end, that the model accepts.

Run: python examples/sim_lincheck.py
"""

from __future__ import annotations

from typing import Any

from attrs import frozen

from spawned.sim import lincheck


# --8<-- [start:record]
def register_history() -> lincheck.History:
    """Alice writes 1 and then 2; Bob, meanwhile, reads 2 and then 1."""
    history = lincheck.History()  # History(clock=s.now) in a simulation
    first = history.invoke("alice", lincheck.Write(1))
    history.ok(first)
    second = history.invoke("alice", lincheck.Write(2))
    read = history.invoke("bob", lincheck.Read())
    history.ok(read, 2)  # bob saw alice's second write...
    history.ok(second)
    again = history.invoke("bob", lincheck.Read())
    history.ok(again, 1)  # ...and then the value it replaced
    lost = history.invoke("carol", lincheck.Write(3))
    history.timeout(lost)  # may have taken effect, or not
    return history


# --8<-- [end:record]


# --8<-- [start:model]
@frozen
class Acquire:
    """Take the lock for ``who``; returns whether it was free."""

    who: str


@frozen
class Release:
    """``who`` gives the lock back."""

    who: str


class Lock(lincheck.Model[str | None]):
    """A lock: the state is who holds it (``None``: nobody). States must be hashable."""

    def init(self) -> str | None:
        return None

    def step(self, state: str | None, op: Any, result: Any) -> tuple[bool, str | None]:
        match op:
            case Acquire(who) if state is None:
                return result in (True, lincheck.UNKNOWN), who
            case Acquire():
                return result in (False, lincheck.UNKNOWN), state
            case Release(who):
                return state == who, None
            case _:
                raise TypeError(f"Lock knows Acquire(who) and Release(who), not {op!r}")

    def describe_op(self, op: Any, result: Any) -> str:
        if isinstance(op, Acquire):
            return f"acquire() -> {'?' if result is lincheck.UNKNOWN else result}"
        return "release()"


def lock_history() -> lincheck.History:
    """Two clients both acquire the lock at overlapping times."""
    history = lincheck.History()
    a = history.invoke("a", Acquire("a"))
    b = history.invoke("b", Acquire("b"))
    history.ok(a, result=True)
    history.ok(b, result=True)
    return history


# --8<-- [end:model]


def main() -> None:
    # --8<-- [start:check]
    result = lincheck.check(register_history(), lincheck.Register())
    print(result.report())
    if result.failed is not None:  # the Operation: client, op, result, times
        last = result.prefix[-1]
        print(f"{result.failed.client} read {result.failed.result} after {last.client} read {last.result}")
    # --8<-- [end:check]
    print(lincheck.check(lock_history(), Lock()).report())


EXPECTED = """\
not linearizable against Register
longest linearizable prefix (3 operations):
  #0 alice: write(1)  (0 .. 1)  => 1
  #1 alice: write(2)  (2 .. 5)  => 2
  #2 bob: read() -> 2  (3 .. 4)  => 2
then this operation cannot be linearized: #3 bob: read() -> 1  (6 .. 7)
bob read 1 after bob read 2
not linearizable against Lock
longest linearizable prefix (1 operation):
  #0 a: acquire() -> True  (0 .. 2)  => 'a'
then this operation cannot be linearized: #1 b: acquire() -> True  (1 .. 3)
"""

if __name__ == "__main__":
    main()
