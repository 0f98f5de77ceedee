"""A supervised job service: jobs stream in, a rate limiter paces them, workers run them.

The pieces, all under one supervisor:

- a ``RateLimiter`` hands out tokens, refilled by ``send_interval``;
- a ``DynamicSupervisor`` holds one ``Worker`` per tenant, each named ``Via(workers, tenant)``
  in a ``Registry``;
- a ``Dispatcher`` reads jobs from a stream with ``listen()``, runs one job at a time per
  tenant, and answers ``Report()`` with a deferred reply (``NoReply`` now, ``caller.reply``
  once the stream has ended and every job has settled).

Two jobs crash their worker on purpose. The dynamic supervisor restarts it with fresh state,
the dispatcher marks the job failed (it monitors the worker) and hands that tenant's next job
to the restarted worker once it says it is ready. Every line below is decided by messages and
replies, never by timing: the limiter changes when a job runs, not what it prints. Crash
reports go to stderr through loguru.

Run: python examples/job_service.py [--backend asyncio|trio|threads]
"""

from __future__ import annotations

from collections import deque
from collections.abc import AsyncIterator, Callable, Iterator

from _cli import run_example

# --8<-- [start:messages]
from attrs import frozen

from spawned import (
    Caller,
    ChildSpec,
    Down,
    DynamicSupervisor,
    GenServer,
    HandleBase,
    NoReply,
    Ref,
    Registry,
    Reply,
    StreamEnded,
    Supervisor,
    Via,
    tasks,
    threads,
)


@frozen
class Job:
    """One unit of work for ``tenant``; ``payload`` ``"boom"`` crashes the worker."""

    id: int
    tenant: str
    payload: str


@frozen
class Admit:
    """Cast to the limiter: run ``job`` on ``worker`` once a token is free."""

    job: Job
    worker: HandleBase[object, Run, object]
    dispatcher: HandleBase[Report, Ready | Done, list[str]]


@frozen
class Refill:
    """The limiter's own tick, from ``send_interval``."""


@frozen
class Run:
    """Cast to a worker: run ``job``, then tell ``dispatcher``."""

    job: Job
    dispatcher: HandleBase[Report, Ready | Done, list[str]]


@frozen
class Ready:
    """Cast to the dispatcher by a worker's ``init``: the worker for ``tenant`` is up."""

    tenant: str


@frozen
class Done:
    """Cast to the dispatcher by a worker: ``job`` finished with ``result``."""

    job: Job
    result: str


@frozen
class Report:
    """Call to the dispatcher: every job's outcome, once the stream has ended and all settled."""


@frozen
class Stats:
    """Call to a worker: how many jobs it has run since it (re)started."""


JOBS = [
    Job(1, "acme", "resize photo"),
    Job(2, "globex", "send invoice"),
    Job(3, "acme", "boom"),
    Job(4, "acme", "encode video"),
    Job(5, "globex", "boom"),
    Job(6, "globex", "send reminder"),
    Job(7, "acme", "archive logs"),
]
TENANTS = ("acme", "globex")

# --8<-- [end:messages]


# --8<-- [start:limiter]
class RateLimiter(GenServer[None, Admit, None]):
    """A token bucket: ``capacity`` jobs at once, then one more per ``period`` seconds."""

    def __init__(self, capacity: int, period: float) -> None:
        self.capacity = capacity
        self.period = period

    def init(self) -> None:
        self.tokens = self.capacity
        self.queue: deque[Admit] = deque()
        self.admitted = 0
        self.send_interval(self.period, Refill())

    def handle_cast(self, msg: Admit) -> None:
        self.queue.append(msg)
        self.admit()

    def handle_info(self, msg: object) -> None:
        if isinstance(msg, Refill):
            self.tokens = min(self.capacity, self.tokens + 1)
            self.admit()

    def admit(self) -> None:
        while self.tokens and self.queue:
            self.tokens -= 1
            self.admitted += 1
            admit = self.queue.popleft()
            admit.worker.cast(Run(admit.job, admit.dispatcher))


# --8<-- [end:limiter]


# --8<-- [start:worker]
workers: Registry[str, None] = Registry(keys="unique")


class Worker(GenServer[Stats, Run, int]):
    """Runs one tenant's jobs; says it is ready from ``init``, so also after every restart."""

    def __init__(self, tenant: str, dispatcher: HandleBase[Report, Ready | Done, list[str]]) -> None:
        self.tenant = tenant
        self.dispatcher = dispatcher

    def init(self) -> None:
        self.runs = 0
        self.dispatcher.cast(Ready(self.tenant))

    def handle_cast(self, msg: Run) -> None:
        if msg.job.payload == "boom":
            raise RuntimeError(f"job {msg.job.id} blew up")
        self.runs += 1
        msg.dispatcher.cast(Done(msg.job, f"{msg.job.payload}: done (run {self.runs} of this worker)"))

    def handle_call(self, msg: Stats, caller: Caller[int]) -> Reply[int]:
        return Reply(self.runs)


def worker_spec(tenant: str, dispatcher: HandleBase[Report, Ready | Done, list[str]]) -> ChildSpec:
    """A worker for ``tenant``, registered as ``Via(workers, tenant)`` on every (re)start."""
    return ChildSpec(tenant, lambda: Worker(tenant, dispatcher), name=Via(workers, tenant))


# --8<-- [end:worker]


# --8<-- [start:dispatcher]
class Dispatcher(GenServer[Report, Ready | Done, list[str]]):
    """Feeds jobs from a stream to the workers through the limiter, one at a time per tenant."""

    def __init__(self, stream: object, limiter: Callable[[], HandleBase[None, Admit, None] | None]) -> None:
        self.stream = stream
        self.limiter = limiter

    def init(self) -> None:
        self.queued: dict[str, deque[Job]] = {}
        self.idle: set[str] = set()  # tenants whose worker is up and has no job
        self.running: dict[Ref, Job] = {}  # monitor ref -> the job its worker runs
        self.outcomes: dict[int, str] = {}
        self.seen = 0
        self.stream_ended = False
        self.reporting: list[Caller[list[str]]] = []
        self.listen(self.stream)

    def handle_info(self, msg: object) -> None:
        match msg:
            case Job(tenant=tenant) as job:
                self.seen += 1
                self.queued.setdefault(tenant, deque()).append(job)
                self.dispatch(tenant)
            case StreamEnded():
                self.stream_ended = True
            case Down(ref=ref, reason=reason) if ref in self.running:
                job = self.running.pop(ref)
                self.outcomes[job.id] = f"failed, worker crashed ({type(reason).__name__})"
            case _:
                pass
        self.maybe_report()

    def handle_cast(self, msg: Ready | Done) -> None:
        match msg:
            case Ready(tenant):
                self.idle.add(tenant)
                self.dispatch(tenant)
            case Done(job, result):
                for ref in [ref for ref, running in self.running.items() if running == job]:
                    self.demonitor(ref)  # the worker is fine: no Down for this job
                    del self.running[ref]
                self.outcomes[job.id] = result
                self.idle.add(job.tenant)
                self.dispatch(job.tenant)
        self.maybe_report()

    def handle_call(self, msg: Report, caller: Caller[list[str]]) -> NoReply:
        self.reporting.append(caller)  # answered by maybe_report, once everything settled
        self.maybe_report()
        return NoReply()

    def dispatch(self, tenant: str) -> None:
        queue = self.queued.get(tenant)
        worker = workers.whereis(tenant)
        limiter = self.limiter()
        if not queue or tenant not in self.idle or worker is None or limiter is None:
            return
        job = queue.popleft()
        self.idle.discard(tenant)
        self.running[self.monitor(worker)] = job
        limiter.cast(Admit(job, worker, self.handle))

    def maybe_report(self) -> None:
        if self.stream_ended and len(self.outcomes) == self.seen and self.reporting:
            report = [f"job {job_id}: {self.outcomes[job_id]}" for job_id in sorted(self.outcomes)]
            for caller in self.reporting:
                caller.reply(report)
            self.reporting.clear()


# --8<-- [end:dispatcher]


# --8<-- [start:streams]
async def job_stream() -> AsyncIterator[Job]:
    """On tasks, ``listen`` reads an async iterable: a queue consumer, a socket, a file."""
    for job in JOBS:
        yield job


def job_iter() -> Iterator[Job]:
    """On threads, ``listen`` reads a plain iterable, on a thread of its own."""
    yield from JOBS


def service(
    stream: Callable[[], object], limiter: Callable[[], HandleBase[None, Admit, None] | None]
) -> Supervisor:
    """The whole service: the limiter, the workers' supervisor, then the dispatcher.

    ``rest_for_one``: the dispatcher, started last, restarts with whatever it depends on.
    """
    return Supervisor(
        [
            ChildSpec("limiter", lambda: RateLimiter(capacity=2, period=0.005), name="limiter"),
            ChildSpec("workers", lambda: DynamicSupervisor(max_restarts=5), name="workers"),
            ChildSpec("dispatcher", lambda: Dispatcher(stream(), limiter), name="dispatcher"),
        ],
        strategy="rest_for_one",
    )


# --8<-- [end:streams]


# --8<-- [start:tasks]
async def main_tasks() -> None:
    await tasks.start(service(job_stream, lambda: tasks.whereis("limiter")), name="service")
    sup, dispatcher = tasks.whereis("workers"), tasks.whereis("dispatcher")
    if not isinstance(sup, tasks.DynamicSupervisorHandle) or dispatcher is None:
        raise LookupError("the service did not start")
    for tenant in TENANTS:
        await sup.start_child(worker_spec(tenant, dispatcher))
    for line in await dispatcher.call(Report()):
        print(line)
    for tenant in TENANTS:  # a call by name: no whereis needed, NoProc if nobody holds it
        print(f"{tenant} worker, runs since its restart:", await tasks.call(Via(workers, tenant), Stats()))
    count = await sup.count_children()
    print(f"workers: {count.active} running")


# --8<-- [end:tasks]


# --8<-- [start:threads]
def main_threads() -> None:
    threads.start(service(job_iter, lambda: threads.whereis("limiter")), name="service")
    sup, dispatcher = threads.whereis("workers"), threads.whereis("dispatcher")
    if not isinstance(sup, threads.DynamicSupervisorHandle) or dispatcher is None:
        raise LookupError("the service did not start")
    for tenant in TENANTS:
        sup.start_child(worker_spec(tenant, dispatcher))
    for line in dispatcher.call(Report()):
        print(line)
    for tenant in TENANTS:
        print(f"{tenant} worker, runs since its restart:", threads.call(Via(workers, tenant), Stats()))
    count = sup.count_children()
    print(f"workers: {count.active} running")


# --8<-- [end:threads]


def main(argv: list[str] | None = None) -> None:
    run_example(main_tasks, main_threads, argv, __doc__)


# --8<-- [start:expected]
EXPECTED = """\
job 1: resize photo: done (run 1 of this worker)
job 2: send invoice: done (run 1 of this worker)
job 3: failed, worker crashed (RuntimeError)
job 4: encode video: done (run 1 of this worker)
job 5: failed, worker crashed (RuntimeError)
job 6: send reminder: done (run 1 of this worker)
job 7: archive logs: done (run 2 of this worker)
acme worker, runs since its restart: 2
globex worker, runs since its restart: 1
workers: 2 running
"""
# --8<-- [end:expected]

if __name__ == "__main__":
    main()
