"""Exit-reason rules: which exits are clean, which cross a link."""

from __future__ import annotations

import pytest

from spawned._reasons import crosses_link, describe, is_clean, is_shutdown


@pytest.mark.parametrize(
    ("reason", "clean", "crosses"),
    [
        ("normal", True, False),
        ("shutdown", True, True),
        (("shutdown", "maintenance"), True, True),
        ("killed", False, True),
        ("noproc", False, True),
        (ValueError("x"), False, True),
        (("shutdown", 1, 2), False, True),
        ("custom", False, True),
    ],
)
def test_reason_table(reason: object, clean: bool, crosses: bool) -> None:
    assert is_clean(reason) is clean
    assert crosses_link(reason) is crosses


def test_is_shutdown() -> None:
    assert is_shutdown("shutdown")
    assert is_shutdown(("shutdown", None))
    assert not is_shutdown("normal")
    assert not is_shutdown(["shutdown", 1])


def test_describe() -> None:
    assert describe(ValueError("bad")) == "ValueError: bad"
    assert describe(KeyError()) == "KeyError"
    assert describe("normal") == "'normal'"
