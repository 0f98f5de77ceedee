"""Deferred replies: answer a call later, or let another server answer it.

A ``Pool`` hands out jobs; a worker that asks while the pool is empty waits until a job is
cast in. A ``Front`` server passes each call on to the pool together with its ``Caller``, so
the pool answers the original caller directly and the front never waits (no deadlock).

Run: python examples/deferred_reply.py [--backend asyncio|trio|threads]
"""

from __future__ import annotations

import threading
from collections import deque

import anyio
from _cli import run_example

# --8<-- [start:pool]
from attrs import frozen

from spawned import Caller, GenServer, HandleBase, NoReply, Reply, tasks, threads


@frozen
class Take:
    """Call: the next job; waits while there is none."""


@frozen
class Put:
    """Cast: a new job."""

    job: str


@frozen
class TakeFor:
    """Cast: answer ``caller`` with the next job (sent by another server)."""

    caller: Caller[str]


class Pool(GenServer[Take, Put | TakeFor, str]):
    def init(self) -> None:
        self.jobs: deque[str] = deque()
        self.waiting: deque[Caller[str]] = deque()

    def handle_call(self, msg: Take, caller: Caller[str]) -> Reply[str] | NoReply:
        if self.jobs:
            return Reply(self.jobs.popleft())
        self.waiting.append(caller)  # answer later, from handle_cast
        return NoReply()

    def handle_cast(self, msg: Put | TakeFor) -> None:
        match msg:
            case Put(job) if self.waiting:
                self.waiting.popleft().reply(job)
            case Put(job):
                self.jobs.append(job)
            case TakeFor(caller) if self.jobs:
                caller.reply(self.jobs.popleft())
            case TakeFor(caller):
                self.waiting.append(caller)


# --8<-- [end:pool]


# --8<-- [start:front]
class Front(GenServer[Take, None, str]):
    def __init__(self, pool: HandleBase[Take, Put | TakeFor, str]) -> None:
        self.pool = pool

    def handle_call(self, msg: Take, caller: Caller[str]) -> NoReply:
        self.pool.cast(TakeFor(caller))  # the pool replies to our caller
        return NoReply()


# --8<-- [end:front]


# --8<-- [start:tasks]
async def main_tasks() -> None:
    pool = await tasks.start(Pool())
    front = await tasks.start(Front(pool))
    pool.cast(Put("wash"))
    print("took:", await pool.call(Take()))
    async with anyio.create_task_group() as group:
        group.start_soon(worker_tasks, front)  # waits until a job arrives
        pool.cast(Put("dry"))
    print("pool alive:", pool.is_alive)


async def worker_tasks(front: tasks.Handle[Take, None, str]) -> None:
    print("worker took:", await front.call(Take()))


# --8<-- [end:tasks]


# --8<-- [start:threads]
def main_threads() -> None:
    pool = threads.start(Pool())
    front = threads.start(Front(pool))
    pool.cast(Put("wash"))
    print("took:", pool.call(Take()))
    worker = threading.Thread(target=worker_threads, args=(front,))
    worker.start()  # waits until a job arrives
    pool.cast(Put("dry"))
    worker.join()
    print("pool alive:", pool.is_alive)


def worker_threads(front: threads.Handle[Take, None, str]) -> None:
    print("worker took:", front.call(Take()))


# --8<-- [end:threads]


def main(argv: list[str] | None = None) -> None:
    run_example(main_tasks, main_threads, argv, __doc__)


# --8<-- [start:expected]
EXPECTED = """\
took: wash
worker took: dry
pool alive: True
"""
# --8<-- [end:expected]

if __name__ == "__main__":
    main()
