"""Calls, casts and info messages; Continue, Stop, terminate and a call that times out.

Run: python examples/calls_casts_info.py [--backend asyncio|trio|threads]
"""

from __future__ import annotations

from _cli import run_example

# --8<-- [start:server]
from attrs import frozen

from spawned import Caller, CallTimeout, Continue, GenServer, NoReply, Reply, Stop, tasks, threads


@frozen
class Get:
    """Call: the current count."""


@frozen
class Finish:
    """Call: stop, answering with the final count."""


@frozen
class Forgotten:
    """Call: the server never answers it."""


@frozen
class Add:
    """Cast: add ``n`` to the count."""

    n: int


class Counter(GenServer[Get | Finish | Forgotten, Add, int]):
    def init(self) -> Continue:
        self.count = 0
        return Continue("load")  # start() returns now; handle_continue runs next

    def handle_continue(self, arg: object) -> None:
        print("continue:", arg)
        self.count = 100  # slow set-up would go here

    def handle_call(self, msg: Get | Finish | Forgotten, caller: Caller[int]) -> Reply[int] | NoReply | Stop:
        match msg:
            case Get():
                return Reply(self.count)
            case Finish():
                return Stop("normal", reply=self.count)
            case Forgotten():
                return NoReply()

    def handle_cast(self, msg: Add) -> None:
        self.count += msg.n

    def handle_info(self, msg: object) -> None:
        match msg:
            case "reset":
                self.count = 0
            case _:
                super().handle_info(msg)

    def terminate(self, reason: object) -> None:
        print("terminate:", reason)


# --8<-- [end:server]


# --8<-- [start:tasks]
async def main_tasks() -> None:
    counter = await tasks.start(Counter())
    counter.cast(Add(5))  # returns at once
    print("get:", await counter.call(Get()))  # 105: the cast was handled first
    counter.send("reset")  # to handle_info
    print("get:", await counter.call(Get()))
    try:
        await counter.call(Forgotten(), timeout=0.1)
    except CallTimeout as error:
        print("error:", error)
    print("still alive:", counter.is_alive)
    print("finish:", await counter.call(Finish()))
    print("alive:", counter.is_alive)


# --8<-- [end:tasks]


# --8<-- [start:threads]
def main_threads() -> None:
    counter = threads.start(Counter())
    counter.cast(Add(5))
    print("get:", counter.call(Get()))
    counter.send("reset")
    print("get:", counter.call(Get()))
    try:
        counter.call(Forgotten(), timeout=0.1)
    except CallTimeout as error:
        print("error:", error)
    print("still alive:", counter.is_alive)
    print("finish:", counter.call(Finish()))
    print("alive:", counter.is_alive)


# --8<-- [end:threads]


def main(argv: list[str] | None = None) -> None:
    run_example(main_tasks, main_threads, argv, __doc__)


# --8<-- [start:expected]
EXPECTED = """\
continue: load
get: 105
get: 0
error: call to Counter#2 got no reply within 0.1 s; the server keeps running and will drop a late reply \
(pass a longer timeout, or check that every call is answered)
still alive: True
terminate: normal
finish: 0
alive: False
"""
# --8<-- [end:expected]

if __name__ == "__main__":
    main()
