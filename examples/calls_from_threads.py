"""Calls from threads: a thread pool and an ``on_thread`` server call a tasks server.

Code that runs on a plain thread (a ``concurrent.futures`` worker, a library's callback
thread, the plain ``def`` callbacks of a server started with ``on_thread=True``) cannot
await. It calls through ``handle.blocking``, which blocks the calling thread until the reply,
with the timeouts and errors of ``call``. On ``spawned.threads`` a handle already blocks and
``handle.blocking`` is the handle itself, so the same ``hit`` and ``Auditor`` run on both.

Run: python examples/calls_from_threads.py [--backend asyncio|trio|threads]
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import anyio.to_thread
from _cli import run_example

# --8<-- [start:servers]
from spawned import Caller, GenServer, Reply, tasks, threads


class Counter(GenServer[str, None, int]):
    """Counts the hits per key."""

    def init(self) -> None:
        self.counts: dict[str, int] = {}

    def handle_call(self, msg: str, caller: Caller[int]) -> Reply[int]:
        self.counts[msg] = self.counts.get(msg, 0) + 1
        return Reply(self.counts[msg])


CounterHandle = tasks.Handle[str, None, int] | threads.Handle[str, None, int]


def hit(counter: CounterHandle, key: str) -> int:
    """A thread-pool job: a blocking call, on either backend."""
    return counter.blocking.call(key, timeout=5.0)


class Auditor(GenServer[str, None, str]):
    """Plain ``def`` callbacks that call another server: on tasks, start it with on_thread=True."""

    def __init__(self, counter: CounterHandle) -> None:
        self.counter = counter

    def handle_call(self, msg: str, caller: Caller[str]) -> Reply[str]:
        seen = hit(self.counter, msg)
        return Reply(f"{msg}: hit {seen} times")


KEYS = ["a", "b", "a", "a"]
# --8<-- [end:servers]


# --8<-- [start:tasks]
async def main_tasks() -> None:
    counter = await tasks.start(Counter())
    auditor = await tasks.start(Auditor(counter), on_thread=True)
    with ThreadPoolExecutor(max_workers=4) as pool:
        futures = [pool.submit(hit, counter, key) for key in KEYS]
        counts = [await anyio.to_thread.run_sync(future.result) for future in futures]
    print("pool saw", sorted(counts))
    print(await auditor.call("a"))


# --8<-- [end:tasks]


# --8<-- [start:threads]
def main_threads() -> None:
    counter = threads.start(Counter())
    auditor = threads.start(Auditor(counter))
    with ThreadPoolExecutor(max_workers=4) as pool:
        counts = [future.result() for future in [pool.submit(hit, counter, key) for key in KEYS]]
    print("pool saw", sorted(counts))
    print(auditor.call("a"))


# --8<-- [end:threads]


def main(argv: list[str] | None = None) -> None:
    run_example(main_tasks, main_threads, argv, __doc__)


# --8<-- [start:expected]
EXPECTED = """\
pool saw [1, 1, 2, 3]
a: hit 4 times
"""
# --8<-- [end:expected]

if __name__ == "__main__":
    main()
