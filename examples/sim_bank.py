"""The bank from the README under simulated faults: no money is created or lost.

The bank keeps its balances on a simulated disk (a dict that outlives the process, as a
file would), runs under a supervisor on node ``bank``, and three clients on node ``shop``
move money between accounts over a network with delays. A chaos task kills or crashes the
bank at moments drawn from the seed; the supervisor restarts it, and it reloads the disk.
After every step (``on_state``) the total on the disk must be what it was at the start.

A transfer is one callback, so a kill can only fall before or after it: over every seed the
money is all there. The "unsafe" bank writes the debit, awaits an audit call, then writes the
credit: a kill that falls between the two loses money, and a few seeds show it.

Run: python examples/sim_bank.py [--seeds N] [--only safe|unsafe]
"""

from __future__ import annotations

import argparse
from contextlib import suppress
from typing import Any

import anyio
from attrs import frozen
from bank import Bank, BankError, InsufficientBalance, NotACustomer
from loguru import logger

from spawned import Caller, ChildSpec, GenServer, Registry, Reply, SpawnedError, Supervisor, Via, sim, tasks

ACCOUNTS = ("main", "ann", "bob", "cy")
TOTAL = 1000 * len(ACCOUNTS)


# --8<-- [start:bank]
@frozen
class Transfer:
    source: str
    target: str
    amount: int


class DurableBank(Bank):
    """The README's bank, on a disk that outlives the process, with transfers."""

    def __init__(self, disk: dict[str, int]) -> None:
        self.disk = disk

    def init(self) -> None:
        self.accounts = self.disk  # reload: every write goes to the disk

    def handle_call(self, msg: Any, caller: Caller[Any]) -> Any:
        match msg:
            case Transfer(source, target, amount):
                if source not in self.accounts or target not in self.accounts:
                    return Reply(NotACustomer(source if source not in self.accounts else target))
                if amount > self.accounts[source]:
                    return Reply(InsufficientBalance(self.accounts[source]))
                self.accounts[source] -= amount  # both writes in one callback:
                self.accounts[target] += amount  # a kill falls before or after both
                return Reply(self.accounts[source])
            case _:
                return super().handle_call(msg, caller)


class UnsafeBank(DurableBank):
    """Debits, awaits an audit call, then credits: a kill in between loses the money."""

    def __init__(self, disk: dict[str, int], audit: Any) -> None:
        super().__init__(disk)
        self.audit = audit

    async def handle_call(self, msg: Any, caller: Caller[Any]) -> Any:
        match msg:
            case Transfer(source, target, amount) if amount <= self.accounts.get(source, -1):
                self.accounts[source] -= amount
                await self.audit.call(msg)
                self.accounts[target] += amount
                return Reply(self.accounts[source])
            case _:
                return super().handle_call(msg, caller)


# --8<-- [end:bank]


class Audit(GenServer):
    """Acknowledges every transfer it is told about."""

    def handle_call(self, msg: Any, caller: Caller[Any]) -> Any:
        return Reply("noted")


class Client(GenServer):
    """Makes ``rounds`` random transfers (drawn from the run's seed), riding out the faults."""

    def __init__(self, registry: Registry[str, None], choose: Any, rounds: int) -> None:
        self.registry = registry
        self.choose = choose
        self.rounds = rounds

    def init(self) -> None:
        self.handle.cast("go")

    async def handle_cast(self, msg: Any) -> None:
        for _ in range(self.rounds):
            source, target = (ACCOUNTS[self.choose(len(ACCOUNTS))] for _ in range(2))
            amount = 1 + self.choose(200)
            bank = self.registry.whereis("bank")
            if bank is not None:
                with suppress(SpawnedError, BankError):  # killed mid-call, restarting, or refused
                    await tasks.Handle.of(bank).call(Transfer(source, target, amount), timeout=1.0)
            await anyio.sleep(0.01 * (1 + self.choose(10)))


# --8<-- [start:scenario]
def make_scenario(disk: dict[str, int], *, unsafe: bool) -> Any:
    async def scenario(s: sim.Sim) -> None:
        registry: Registry[str, None] = Registry()
        bank = s.node("bank")
        if unsafe:
            audit = await bank.start(Audit())
            make: Any = lambda: UnsafeBank(disk, audit)  # noqa: E731 - a child factory
        else:
            make = lambda: DurableBank(disk)  # noqa: E731 - a child factory
        await bank.start(Supervisor([ChildSpec("bank", make, name=Via(registry, "bank"))], max_restarts=100))
        for _ in range(3):
            await s.node("shop").start(Client(registry, s.choose, rounds=10))
        for _ in range(2):  # chaos: kill or crash the bank at moments drawn from the seed
            await anyio.sleep(0.01 * (1 + s.choose(100, "when")))
            victim = registry.whereis("bank")
            if victim is not None:
                s.kill(victim, "killed" if s.choose(2, "how") == 0 else RuntimeError("power cut"))

    return scenario


class MoneyChanged(AssertionError):
    """The total on the disk is not what it was."""


def run_one(seed: int, *, unsafe: bool) -> sim.SimResult:
    """One simulated run; raises ``MoneyChanged`` if the total on the disk moved.

    The safe bank is checked after every step (``on_state``): its total never moves, not
    even for an instant. The unsafe bank holds a transfer's money in flight while it awaits
    the audit, so it is checked once the run is over.
    """
    disk: dict[str, int] = dict.fromkeys(ACCOUNTS, 1000)

    def check_disk(s: sim.Sim | None = None) -> None:
        del s
        if sum(disk.values()) != TOTAL:
            raise MoneyChanged(f"the disk holds {sum(disk.values())}, not {TOTAL}: {disk}")

    result = sim.run(
        make_scenario(disk, unsafe=unsafe),
        nodes=("bank", "shop"),
        seed=seed,
        network=sim.Network(delay=(0.001, 0.01)),
        on_state=None if unsafe else check_disk,
    )
    check_disk()
    return result


# --8<-- [end:scenario]


def check(seeds: range, *, unsafe: bool) -> list[int]:
    """The seeds among ``seeds`` whose run created or lost money."""
    bad: list[int] = []
    for seed in seeds:
        try:
            run_one(seed, unsafe=unsafe).check_ok()
        except MoneyChanged:
            bad.append(seed)
    return bad


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seeds", type=int, default=100, help="how many seeds to try (0 .. N-1)")
    parser.add_argument("--only", choices=("safe", "unsafe"), help="check only this bank")
    args = parser.parse_args(argv)
    logger.disable("spawned")  # the restarts are expected: keep the output to the verdicts
    seeds = range(args.seeds)
    if args.only != "unsafe":
        bad = check(seeds, unsafe=False)
        print(f"bank: {len(seeds)} seeds, money created or lost in {len(bad)}")
    if args.only != "safe":
        bad = check(seeds, unsafe=True)
        shown = f"first at seed {bad[0]}" if bad else "none found"
        print(f"unsafe bank: money lost in {len(bad)} of {len(seeds)} seeds ({shown})")


EXPECTED = """\
bank: 100 seeds, money created or lost in 0
unsafe bank: money lost in 1 of 100 seeds (first at seed 75)
"""

if __name__ == "__main__":
    main()
