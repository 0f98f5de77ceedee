"""Mixing backends: a server on OS threads feeding a server on the event loop.

The fetcher does blocking work, so it runs on ``spawned.threads``; it casts each result to
the collector, which runs on ``spawned.tasks`` (with ``--backend threads``, both run on
threads). ``cast`` and ``send`` are safe from any thread, into either backend.

Run: python examples/mixed_backends.py [--backend asyncio|trio|threads]
"""

from __future__ import annotations

import time

import anyio.to_thread
from _cli import run_example

# --8<-- [start:servers]
from attrs import frozen

from spawned import Caller, GenServer, HandleBase, NoReply, tasks, threads


@frozen
class Fetch:
    url: str


@frozen
class Fetched:
    url: str
    size: int


@frozen
class Results:
    """Call: every result, once there are ``count`` of them."""

    count: int


class Fetcher(GenServer[None, Fetch, None]):
    """Blocking work: belongs on a thread."""

    def __init__(self, collector: HandleBase[Results, Fetched, list[str]]) -> None:
        self.collector = collector

    def handle_cast(self, msg: Fetch) -> None:
        time.sleep(0.01)  # stands for a blocking library call
        self.collector.cast(Fetched(msg.url, len(msg.url)))  # safe from this thread


class Collector(GenServer[Results, Fetched, list[str]]):
    def init(self) -> None:
        self.results: list[str] = []
        self.waiting: tuple[int, Caller[list[str]]] | None = None

    def handle_call(self, msg: Results, caller: Caller[list[str]]) -> NoReply:
        self.waiting = (msg.count, caller)
        self.answer()
        return NoReply()  # answered by answer(), now or when enough results are in

    def handle_cast(self, msg: Fetched) -> None:
        self.results.append(f"{msg.url}: {msg.size}")
        self.answer()

    def answer(self) -> None:
        if self.waiting is not None and len(self.results) >= self.waiting[0]:
            count, caller = self.waiting
            self.waiting = None
            caller.reply(sorted(self.results[:count]))


# --8<-- [end:servers]

URLS = ["https://example.org/a", "https://example.org/bb", "https://example.org/ccc"]


# --8<-- [start:tasks]
async def main_tasks() -> None:
    collector = await tasks.start(Collector())
    with threads.Runtime() as blocking:  # a second runtime, of OS threads
        fetcher = await anyio.to_thread.run_sync(blocking.start, Fetcher(collector))
        for url in URLS:
            fetcher.cast(Fetch(url))  # never blocks: fine on the event loop
        for line in await collector.call(Results(len(URLS))):
            print(line)
        await anyio.to_thread.run_sync(blocking.shutdown)  # joins its threads off the loop


# --8<-- [end:tasks]


# --8<-- [start:threads]
def main_threads() -> None:
    collector = threads.start(Collector())
    fetcher = threads.start(Fetcher(collector))
    for url in URLS:
        fetcher.cast(Fetch(url))
    for line in collector.call(Results(len(URLS))):
        print(line)


# --8<-- [end:threads]


def main(argv: list[str] | None = None) -> None:
    run_example(main_tasks, main_threads, argv, __doc__)


# --8<-- [start:expected]
EXPECTED = """\
https://example.org/a: 21
https://example.org/bb: 22
https://example.org/ccc: 23
"""
# --8<-- [end:expected]

if __name__ == "__main__":
    main()
