"""A name server: the first GenServer of DESIGN.md, on any backend.

Run: python examples/name_server.py [--backend asyncio|trio|threads]
"""

from __future__ import annotations

from _cli import run_example

# --8<-- [start:server]
from attrs import frozen

from spawned import Caller, GenServer, Reply, tasks, threads


@frozen
class Add:
    """Remember ``address`` for ``name``."""

    name: str
    address: str


@frozen
class Find:
    """Look up ``name``; the reply is its address or ``None``."""

    name: str


class NameServer(GenServer[Add | Find, None, str | None]):
    """Keeps a dict of names to addresses."""

    def init(self) -> None:
        self.names: dict[str, str] = {}

    def handle_call(self, msg: Add | Find, caller: Caller[str | None]) -> Reply[str | None]:
        match msg:
            case Add(name, address):
                self.names[name] = address
                return Reply("ok")
            case Find(name):
                return Reply(self.names.get(name))


# --8<-- [end:server]


# --8<-- [start:tasks]
async def main_tasks() -> None:
    names = await tasks.start(NameServer(), name="names")
    print("add Joe ->", await names.call(Add("Joe", "At Home")))
    print("find Joe ->", await names.call(Find("Joe")))
    print("find Bob ->", await names.call(Find("Bob")) or "not found")
    await names.stop()


# --8<-- [end:tasks]


# --8<-- [start:threads]
def main_threads() -> None:
    names = threads.start(NameServer(), name="names")
    print("add Joe ->", names.call(Add("Joe", "At Home")))
    print("find Joe ->", names.call(Find("Joe")))
    print("find Bob ->", names.call(Find("Bob")) or "not found")
    names.stop()


# --8<-- [end:threads]


def main(argv: list[str] | None = None) -> None:
    run_example(main_tasks, main_threads, argv, __doc__)


# --8<-- [start:expected]
EXPECTED = """\
add Joe -> ok
find Joe -> At Home
find Bob -> not found
"""
# --8<-- [end:expected]

if __name__ == "__main__":
    main()
