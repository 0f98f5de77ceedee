"""The README's example: a counter, on any backend.

Run: python examples/readme.py [--backend asyncio|trio|threads]
"""

from __future__ import annotations

from _cli import run_example

# --8<-- [start:readme]
from spawned import Caller, GenServer, Reply, tasks, threads


class Counter(GenServer[str, int, int]):
    def init(self) -> None:
        self.count = 0

    def handle_cast(self, msg: int) -> None:
        self.count += msg

    def handle_call(self, msg: str, caller: Caller[int]) -> Reply[int]:
        return Reply(self.count)


async def main_tasks() -> None:
    counter = await tasks.start(Counter())
    counter.cast(2)
    counter.cast(3)
    print(await counter.call("total"))  # 5


# --8<-- [end:readme]


def main_threads() -> None:
    counter = threads.start(Counter())
    counter.cast(2)
    counter.cast(3)
    print(counter.call("total"))


def main(argv: list[str] | None = None) -> None:
    run_example(main_tasks, main_threads, argv, __doc__)


# --8<-- [start:expected]
EXPECTED = """\
5
"""
# --8<-- [end:expected]

if __name__ == "__main__":
    main()
