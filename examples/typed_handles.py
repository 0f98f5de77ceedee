"""Typed all the way: a reply type per request, whereis given the server class, typed
supervised children, and the handle of a Down or a registry entry made callable.

Run: python examples/typed_handles.py [--backend asyncio|trio|threads]
"""

from __future__ import annotations

# --8<-- [start:server]
from typing import TypeVar

from _cli import run_example
from attrs import frozen

from spawned import (
    Caller,
    ChildSpec,
    Down,
    GenServer,
    HandleBase,
    Registry,
    Reply,
    Request,
    Supervisor,
    tasks,
    threads,
)


class CounterApi:
    """Tags the requests a Counter takes."""


@frozen
class Get(Request[int, CounterApi]):  # its reply is an int
    pass


@frozen
class Rename(Request["str | None", CounterApi]):  # its reply is the old label
    label: str


class Counter(GenServer[Request[object, CounterApi], str, object]):
    def init(self) -> None:
        self.count = 0
        self.label: str | None = None
        counters.register("main")

    def handle_cast(self, msg: str) -> None:
        self.count += 1

    def handle_call(self, msg: Request[object, CounterApi], caller: Caller[object]) -> Reply[object]:
        match msg:
            case Get():
                return Reply(self.count)
            case Rename(label):
                old, self.label = self.label, label
                return Reply(old)
            case _:
                return Reply(None)


counters: Registry[str, None] = Registry()
T = TypeVar("T")


def present(handle: T | None) -> T:
    if handle is None:
        msg = "expected a running process"
        raise RuntimeError(msg)
    return handle


class Watcher(GenServer[None, None, None]):
    """Monitors a process; on Down, joins it through Handle.of."""

    def __init__(self, target: HandleBase) -> None:
        self.target = target

    def init(self) -> None:
        self.monitor(self.target)

    async def handle_info(self, msg: object) -> None:
        if isinstance(msg, Down):
            print("down:", await tasks.Handle.of(msg.handle).join())


class ThreadWatcher(Watcher):
    def handle_info(self, msg: object) -> None:  # pyright: ignore[reportIncompatibleMethodOverride]
        if isinstance(msg, Down):
            print("down:", threads.Handle.of(msg.handle).join())


# --8<-- [end:server]


# --8<-- [start:tasks]
async def main_tasks() -> None:
    sup = await tasks.start(Supervisor([]))
    spec = ChildSpec("counter", Counter, name="counter")  # a ChildSpec[Counter]
    counter = present(await sup.start_child(spec))  # typed as start(Counter()) types it
    counter.cast("tick")
    count: int = await counter.call(Get())  # typed per request: int
    old: str | None = await counter.call(Rename("main"))  # str | None
    print("count:", count, "old label:", old)
    found = present(tasks.whereis("counter", Counter))  # checked: a Counter, typed as start types it
    print("by name:", await found.call(Get()))
    registered = present(tasks.Handle.of(counters.whereis("main")))  # the registry's handle, callable
    print("by registry:", await registered.call(Get()))
    try:
        tasks.whereis("counter", Watcher)
    except TypeError as error:
        print("TypeError:", str(error).split(" runs ")[1])
    watcher = await tasks.start(Watcher(counter))
    await sup.terminate_child("counter")
    await watcher.stop()


# --8<-- [end:tasks]


# --8<-- [start:threads]
def main_threads() -> None:
    sup = threads.start(Supervisor([]))
    spec = ChildSpec("counter", Counter, name="counter")
    counter = present(sup.start_child(spec))
    counter.cast("tick")
    count: int = counter.call(Get())
    old: str | None = counter.call(Rename("main"))
    print("count:", count, "old label:", old)
    found = present(threads.whereis("counter", Counter))
    print("by name:", found.call(Get()))
    registered = present(threads.Handle.of(counters.whereis("main")))
    print("by registry:", registered.call(Get()))
    try:
        threads.whereis("counter", Watcher)
    except TypeError as error:
        print("TypeError:", str(error).split(" runs ")[1])
    watcher = threads.start(ThreadWatcher(counter))
    sup.terminate_child("counter")
    watcher.stop()


# --8<-- [end:threads]


def main(argv: list[str] | None = None) -> None:
    run_example(main_tasks, main_threads, argv, __doc__)


# --8<-- [start:expected]
EXPECTED = """\
count: 1 old label: None
by name: 1
by registry: 1
TypeError: a Counter, not a Watcher
down: shutdown
"""
# --8<-- [end:expected]

if __name__ == "__main__":
    main()
