"""The linearizability search: Wing & Gong's algorithm with Lowe's memoisation, as Knossos's
"wgl" and Porcupine's checker do it.

The history becomes a doubly linked list of call and return entries in real-time order.
Walking it from the front, a call entry is a candidate: if the model accepts the operation
in the current state, it is *lifted* out of the list (its call and its return), pushed on a
stack with the state before it, and the walk starts again from the front. Reaching a return
entry means the operation it closes should have taken effect by now and none of the
candidates before it could: the search pops the last choice, puts it back (*unlift*) and
tries the next candidate after it. The history is linearizable when every operation that
returned has been lifted. Lowe's memoisation skips a step that leads to a (set of lifted
operations, state) pair seen before: from there the search went nowhere the first time.

An operation that timed out or never returned has its return entry at infinity, after every
other one, and need not be lifted: it may take effect at any point after its call, or never
(as Knossos and Porcupine treat them). An operation known to have failed is left out.
"""

from __future__ import annotations

import math
import time
from collections.abc import Generator, Sequence
from pathlib import Path
from typing import Any, Literal

from attrs import frozen

from ._history import UNKNOWN, History, Operation
from ._model import Model

Verdict = Literal["ok", "illegal", "unknown"]
"""``ok``: linearizable; ``illegal``: not; ``unknown``: the search ran out of time or steps."""

_NIL = -1
_SLICE = 1024
"""Search steps each part takes in turn: parts are searched round-robin, so one quickly
found not linearizable ends the check even when another part's search is long.
"""


@frozen
class PartitionResult:
    """The verdict on one part of a history (the whole history when the model does not split it).

    Attributes:
        verdict: ``ok``, ``illegal`` or ``unknown``.
        operations: The part's operations that were checked (failed ones are left out).
        linearization: When ``ok``, a linearization: the operations that took effect, in the
            order they did; otherwise the longest linearizable prefix the search found.
        states: The model's state after each operation of ``linearization``.
        blocked: When ``illegal``, the operation that could not be linearized after that
            prefix (it, or something concurrent with it, had to take effect next, and none
            could); ``None`` otherwise.
        steps: How many entries the search visited.
    """

    verdict: Verdict
    operations: tuple[Operation, ...]
    linearization: tuple[Operation, ...]
    states: tuple[Any, ...]
    blocked: Operation | None
    steps: int

    @property
    def ok(self) -> bool:
        """Whether this part is linearizable."""
        return self.verdict == "ok"


class _Search:
    """One part's search (see the module docstring)."""

    def __init__(self, model: Model[Any], operations: Sequence[Operation]) -> None:
        self.model = model
        self.operations = tuple(operations)
        self.steps = 0
        self.pause: float = 0
        self.op_of: list[int] = []
        self.best: _Prefix = ((), (), None)

    def run(self) -> Generator[None, None, PartitionResult]:  # noqa: C901, PLR0912, PLR0915 - one tight loop, kept whole for speed
        """Search, pausing (yielding) whenever ``self.pause`` steps have been taken."""
        model = self.model
        ops = self.operations
        n = len(ops)
        points = sorted(
            [(op.invoke_at, 0, i) for i, op in enumerate(ops)]
            + [(math.inf if op.complete_at is None else op.complete_at, 1, i) for i, op in enumerate(ops)]
        )
        size = 2 * n
        head = size
        is_call = [kind == 0 for _, kind, _ in points]
        op_of = self.op_of = [i for _, _, i in points]
        match = [_NIL] * size
        return_entry = [_NIL] * n
        for entry in range(size - 1, -1, -1):
            if is_call[entry]:
                match[entry] = return_entry[op_of[entry]]
            else:
                return_entry[op_of[entry]] = entry
        nxt = [*range(1, size), _NIL, 0 if size else _NIL]
        prv = [head, *range(size - 1), _NIL]
        results = [UNKNOWN if op.may_be_skipped else op.result for op in ops]
        required = [not op.may_be_skipped for op in ops]
        left = sum(required)

        step = model.step
        state = model.init()
        _hashable(model, state, None)
        linearized = 0
        calls: list[tuple[int, Any]] = []
        cache: set[tuple[int, Any]] = set()
        best_score = (-1, 0)
        total = left
        entry = nxt[head]
        steps = 0
        while left:
            if steps >= self.pause:
                self.steps = steps
                yield
            steps += 1
            if is_call[entry]:
                i = op_of[entry]
                legal, after = step(state, ops[i].op, results[i])
                if legal:
                    lifted = linearized | 1 << i
                    key = (lifted, after)
                    try:
                        seen = key in cache
                    except TypeError:
                        _hashable(model, after, ops[i])
                        raise
                    if not seen:
                        cache.add(key)
                        calls.append((entry, state))
                        state = after
                        linearized = lifted
                        if required[i]:
                            left -= 1
                        # lift: the call, then its return
                        nxt[prv[entry]] = nxt[entry]
                        prv[nxt[entry]] = prv[entry]
                        ret = match[entry]
                        nxt[prv[ret]] = nxt[ret]
                        if nxt[ret] != _NIL:
                            prv[nxt[ret]] = prv[ret]
                        entry = nxt[head]
                        continue
                entry = nxt[entry]
                continue
            # the longest prefix: most operations that returned, then fewest that did not
            score = (total - left, total - left - len(calls))
            if score > best_score:
                best_score = score
                self.best = self._prefix(calls, state, op_of[entry])
            if not calls:
                self.steps = steps
                return self.result("illegal")
            entry, state = calls.pop()
            i = op_of[entry]
            linearized ^= 1 << i
            if required[i]:
                left += 1
            # unlift: the return, then the call
            ret = match[entry]
            nxt[prv[ret]] = ret
            if nxt[ret] != _NIL:
                prv[nxt[ret]] = ret
            nxt[prv[entry]] = entry
            prv[nxt[entry]] = entry
            entry = nxt[entry]
        self.steps = steps
        self.best = self._prefix(calls, state, None)
        return self.result("ok")

    def _prefix(self, calls: list[tuple[int, Any]], state: Any, blocked: int | None) -> _Prefix:
        order = tuple(self.op_of[entry] for entry, _ in calls)
        states = (*(before for _, before in calls[1:]), state) if calls else ()
        return order, states, blocked

    def result(self, verdict: Verdict) -> PartitionResult:
        """The verdict with the longest prefix found so far (``unknown``: stopped early)."""
        order, states, blocked = self.best
        return PartitionResult(
            verdict=verdict,
            operations=self.operations,
            linearization=tuple(self.operations[i] for i in order),
            states=states,
            blocked=self.operations[blocked] if verdict == "illegal" and blocked is not None else None,
            steps=self.steps,
        )


_Prefix = tuple[tuple[int, ...], tuple[Any, ...], int | None]
"""Operation indices in linearization order, the state after each, the one blocked after them."""


def _hashable(model: Model[Any], state: Any, after: Operation | None) -> None:
    try:
        hash(state)
    except TypeError:
        where = "init()" if after is None else f"step() for {model.describe_op(after.op, after.result)}"
        raise TypeError(
            f"{type(model).__name__}.{where} returned the unhashable state {state!r} "
            f"({type(state).__name__}): the checker remembers every (operations linearized, state) "
            "pair it has seen, so states must be hashable and compare by value; use a tuple, "
            "frozenset or frozen attrs class instead"
        ) from None


@frozen
class CheckResult:
    """What `check` found: whether a history is linearizable, and if not, where it breaks.

    Attributes:
        verdict: ``ok`` (linearizable), ``illegal`` (not), or ``unknown`` (the search ran out
            of time or steps before it could tell).
        model: The model the history was checked against.
        operations: Every operation of the history, failed ones included.
        partitions: The verdict on each part the model split the history into, in order of
            their first operation.
    """

    verdict: Verdict
    model: Model[Any]
    operations: tuple[Operation, ...]
    partitions: tuple[PartitionResult, ...]

    @property
    def ok(self) -> bool:
        """Whether the history is linearizable (``False`` when ``illegal`` or ``unknown``)."""
        return self.verdict == "ok"

    @property
    def unknown(self) -> bool:
        """Whether the search ran out of time or steps before it could tell."""
        return self.verdict == "unknown"

    @property
    def failure(self) -> PartitionResult | None:
        """The first part that is not linearizable, or ``None``."""
        return next((p for p in self.partitions if p.verdict == "illegal"), None)

    @property
    def failed(self) -> Operation | None:
        """The operation that could not be linearized (in the first illegal part), or ``None``."""
        failure = self.failure
        return None if failure is None else failure.blocked

    @property
    def prefix(self) -> tuple[Operation, ...]:
        """The longest linearizable prefix of the first illegal part (a linearization when
        ``ok`` and the history is in one part; empty when ``ok`` with several parts).
        """
        failure = self.failure
        if failure is not None:
            return failure.linearization
        if len(self.partitions) == 1:
            return self.partitions[0].linearization
        return ()

    @property
    def steps(self) -> int:
        """How many entries the search visited, over all parts."""
        return sum(p.steps for p in self.partitions)

    def describe(self, operation: Operation) -> str:
        """One line for ``operation``: who, what, when, as the model describes it."""
        until = "never returned" if operation.complete_at is None else f"{operation.complete:g}"
        status = "" if operation.status == "ok" else f" [{operation.status}]"
        return (
            f"#{operation.id} {operation.client}: {self.model.describe_op(operation.op, operation.result)}"
            f"{status}  ({operation.invoke:g} .. {until})"
        )

    def report(self) -> str:
        """A readable account: the verdict and, when illegal, the longest linearizable prefix
        (with the state after each operation) and the operation that could not follow it.
        """
        name = type(self.model).__name__
        counted = sum(len(p.operations) for p in self.partitions)
        parts = f" in {len(self.partitions)} parts" if len(self.partitions) > 1 else ""
        if self.verdict == "ok":
            return f"linearizable: {_count(counted)} checked against {name}{parts}"
        if self.verdict == "unknown":
            return f"unknown: the search for {name} ran out of time or steps after {self.steps} steps"
        failure = self.failure
        assert failure is not None  # noqa: S101 - verdict is illegal
        lines = [f"not linearizable against {name}{parts}"]
        if len(self.partitions) > 1:
            lines[0] += f"; {self.model.describe_part(failure.operations)} is not"
        lines.append(f"longest linearizable prefix ({_count(len(failure.linearization))}):")
        for operation, state in zip(failure.linearization, failure.states, strict=True):
            lines.append(f"  {self.describe(operation)}  => {self.model.describe_state(state)}")
        if failure.blocked is not None:
            lines.append(f"then this operation cannot be linearized: {self.describe(failure.blocked)}")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.report()

    def write_html(self, path: str | Path) -> Path:
        """Write the history as a self-contained HTML timeline (see `visualize`); returns the path."""
        from ._html import visualize  # noqa: PLC0415 - the page is built only when asked for

        return visualize(None, self, path)


def _count(n: int) -> str:
    return f"{n} operation" if n == 1 else f"{n} operations"


def check(
    history: History,
    model: Model[Any],
    *,
    timeout: float | None = None,
    max_steps: int | None = None,
) -> CheckResult:
    """Check whether ``history`` is linearizable with respect to ``model``.

    The model's `Model.partition` splits the history; each part is searched on its own
    (Wing & Gong with Lowe's memoisation), failed operations left out, timed-out and
    never-returned ones free to take effect or not. The parts are searched in turns of a
    thousand steps, and the check stops at the end of the round in which a part was found not
    linearizable (as Porcupine stops at the first): parts left unfinished then have the
    verdict ``unknown``.

    Args:
        history: The operations to check.
        model: The sequential specification, such as ``KeyValue()``.
        timeout: Seconds of wall time the whole search may take; past it the verdict is
            ``unknown``. ``None``: no limit.
        max_steps: Search steps (entries visited) the whole search may take; past it the
            verdict is ``unknown`` (deterministic, unlike ``timeout``). ``None``: no limit.

    Raises:
        TypeError: A state the model returned is not hashable, or an operation is not one
            the model knows.
        ValueError: ``timeout`` or ``max_steps`` is negative, or the model's ``partition``
            lost or repeated an operation.
    """
    if timeout is not None and not timeout >= 0:
        raise ValueError(f"timeout must be None or a number of seconds >= 0, got {timeout!r}")
    if max_steps is not None and max_steps < 0:
        raise ValueError(f"max_steps must be None or an int >= 0, got {max_steps!r}")
    deadline = math.inf if timeout is None else time.perf_counter() + timeout
    allowed = math.inf if max_steps is None else max_steps
    operations = history.operations
    checked = [op for op in operations if op.status != "fail"]
    parts = [tuple(part) for part in model.partition(checked)]
    ids = sorted(op.id for part in parts for op in part)
    if ids != [op.id for op in checked]:
        raise ValueError(
            f"{type(model).__name__}.partition() must return every operation exactly once; "
            f"it returned ids {ids}, expected {[op.id for op in checked]}"
        )
    searches = [_Search(model, part) for part in parts]
    done: dict[int, PartitionResult] = {}
    running = {k: search.run() for k, search in enumerate(searches)}
    spent = 0
    while running and "illegal" not in (r.verdict for r in done.values()):
        for k, search_run in list(running.items()):
            search = searches[k]
            allowance = min(_SLICE, allowed - spent)
            if allowance <= 0 or time.perf_counter() > deadline:
                running.clear()
                break
            before = search.steps
            search.pause = before + allowance
            try:
                next(search_run)
            except StopIteration as stopped:
                done[k] = stopped.value
                del running[k]
            spent += search.steps - before
    results = [done[k] if k in done else search.result("unknown") for k, search in enumerate(searches)]
    verdicts = {r.verdict for r in results}
    verdict: Verdict = "illegal" if "illegal" in verdicts else "unknown" if "unknown" in verdicts else "ok"
    return CheckResult(verdict=verdict, model=model, operations=operations, partitions=tuple(results))
