"""Logging: crash reports through loguru, the server bound to each record, and silencing them.

Run: python examples/logging_crashes.py [--backend asyncio|trio|threads]
"""

from __future__ import annotations

from _cli import run_example

# --8<-- [start:sink]
from loguru import logger

from spawned import Caller, GenServer, Reply, ServerExited, tasks, threads


def show(message: object) -> None:
    """A loguru sink: one line per record, with the server it is about."""
    record = message.record  # type: ignore[attr-defined]
    print(f"{record['level'].name} [{record['extra'].get('server', '-')}] {record['message']}")


# --8<-- [end:sink]


class Calculator(GenServer[int, None, float]):
    def handle_call(self, msg: int, caller: Caller[float]) -> Reply[float]:
        return Reply(100 / msg)


# --8<-- [start:tasks]
async def main_tasks() -> None:
    sink = logger.add(show, level="WARNING")
    calc = await tasks.start(Calculator(), name="calc")
    calc.send("hello")  # not expected: a warning, and the message is dropped
    print("100 / 4 =", await calc.call(4))
    try:
        await calc.call(0)  # crashes the server: logged once, with the traceback
    except ServerExited as error:
        print("error:", error)

    logger.disable("spawned")  # silence the library's records
    quiet = await tasks.start(Calculator(), name="quiet")
    try:
        await quiet.call(0)
    except ServerExited:
        print("quiet crashed, nothing logged")
    logger.enable("spawned")
    logger.remove(sink)


# --8<-- [end:tasks]


# --8<-- [start:threads]
def main_threads() -> None:
    sink = logger.add(show, level="WARNING")
    calc = threads.start(Calculator(), name="calc")
    calc.send("hello")
    print("100 / 4 =", calc.call(4))
    try:
        calc.call(0)
    except ServerExited as error:
        print("error:", error)

    logger.disable("spawned")
    quiet = threads.start(Calculator(), name="quiet")
    try:
        quiet.call(0)
    except ServerExited:
        print("quiet crashed, nothing logged")
    logger.enable("spawned")
    logger.remove(sink)


# --8<-- [end:threads]


def main(argv: list[str] | None = None) -> None:
    run_example(main_tasks, main_threads, argv, __doc__)


# --8<-- [start:expected]
EXPECTED = """\
WARNING [Calculator 'calc'] Calculator 'calc' dropped an unexpected message: 'hello'
100 / 4 = 25.0
ERROR [Calculator 'calc'] Calculator 'calc' terminating, reason: ZeroDivisionError: division by zero; \
last message: call 0
error: Calculator 'calc' exited before replying, reason: ZeroDivisionError: division by zero; \
its crash report is in the log
quiet crashed, nothing logged
"""
# --8<-- [end:expected]

if __name__ == "__main__":
    main()
