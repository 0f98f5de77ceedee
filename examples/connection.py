"""A connection's lifecycle as a GenStateMachine: disconnected -> connecting -> connected.

Connecting retries with a doubling backoff (an event time-out: it fires only if no other
event comes first). Once connected, named generic time-outs keep a heartbeat going and
watch for its pong. Calls that arrive before the connection is up are postponed, and
answered in order once it is. The peer here is a stand-in that refuses the first two
attempts and hangs up after ``"bye"``.

Run: python examples/connection.py [--backend asyncio|trio|threads]
"""

from __future__ import annotations

from typing import Any

from _cli import run_example

# --8<-- [start:server]
from attrs import evolve, frozen

from spawned import (
    INFINITY,
    Call,
    EventTimeout,
    EventType,
    GenericTimeout,
    GenStateMachine,
    HandleBase,
    Info,
    Internal,
    KeepState,
    NextEvent,
    NextState,
    Postpone,
    ReplyTo,
    Transition,
    tasks,
    threads,
)

FIRST_BACKOFF = 0.01
HEARTBEAT = 0.01
PONG_WITHIN = 0.5


@frozen
class Send:
    text: str


@frozen
class Connected:
    pass


@frozen
class Refused:
    pass


@frozen
class Pong:
    pass


@frozen
class Data:
    attempt: int = 0
    backoff: float = FIRST_BACKOFF


class Peer:
    """The far end, simulated: answers dials and pings by message, like a socket would."""

    def __init__(self, refusals: int) -> None:
        self.refusals = refusals
        self.up = False

    def dial(self, me: HandleBase[Any, Any, Any]) -> None:
        self.up = self.refusals == 0
        self.refusals = max(self.refusals - 1, 0)
        me.send(Connected() if self.up else Refused())

    def send(self, text: str) -> bool:
        if self.up and text == "bye":
            self.up = False  # the peer hangs up after a goodbye
            return True
        return self.up

    def ping(self, me: HandleBase[Any, Any, Any]) -> bool:
        if self.up:
            me.send(Pong())
        return self.up


class Connection(GenStateMachine[Send, Any, str, str, Data]):
    """One event handler for every state (handle_event_function mode)."""

    def __init__(self, peer: Peer) -> None:
        self.peer = peer

    def init(self) -> NextState[str, Data]:
        return NextState("disconnected", Data(), [NextEvent(Internal(), "connect")])

    def handle_event(  # noqa: C901, PLR0911, PLR0912 - one case per rule: the protocol reads as one table
        self, event_type: EventType, content: Any, state: str, data: Data
    ) -> Transition[str, Data]:
        match state, event_type, content:
            case "disconnected", Internal() | EventTimeout(), _:
                attempt = data.attempt + 1
                print(f"connecting (attempt {attempt})")
                self.peer.dial(self.handle)
                return NextState("connecting", evolve(data, attempt=attempt))
            case "disconnected", Call(), _:
                # Any event cancels the retry's event time-out: set it again.
                return KeepState(actions=[Postpone(), EventTimeout(data.backoff, "retry")])
            case "disconnected", _, _:  # a late pong, say
                return KeepState(actions=[EventTimeout(data.backoff, "retry")])
            case "connecting", Info(), Refused():
                print(f"refused; retrying in {data.backoff:g} s")
                retry = EventTimeout(data.backoff, "retry")
                return NextState("disconnected", evolve(data, backoff=data.backoff * 2), [retry])
            case "connecting", Info(), Connected():
                print("connected")
                return NextState("connected", Data(), [GenericTimeout("heartbeat", HEARTBEAT)])
            case "connected", Call(caller), Send(text):
                if not self.peer.send(text):
                    return self.lost(Postpone())
                print(f"sent {text!r}")
                return KeepState(actions=[ReplyTo(caller, "ok")])
            case "connected", GenericTimeout(name="heartbeat"), _:
                if not self.peer.ping(self.handle):
                    return self.lost()
                return KeepState(
                    actions=[GenericTimeout("heartbeat", HEARTBEAT), GenericTimeout("pong", PONG_WITHIN)]
                )
            case "connected", Info(), Pong():
                return KeepState(actions=[GenericTimeout("pong", INFINITY)])
            case _, GenericTimeout(name="pong"), _:
                return self.lost()
            case _, Call(), _:  # connecting: answered once connected
                return KeepState(actions=[Postpone()])
            case _:  # a late pong, say
                return None

    def lost(self, *first: Postpone) -> NextState[str, Data]:
        """The link is gone: stop both generic time-outs (state changes do not), reconnect."""
        print("connection lost")
        stop_timers = [GenericTimeout("heartbeat", INFINITY), GenericTimeout("pong", INFINITY)]
        return NextState("disconnected", Data(), [*first, *stop_timers, NextEvent(Internal(), "connect")])

    def terminate(self, reason: object, state: str, data: Data) -> None:
        print(f"closing ({reason}) while {state}")


# --8<-- [end:server]


# --8<-- [start:tasks]
async def main_tasks() -> None:
    connection = await tasks.start(Connection(Peer(refusals=2)))
    replies = [await connection.call(Send(text)) for text in ("hello", "bye", "again")]
    await connection.stop()
    print("replies:", replies)


# --8<-- [end:tasks]


# --8<-- [start:threads]
def main_threads() -> None:
    connection = threads.start(Connection(Peer(refusals=2)))
    replies = [connection.call(Send(text)) for text in ("hello", "bye", "again")]
    connection.stop()
    print("replies:", replies)


# --8<-- [end:threads]


def main(argv: list[str] | None = None) -> None:
    run_example(main_tasks, main_threads, argv, __doc__)


# --8<-- [start:expected]
EXPECTED = """\
connecting (attempt 1)
refused; retrying in 0.01 s
connecting (attempt 2)
refused; retrying in 0.02 s
connecting (attempt 3)
connected
sent 'hello'
sent 'bye'
connection lost
connecting (attempt 1)
connected
sent 'again'
closing (normal) while connected
replies: ['ok', 'ok', 'ok']
"""
# --8<-- [end:expected]

if __name__ == "__main__":
    main()
