"""What is running: print the supervision tree while debugging.

Run: python examples/introspection.py [--backend asyncio|trio|threads]
"""

from __future__ import annotations

from _cli import run_example

# --8<-- [start:server]
from spawned import ChildSpec, DynamicSupervisor, GenServer, Restart, Supervisor, tasks, threads


class Worker(GenServer[None, str, None]):
    def init(self) -> None:
        self.handled = 0

    def handle_cast(self, msg: str) -> None:
        if msg == "crash":
            raise RuntimeError("asked to crash")
        self.handled += 1


APP = Supervisor(
    [
        ChildSpec("cache", Worker, name="cache"),
        ChildSpec("reporter", Worker, restart=Restart.TRANSIENT),
    ]
)


# --8<-- [end:server]


# --8<-- [start:reset]
def reset(worker: Worker) -> str:
    """Runs inside the worker's process, between two messages."""
    worker.handled = 0
    return "handled reset to 0"


# --8<-- [end:reset]


# --8<-- [start:tasks]
async def main_tasks() -> None:
    app = await tasks.start(APP, name="app")
    jobs = await tasks.start(DynamicSupervisor(max_children=10), name="jobs")
    await jobs.start_child(ChildSpec("job", Worker))
    await app.terminate_child("reporter")
    cache = tasks.whereis("cache")
    if cache is not None:
        cache.cast("crash")
        await cache.join()
    await app.which_children()  # answered once the cache is restarted
    print(tasks.tree())
    print("processes:", len(tasks.processes()))
    # --8<-- [start:state-tasks]
    cache = tasks.whereis("cache")  # the restarted one
    if cache is not None:
        cache.cast("work")
        print("state:", await cache.get_state())  # read inside the process, after the cast
        print("patched:", await cache.replace_state(reset))
        print("state:", await cache.get_state())
    # --8<-- [end:state-tasks]


# --8<-- [end:tasks]


# --8<-- [start:threads]
def main_threads() -> None:
    app = threads.start(APP, name="app")
    jobs = threads.start(DynamicSupervisor(max_children=10), name="jobs")
    jobs.start_child(ChildSpec("job", Worker))
    app.terminate_child("reporter")
    cache = threads.whereis("cache")
    if cache is not None:
        cache.cast("crash")
        cache.join()
    app.which_children()
    print(threads.tree())
    print("processes:", len(threads.processes()))
    # --8<-- [start:state-threads]
    cache = threads.whereis("cache")
    if cache is not None:
        cache.cast("work")
        print("state:", cache.get_state())
        print("patched:", cache.replace_state(reset))
        print("state:", cache.get_state())
    # --8<-- [end:state-threads]


# --8<-- [end:threads]


def main(argv: list[str] | None = None) -> None:
    run_example(main_tasks, main_threads, argv, __doc__)


# --8<-- [start:expected]
EXPECTED = """\
Supervisor#1 (supervisor, running, mailbox 0, restarts 0)
├── Supervisor 'app' (supervisor, running, mailbox 0, restarts 1)
│   ├── cache: Worker 'cache' (worker, running, mailbox 0)
│   └── reporter (worker, not running)
└── DynamicSupervisor 'jobs' (supervisor, running, mailbox 0, restarts 0)
    └── Worker#6 (worker, running, mailbox 0)
processes: 5
state: {'handled': 1}
patched: handled reset to 0
state: {'handled': 0}
"""
# --8<-- [end:expected]

if __name__ == "__main__":
    main()
