"""Monitors and links: Down messages, trapped Exit messages, and a link that takes a server down.

Run: python examples/links_monitors.py [--backend asyncio|trio|threads]
"""

from __future__ import annotations

from _cli import run_example

# --8<-- [start:server]
from attrs import frozen

from spawned import Caller, Down, Exit, GenServer, HandleBase, NoReply, Reply, tasks, threads


@frozen
class Watch:
    """Call: monitor ``target``."""

    target: HandleBase


@frozen
class LinkTo:
    """Call: link to ``target``."""

    target: HandleBase


@frozen
class Events:
    """Call: the events seen, once there are at least ``count``."""

    count: int


class Watcher(GenServer[Watch | LinkTo | Events, None, list[str] | None]):
    def __init__(self, *, trap: bool) -> None:
        self.trap_exits = trap  # receive linked exits as Exit messages

    def init(self) -> None:
        self.events: list[str] = []
        self.waiting: tuple[int, Caller[list[str] | None]] | None = None

    def handle_call(
        self, msg: Watch | LinkTo | Events, caller: Caller[list[str] | None]
    ) -> Reply[list[str] | None] | NoReply:
        match msg:
            case Watch(target):
                self.monitor(target)
            case LinkTo(target):
                self.link(target)
            case Events(count):
                self.waiting = (count, caller)
                self.answer()
                return NoReply()
        return Reply(None)

    def handle_info(self, msg: object) -> None:
        match msg:
            case Down(handle=who, reason=reason):
                self.events.append(f"down: {who.name} {reason}")
            case Exit(handle=who, reason=reason) if who is not None:  # None: sent from outside
                self.events.append(f"exit: {who.name} {reason}")
            case _:
                super().handle_info(msg)
        self.answer()

    def answer(self) -> None:
        if self.waiting is not None and len(self.events) >= self.waiting[0]:
            self.waiting[1].reply(list(self.events))
            self.waiting = None


class Worker(GenServer):
    """Does nothing; it is there to be watched."""


# --8<-- [end:server]


# --8<-- [start:tasks]
async def main_tasks() -> None:
    watcher = await tasks.start(Watcher(trap=True), name="watcher")

    w1 = await tasks.start(Worker(), name="w1")
    await watcher.call(Watch(w1))
    await w1.stop()  # a Down with "normal" arrives
    await watcher.call(Watch(w1))  # already dead: a Down with "noproc" at once

    w2 = await tasks.start(Worker(), name="w2")
    await watcher.call(LinkTo(w2))
    w2.kill()  # the watcher traps exits: an Exit message arrives

    for event in await watcher.call(Events(3)) or []:
        print(event)

    buddy = await tasks.start(Watcher(trap=False), name="buddy")
    w3 = await tasks.start(Worker(), name="w3")
    await buddy.call(LinkTo(w3))
    w3.kill()  # buddy does not trap exits: it dies with the same reason
    print("buddy exited:", await buddy.join())


# --8<-- [end:tasks]


# --8<-- [start:threads]
def main_threads() -> None:
    watcher = threads.start(Watcher(trap=True), name="watcher")

    w1 = threads.start(Worker(), name="w1")
    watcher.call(Watch(w1))
    w1.stop()
    watcher.call(Watch(w1))

    w2 = threads.start(Worker(), name="w2")
    watcher.call(LinkTo(w2))
    w2.kill()

    for event in watcher.call(Events(3)) or []:
        print(event)

    buddy = threads.start(Watcher(trap=False), name="buddy")
    w3 = threads.start(Worker(), name="w3")
    buddy.call(LinkTo(w3))
    w3.kill()
    print("buddy exited:", buddy.join())


# --8<-- [end:threads]


def main(argv: list[str] | None = None) -> None:
    run_example(main_tasks, main_threads, argv, __doc__)


# --8<-- [start:expected]
EXPECTED = """\
down: w1 normal
down: w1 noproc
exit: w2 killed
buddy exited: killed
"""
# --8<-- [end:expected]

if __name__ == "__main__":
    main()
