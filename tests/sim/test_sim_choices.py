"""The chooser seam: RandomChooser, ReplayChooser and Frontier, on their own."""

from __future__ import annotations

import random

import pytest

from spawned import sim


def test_random_chooser_draws_uniformly_from_its_seed() -> None:
    chooser = sim.RandomChooser(7)
    expected = random.Random(7)  # noqa: S311 - the same generator the chooser uses
    assert [chooser.choose(10, "next") for _ in range(20)] == [expected.randrange(10) for _ in range(20)]


def test_replay_chooser_replays_then_answers_zero() -> None:
    chooser = sim.ReplayChooser([2, 1])
    assert [chooser.choose(5, "next") for _ in range(4)] == [2, 1, 0, 0]
    assert chooser.position == 4


def test_replay_chooser_lowers_an_answer_too_large_for_its_choice() -> None:
    chooser = sim.ReplayChooser([9])
    assert chooser.choose(3, "next") == 2


def test_replay_chooser_raises_frontier_past_its_list() -> None:
    chooser = sim.ReplayChooser([1], then="frontier")
    assert chooser.choose(2, "next") == 1
    with pytest.raises(sim.Frontier) as caught:
        chooser.choose(4, "delay")
    assert (caught.value.n, caught.value.what) == (4, "delay")


def test_replay_chooser_goes_on_at_random_from_a_seed() -> None:
    chooser = sim.ReplayChooser([1], then=3)
    expected = random.Random(3)  # noqa: S311 - the same generator the chooser uses
    assert [chooser.choose(6, "next") for _ in range(4)] == [1, *(expected.randrange(6) for _ in range(3))]


@pytest.mark.parametrize("bad", [[-1], [1.5], [True]])
def test_replay_chooser_refuses_bad_choices(bad: list[object]) -> None:
    with pytest.raises(ValueError, match="choices must be ints >= 0"):
        sim.ReplayChooser(bad)  # type: ignore[arg-type]


def test_replay_chooser_refuses_a_bad_then() -> None:
    with pytest.raises(ValueError, match='then must be "zero", "frontier" or an int seed'):
        sim.ReplayChooser([], then="random")  # type: ignore[arg-type]


def test_random_chooser_refuses_a_seed_that_is_not_an_int() -> None:
    with pytest.raises(TypeError, match="a seed must be an int"):
        sim.RandomChooser("7")  # type: ignore[arg-type]
