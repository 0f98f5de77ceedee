"""Graceful shutdown: SIGTERM stops the whole tree in order, and every ``terminate`` runs.

``tasks.run`` and ``threads.run`` catch SIGTERM and SIGINT: ``main`` is interrupted, the
processes stop last started first (a supervisor stops its children in reverse order), and
``run`` raises ``SignalShutdown``, which exits with status 0 after SIGTERM (130 after
SIGINT). Here the service sends SIGTERM to itself once it is up, as systemd, Docker or
Kubernetes would; the "received SIGTERM" log line goes to stderr through loguru.

Run: python examples/graceful_shutdown.py [--backend asyncio|trio|threads]
"""

from __future__ import annotations

import os
import signal
import threading

import anyio
from _cli import run_example

# --8<-- [start:servers]
from spawned import ChildSpec, GenServer, Supervisor, tasks, threads


class Component(GenServer):
    """A part of the service that must close cleanly (flush, disconnect, ...)."""

    def __init__(self, name: str) -> None:
        self.name = name

    def init(self) -> None:
        self.trap_exits = True  # as in OTP: a supervisor's shutdown runs terminate only then
        print(f"{self.name}: up")

    def terminate(self, reason: object) -> None:
        print(f"{self.name}: closing ({reason})")


def service() -> Supervisor:
    """The database first, then the cache that reads it, then the web front that uses both."""
    return Supervisor([ChildSpec(name, lambda name=name: Component(name)) for name in ("db", "cache", "web")])


# --8<-- [end:servers]


# --8<-- [start:tasks]
async def main_tasks() -> None:
    await tasks.start(service())
    print("sending SIGTERM to myself")
    os.kill(os.getpid(), signal.SIGTERM)  # what a service manager does to stop us
    await anyio.sleep_forever()  # cancelled by the signal


# --8<-- [end:tasks]


# --8<-- [start:threads]
def main_threads() -> None:
    threads.start(service())
    print("sending SIGTERM to myself")
    os.kill(os.getpid(), signal.SIGTERM)
    threading.Event().wait()  # interrupted by the signal


# --8<-- [end:threads]


def main(argv: list[str] | None = None) -> None:
    run_example(main_tasks, main_threads, argv, __doc__)  # exits 0 once the tree is down


# --8<-- [start:expected]
EXPECTED = """\
db: up
cache: up
web: up
sending SIGTERM to myself
web: closing (shutdown)
cache: closing (shutdown)
db: closing (shutdown)
"""
# --8<-- [end:expected]

if __name__ == "__main__":
    main()
