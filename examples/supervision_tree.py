"""A supervision tree holding the bank and the name server: let it crash, and it comes back.

The bank crashes on purpose; its supervisor restarts it with fresh state under the same
name, while the name server keeps running untouched (``one_for_one``). Leaving ``run()``
shuts the whole tree down, last started first. The crash and restart reports go to stderr
through loguru; stdout is the same on every backend.

Run: python examples/supervision_tree.py [--backend asyncio|trio|threads]
"""

from __future__ import annotations

from typing import TypeVar

from _cli import run_example
from bank import Bank, BankError, Deposit, NewAccount
from name_server import Add, Find, NameServer

from spawned import ChildSpec, Strategy, Supervisor, tasks, threads

H = TypeVar("H")


def found(handle: H | None) -> H:
    if handle is None:
        raise LookupError("not registered")
    return handle


def why(reason: object) -> str:
    return type(reason).__name__ if isinstance(reason, BaseException) else str(reason)


# --8<-- [start:servers]
class TreeBank(Bank):
    """The bank, saying when it stops. It traps exits, so a shutdown runs ``terminate``."""

    trap_exits = True

    def terminate(self, reason: object) -> None:
        print("  bank terminating:", why(reason))


class TreeNames(NameServer):
    """The name server, saying when it stops."""

    trap_exits = True

    def terminate(self, reason: object) -> None:
        print("  names terminating:", why(reason))


# --8<-- [end:servers]


# --8<-- [start:tree]
TREE = Supervisor(
    [
        ChildSpec("names", TreeNames, name="names"),
        ChildSpec("bank", TreeBank, name="bank"),
    ],
    strategy=Strategy.ONE_FOR_ONE,
)

# --8<-- [end:tree]


# --8<-- [start:tasks]
async def main_tasks() -> None:
    tree = await tasks.start(TREE, name="tree")
    print("children:", ", ".join(f"{c.id} ({c.kind})" for c in await tree.which_children()))
    names, bank = found(tasks.whereis("names")), found(tasks.whereis("bank"))
    print("add bank ->", await names.call(Add("bank", "downtown")))
    print("new account Joe ->", await bank.call(NewAccount("Joe")))
    print("deposit Joe 50 ->", show(await bank.call(Deposit("Joe", 50))))

    print("crashing the bank on purpose")
    bank.cast(None)  # Bank defines no handle_cast: this crashes it
    print("bank exited:", why(await bank.join()))
    await tree.which_children()  # answered once the supervisor has restarted the bank
    again = found(tasks.whereis("bank"))
    print("found by name again, a new handle:", again != bank)
    print("deposit Joe 10 ->", show(await again.call(Deposit("Joe", 10))))
    print("find bank ->", await names.call(Find("bank")))
    count = await tree.count_children()
    print(f"count: {count.specs} specs, {count.active} active")
    print("leaving run(): the tree shuts down, last started first")


# --8<-- [end:tasks]


# --8<-- [start:threads]
def main_threads() -> None:
    tree = threads.start(TREE, name="tree")
    print("children:", ", ".join(f"{c.id} ({c.kind})" for c in tree.which_children()))
    names, bank = found(threads.whereis("names")), found(threads.whereis("bank"))
    print("add bank ->", names.call(Add("bank", "downtown")))
    print("new account Joe ->", bank.call(NewAccount("Joe")))
    print("deposit Joe 50 ->", show(bank.call(Deposit("Joe", 50))))

    print("crashing the bank on purpose")
    bank.cast(None)  # Bank defines no handle_cast: this crashes it
    print("bank exited:", why(bank.join()))
    tree.which_children()  # answered once the supervisor has restarted the bank
    again = found(threads.whereis("bank"))
    print("found by name again, a new handle:", again != bank)
    print("deposit Joe 10 ->", show(again.call(Deposit("Joe", 10))))
    print("find bank ->", names.call(Find("bank")))
    count = tree.count_children()
    print(f"count: {count.specs} specs, {count.active} active")
    print("leaving run(): the tree shuts down, last started first")


# --8<-- [end:threads]


def show(answer: object) -> str:
    return f"error: {answer}" if isinstance(answer, BankError) else f"balance {answer}"


def main(argv: list[str] | None = None) -> None:
    run_example(main_tasks, main_threads, argv, __doc__)


# --8<-- [start:expected]
EXPECTED = """\
children: names (worker), bank (worker)
add bank -> ok
new account Joe -> welcome Joe
deposit Joe 50 -> balance 50
crashing the bank on purpose
  bank terminating: NotImplementedError
bank exited: NotImplementedError
found by name again, a new handle: True
deposit Joe 10 -> error: Joe is not a customer
find bank -> downtown
count: 2 specs, 2 active
leaving run(): the tree shuts down, last started first
  bank terminating: shutdown
  names terminating: shutdown
"""
# --8<-- [end:expected]

if __name__ == "__main__":
    main()
