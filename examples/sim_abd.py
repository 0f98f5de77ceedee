"""ABD: a register replicated over three servers stays linearizable; a naive one does not.

The ABD algorithm (Attiya, Bar-Noy and Dolev) keeps a value with a tag (sequence number,
writer) on every replica, and talks to a majority at a time. A write asks a majority for
their tags, then stores the value with a higher tag on a majority. A read asks a majority
for their (tag, value) pairs, takes the newest, and *writes it back* to a majority before
returning it, so no later read can return anything older. Any two majorities of three
servers share one, so each step sees the one before it, even with one server down.

Three client nodes run operations against the replicas while the simulated network loses,
delays and reorders messages and one replica's node crashes partway. Every operation goes
into a `lincheck.History`; `lincheck.check` then checks it against a register. ABD passes
under every seed. The naive replica set (write to one replica, which passes the value on
later; read from one replica) is caught: the checker prints the read that returned a stale
value after the longest linearizable prefix, and draws the history as an HTML timeline.

Run: python examples/sim_abd.py [--seeds N] [--html PATH]
"""

from __future__ import annotations

import argparse
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import anyio
from attrs import frozen

from spawned import Caller, CallTimeout, GenServer, NoProc, Reply, ServerExited, sim, tasks
from spawned.sim import lincheck

REPLICAS = ("r1", "r2", "r3")
CLIENTS = ("c1", "c2", "c3")
MAJORITY = len(REPLICAS) // 2 + 1
ATTEMPTS = 5
"""Rounds of asking the replicas that have not answered before an operation gives up."""
NETWORK = sim.Network(loss=0.05, delay=(0.001, 0.02), reorder=True)
OPERATIONS = {
    "c1": (lincheck.Write(1), lincheck.Read(), lincheck.Write(4), lincheck.Read()),
    "c2": (lincheck.Read(), lincheck.Write(2), lincheck.Read(), lincheck.Read()),
    "c3": (lincheck.Read(), lincheck.Read(), lincheck.Write(3), lincheck.Read()),
}

ReplicaHandle = tasks.Handle[Any, Any, Any]
"""Processes in a simulation have the tasks backend's handles."""
Tag = tuple[int, str]
"""(sequence number, writer): compared as a tuple, so writers break ties."""


# --8<-- [start:abd]
@frozen
class Query:
    """Call: this replica's ``(tag, value)``."""


@frozen
class Update:
    """Call: keep ``value`` if ``tag`` is newer than this replica's; answers ``"ack"``."""

    tag: Tag
    value: Any


class Replica(GenServer):
    def init(self) -> None:
        self.tag: Tag = (0, "")
        self.value: Any = None

    def handle_call(self, msg: Any, caller: Caller[Any]) -> Reply[Any]:
        match msg:
            case Query():
                return Reply((self.tag, self.value))
            case Update(tag, value):
                if tag > self.tag:
                    self.tag, self.value = tag, value
                return Reply("ack")
            case _:
                raise ValueError(msg)


class NoQuorum(Exception):
    """A majority did not answer in time: the operation may or may not have taken effect."""


class Client(GenServer):
    """Runs its operations one after the other, recording each one in the history."""

    def __init__(self, name: str, replicas: Sequence[ReplicaHandle], history: lincheck.History) -> None:
        self.name = name
        self.replicas = replicas
        self.history = history

    def init(self) -> None:
        self.handle.cast("go")

    async def handle_cast(self, msg: Any) -> None:
        for op in OPERATIONS[self.name]:
            token = self.history.invoke(self.name, op)
            try:
                result = await (self.read() if isinstance(op, lincheck.Read) else self.write(op.value))
            except NoQuorum:
                self.history.timeout(token)
            else:
                self.history.ok(token, result)

    async def read(self) -> Any:
        answers = await self.quorum(Query())
        tag, value = max(answers, key=lambda answer: answer[0])
        await self.quorum(Update(tag, value))  # write back what we return
        return value

    async def write(self, value: Any) -> None:
        answers = await self.quorum(Query())
        sequence = max(tag[0] for tag, _ in answers)
        await self.quorum(Update((sequence + 1, self.name), value))

    async def quorum(self, request: Any) -> list[Any]:
        """Ask every replica, again those that did not answer, until a majority has."""
        answers: dict[ReplicaHandle, Any] = {}
        for _ in range(ATTEMPTS):
            async with anyio.create_task_group() as group:
                for replica in self.replicas:
                    if replica not in answers:
                        group.start_soon(self.ask, group, replica, request, answers)
            if len(answers) >= MAJORITY:
                return list(answers.values())
        raise NoQuorum

    async def ask(
        self,
        group: anyio.abc.TaskGroup,
        replica: ReplicaHandle,
        request: Any,
        answers: dict[ReplicaHandle, Any],
    ) -> None:
        try:
            answers[replica] = await replica.call(request, timeout=0.1)
        except (CallTimeout, ServerExited, NoProc):  # lost, or its node is down
            return
        if len(answers) >= MAJORITY:
            group.cancel_scope.cancel()  # a majority answered: stop waiting for the rest


# --8<-- [end:abd]


# --8<-- [start:naive]
@frozen
class Peers:
    """Cast: the other replicas, to pass writes on to."""

    replicas: tuple[ReplicaHandle, ...]


class NaiveReplica(Replica):
    """Keeps the value of the last write it heard of; passes a client's write on later."""

    def init(self) -> None:
        super().init()
        self.peers: tuple[ReplicaHandle, ...] = ()

    def handle_cast(self, msg: Any) -> None:
        match msg:
            case Peers(replicas):
                self.peers = tuple(r for r in replicas if r != self.handle)
            case Update(tag, value) if tag > self.tag:
                self.tag, self.value = tag, value
            case _:
                pass  # an older update

    def handle_call(self, msg: Any, caller: Caller[Any]) -> Reply[Any]:
        if isinstance(msg, Update):
            for peer in self.peers:
                peer.cast(msg)  # replicated in the background: acknowledged before it arrives
        return super().handle_call(msg, caller)


class NaiveClient(Client):
    """Writes to its own replica and reads from the next one: one call each."""

    def init(self) -> None:
        super().init()
        home = CLIENTS.index(self.name)
        self.writes_to = self.replicas[home]
        self.reads_from = self.replicas[(home + 1) % len(self.replicas)]
        self.sequence = 0

    async def read(self) -> Any:
        try:
            _tag, value = await self.reads_from.call(Query(), timeout=0.1)
        except (CallTimeout, ServerExited, NoProc) as exc:
            raise NoQuorum from exc
        return value

    async def write(self, value: Any) -> None:
        self.sequence += 1
        try:
            await self.writes_to.call(Update((self.sequence, self.name), value), timeout=0.1)
        except (CallTimeout, ServerExited, NoProc) as exc:
            raise NoQuorum from exc


# --8<-- [end:naive]


# --8<-- [start:check]
def check_seed(seed: int, *, naive: bool = False) -> lincheck.CheckResult:
    """Run the clients against the replicas under ``seed``; check the history they recorded."""
    history = lincheck.History()

    async def scenario(s: sim.Sim) -> None:
        history.clock = s.now
        replica, client = (NaiveReplica, NaiveClient) if naive else (Replica, Client)
        replicas = [await s.node(name).start(replica()) for name in REPLICAS]
        if naive:
            for handle in replicas:
                handle.cast(Peers(tuple(replicas)))
        for name in CLIENTS:
            await s.node(name).start(client(name, replicas, history))
        await anyio.sleep(0.05)
        s.node("r3").crash()  # one replica is gone for the rest of the run

    run = sim.run(scenario, nodes=REPLICAS + CLIENTS, seed=seed, network=NETWORK)
    run.check_ok()
    unfinished = [op for op in history.operations if op.status == "pending"]
    if unfinished:
        raise RuntimeError(f"seed {seed}: operations never finished: {unfinished}")
    return lincheck.check(history, lincheck.Register())


# --8<-- [end:check]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="ABD and a naive replica set, checked for linearizability")
    parser.add_argument("--seeds", type=int, default=20, help="how many seeds to run ABD under")
    parser.add_argument("--html", type=Path, help="where to write the naive run's timeline")
    args = parser.parse_args(argv)
    results = [check_seed(seed) for seed in range(args.seeds)]
    operations = sum(len(r.operations) for r in results)
    timed_out = sum(op.status == "timeout" for r in results for op in r.operations)
    good = sum(r.ok for r in results)
    print(f"ABD: {good} of {args.seeds} seeds linearizable ({operations} operations, {timed_out} timed out)")
    bad = next((seed, r) for seed in range(1000) if not (r := check_seed(seed, naive=True)).ok)
    seed, result = bad
    print(f"naive replicas: not linearizable under seed {seed}")
    print(result.report())
    path = args.html or Path(tempfile.gettempdir()) / "sim_abd_naive.html"
    result.write_html(path)
    print(f"timeline: {path.name}")


EXPECTED = """\
ABD: 20 of 20 seeds linearizable (240 operations, 0 timed out)
naive replicas: not linearizable under seed 1
not linearizable against Register
longest linearizable prefix (6 operations):
  #0 c3: read() -> None  (0 .. 0.0128571)  => None
  #2 c2: read() -> None  (0 .. 0.0345714)  => None
  #1 c1: write(1)  (0 .. 0.0291429)  => 1
  #3 c3: read() -> 1  (0.0128571 .. 0.0338571)  => 1
  #4 c1: read() -> 1  (0.0291429 .. 0.0474286)  => 1
  #5 c3: write(3)  (0.0338571 .. 0.0358571)  => 3
then this operation cannot be linearized: #7 c3: read() -> 1  (0.0358571 .. 0.065)
timeline: sim_abd_naive.html
"""

if __name__ == "__main__":
    main()
