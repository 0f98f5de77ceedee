"""Shrinking a failing choice list (spawned.sim._shrink), on plain predicates."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from hypothesis import given
from hypothesis import strategies as st

from spawned.sim._shrink import Choices, normal, shrink, simpler


def when(fails: Callable[[Choices], bool]) -> Callable[[Choices], Sequence[int] | None]:
    return lambda choices: choices if fails(choices) else None


def test_normal_drops_trailing_zeros_only() -> None:
    assert normal((0, 3, 0, 1, 0, 0)) == (0, 3, 0, 1)
    assert normal((0, 0)) == ()


def test_simpler_is_shortlex() -> None:
    assert simpler((5,), (0, 0))
    assert simpler((0, 1), (1, 0))
    assert not simpler((1, 0), (1, 0))


def test_a_failure_needing_one_value_shrinks_to_just_it() -> None:
    shrunk = shrink((4, 1, 3, 2, 7, 1, 0, 5), when(lambda c: 7 in c))
    # 7 must be present, and as early as possible: one choice, the value itself cannot be lowered
    assert shrunk.choices == (7,)
    assert not shrunk.exhausted


def test_values_are_lowered_towards_zero() -> None:
    shrunk = shrink((9, 9, 9), when(lambda c: len(c) >= 3 and c[2] > 0))
    assert shrunk.choices == (0, 0, 1)


def test_the_normal_form_of_the_failing_run_is_kept() -> None:
    # the "run" fails after its first two choices, whatever follows: it reports only those
    shrunk = shrink((3, 2, 8, 8, 8), lambda c: c[:2] if len(c) >= 2 and c[0] >= 1 and c[1] >= 1 else None)
    assert shrunk.choices == (1, 1)


def test_the_budget_of_runs_is_respected() -> None:
    calls: list[Choices] = []

    def fails(c: Choices) -> bool:
        calls.append(c)
        return sum(c) >= 10

    shrunk = shrink(tuple(range(20)), when(fails), max_runs=5)
    assert shrunk.runs == len(calls) == 5
    assert shrunk.exhausted
    assert sum(shrunk.choices) >= 10


@given(st.lists(st.integers(0, 5), max_size=30), st.integers(1, 12))
def test_the_result_still_fails_and_is_never_less_simple(choices: list[int], threshold: int) -> None:
    def fails(c: Sequence[int]) -> bool:
        return sum(c) >= threshold

    if not fails(choices):
        return
    shrunk = shrink(choices, when(fails))
    assert fails(shrunk.choices)
    assert not simpler(normal(choices), shrunk.choices)
    assert sum(shrunk.choices) == threshold or shrunk.exhausted  # else a value could still be lowered


def test_a_large_value_is_lowered_by_binary_search_not_step_by_step() -> None:
    # a loss drawn as a choice among a million: any value from 900000 up means "lost"
    shrunk = shrink((0, 963043, 5), when(lambda c: len(c) >= 2 and c[1] >= 900_000))
    assert shrunk.choices == (0, 900_000)
    assert shrunk.runs < 60  # stepping down by one would take 63,000
