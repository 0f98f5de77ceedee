"""Naming servers in a Registry: Via(registry, key) as a name, found again with whereis.

Run: python examples/registry_via.py [--backend asyncio|trio|threads]
"""

from __future__ import annotations

from _cli import run_example

# --8<-- [start:server]
from spawned import AlreadyStarted, Caller, GenServer, Registry, Reply, Via, tasks, threads

sessions: Registry[str, None] = Registry(keys="unique")


class Session(GenServer[str, None, str]):
    def __init__(self, user: str) -> None:
        self.user = user

    def handle_call(self, msg: str, caller: Caller[str]) -> Reply[str]:
        return Reply(f"{self.user}: {msg}")


# --8<-- [end:server]


# --8<-- [start:tasks]
async def main_tasks() -> None:
    joe = await tasks.start(Session("joe"), name=Via(sessions, "joe"))
    print("found:", tasks.whereis(Via(sessions, "joe")) == joe == sessions.whereis("joe"))
    print(await joe.call("hello"))
    try:
        await tasks.start(Session("joe again"), name=Via(sessions, "joe"))
    except AlreadyStarted as error:
        print("second joe:", type(error).__name__)
    print("keys:", sessions.keys(joe))
    await joe.stop()  # the name is released
    print("after stop:", tasks.whereis(Via(sessions, "joe")), sessions.count())


# --8<-- [end:tasks]


# --8<-- [start:threads]
def main_threads() -> None:
    joe = threads.start(Session("joe"), name=Via(sessions, "joe"))
    print("found:", threads.whereis(Via(sessions, "joe")) == joe == sessions.whereis("joe"))
    print(joe.call("hello"))
    try:
        threads.start(Session("joe again"), name=Via(sessions, "joe"))
    except AlreadyStarted as error:
        print("second joe:", type(error).__name__)
    print("keys:", sessions.keys(joe))
    joe.stop()
    print("after stop:", threads.whereis(Via(sessions, "joe")), sessions.count())


# --8<-- [end:threads]


def main(argv: list[str] | None = None) -> None:
    run_example(main_tasks, main_threads, argv, __doc__)


# --8<-- [start:expected]
EXPECTED = """\
found: True
joe: hello
second joe: AlreadyStarted
keys: ['joe']
after stop: None 0
"""
# --8<-- [end:expected]

if __name__ == "__main__":
    main()
