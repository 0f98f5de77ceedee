"""TimerBook: deadlines, intervals on their grid, cancel remainders, owners — with explicit now."""

from __future__ import annotations

from collections.abc import Callable
from fractions import Fraction
from typing import Any, cast

import pytest
from hypothesis import given
from hypothesis import strategies as st

from spawned._timers import Timer, TimerBook, Wakeup, check_delay, check_period, check_timeout


class Owner:
    label = "owner"


class NoService:
    def cancel(self, timer: Timer) -> float | None:
        raise AssertionError


def make(message: object, period: float | None = None, owner: Any = None) -> Timer:
    owner = owner or Owner()
    return Timer._create(NoService(), owner, owner, message, period)


def test_due_pops_in_deadline_order_and_one_shots_are_done() -> None:
    book = TimerBook[Timer]()
    late, early = make("late"), make("early")
    book.schedule(late, 2.0)
    book.schedule(early, 1.0)
    assert book.next_deadline() == 1.0
    assert book.due(0.5) == []
    assert [t.message for t in book.due(2.0)] == ["early", "late"]
    assert not late.active
    assert book.next_deadline() is None
    assert len(book) == 0


@pytest.mark.parametrize(
    ("now", "remaining"),
    [(0.0, 5.0), (1.5, 3.5), (5.0, 0.0), (7.0, 0.0)],
)
def test_cancel_returns_the_time_left(now: float, remaining: float) -> None:
    book = TimerBook[Timer]()
    timer = make("x")
    book.schedule(timer, 5.0)
    assert book.cancel(timer, now) == remaining
    assert book.cancel(timer, now) is None
    assert book.due(100.0) == []


def test_cancel_after_firing_is_none() -> None:
    book = TimerBook[Timer]()
    timer = make("x")
    book.schedule(timer, 1.0)
    assert book.due(1.0) == [timer]
    assert book.cancel(timer, 1.5) is None


@pytest.mark.parametrize(
    ("nows", "ticks", "next_deadline"),
    [
        ([1.0, 2.0, 3.0], 3, 4.0),  # exactly on time
        ([1.3, 2.3, 3.3], 3, 4.0),  # always late by 0.3: no drift, the grid stays
        ([1.0, 3.5], 2, 4.0),  # 2.0 and 3.0 missed while the loop was busy: one tick, no burst
        ([0.9, 1.0], 1, 2.0),
    ],
)
def test_interval_stays_on_its_grid(nows: list[float], ticks: int, next_deadline: float) -> None:
    book = TimerBook[Timer]()
    timer = make("tick", period=1.0)
    book.schedule(timer, 1.0)
    fired = sum(len(book.due(now)) for now in nows)
    assert fired == ticks
    assert book.next_deadline() == next_deadline
    assert book.cancel(timer, nows[-1]) == pytest.approx(next_deadline - nows[-1])
    assert book.due(100.0) == []


def test_drop_owner_disarms_every_timer_it_set() -> None:
    book = TimerBook[Timer]()
    a, b = Owner(), Owner()
    first = book.schedule(make("a1", owner=a), 1.0)
    again = book.schedule(make("a2", period=1.0, owner=a), 1.0)
    kept = make("b", owner=b)
    book.schedule(kept, 1.0)
    assert (first, again) == (True, False)
    assert book.drop_owner(a) == 2
    assert book.due(5.0) == [kept]
    assert book.drop_owner(a) == 0


def test_an_owner_is_new_only_once_until_dropped() -> None:
    book = TimerBook[Timer]()
    owner = Owner()
    assert book.schedule(make("1", owner=owner), 1.0)
    book.due(1.0)
    assert not book.schedule(make("2", owner=owner), 2.0)  # still known: one exit hook is enough
    book.drop_owner(owner)
    assert book.schedule(make("3", owner=owner), 3.0)


def test_cancelled_entries_are_compacted() -> None:
    book = TimerBook[Timer]()
    timers = [make(i) for i in range(200)]
    for i, timer in enumerate(timers):
        book.schedule(timer, float(i))
    for timer in timers[:150]:
        book.cancel(timer, 0.0)
    assert len(book._heap) <= 2 * len(book) or len(book._heap) <= 64
    assert [t.message for t in book.due(1000.0)] == list(range(150, 200))


@pytest.mark.parametrize("bad", [-1, float("nan"), -0.001])
def test_check_delay_refuses_negative_and_nan(bad: float) -> None:
    with pytest.raises(ValueError, match=">= 0"):
        check_delay(bad)


@pytest.mark.parametrize("bad", [0, -1, float("inf"), float("nan")])
def test_check_period_refuses_non_positive_and_infinite(bad: float) -> None:
    with pytest.raises(ValueError, match="> 0"):
        check_period(bad)


def test_timer_has_no_public_constructor() -> None:
    with pytest.raises(TypeError, match="no public constructor"):
        Timer(NoService(), Owner(), Owner(), "m", None)


@given(
    deadlines=st.lists(st.floats(0, 100), min_size=1, max_size=30),
    nows=st.lists(st.floats(0, 120), max_size=10),
    cancels=st.sets(st.integers(0, 29)),
)
def test_each_armed_one_shot_fires_once_in_order(
    deadlines: list[float], nows: list[float], cancels: set[int]
) -> None:
    book = TimerBook[Timer]()
    timers = [make(i) for i in range(len(deadlines))]
    for timer, deadline in zip(timers, deadlines, strict=True):
        book.schedule(timer, deadline)
    for i in cancels & set(range(len(timers))):
        book.cancel(timers[i], 0.0)
    fired: list[Timer] = []
    for now in [*sorted(nows), 200.0]:
        batch = book.due(now)
        assert all(t.deadline <= now for t in batch)
        assert [t.deadline for t in batch] == sorted(t.deadline for t in batch)
        fired += batch
    expected = {i for i in range(len(timers)) if i not in cancels}
    assert sorted(cast("int", t.message) for t in fired) == sorted(expected)
    assert len(book) == 0


@pytest.mark.parametrize("bad", [-1, float("nan"), -0.001, float("-inf")])
def test_check_timeout_refuses_negative_and_nan_naming_the_value_and_what_is_allowed(bad: float) -> None:
    with pytest.raises(ValueError, match=r"timeout must be a number of seconds >= 0 or math\.inf") as info:
        check_timeout(bad)
    assert repr(bad) in str(info.value)


@pytest.mark.parametrize("good", [0, 0.5, 1e10, float("inf")])
def test_check_timeout_accepts_zero_finite_and_infinite(good: float) -> None:
    assert check_timeout(good) == good


@pytest.mark.parametrize("bad", ["1", None, True, b"1"], ids=repr)
@pytest.mark.parametrize("check", [check_timeout, check_delay, check_period])
def test_a_timeout_delay_or_period_that_is_not_a_number_is_a_type_error_naming_it(
    check: Callable[[float], float], bad: object
) -> None:
    """Checked before anything is sent; ``bool`` is refused (``timeout=True`` is a slip)."""
    with pytest.raises(TypeError, match="must be a number of seconds") as info:
        check(bad)  # type: ignore[arg-type]
    assert repr(bad) in str(info.value)


@pytest.mark.parametrize("good", [Fraction(1, 2), 2], ids=repr)
def test_any_real_number_is_seconds(good: float) -> None:
    assert check_timeout(good) == float(good)


def test_a_wakeup_has_no_owner_and_fires_its_call_in_deadline_order() -> None:
    calls: list[str] = []
    book = TimerBook[Timer | Wakeup]()
    owner = Owner()
    timer = make("timer", owner=owner)
    late = Wakeup(calls.append, ("late",))
    early = Wakeup(calls.append, ("early",))
    assert book.schedule(late, 2.0) is False  # no owner to drop it
    assert book.schedule(timer, 1.5) is True
    assert book.schedule(early, 1.0) is False
    assert book.drop_owner(owner) == 1  # the owner's exit leaves the wakeups armed
    fired = book.due(2.0)
    assert fired == [early, late]
    for wakeup in fired:
        assert isinstance(wakeup, Wakeup)
        wakeup.fire()
    assert calls == ["early", "late"]
    assert book.next_deadline() is None
    assert len(book) == 0
