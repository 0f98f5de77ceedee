"""The servers every figure drives: spawned's, and the bare floors they are compared with.

Every server, spawned or bare, counts the casts it handled and answers any call with that
count, so a figure's code is written once and runs against both.
"""

from __future__ import annotations

import asyncio
import threading
from collections import deque
from queue import SimpleQueue
from typing import Any, cast

import trio

from spawned import (
    Call,
    Caller,
    EventType,
    GenServer,
    GenStateMachine,
    KeepState,
    NextState,
    Reply,
    ReplyTo,
    Transition,
)

CALL = 0
CAST = 1
STOP = 2


class Counter(GenServer[object, object, int]):
    """Counts casts; answers every call with the count."""

    def init(self) -> None:
        self.count = 0

    def handle_cast(self, msg: object) -> None:
        self.count += 1

    def handle_call(self, msg: object, caller: Caller[int]) -> Reply[int]:
        return Reply(self.count)


class CounterMachine(GenStateMachine[object, object, int, str, int]):
    """``Counter`` as a state machine: counts casts in its data; answers calls with
    ``ReplyTo``. Its call figure is set beside ``Counter``'s, the GenServer it is built on.
    """

    def init(self) -> NextState[str, int]:
        return NextState("counting", 0)

    def handle_event(
        self, event_type: EventType, content: object, state: str, data: int
    ) -> Transition[str, int]:
        if type(event_type) is Call:
            return KeepState(actions=[ReplyTo(event_type.caller, data)])
        return KeepState(data + 1)


class AsyncioBare:
    """The asyncio floor: a task with a deque mailbox, woken and answered through Futures."""

    __slots__ = ("count", "loop", "queue", "waiter")

    def __init__(self) -> None:
        self.loop = asyncio.get_running_loop()
        self.queue: deque[tuple[int, object, Any]] = deque()
        self.waiter: asyncio.Future[None] | None = None
        self.count = 0

    def post(self, item: tuple[int, object, Any]) -> None:
        self.queue.append(item)
        waiter = self.waiter
        if waiter is not None:
            self.waiter = None
            waiter.set_result(None)

    async def run(self) -> None:
        queue = self.queue
        while True:
            if not queue:
                self.waiter = waiter = self.loop.create_future()
                await waiter
            kind, _, reply = queue.popleft()
            if kind == CAST:
                self.count += 1
            elif kind == CALL:
                reply.set_result(self.count)
            else:
                reply.set_result(None)
                return

    def cast(self, msg: object) -> None:
        self.post((CAST, msg, None))

    async def call(self, msg: object) -> int:
        reply: asyncio.Future[int] = self.loop.create_future()
        self.post((CALL, msg, reply))
        return await reply

    async def stop(self) -> None:
        done: asyncio.Future[None] = self.loop.create_future()
        self.post((STOP, None, done))
        await done


class TrioReply:
    """A trio reply slot: an Event and the value it guards."""

    __slots__ = ("event", "value")

    def __init__(self) -> None:
        self.event = trio.Event()
        self.value: Any = None


class TrioBare:
    """The trio floor: a task with a deque mailbox, woken and answered through trio Events."""

    __slots__ = ("count", "queue", "waiter")

    def __init__(self) -> None:
        self.queue: deque[tuple[int, object, Any]] = deque()
        self.waiter: trio.Event | None = None
        self.count = 0

    def post(self, item: tuple[int, object, Any]) -> None:
        self.queue.append(item)
        waiter = self.waiter
        if waiter is not None:
            self.waiter = None
            waiter.set()

    async def run(self) -> None:
        queue = self.queue
        while True:
            if not queue:
                self.waiter = waiter = trio.Event()
                await waiter.wait()
            kind, _, reply = queue.popleft()
            if kind == CAST:
                self.count += 1
            else:
                reply.value = self.count
                reply.event.set()
                if kind == STOP:
                    return

    def cast(self, msg: object) -> None:
        self.post((CAST, msg, None))

    async def call(self, msg: object) -> int:
        reply = TrioReply()
        self.post((CALL, msg, reply))
        await reply.event.wait()
        return reply.value

    async def stop(self) -> None:
        reply = TrioReply()
        self.post((STOP, None, reply))
        await reply.event.wait()


_reply_queues = threading.local()


class ThreadBare:
    """The threads floor: a thread reading a ``SimpleQueue``; each client thread keeps one
    reply ``SimpleQueue`` for all its calls.
    """

    __slots__ = ("count", "queue", "thread")

    def __init__(self) -> None:
        self.queue: SimpleQueue[tuple[int, object, Any]] = SimpleQueue()
        self.count = 0
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()

    def run(self) -> None:
        get = self.queue.get
        while True:
            kind, _, reply = get()
            if kind == CAST:
                self.count += 1
            elif kind == CALL:
                reply.put(self.count)
            else:
                return

    def cast(self, msg: object) -> None:
        self.queue.put((CAST, msg, None))

    def call(self, msg: object) -> int:
        reply = cast("SimpleQueue[int] | None", getattr(_reply_queues, "queue", None))
        if reply is None:
            reply = SimpleQueue[int]()
            _reply_queues.queue = reply
        self.queue.put((CALL, msg, reply))
        return reply.get()

    def stop(self) -> None:
        self.queue.put((STOP, None, None))
        self.thread.join()
