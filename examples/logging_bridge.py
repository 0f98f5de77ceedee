"""Logging in production: redacted crash reports, the standard logging module, JSON lines.

Run: python examples/logging_bridge.py [--backend asyncio|trio|threads]
"""

from __future__ import annotations

import json
import logging
import sys
import traceback
from typing import Any

from _cli import run_example

# --8<-- [start:server]
from attrs import evolve
from loguru import logger

from spawned import Caller, GenServer, Reply, ServerExited, Status, tasks, threads


class Accounts(GenServer[dict[str, str], None, bool]):
    def init(self) -> None:
        self.api_key = "sk-live-123"
        self.logins = 0

    def handle_call(self, msg: dict[str, str], caller: Caller[bool]) -> Reply[bool]:
        self.logins += 1
        if msg["user"] != "alice":
            raise PermissionError(f"unknown user {msg['user']!r}")
        return Reply(value=True)

    def format_status(self, status: Status) -> Status:
        """Never let a password or the API key reach a log or get_state."""
        message = status.message
        if isinstance(message, dict) and "password" in message:
            message = {**message, "password": "***"}
        return evolve(status, message=message, state={**status.state, "api_key": "***"})


# --8<-- [end:server]


# --8<-- [start:stdlib]
class ToLogging(logging.Handler):
    """A loguru sink that hands every record on to the standard ``logging`` module."""

    def emit(self, record: logging.LogRecord) -> None:
        record.__dict__.update(record.__dict__.get("extra", {}))  # loguru's bound values: %(server)s
        record.exc_text = None  # let logging format the traceback (no variable values)
        logging.getLogger(record.name).handle(record)


class Short(logging.Formatter):
    """One line per exception, so this example's output stays the same from run to run."""

    def formatException(self, ei: Any) -> str:  # noqa: N802 - logging's name
        return "  " + "".join(traceback.format_exception_only(ei[1])).strip()


def use_standard_logging() -> int:
    """Route spawned's records (logger "spawned") to a logging handler; returns the loguru sink id."""
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(Short("%(levelname)s [%(server)s] %(message)s"))
    logging.getLogger("spawned").addHandler(handler)
    logging.getLogger("spawned").setLevel(logging.INFO)
    return logger.add(ToLogging(), format=lambda _: "{message}", level="INFO")  # logging adds the traceback


# --8<-- [end:stdlib]


# --8<-- [start:json]
def print_fields(line: str) -> None:
    """A sink for ``serialize=True``: each record arrives as one JSON line. A real service would
    write the line as it is (``logger.add(sys.stderr, serialize=True)``); here a few fields."""
    record = json.loads(line)["record"]
    fields = {"level": record["level"]["name"], **record["extra"], "error": record["exception"]["type"]}
    print(json.dumps(fields))


def use_json_lines() -> int:
    """JSON lines with the server in every record's ``extra``; returns the loguru sink id."""
    return logger.add(print_fields, serialize=True, level="INFO")


# --8<-- [end:json]


# --8<-- [start:tasks]
async def main_tasks() -> None:
    logger.remove()  # the application owns the sinks: drop loguru's default one
    for use in (use_standard_logging, use_json_lines):
        sink = use()
        accounts = await tasks.start(Accounts(), name="accounts")
        print("alice logged in:", await accounts.call({"user": "alice", "password": "pw"}))
        try:
            await accounts.call({"user": "mallory", "password": "hunter2"})
        except ServerExited as error:
            print("caller sees:", repr(error.__cause__))
        logger.remove(sink)


# --8<-- [end:tasks]


# --8<-- [start:threads]
def main_threads() -> None:
    logger.remove()
    for use in (use_standard_logging, use_json_lines):
        sink = use()
        accounts = threads.start(Accounts(), name="accounts")
        print("alice logged in:", accounts.call({"user": "alice", "password": "pw"}))
        try:
            accounts.call({"user": "mallory", "password": "hunter2"})
        except ServerExited as error:
            print("caller sees:", repr(error.__cause__))
        logger.remove(sink)


# --8<-- [end:threads]


def main(argv: list[str] | None = None) -> None:
    run_example(main_tasks, main_threads, argv, __doc__)


# --8<-- [start:expected]
EXPECTED = """\
alice logged in: True
ERROR [Accounts 'accounts'] Accounts 'accounts' terminating, reason: PermissionError: \
unknown user 'mallory'; last message: call {'user': 'mallory', 'password': '***'}
  PermissionError: unknown user 'mallory'
caller sees: PermissionError("unknown user 'mallory'")
alice logged in: True
{"level": "ERROR", "server": "Accounts 'accounts'", "error": "PermissionError"}
caller sees: PermissionError("unknown user 'mallory'")
"""
# --8<-- [end:expected]

if __name__ == "__main__":
    main()
