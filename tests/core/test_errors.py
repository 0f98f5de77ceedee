"""Every public error says what happened, to which server, and what to do."""

from __future__ import annotations

from typing import Any, cast

from spawned import AlreadyStarted, BadReturn, CallTimeout, HandleBase, InitFailed, NoProc, ServerExited


def test_call_timeout_names_the_server_and_that_it_keeps_running() -> None:
    text = str(CallTimeout("Bank 'bank'", 0.5))
    assert text.startswith("call to Bank 'bank' got no reply within 0.5 s")
    assert "keeps running" in text
    assert "longer timeout" in text


def test_stop_timeout_says_the_server_was_killed() -> None:
    error = CallTimeout("Bank 'bank'", 2, stopping=True)
    assert error.stopping
    assert str(error).startswith("Bank 'bank' did not stop within 2 s and was killed")


def test_noproc_says_what_to_do() -> None:
    text = str(NoProc("Worker#3"))
    assert "Worker#3 is not alive" in text
    assert "monitor it" in text


def test_server_exited_points_at_the_log_only_for_crashes() -> None:
    crashed = str(ServerExited("Calc#1", ZeroDivisionError("division by zero")))
    assert crashed == (
        "Calc#1 exited before replying, reason: ZeroDivisionError: division by zero; "
        "its crash report is in the log"
    )
    assert str(ServerExited("Calc#1", "killed")) == "Calc#1 exited before replying, reason: 'killed'"


def test_already_started_says_how_to_reach_the_holder() -> None:
    class FakeHandle:
        def __repr__(self) -> str:
            return "<Handle NameServer 'names'>"

    text = str(
        AlreadyStarted("names", cast("HandleBase[Any, Any, Any]", FakeHandle()))
    )  # only its repr is used
    assert "'names' is already taken by <Handle NameServer 'names'>" in text
    assert "whereis('names')" in text


def test_init_failed_says_how_init_failed() -> None:
    raised = str(InitFailed("Db#1", OSError("refused")))
    assert raised.startswith("Db#1 failed to start (init raised), reason: OSError: refused")
    stopped = str(InitFailed("Db#1", "no_config"))
    assert stopped.startswith("Db#1 failed to start (init returned Stop), reason: 'no_config'")


def test_bad_return_of_none_from_handle_call_hints_at_a_missed_case() -> None:
    assert "add a case for this message" in str(BadReturn("handle_call", None, "Reply(value)"))
    assert "add a case" not in str(BadReturn("handle_cast", 5, "None"))
