"""The code lock of OTP's gen_statem design principles, as a GenStateMachine.

Buttons are casts. The right code opens the lock; a state time-out locks it again. While
it is open the lock is busy: button presses and questions are postponed, and handled in
order once it is locked again.

Run: python examples/code_lock.py [--backend asyncio|trio|threads]
"""

from __future__ import annotations

from typing import Any

from _cli import run_example

# --8<-- [start:server]
from attrs import frozen

from spawned import (
    Call,
    Cast,
    Enter,
    EventType,
    GenStateMachine,
    KeepState,
    NextState,
    Postpone,
    ReplyTo,
    StateTimeout,
    Transition,
    tasks,
    threads,
)


@frozen
class Button:
    digit: int


@frozen
class GetState:
    pass


class CodeLock(GenStateMachine[GetState, Button, str, str, list[int]]):
    """Two states, ``locked`` and ``open``, each a method (state functions mode); the data
    is the digits pressed so far.
    """

    callback_mode = "state_functions"
    state_enter = True

    def __init__(self, code: list[int], open_time: float = 10.0) -> None:
        self.code = code
        self.open_time = open_time

    def init(self) -> NextState[str, list[int]]:
        return NextState("locked", [])

    def locked(self, event_type: EventType, content: Any, data: list[int]) -> Transition[str, list[int]]:
        match event_type, content:
            case Enter(), _:
                print("locked")
                return KeepState([])
            case Cast(), Button(digit):
                print("button", digit)
                pressed = [*data, digit][-len(self.code) :]
                if pressed == self.code:
                    return NextState("open", [])
                return KeepState(pressed)
            case Call(caller), GetState():
                return KeepState(actions=[ReplyTo(caller, "locked")])
            case _:
                return None

    def open(self, event_type: EventType, content: Any, data: list[int]) -> Transition[str, list[int]]:
        match event_type, content:
            case Enter(), _:
                print("open")
                return KeepState(actions=[StateTimeout(self.open_time, "lock")])
            case StateTimeout(), "lock":
                return NextState("locked", [])
            case _:  # busy while open: buttons and questions wait until it is locked
                return KeepState(actions=[Postpone()])


# --8<-- [end:server]

OPEN_TIME = 0.05
"""Seconds the lock stays open here (10 in OTP's example; shorter so the run is quick)."""


# --8<-- [start:tasks]
async def main_tasks() -> None:
    lock = await tasks.start(CodeLock([1, 2, 3, 4], OPEN_TIME))
    for digit in (1, 2, 3):
        lock.cast(Button(digit))
    print("state:", await lock.call(GetState()))
    lock.cast(Button(4))  # opens
    lock.cast(Button(9))  # postponed until the state time-out locks it again
    print("state:", await lock.call(GetState()))  # postponed too
    await lock.stop()


# --8<-- [end:tasks]


# --8<-- [start:threads]
def main_threads() -> None:
    lock = threads.start(CodeLock([1, 2, 3, 4], OPEN_TIME))
    for digit in (1, 2, 3):
        lock.cast(Button(digit))
    print("state:", lock.call(GetState()))
    lock.cast(Button(4))
    lock.cast(Button(9))
    print("state:", lock.call(GetState()))
    lock.stop()


# --8<-- [end:threads]


def main(argv: list[str] | None = None) -> None:
    run_example(main_tasks, main_threads, argv, __doc__)


# --8<-- [start:expected]
EXPECTED = """\
locked
button 1
button 2
button 3
state: locked
button 4
open
locked
button 9
state: locked
"""
# --8<-- [end:expected]

if __name__ == "__main__":
    main()
