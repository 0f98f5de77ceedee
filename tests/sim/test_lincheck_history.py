"""Recording histories: the recorder, event lists and intervals, and their errors."""

from __future__ import annotations

import math

import pytest

from spawned.sim.lincheck import (
    UNKNOWN,
    Fail,
    History,
    Invoke,
    Ok,
    Read,
    Timeout,
    Write,
)


def test_the_recorder_orders_events_as_recorded_and_labels_them_with_the_clock() -> None:
    now = [10.0]
    history = History(clock=lambda: now[0])
    a = history.invoke("a", Write(1))
    now[0] = 10.0  # same virtual time: the order still tells invoke from return
    b = history.invoke("b", Read())
    history.ok(a)
    now[0] = 12.5
    history.ok(b, 1)
    first, second = history.operations
    assert (first.id, first.client, first.op, first.status, first.result) == (0, "a", Write(1), "ok", None)
    assert (first.invoke, first.complete, first.invoke_at, first.complete_at) == (10.0, 10.0, 0, 2)
    assert (second.invoke, second.complete, second.invoke_at, second.complete_at) == (10.0, 12.5, 1, 3)
    assert second.result == 1
    assert len(history) == 2


def test_without_a_clock_an_event_s_time_is_its_position() -> None:
    history = History()
    token = history.invoke("a", Read())
    history.ok(token, None)
    (op,) = history.operations
    assert (op.invoke, op.complete) == (0.0, 1.0)


def test_timeout_fail_and_never_ending() -> None:
    history = History()
    timed_out = history.invoke("a", Write(1))
    failed = history.invoke("b", Write(2))
    never = history.invoke("c", Write(3))
    history.timeout(timed_out)
    history.fail(failed)
    a, b, c = history.operations
    assert (a.status, a.result, a.complete, a.complete_at, a.may_be_skipped) == (
        "timeout",
        UNKNOWN,
        math.inf,
        None,
        True,
    )
    assert (b.status, b.result, b.complete_at, b.may_be_skipped) == ("fail", UNKNOWN, 4, False)
    assert (c.status, c.complete, c.may_be_skipped) == ("pending", math.inf, True)
    assert repr(UNKNOWN) == "UNKNOWN"
    assert never == 2


def test_ending_an_operation_twice_is_refused_naming_it() -> None:
    history = History()
    token = history.invoke("alice", Write(1))
    history.ok(token)
    with pytest.raises(ValueError, match=r"operation 0 \(Write\(value=1\) by 'alice'\) already ended as ok"):
        history.timeout(token)


@pytest.mark.parametrize("token", [1, -1, "0", None])
def test_an_unknown_token_is_refused_naming_it(token: object) -> None:
    history = History()
    history.invoke("a", Read())
    with pytest.raises(
        ValueError, match=r"unknown token .*: tokens are the ints invoke\(\) returned \(0 to 0\)"
    ):
        history.ok(token)  # type: ignore[arg-type]


def test_a_client_must_be_hashable() -> None:
    with pytest.raises(TypeError, match=r"a client must be hashable .*got \['a'\]"):
        History().invoke(["a"], Read())  # type: ignore[arg-type]


def test_from_events_keeps_the_list_order_and_renumbers_ids() -> None:
    history = History.from_events(
        [
            Invoke("w", "a", Write(1)),
            Invoke("r", "b", Read(), time=5.0),
            Ok("r", 1, time=6.0),
            Ok("w"),
            Invoke("w", "a", Write(2)),  # an id may be reused once its operation ended
            Timeout("w"),
            Invoke("x", "c", Write(3)),
            Fail("x"),
        ]
    )
    ops = history.operations
    assert [(o.op, o.status, o.result) for o in ops] == [
        (Write(1), "ok", None),
        (Read(), "ok", 1),
        (Write(2), "timeout", UNKNOWN),
        (Write(3), "fail", UNKNOWN),
    ]
    assert [(o.invoke, o.complete) for o in ops[:2]] == [(0.0, 3.0), (5.0, 6.0)]
    assert [(o.invoke_at, o.complete_at) for o in ops[:2]] == [(0, 3), (1, 2)]


def test_from_events_refuses_an_end_for_an_operation_not_open() -> None:
    with pytest.raises(ValueError, match=r"event 1: Ok for operation id 'x', which is not open"):
        History.from_events([Invoke("w", "a", Write(1)), Ok("x")])
    with pytest.raises(ValueError, match=r"event 1: operation id 'w' is invoked while still open"):
        History.from_events([Invoke("w", "a", Write(1)), Invoke("w", "b", Write(2))])


def test_from_intervals_orders_by_time_with_closed_intervals() -> None:
    history = History.from_intervals(
        [
            ("b", Read(), 1, 5.0, 6.0),
            ("a", Write(1), None, 0.0, 5.0),  # returns at 5, when b is invoked: they overlap
            ("c", Write(2), None, 7.0, None),  # never returned
        ]
    )
    a, b, c = history.operations
    assert (a.client, b.client, c.client) == ("a", "b", "c")
    assert b.invoke_at < a.complete_at  # type: ignore[operator]
    assert c.status == "pending"
    assert (c.invoke, c.complete) == (7.0, math.inf)


def test_from_intervals_refuses_a_return_before_the_invocation() -> None:
    with pytest.raises(
        ValueError, match=r"interval 0 \(Read\(\)\) returns at 1.0, before its invocation at 2.0"
    ):
        History.from_intervals([("a", Read(), 1, 2.0, 1.0)])
