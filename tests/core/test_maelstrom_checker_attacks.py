"""The workload checkers fed replies of the wrong shape, as a broken node would send them."""

from __future__ import annotations

from typing import Any

import pytest

from spawned.maelstrom.harness import Op
from spawned.maelstrom.harness._checkers import check_broadcast, check_g_counter, check_g_set


def set_history(f: str, read: Any) -> list[Op]:
    return [Op("c1", "n1", f, 1, 0, 1, "ok"), Op("c0", "n1", "read", None, 2, 3, "ok", read, final=True)]


@pytest.mark.parametrize("read", [{"a": 1}, "xyz", [2], []])
def test_a_wrong_set_read_is_invalid(read: Any) -> None:
    assert not check_broadcast(set_history("broadcast", read)).valid
    assert not check_g_set(set_history("add", read)).valid


def test_a_right_set_read_is_valid() -> None:
    assert check_broadcast(set_history("broadcast", [1])).valid


@pytest.mark.parametrize("read", [5, [1, [2]]])
def test_a_malformed_set_read_is_invalid_not_an_exception(read: Any) -> None:
    assert not check_broadcast(set_history("broadcast", read)).valid


def test_a_counter_read_of_true_is_not_1() -> None:
    history = [
        Op("c1", "n1", "add", 1, 0, 1, "ok"),
        Op("c0", "n1", "read", None, 2, 3, "ok", True, final=True),  # noqa: FBT003 - the reply's value
    ]
    assert not check_g_counter(history).valid


def counter_history(read: int) -> list[Op]:
    return [
        Op("c1", "n1", "add", 10, 0, 1, "ok"),
        Op("c2", "n1", "add", 5, 0, 1, "info"),
        Op("c0", "n1", "read", None, 2, 3, "ok", read, final=True),
    ]


@pytest.mark.parametrize("read", [10, 15])
def test_a_counter_read_counting_a_pending_add_or_not_is_valid(read: int) -> None:
    assert check_g_counter(counter_history(read)).valid


def test_a_counter_read_counting_part_of_an_add_is_invalid() -> None:
    assert not check_g_counter(counter_history(12)).valid
