"""Getting started, continued: a client API, a registered name, casts and plain messages.

Run: python examples/client_api.py [--backend asyncio|trio|threads]
"""

from __future__ import annotations

from _cli import run_example

# --8<-- [start:server]
from attrs import frozen

from spawned import Caller, GenServer, Reply, tasks, threads


@frozen
class Add:
    name: str
    address: str


@frozen
class Find:
    name: str


@frozen
class Forget:
    name: str


class NameServer(GenServer[Add | Find, Forget, str | None]):
    def init(self) -> None:
        self.names: dict[str, str] = {}

    def handle_call(self, msg: Add | Find, caller: Caller[str | None]) -> Reply[str | None]:
        match msg:
            case Add(name, address):
                self.names[name] = address
                return Reply("ok")
            case Find(name):
                return Reply(self.names.get(name))

    def handle_cast(self, msg: Forget) -> None:
        self.names.pop(msg.name, None)

    def handle_info(self, msg: object) -> None:
        match msg:
            case "report":
                print(f"{len(self.names)} name(s) known")
            case _:
                super().handle_info(msg)  # logs a warning and drops it


# --8<-- [end:server]


# --8<-- [start:tasks]
Names = tasks.Handle[Add | Find, Forget, str | None]


async def add(names: Names, name: str, address: str) -> None:
    await names.call(Add(name, address))


async def find(names: Names, name: str) -> str | None:
    return await names.call(Find(name))


def forget(names: Names, name: str) -> None:
    names.cast(Forget(name))


async def main_tasks() -> None:
    names = await tasks.start(NameServer(), name="names")
    print("registered:", tasks.whereis("names") == names)
    await add(names, "Joe", "At Home")
    await add(names, "Mike", "At Work")
    names.send("report")
    forget(names, "Mike")
    print("Joe:", await find(names, "Joe"))
    print("Mike:", await find(names, "Mike"))
    await names.stop()
    print("after stop:", tasks.whereis("names"))


# --8<-- [end:tasks]


# --8<-- [start:threads]
BlockingNames = threads.Handle[Add | Find, Forget, str | None]


def add_blocking(names: BlockingNames, name: str, address: str) -> None:
    names.call(Add(name, address))


def find_blocking(names: BlockingNames, name: str) -> str | None:
    return names.call(Find(name))


def forget_blocking(names: BlockingNames, name: str) -> None:
    names.cast(Forget(name))


def main_threads() -> None:
    names = threads.start(NameServer(), name="names")
    print("registered:", threads.whereis("names") == names)
    add_blocking(names, "Joe", "At Home")
    add_blocking(names, "Mike", "At Work")
    names.send("report")
    forget_blocking(names, "Mike")
    print("Joe:", find_blocking(names, "Joe"))
    print("Mike:", find_blocking(names, "Mike"))
    names.stop()
    print("after stop:", threads.whereis("names"))


# --8<-- [end:threads]


def main(argv: list[str] | None = None) -> None:
    run_example(main_tasks, main_threads, argv, __doc__)


# --8<-- [start:expected]
EXPECTED = """\
registered: True
2 name(s) known
Joe: At Home
Mike: None
after stop: None
"""
# --8<-- [end:expected]

if __name__ == "__main__":
    main()
