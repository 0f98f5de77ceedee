"""Callback results are interpreted in one pure place; bad values name what was allowed."""

from __future__ import annotations

from functools import partial

import pytest

from spawned import BadReturn, Continue, Ignore, NoReply, Reply, Stop
from spawned._outcome import check_call, check_init, check_other


@pytest.mark.parametrize("value", [None, Continue(1), Ignore(), Stop("x")])
def test_init_accepts(value: object) -> None:
    assert check_init(value) is value


@pytest.mark.parametrize("value", [Reply(1), NoReply(), Stop("x")])
def test_handle_call_accepts(value: object) -> None:
    assert check_call(value) is value


@pytest.mark.parametrize("value", [None, Continue(1), Stop("x")])
def test_other_callbacks_accept(value: object) -> None:
    assert check_other("handle_cast", value) is value


@pytest.mark.parametrize(
    ("check", "value", "text"),
    [
        (
            check_init,
            Reply(1),
            "init returned Reply(value=1); allowed: None, Continue(arg), Ignore() or Stop(reason)",
        ),
        (
            check_call,
            None,
            (
                "handle_call returned None; allowed: Reply(value), NoReply() or Stop(reason, reply=...)"
                " (a `match` with no matching case returns None: add a case for this message)"
            ),
        ),
        (
            check_call,
            5,
            "handle_call returned 5; allowed: Reply(value), NoReply() or Stop(reason, reply=...)",
        ),
        (
            partial(check_other, "handle_info"),
            Ignore(),
            "handle_info returned Ignore(); allowed: None, Continue(arg) or Stop(reason)",
        ),
    ],
)
def test_bad_values_are_named_with_what_was_allowed(check, value: object, text: str) -> None:
    with pytest.raises(BadReturn) as info:
        check(value)
    assert str(info.value) == text
    assert info.value.value is value


def test_stop_reply_is_optional_and_none_is_a_reply() -> None:
    assert not Stop("normal").has_reply
    assert Stop("normal", reply=None).has_reply
    assert Stop("normal", reply=None).reply is None
