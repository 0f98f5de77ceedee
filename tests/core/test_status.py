"""Status, redaction and trimmed tracebacks, with no runtime."""

from __future__ import annotations

from typing import Any

import pytest
from attrs import evolve

from spawned import GenServer, Status
from spawned._status import for_log, formatted, public_state, state_of


class Vault(GenServer):
    def __init__(self) -> None:
        self.secret = "s"  # noqa: S105 - a test secret
        self.count = 1
        self._cache = {"hidden": True}


class Redacting(Vault):
    def format_status(self, status: Status) -> Status:
        return evolve(status, state={**status.state, "secret": "***"}, message="<message>")


class ReturnsState(Vault):
    def format_status(self, status: Status) -> Any:
        return status.state


def test_public_state_leaves_out_private_attributes_and_is_a_copy() -> None:
    vault = Vault()
    state = public_state(vault)
    assert state == {"secret": "s", "count": 1}
    state["count"] = 2
    assert vault.count == 1


def test_formatted_and_state_of_go_through_format_status() -> None:
    status = formatted(Redacting(), ("login", "pw"), "reason")
    assert status == Status({"secret": "***", "count": 1}, "<message>", "reason")
    assert state_of(Redacting()) == {"secret": "***", "count": 1}
    assert state_of(Vault()) == {"secret": "s", "count": 1}


def test_a_format_status_that_returns_something_else_hides_everything() -> None:
    status = formatted(ReturnsState(), "pw")
    assert status.state == status.message
    assert "format_status raised TypeError" in status.message
    assert "allowed: a Status" in status.message


def test_an_exception_never_raised_has_no_traceback_to_trim() -> None:
    error = ValueError("never raised")
    assert for_log(error) == (ValueError, error, None)


def _raise_here() -> None:
    raise KeyError("user code")


def test_only_the_leading_framework_frames_are_cut() -> None:
    with pytest.raises(KeyError) as info:
        _raise_here()
    caught = info.value
    _, value, tb = for_log(caught)
    assert value is caught
    names = []
    while tb is not None:
        names.append(tb.tb_frame.f_code.co_name)
        tb = tb.tb_next
    assert names == ["_top", "test_only_the_leading_framework_frames_are_cut", "_raise_here"]
    assert caught.__traceback__ is not None
    assert caught.__traceback__.tb_frame.f_code.co_name == "test_only_the_leading_framework_frames_are_cut"


def test_an_object_without_attributes_has_an_empty_public_state() -> None:
    assert public_state(object()) == {}
