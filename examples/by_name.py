"""Calls and casts by name, and fan-out to a group: call/cast/multi_call/abcast.

Run: python examples/by_name.py [--backend asyncio|trio|threads]
"""

from __future__ import annotations

from _cli import run_example

# --8<-- [start:server]
from attrs import frozen

from spawned import Caller, CallResult, GenServer, NoProc, Registry, Reply, tasks, threads

shards: Registry[str, None] = Registry(keys="duplicate")


@frozen
class Add:
    amount: int


class Shard(GenServer[str, Add, int]):
    def init(self) -> None:
        self.count = 0
        shards.register("all")  # joins the group; leaves it when the process exits

    def handle_cast(self, msg: Add) -> None:
        self.count += msg.amount

    def handle_call(self, msg: str, caller: Caller[int]) -> Reply[int]:
        return Reply(self.count)


def show(results: list[CallResult[int]]) -> None:
    for result in results:
        who = result.handle.name if result.handle is not None else result.target
        print(f"  {who}:", result.value if result.ok else type(result.error).__name__)


# --8<-- [end:server]


# --8<-- [start:tasks]
async def main_tasks() -> None:
    for i in range(3):
        await tasks.start(Shard(), name=f"shard-{i}")
    tasks.cast("shard-1", Add(5))  # no whereis needed
    print("shard-1:", await tasks.call("shard-1", "count"))
    try:
        await tasks.call("shard-9", "count")
    except NoProc as error:
        print("shard-9:", type(error).__name__)
    tasks.cast("shard-9", Add(1))  # dropped, as a cast to an unregistered name is
    tasks.abcast(shards.handles("all"), Add(1))  # every member of the group
    print("multi_call:")
    show(await tasks.multi_call([*shards.handles("all"), "shard-9"], "count", timeout=1.0))


# --8<-- [end:tasks]


# --8<-- [start:threads]
def main_threads() -> None:
    for i in range(3):
        threads.start(Shard(), name=f"shard-{i}")
    threads.cast("shard-1", Add(5))
    print("shard-1:", threads.call("shard-1", "count"))
    try:
        threads.call("shard-9", "count")
    except NoProc as error:
        print("shard-9:", type(error).__name__)
    threads.cast("shard-9", Add(1))
    threads.abcast(shards.handles("all"), Add(1))
    print("multi_call:")
    show(threads.multi_call([*shards.handles("all"), "shard-9"], "count", timeout=1.0))


# --8<-- [end:threads]


def main(argv: list[str] | None = None) -> None:
    run_example(main_tasks, main_threads, argv, __doc__)


# --8<-- [start:expected]
EXPECTED = """\
shard-1: 5
shard-9: NoProc
multi_call:
  shard-0: 1
  shard-1: 6
  shard-2: 1
  shard-9: NoProc
"""
# --8<-- [end:expected]

if __name__ == "__main__":
    main()
