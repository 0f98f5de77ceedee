"""Crash reports: redacted by format_status, trimmed to the server's frames, chained to callers."""

from __future__ import annotations

import io
from typing import Any

import pytest
from attrs import evolve
from loguru import logger

from spawned import Caller, GenServer, Reply, ServerExited, Status
from spawned.testing import TestRuntime

FRAMEWORK = ("asyncio", "anyio", "trio", "threading", "_pytest", "pluggy", "spawned")


class Login(GenServer):
    """Crashes on every call; hides passwords in its reports."""

    def init(self) -> None:
        self.token = "s3cret-token"  # noqa: S105 - a test secret, to be hidden
        self.users = 1

    def handle_call(self, msg: Any, caller: Caller[Any]) -> Reply[Any]:
        return Reply(self.check(msg))

    def check(self, msg: Any) -> bool:
        raise PermissionError(f"login refused for {msg['user']}")

    def format_status(self, status: Status) -> Status:
        message = status.message
        if isinstance(message, dict):
            message = {**message, "password": "***"}
        return evolve(status, message=message, state={**status.state, "token": "***"})


class Plain(GenServer):
    def handle_call(self, msg: Any, caller: Caller[Any]) -> Reply[Any]:
        raise PermissionError("refused")


class BrokenStatus(Plain):
    def format_status(self, status: Status) -> Status:
        raise RuntimeError("redaction bug")


class WrongStatus(Plain):
    def format_status(self, status: Status) -> Status:
        return status.state


LOGIN = {"user": "bob", "password": "hunter2"}


async def crash(rt: TestRuntime, server: GenServer) -> ServerExited:
    h = await rt.start(server, name="login")
    with pytest.raises(ServerExited) as info:
        await h.call(LOGIN)
    return info.value


async def test_format_status_redacts_the_last_message(rt: TestRuntime, logs) -> None:
    await crash(rt, Login())
    [report] = logs.messages("ERROR")
    assert "hunter2" not in report
    assert "last message: call {'user': 'bob', 'password': '***'}" in report


async def test_without_format_status_the_message_is_shown_as_is(rt: TestRuntime, logs) -> None:
    await crash(rt, Plain())
    [report] = logs.messages("ERROR")
    assert "last message: call {'user': 'bob', 'password': 'hunter2'}" in report


@pytest.mark.parametrize("server", [BrokenStatus, WrongStatus])
async def test_a_failing_format_status_hides_the_message(rt: TestRuntime, logs, server: type[Plain]) -> None:
    await crash(rt, server())
    [report] = logs.messages("ERROR")
    assert "hunter2" not in report
    assert "last message: call '<hidden: format_status raised" in report


async def test_the_dropped_message_warning_uses_format_status(rt: TestRuntime, logs) -> None:
    h = await rt.start(Login())
    h.send(LOGIN)
    await h.stop()
    [warning] = logs.messages("WARNING")
    assert "hunter2" not in warning
    assert "'password': '***'" in warning


async def test_the_report_traceback_starts_at_the_server_code(rt: TestRuntime, logs) -> None:
    error = await crash(rt, Login())
    [record] = [r for r in logs.records if r["level"].name == "ERROR"]
    exception: Any = record["exception"]
    assert exception.value is error.__cause__
    names = []
    tb = exception.traceback
    while tb is not None:
        names.append((tb.tb_frame.f_globals["__name__"], tb.tb_frame.f_code.co_name))
        tb = tb.tb_next
    assert names[0] == ("spawned._status", "_top")  # a frame with no caller: backtrace stops there
    assert names[1:] == [(__name__, "handle_call"), (__name__, "check")]
    assert error.__cause__ is not None
    own = error.__cause__.__traceback__  # the server's exception itself is left as it was
    assert own is not None
    assert own.tb_frame.f_globals["__name__"].startswith("spawned.")


async def test_the_printed_report_has_no_framework_frames(rt: TestRuntime) -> None:
    out = io.StringIO()
    sink = logger.add(out, format="{message}", backtrace=True, diagnose=False, colorize=False)
    try:
        await crash(rt, Login())
    finally:
        logger.remove(sink)
    text = out.getvalue()
    assert "in handle_call" in text
    assert "in check" in text
    assert "PermissionError: login refused for bob" in text
    for package in FRAMEWORK[:-1]:
        assert f"{package}/" not in text, text
    assert len(text.splitlines()) < 25, text


async def test_server_exited_carries_the_crash_as_its_cause(rt: TestRuntime) -> None:
    error = await crash(rt, Plain())
    assert isinstance(error.__cause__, PermissionError)
    assert error.__cause__ is error.reason
    assert error.__suppress_context__
