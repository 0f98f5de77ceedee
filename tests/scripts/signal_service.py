"""A small service for tests/test_signals.py: prints "ready", then waits to be signalled.

Run: python signal_service.py <asyncio|trio|threads> <default|off|stuck>. Every server
prints a line in ``terminate``, so the test reads the shutdown order from stdout.
"""

# Its stdout is what the test reads:
# ruff: noqa: T201

from __future__ import annotations

import sys
import threading
import time

import anyio

from spawned import ChildSpec, GenServer, Supervisor, tasks, threads


class Service(GenServer):
    def __init__(self, name: str) -> None:
        self.name = name

    def init(self) -> None:
        self.trap_exits = True  # as in OTP, a supervisor's shutdown runs terminate only then

    def terminate(self, reason: object) -> None:
        print(f"terminate {self.name} {reason}", flush=True)


class StuckAsync(GenServer):
    """Its terminate never returns by itself: only a kill ends it."""

    def init(self) -> None:
        self.trap_exits = True

    async def terminate(self, reason: object) -> None:
        print("stuck terminating", flush=True)
        await anyio.sleep_forever()


class StuckThread(GenServer):
    """Its terminate returns only once the process has been killed."""

    def init(self) -> None:
        self.trap_exits = True

    def terminate(self, reason: object) -> None:
        print("stuck terminating", flush=True)
        while self.handle.is_alive:
            time.sleep(0.01)


def tree() -> Supervisor:
    return Supervisor(
        [
            ChildSpec("first", lambda: Service("first")),
            ChildSpec("second", lambda: Service("second")),
        ]
    )


async def main_tasks(mode: str) -> None:
    await tasks.start(tree())
    await tasks.start(Service("last"))
    if mode == "stuck":
        await tasks.start(StuckAsync(), name="stuck")
    print("ready", flush=True)
    await anyio.sleep_forever()


def main_threads(mode: str) -> None:
    threads.start(tree())
    threads.start(Service("last"))
    if mode == "stuck":
        threads.start(StuckThread(), name="stuck")
    print("ready", flush=True)
    threading.Event().wait()


def run() -> None:
    backend, mode = sys.argv[1], sys.argv[2]
    options: dict[str, object] = {"handle_signals": mode != "off"}
    if mode == "stuck":
        options["shutdown_timeout"] = 0.5
    if backend == "threads":
        threads.run(main_threads, mode, **options)  # pyright: ignore[reportArgumentType]
    else:
        tasks.run(main_tasks, mode, backend=backend, **options)  # pyright: ignore[reportArgumentType]


if __name__ == "__main__":
    run()
