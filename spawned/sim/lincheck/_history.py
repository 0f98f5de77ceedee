"""Recording a history: operations invoked by clients, each completed, failed or timed out.

The order of a history is the order its events were recorded in (a single recorder sees
them one after the other); the clock only labels them with times for reports and the
timeline. `History.from_intervals` builds one from times instead, for histories recorded
elsewhere.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Hashable, Iterable
from enum import Enum
from typing import Any, Final, Literal

from attrs import define, frozen

Status = Literal["ok", "fail", "timeout", "pending"]
"""How an operation ended: ``ok`` returned a result; ``fail`` is known not to have taken
effect; ``timeout`` (or ``pending``: never returned) may or may not have taken effect.
"""


class _Unknown(Enum):
    """The type of `UNKNOWN`."""

    UNKNOWN = "UNKNOWN"

    def __repr__(self) -> str:
        return "UNKNOWN"

    def __str__(self) -> str:
        return "UNKNOWN"


UNKNOWN: Final = _Unknown.UNKNOWN
"""The result a model's ``step`` is given for an operation that timed out or never returned:
any result is possible, and the operation may take effect at any point after its invocation
or not at all.
"""


@frozen
class Operation:
    """One operation of a history, as the checker and the reports see it.

    Attributes:
        id: Its index in the history, in order of invocation.
        client: Who invoked it (any hashable label: one timeline row per client).
        op: What was asked, such as ``Write(3)`` (a model's operation value).
        status: ``ok``, ``fail``, ``timeout`` or ``pending`` (never returned).
        result: What it returned when ``ok``; `UNKNOWN` otherwise.
        invoke: The time it was invoked at.
        complete: The time it completed at; ``math.inf`` when it timed out or never returned.
        invoke_at: The position of its invocation among all the history's events.
        complete_at: The position of its completion; ``None`` when it has none.
    """

    id: int
    client: Hashable
    op: Any
    status: Status
    result: Any
    invoke: float
    complete: float
    invoke_at: int
    complete_at: int | None

    @property
    def may_be_skipped(self) -> bool:
        """Whether the checker may leave it out: it timed out or never returned."""
        return self.status in ("timeout", "pending")


@frozen
class Invoke:
    """An event for `History.from_events`: ``client`` invoked ``op``, known as ``id``.

    ``time`` labels the event; the order of the event list is what counts.
    """

    id: Hashable
    client: Hashable
    op: Any
    time: float | None = None


@frozen
class Ok:
    """An event for `History.from_events`: the operation ``id`` returned ``result``."""

    id: Hashable
    result: Any = None
    time: float | None = None


@frozen
class Fail:
    """An event for `History.from_events`: the operation ``id`` is known not to have happened."""

    id: Hashable
    time: float | None = None


@frozen
class Timeout:
    """An event for `History.from_events`: the operation ``id`` timed out (it may or may not
    have taken effect).
    """

    id: Hashable
    time: float | None = None


Event = Invoke | Ok | Fail | Timeout
"""One event of a history given as a list (`History.from_events`)."""


def _finite(time: object, what: str) -> float:
    """``time`` as a float; ``ValueError`` unless it is a finite number (a NaN would make the
    order of events meaningless).
    """
    try:
        value = float(time)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        value = math.nan
    if isinstance(time, bool) or not math.isfinite(value):
        msg = f"{what} {time!r}; event times must be a finite number"
        raise ValueError(msg)
    return value


@define
class _Record:
    client: Hashable
    op: Any
    invoke: float
    invoke_at: int
    status: Status = "pending"
    result: Any = UNKNOWN
    complete: float = math.inf
    complete_at: int | None = None


class History:
    """A recorder of operations: call `invoke` when a client starts one, then exactly one of
    `ok`, `fail` or `timeout` when it ends (or nothing, if it never does).

    Not thread-safe: record from one thread (the simulator's, or under your own lock).

    Args:
        clock: Gives the time each event is labelled with, such as a simulation's
            ``s.now``; by default an event's time is its position in the history.

    Example:
        ```python
        history = History(clock=s.now)
        token = history.invoke("client-1", Write(3))
        ...  # the call
        history.ok(token)
        ```
    """

    def __init__(self, clock: Callable[[], float] | None = None) -> None:
        self.clock = clock
        self._records: list[_Record] = []
        self._events = 0

    def __repr__(self) -> str:
        return f"<History of {len(self._records)} operations>"

    def _tick(self, time: float | None) -> tuple[float, int]:
        at = self._events
        if time is None:
            clock = self.clock
            time = float(at) if clock is None else _finite(clock(), "the history's clock returned")
        self._events += 1
        return time, at

    def invoke(self, client: Hashable, op: Any) -> int:
        """Record that ``client`` invoked ``op`` now; returns the token to complete it with.

        Raises:
            TypeError: ``client`` is not hashable.
            ValueError: the ``clock`` returned something other than a finite number.
        """
        return self._invoke(client, op, None)

    def _invoke(self, client: Hashable, op: Any, time: float | None) -> int:
        try:
            hash(client)
        except TypeError:
            raise TypeError(f"a client must be hashable (it labels a timeline row), got {client!r}") from None
        time, at = self._tick(time)
        self._records.append(_Record(client, op, time, at))
        return len(self._records) - 1

    def _pending(self, token: int) -> _Record:
        if not isinstance(token, int) or not 0 <= token < len(self._records):  # pyright: ignore[reportUnnecessaryIsInstance] - users pass anything
            raise ValueError(
                f"unknown token {token!r}: tokens are the ints invoke() returned "
                f"(0 to {len(self._records) - 1})"
            )
        record = self._records[token]
        if record.status != "pending":
            raise ValueError(
                f"operation {token} ({record.op!r} by {record.client!r}) already ended as {record.status}"
            )
        return record

    def _end(self, token: int, status: Status, result: Any = UNKNOWN, time: float | None = None) -> None:
        record = self._pending(token)
        time, at = self._tick(time)
        record.status = status
        if status == "timeout":
            return
        record.result = result
        record.complete = time
        record.complete_at = at

    def ok(self, token: int, result: Any = None) -> None:
        """Record that the operation ``token`` returned ``result`` now."""
        self._end(token, "ok", result)

    def fail(self, token: int) -> None:
        """Record that the operation ``token`` ended now and is known not to have taken effect.

        The checker leaves it out; the timeline still shows it.
        """
        self._end(token, "fail")

    def timeout(self, token: int) -> None:
        """Record that the operation ``token`` timed out: it may take effect at any time after
        its invocation, or never. An operation never ended counts the same.
        """
        self._end(token, "timeout")

    @property
    def operations(self) -> tuple[Operation, ...]:
        """Every operation so far, in order of invocation."""
        return tuple(
            Operation(
                id=i,
                client=r.client,
                op=r.op,
                status=r.status,
                result=r.result,
                invoke=r.invoke,
                complete=r.complete,
                invoke_at=r.invoke_at,
                complete_at=r.complete_at,
            )
            for i, r in enumerate(self._records)
        )

    def __len__(self) -> int:
        return len(self._records)

    @classmethod
    def from_events(cls, events: Iterable[Event]) -> History:
        """A history from a list of events, in the order they happened.

        Each `Invoke` names its operation with an ``id`` (any hashable, unique while the
        operation is open) that its `Ok`, `Fail` or `Timeout` repeats. An event's ``time`` only
        labels it; without one, its position in the list is its time.

        Raises:
            ValueError: An id invoked twice while open, an end for an id that is not open, or
                a time that is not a finite number.
        """
        history = cls()
        open_ops: dict[Hashable, int] = {}
        for position, event in enumerate(events):
            time = (
                float(position)
                if event.time is None
                else _finite(event.time, f"event {position}: its time is")
            )
            if isinstance(event, Invoke):
                if event.id in open_ops:
                    raise ValueError(
                        f"event {position}: operation id {event.id!r} is invoked while still open"
                    )
                open_ops[event.id] = history._invoke(event.client, event.op, time)
                continue
            if event.id not in open_ops:
                raise ValueError(
                    f"event {position}: {type(event).__name__} for operation id {event.id!r}, "
                    "which is not open (never invoked, or already ended)"
                )
            token = open_ops.pop(event.id)
            match event:
                case Ok(result=result):
                    history._end(token, "ok", result, time)
                case Fail():
                    history._end(token, "fail", time=time)
                case Timeout():
                    history._end(token, "timeout", time=time)
        return history

    @classmethod
    def from_intervals(cls, intervals: Iterable[tuple[Hashable, Any, Any, float, float | None]]) -> History:
        """A history from ``(client, op, result, invoke_time, return_time)`` tuples.

        Intervals are closed, as in Porcupine: an operation invoked at the very time another
        returned overlaps it. A ``return_time`` of ``None`` means it never returned (its
        result is ignored).

        Raises:
            ValueError: An operation returning before it was invoked, or a time that is not a
                finite number.
        """
        items = list(intervals)
        points: list[tuple[float, int, int]] = []
        for i, (_client, op, _result, start, end) in enumerate(items):
            for time in (start, end) if end is not None else (start,):
                _finite(time, f"interval {i} ({op!r}): a time is")
            if end is not None and end < start:
                raise ValueError(f"interval {i} ({op!r}) returns at {end}, before its invocation at {start}")
            points.append((start, 0, i))
            if end is not None:
                points.append((end, 1, i))
        points.sort()
        events: list[Event] = []
        for time, kind, i in points:
            client, op, result, _start, _end = items[i]
            events.append(Invoke(i, client, op, time) if kind == 0 else Ok(i, result, time))
        return cls.from_events(events)
