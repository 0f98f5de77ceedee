"""Stateright's first example on spawned.sim: a register server, a client, a duplicating network.

The server holds one value: ``Put(req_id, value)`` sets it and answers ``PutOk(req_id)``;
``Get(req_id)`` answers ``GetOk(req_id, value)``. The client puts "A", then "B", then gets,
one request at a time, and records each operation in a linearizability history. Every message
crosses a network that may deliver it twice and out of order. The model checker explores
every interleaving: it finds the history is not linearizable (the first put, delivered again
after the second, sets the register back to "A" and the get returns it), and that a server
which ignores request ids it has already seen is linearizable.

Run: python examples/sim_register.py
"""

from __future__ import annotations

import argparse
from collections.abc import Hashable
from typing import Any

from attrs import field, frozen

from spawned import GenServer, sim
from spawned.sim import lincheck


# --8<-- [start:server]
@frozen
class Put:
    req_id: int
    value: str
    reply_to: Any = field(repr=False)


@frozen
class Get:
    req_id: int
    reply_to: Any = field(repr=False)


@frozen
class PutOk:
    req_id: int


@frozen
class GetOk:
    req_id: int
    value: str


class Register(GenServer):
    """Holds one value and answers every request it receives."""

    def init(self) -> None:
        self.value = ""

    def handle_info(self, msg: object) -> None:
        match msg:
            case Put(req_id, value, reply_to):
                self.value = value
                reply_to.send(PutOk(req_id))
            case Get(req_id, reply_to):
                reply_to.send(GetOk(req_id, self.value))
            case _:
                super().handle_info(msg)


# --8<-- [end:server]


# --8<-- [start:client]
class Client(GenServer):
    """Puts "A", then "B", then gets: one request at a time, each recorded in ``history``."""

    def __init__(self, server: Any) -> None:
        self.server = server
        self.history = lincheck.History()  # an event's time is its place in the history

    def init(self) -> None:
        self.req_id = 0
        self.token = -1
        self.next_request()

    def next_request(self) -> None:
        self.req_id += 1
        if self.req_id <= 2:
            value = "AB"[self.req_id - 1]
            self.token = self.history.invoke("client", lincheck.Write(value))
            self.server.send(Put(self.req_id, value, self.handle))
        elif self.req_id == 3:
            self.token = self.history.invoke("client", lincheck.Read())
            self.server.send(Get(self.req_id, self.handle))

    def handle_info(self, msg: object) -> None:
        match msg:
            case PutOk(req_id) if req_id == self.req_id:
                self.history.ok(self.token)
                self.next_request()
            case GetOk(req_id, value) if req_id == self.req_id:
                self.history.ok(self.token, value)
                self.next_request()
            case _:
                pass  # an answer to an earlier request, delivered again: already handled


# --8<-- [end:client]


# --8<-- [start:check]
def servers(s: sim.Sim) -> tuple[Register | None, Client | None]:
    """The register and the client of a run (``None`` before they start)."""
    found = [s.server_of(handle) for handle in s.processes()]
    register = next((x for x in found if isinstance(x, Register)), None)
    client = next((x for x in found if isinstance(x, Client)), None)
    return register, client


def linearizable(s: sim.Sim) -> bool:
    _, client = servers(s)
    return client is None or lincheck.check(client.history, lincheck.Register("")).ok


def succeeded(kind: type) -> sim.Property:
    name = "a get succeeds" if kind is lincheck.Read else "a put succeeds"

    def holds(s: sim.Sim) -> bool:
        _, client = servers(s)
        operations = () if client is None else client.history.operations
        return any(isinstance(o.op, kind) and o.status == "ok" for o in operations)

    return sim.sometimes(name, holds)


def fingerprint(s: sim.Sim) -> Hashable:
    """The servers' state; the checker adds the messages in flight itself."""
    register, client = servers(s)
    return (
        None if register is None else (register.value, frozenset(getattr(register, "seen", ()))),
        None if client is None else (client.req_id, client.history.operations),
    )


def scenario_for(server: type[Register]) -> Any:
    async def scenario(s: sim.Sim) -> None:
        register = await s.node("server").start(server())
        await s.node("client").start(Client(register))

    return scenario


SETTINGS: dict[str, Any] = {
    "nodes": ("server", "client"),
    "network": sim.Network(duplicate=0.5, reorder=True),
    "max_steps": 30,
}


def check(server: type[Register]) -> sim.Report:
    return sim.check(
        scenario_for(server),
        properties=[
            sim.always("linearizable", linearizable),
            succeeded(lincheck.Read),
            succeeded(lincheck.Write),
        ],
        exhaustive=True,
        fingerprint=fingerprint,
        **SETTINGS,
    )


# --8<-- [end:check]


# --8<-- [start:fixed]
class DedupRegister(Register):
    """Ignores a request whose id it has already seen: a duplicate changes nothing."""

    def init(self) -> None:
        super().init()
        self.seen: set[int] = set()

    def handle_info(self, msg: object) -> None:
        if isinstance(msg, Put | Get):
            if msg.req_id in self.seen:
                return
            self.seen.add(msg.req_id)
        super().handle_info(msg)


# --8<-- [end:fixed]


# --8<-- [start:replay]
def replay(server: type[Register], choices: tuple[int, ...]) -> lincheck.CheckResult:
    """Run the counterexample again and check the history it leaves."""
    client: list[Client] = []

    def on_state(s: sim.Sim) -> None:
        _, found = servers(s)
        if found is not None:
            client[:] = [found]

    chooser = sim.ReplayChooser(choices)
    sim.run(scenario_for(server), chooser=chooser, exhaustive=True, on_state=on_state, **SETTINGS)
    return lincheck.check(client[0].history, lincheck.Register(""))


# --8<-- [end:replay]


def show(server: type[Register]) -> None:
    report = check(server)
    result = report["linearizable"]
    if result.ok:
        print(f"linearizable: {report.states} states explored ({report.unique_states} unique)")
    else:
        choices = result.choices or ()
        print(f"not linearizable; counterexample (choices {list(choices)}):")
        for line in result.trace:
            print("   ", line.split(maxsplit=2)[2])
        print(replay(server, choices).report())
    found = [r.name for r in report.results if r.status == "discovered"]
    print("discovered:", ", ".join(found))


def main(argv: list[str] | None = None) -> None:
    argparse.ArgumentParser(description=__doc__).parse_args(argv)
    print("a register that answers every request:")
    show(Register)
    print("a register that ignores request ids it has seen:")
    show(DedupRegister)


# --8<-- [start:expected]
EXPECTED = """\
a register that answers every request:
not linearizable; counterexample (choices [1, 2, 2, 0, 0, 2, 2]):
    client/Client#2 -> server/Register#2 info Put(req_id=1, value='A')
    server/Register#2 -> client/Client#2 info PutOk(req_id=1)
    client/Client#2 -> server/Register#2 info Put(req_id=2, value='B')
    client/Client#2 -> server/Register#2 info Put(req_id=1, value='A')
    server/Register#2 -> client/Client#2 info PutOk(req_id=2)
    client/Client#2 -> server/Register#2 info Get(req_id=3)
    server/Register#2 -> client/Client#2 info GetOk(req_id=3, value='A')
not linearizable against Register
longest linearizable prefix (2 operations):
  #0 client: write('A')  (0 .. 1)  => 'A'
  #1 client: write('B')  (2 .. 3)  => 'B'
then this operation cannot be linearized: #2 client: read() -> 'A'  (4 .. 5)
discovered: a get succeeds, a put succeeds
a register that ignores request ids it has seen:
linearizable: 769 states explored (127 unique)
discovered: a get succeeds, a put succeeds
"""
# --8<-- [end:expected]

if __name__ == "__main__":
    main()
