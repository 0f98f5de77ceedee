"""Reply and continue, and exit signals with a reason: Reply(v, Continue(x)), handle.exit(reason).

Run: python examples/exit_signals.py [--backend asyncio|trio|threads]
"""

from __future__ import annotations

from _cli import run_example

# --8<-- [start:server]
from spawned import Caller, Continue, Exit, GenServer, Reply, tasks, threads


class Job(GenServer):
    trap_exits = True  # exit signals arrive as Exit messages

    def init(self) -> None:
        self.log: list[str] = []

    def handle_call(self, msg: str, caller: Caller[object]) -> Reply[object]:
        if msg == "start":
            return Reply("accepted", Continue("work"))  # the caller gets its answer first
        return Reply(list(self.log))

    def handle_continue(self, arg: str) -> None:
        self.log.append(f"continue: {arg}")

    def handle_info(self, msg: object) -> None:
        match msg:
            case Exit(handle=None, reason=reason):  # sent from outside any process
                self.log.append(f"exit signal: {reason}")
            case _:
                super().handle_info(msg)


class Plain(GenServer):
    """Does not trap exits."""


# --8<-- [end:server]


# --8<-- [start:tasks]
async def main_tasks() -> None:
    job = await tasks.start(Job())
    print(await job.call("start"))
    job.exit("cancel")  # trapped: a message, the job keeps running
    print(await job.call("log"))
    plain = await tasks.start(Plain())
    plain.exit("normal")  # ignored by a process that does not trap exits
    print("after normal:", plain.is_alive)
    plain.exit("shutdown")
    print("plain:", await plain.join())
    job.exit("kill")  # cannot be trapped
    print("job:", await job.join())


# --8<-- [end:tasks]


# --8<-- [start:threads]
def main_threads() -> None:
    job = threads.start(Job())
    print(job.call("start"))
    job.exit("cancel")
    print(job.call("log"))
    plain = threads.start(Plain())
    plain.exit("normal")
    print("after normal:", plain.is_alive)
    plain.exit("shutdown")
    print("plain:", plain.join())
    job.exit("kill")
    print("job:", job.join())


# --8<-- [end:threads]


def main(argv: list[str] | None = None) -> None:
    run_example(main_tasks, main_threads, argv, __doc__)


# --8<-- [start:expected]
EXPECTED = """\
accepted
['continue: work', 'exit signal: cancel']
after normal: True
plain: shutdown
job: killed
"""
# --8<-- [end:expected]

if __name__ == "__main__":
    main()
