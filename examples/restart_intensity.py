"""Let it crash: a supervisor restarts a crashing stack with fresh state, until the crashes
come too fast and it gives up.

Run: python examples/restart_intensity.py [--backend asyncio|trio|threads]
"""

from __future__ import annotations

from _cli import run_example

# --8<-- [start:server]
from spawned import Caller, ChildSpec, GenServer, Reply, ServerExited, Supervisor, tasks, threads


class Stack(GenServer[str, str, str]):
    def init(self) -> None:
        self.items = ["hello"]

    def handle_call(self, msg: str, caller: Caller[str]) -> Reply[str]:
        return Reply(self.items.pop())  # popping an empty stack raises IndexError: a crash

    def handle_cast(self, msg: str) -> None:
        self.items.append(msg)


STACKS = Supervisor([ChildSpec("stack", Stack, name="stack")], max_restarts=3, max_seconds=60)


# --8<-- [end:server]


# --8<-- [start:tasks]
async def main_tasks() -> None:
    supervisor = await tasks.start(STACKS, name="stacks")
    for round_ in range(1, 5):
        stack = tasks.whereis("stack")
        if stack is None:
            raise LookupError("no stack: the supervisor did not restart it")
        print(f"round {round_}: pop ->", await stack.call("pop"))
        try:
            await stack.call("pop")
        except ServerExited as error:
            print(f"round {round_}: crashed with", type(error.reason).__name__)
        await stack.join()
        if round_ <= STACKS.max_restarts:
            await supervisor.which_children()  # answered once the restart is done
    print("supervisor exited:", await supervisor.join())
    print("stack:", tasks.whereis("stack"))


# --8<-- [end:tasks]


# --8<-- [start:threads]
def main_threads() -> None:
    supervisor = threads.start(STACKS, name="stacks")
    for round_ in range(1, 5):
        stack = threads.whereis("stack")
        if stack is None:
            raise LookupError("no stack: the supervisor did not restart it")
        print(f"round {round_}: pop ->", stack.call("pop"))
        try:
            stack.call("pop")
        except ServerExited as error:
            print(f"round {round_}: crashed with", type(error.reason).__name__)
        stack.join()
        if round_ <= STACKS.max_restarts:
            supervisor.which_children()
    print("supervisor exited:", supervisor.join())
    print("stack:", threads.whereis("stack"))


# --8<-- [end:threads]


def main(argv: list[str] | None = None) -> None:
    run_example(main_tasks, main_threads, argv, __doc__)


# --8<-- [start:expected]
EXPECTED = """\
round 1: pop -> hello
round 1: crashed with IndexError
round 2: pop -> hello
round 2: crashed with IndexError
round 3: pop -> hello
round 3: crashed with IndexError
round 4: pop -> hello
round 4: crashed with IndexError
supervisor exited: shutdown
stack: None
"""
# --8<-- [end:expected]

if __name__ == "__main__":
    main()
