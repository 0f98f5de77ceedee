"""A bank: accounts keyed by name, behind a small client API of plain functions.

The server is written once. The client functions wrap ``call`` the way an Elixir module
wraps ``GenServer.call``, and turn error replies into exceptions; on tasks they are
``async def``, on threads plain ``def``: the only difference is ``await``.

Run: python examples/bank.py [--backend asyncio|trio|threads]
"""

from __future__ import annotations

from _cli import run_example
from attrs import frozen

from spawned import Caller, GenServer, Reply, Stop, tasks, threads

# -- messages and errors -------------------------------------------------------------------


# --8<-- [start:messages]
@frozen
class NewAccount:
    who: str


@frozen
class Deposit:
    who: str
    amount: int


@frozen
class Withdraw:
    who: str
    amount: int


@frozen
class Shutdown:
    pass


class BankError(Exception):
    """Raised by the client API when the bank refuses an operation."""


class NotACustomer(BankError):
    def __init__(self, who: str) -> None:
        super().__init__(f"{who} is not a customer")


class InsufficientBalance(BankError):
    def __init__(self, balance: int) -> None:
        super().__init__(f"insufficient balance {balance}")


Request = NewAccount | Deposit | Withdraw | Shutdown
Answer = int | str | BankError
# --8<-- [end:messages]

# -- the server ------------------------------------------------------------------------------


# --8<-- [start:server]
class Bank(GenServer[Request, None, Answer]):
    """Holds the balances. Errors travel back as values; the client raises them."""

    def init(self) -> None:
        self.accounts: dict[str, int] = {"main": 1000}

    def handle_call(self, msg: Request, caller: Caller[Answer]) -> Reply[Answer] | Stop:
        match msg:
            case NewAccount(who):
                self.accounts.setdefault(who, 0)
                return Reply(f"welcome {who}")
            case Deposit(who, amount) if who in self.accounts:
                self.accounts[who] += amount
                return Reply(self.accounts[who])
            case Withdraw(who, amount) if who in self.accounts:
                if amount > self.accounts[who]:
                    return Reply(InsufficientBalance(self.accounts[who]))
                self.accounts[who] -= amount
                return Reply(self.accounts[who])
            case Deposit(who) | Withdraw(who):
                return Reply(NotACustomer(who))
            case Shutdown():
                return Stop("normal", reply="stopped")


def _checked(answer: Answer) -> Answer:
    if isinstance(answer, BankError):
        raise answer
    return answer


# --8<-- [end:server]


# -- the client API, on tasks ----------------------------------------------------------------


# --8<-- [start:tasks]
async def new_account(bank: tasks.Handle[Request, None, Answer], who: str) -> Answer:
    return _checked(await bank.call(NewAccount(who)))


async def deposit(bank: tasks.Handle[Request, None, Answer], who: str, amount: int) -> Answer:
    return _checked(await bank.call(Deposit(who, amount)))


async def withdraw(bank: tasks.Handle[Request, None, Answer], who: str, amount: int) -> Answer:
    return _checked(await bank.call(Withdraw(who, amount)))


async def main_tasks() -> None:
    bank = await tasks.start(Bank(), name="bank")
    steps = [
        ("withdraw main 15", lambda: withdraw(bank, "main", 15)),
        ("deposit Joe 10", lambda: deposit(bank, "Joe", 10)),
        ("new account Joe", lambda: new_account(bank, "Joe")),
        ("deposit Joe 10", lambda: deposit(bank, "Joe", 10)),
        ("deposit Joe 30", lambda: deposit(bank, "Joe", 30)),
        ("withdraw Joe 15", lambda: withdraw(bank, "Joe", 15)),
        ("withdraw Joe 45", lambda: withdraw(bank, "Joe", 45)),
        ("withdraw Joe 25", lambda: withdraw(bank, "Joe", 25)),
    ]
    for label, step in steps:
        try:
            show(label, await step())
        except BankError as error:
            print(f"{label} -> error: {error}")
    print("stop ->", await bank.call(Shutdown()))


# --8<-- [end:tasks]


# -- the same client API, on threads -----------------------------------------------------------


# --8<-- [start:threads]
def new_account_blocking(bank: threads.Handle[Request, None, Answer], who: str) -> Answer:
    return _checked(bank.call(NewAccount(who)))


def deposit_blocking(bank: threads.Handle[Request, None, Answer], who: str, amount: int) -> Answer:
    return _checked(bank.call(Deposit(who, amount)))


def withdraw_blocking(bank: threads.Handle[Request, None, Answer], who: str, amount: int) -> Answer:
    return _checked(bank.call(Withdraw(who, amount)))


def main_threads() -> None:
    bank = threads.start(Bank(), name="bank")
    steps = [
        ("withdraw main 15", lambda: withdraw_blocking(bank, "main", 15)),
        ("deposit Joe 10", lambda: deposit_blocking(bank, "Joe", 10)),
        ("new account Joe", lambda: new_account_blocking(bank, "Joe")),
        ("deposit Joe 10", lambda: deposit_blocking(bank, "Joe", 10)),
        ("deposit Joe 30", lambda: deposit_blocking(bank, "Joe", 30)),
        ("withdraw Joe 15", lambda: withdraw_blocking(bank, "Joe", 15)),
        ("withdraw Joe 45", lambda: withdraw_blocking(bank, "Joe", 45)),
        ("withdraw Joe 25", lambda: withdraw_blocking(bank, "Joe", 25)),
    ]
    for label, step in steps:
        try:
            show(label, step())
        except BankError as error:
            print(f"{label} -> error: {error}")
    print("stop ->", bank.call(Shutdown()))


# --8<-- [end:threads]


def show(label: str, answer: Answer) -> None:
    print(f"{label} -> balance {answer}" if isinstance(answer, int) else f"{label} -> {answer}")


def main(argv: list[str] | None = None) -> None:
    run_example(main_tasks, main_threads, argv, __doc__)


# --8<-- [start:expected]
EXPECTED = """\
withdraw main 15 -> balance 985
deposit Joe 10 -> error: Joe is not a customer
new account Joe -> welcome Joe
deposit Joe 10 -> balance 10
deposit Joe 30 -> balance 40
withdraw Joe 15 -> balance 25
withdraw Joe 45 -> error: insufficient balance 25
withdraw Joe 25 -> balance 0
stop -> stopped
"""
# --8<-- [end:expected]

if __name__ == "__main__":
    main()
