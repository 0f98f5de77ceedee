"""How a user's code type-checks: pyright must infer and reject exactly as written here.

Checked by pyright (strict) with the project's settings, so every ``assert_type`` must hold
and every ``# pyright: ignore[rule]`` must be needed (``reportUnnecessaryTypeIgnoreComment``):
each one marks a mistake pyright is expected to flag. ``tests/test_typing.py`` also checks
the ``reveal_type`` lines against their ``# revealed:`` comments.
"""

from __future__ import annotations

from typing import Any, assert_type, reveal_type

from attrs import frozen

from spawned import (
    AlreadyStarted,
    Call,
    Caller,
    CallResult,
    ChildSpec,
    Down,
    DynamicSupervisor,
    EventType,
    Exit,
    GenServer,
    GenStateMachine,
    HandleBase,
    KeepState,
    NextState,
    NoReply,
    Registry,
    Reply,
    ReplyTo,
    Request,
    StateTimeout,
    Stop,
    Supervisor,
    Transition,
    Via,
    tasks,
    threads,
)
from spawned.testing import TestRuntime


@frozen
class Find:
    name: str


@frozen
class Add:
    name: str
    address: str


@frozen
class Forget:
    name: str


class NameServer(GenServer[Find | Add, Forget, str | None]):
    def init(self) -> None:
        self.names: dict[str, str] = {}

    def handle_call(self, msg: Find | Add, caller: Caller[str | None]) -> Reply[str | None] | Stop:
        match msg:
            case Find(name):
                return Reply(self.names.get(name))
            case Add(name, address):
                self.names[name] = address
                return Reply("ok")

    def handle_cast(self, msg: Forget) -> None:
        self.names.pop(msg.name, None)


class Deferred(GenServer[str, None, int]):
    def handle_call(self, msg: str, caller: Caller[int]) -> NoReply:
        caller.reply(len(msg))
        caller.reply("three")  # pyright: ignore[reportArgumentType] - the reply type is int
        return NoReply()


class WrongReply(GenServer[str, None, int]):
    def handle_call(  # pyright: ignore[reportIncompatibleMethodOverride] - replies str, not int
        self, msg: str, caller: Caller[int]
    ) -> Reply[str]:
        return Reply(msg)


class Untyped(GenServer):
    def handle_call(self, msg: Any, caller: Caller[Any]) -> Reply[Any]:
        return Reply(msg)


@frozen
class Push:
    pass


@frozen
class Which:
    pass


class Door(GenStateMachine[Which, Push, str, str, int]):
    def init(self) -> NextState[str, int]:
        return NextState("closed", 0)

    def handle_event(
        self, event_type: EventType, content: Any, state: str, data: int
    ) -> Transition[str, int]:
        match event_type, content:
            case Call(caller), Which():
                return KeepState(actions=[ReplyTo(caller, state)])
            case _, Push() if state == "closed":
                return NextState("open", data + 1, [StateTimeout(5, "close")])
            case StateTimeout(), _:
                return NextState("closed")
            case _:
                return None


class TypedReplies(GenStateMachine[Which, Push, str, str, int]):
    def init(self) -> NextState[str, int]:
        return NextState("closed", 0)

    def handle_event(
        self, event_type: EventType[str], content: Any, state: str, data: int
    ) -> Transition[str, int]:
        match event_type:
            case Call(caller):
                reveal_type(caller)  # revealed: Caller[str]
                caller.reply(data)  # pyright: ignore[reportArgumentType] - this machine replies str
                return KeepState(actions=[ReplyTo(caller, str(data))])
            case _:
                return None


class WrongData(GenStateMachine[Which, Push, str, str, int]):
    def init(self) -> NextState[str, int]:
        return NextState("closed", "zero")  # pyright: ignore[reportReturnType] - data is an int

    def handle_event(
        self, event_type: EventType, content: Any, state: str, data: int
    ) -> Transition[str, int]:
        return KeepState(actions=[Push()])  # pyright: ignore[reportArgumentType] - Push is no action


async def on_tasks() -> None:
    names = await tasks.start(NameServer())
    reveal_type(names)  # revealed: Handle[Find | Add, Forget, str | None]
    assert_type(names, tasks.Handle[Find | Add, Forget, str | None])
    reveal_type(await names.call(Find("Joe")))  # revealed: str | None
    assert_type(await names.call(Add("Joe", "At Home")), str | None)
    await names.call("Joe")  # pyright: ignore[reportArgumentType] - not a Find or an Add
    await names.call(Forget("Joe"))  # pyright: ignore[reportArgumentType] - Forget is a cast
    names.cast(Forget("Joe"))
    names.cast(Find("Joe"))  # pyright: ignore[reportArgumentType] - Find is a call
    names.send("anything goes to handle_info")
    reply: int = await names.call(Find("Joe"))  # pyright: ignore[reportAssignmentType] - str | None
    del reply

    untyped = await tasks.start(Untyped())
    assert_type(untyped, tasks.Handle[Any, Any, Any])
    assert_type(await untyped.call(1), Any)

    door = await tasks.start(Door())
    reveal_type(door)  # revealed: Handle[Which, Push, str]
    reveal_type(await door.call(Which()))  # revealed: str
    await door.call(Push())  # pyright: ignore[reportArgumentType] - Push is a cast
    door.cast(Push())

    found = tasks.whereis("names")
    assert_type(found, tasks.Handle[Any, Any, Any] | None)

    assert_type(await tasks.call(names, Find("Joe")), str | None)  # a handle keeps its types
    assert_type(await tasks.call("names", Find("Joe")), Any)  # a name cannot
    tasks.cast("names", Forget("Joe"))
    assert_type(await tasks.multi_call([names, "names"], Find("Joe")), list[CallResult[Any]])


def on_threads() -> None:
    names = threads.start(NameServer())
    reveal_type(names)  # revealed: Handle[Find | Add, Forget, str | None]
    assert_type(names, threads.Handle[Find | Add, Forget, str | None])
    reveal_type(names.call(Find("Joe")))  # revealed: str | None
    names.call(Forget("Joe"))  # pyright: ignore[reportArgumentType] - Forget is a cast
    names.cast(Add("Joe", "At Home"))  # pyright: ignore[reportArgumentType] - Add is a call
    door = threads.start(Door())
    assert_type(door.call(Which()), str)
    counter = threads.start(Deferred())
    assert_type(counter.call("abc"), int)
    assert_type(threads.call(counter, "abc"), int)


async def in_a_test(rt: TestRuntime) -> None:
    names = await rt.start(NameServer())
    reveal_type(await names.call(Find("Joe")))  # revealed: str | None
    await names.call(Forget("Joe"))  # pyright: ignore[reportArgumentType] - Forget is a cast
    counter = await rt.start(Counter())
    reveal_type(await counter.call(Rename("b")))  # revealed: str | None


def reply_an_int(caller: Caller[int]) -> None:
    caller.reply(1)


class Widening(GenServer[str, None, int | None]):
    def handle_call(self, msg: str, caller: Caller[int | None]) -> NoReply:
        reply_an_int(caller)  # Caller is contravariant: a caller taking int | None takes an int
        return NoReply()


def reply_none(caller: Caller[int | None]) -> None:
    caller.reply(None)


class Narrowing(GenServer[str, None, int]):
    def handle_call(self, msg: str, caller: Caller[int]) -> NoReply:
        reply_none(caller)  # pyright: ignore[reportArgumentType] - it would reply None to an int caller
        return NoReply()


class CounterApi:
    """Tags the requests the counter takes."""


@frozen
class Get(Request[int, CounterApi]):
    pass


@frozen
class Rename(Request[str | None, CounterApi]):
    name: str


@frozen
class Elsewhere(Request[bytes]):
    pass


class Counter(GenServer[Request[object, CounterApi], None, object]):
    def init(self) -> None:
        self.count = 0
        self.label: str | None = None

    def handle_call(self, msg: Request[object, CounterApi], caller: Caller[object]) -> Reply[object]:
        match msg:
            case Get():
                return Reply(self.count)
            case Rename(name):
                old, self.label = self.label, name
                return Reply(old)
            case _:
                return Reply(None)


async def requests_on_tasks() -> None:
    counter = await tasks.start(Counter())
    reveal_type(await counter.call(Get()))  # revealed: int
    reveal_type(await counter.call(Rename("b")))  # revealed: str | None
    reveal_type(counter.blocking.call(Get()))  # revealed: int
    await counter.call(Elsewhere())  # pyright: ignore[reportCallIssue, reportArgumentType] - not a CounterApi request
    await counter.call("get")  # pyright: ignore[reportCallIssue, reportArgumentType] - not a request


def requests_on_threads() -> None:
    counter = threads.start(Counter())
    reveal_type(counter.call(Get()))  # revealed: int
    reveal_type(counter.call(Rename("b")))  # revealed: str | None
    counter.call(Elsewhere())  # pyright: ignore[reportCallIssue, reportArgumentType] - not a CounterApi request


async def lookups_on_tasks(registry: Registry[str, int]) -> None:
    found = tasks.whereis("names", NameServer)
    reveal_type(found)  # revealed: Handle[Find | Add, Forget, str | None] | None
    if found is not None:
        reveal_type(await found.call(Find("Joe")))  # revealed: str | None
    by_via = tasks.whereis(Via(registry, "names"), NameServer)
    reveal_type(by_via)  # revealed: Handle[Find | Add, Forget, str | None] | None
    in_registry = tasks.Handle.of(registry.whereis("names"))
    reveal_type(in_registry)  # revealed: Handle[Any, Any, Any] | None

    sup = await tasks.start(Supervisor([ChildSpec("names", NameServer)]))
    child = await sup.start_child(ChildSpec("more", NameServer))
    reveal_type(child)  # revealed: Handle[Find | Add, Forget, str | None] | None
    door = await sup.start_child(ChildSpec("door", Door))
    reveal_type(door)  # revealed: Handle[Which, Push, str] | None
    nested = await sup.start_child(ChildSpec("sup", lambda: Supervisor([])))
    reveal_type(nested)  # revealed: SupervisorHandle | None
    dyn = await tasks.start(DynamicSupervisor())
    counted = await dyn.start_child(ChildSpec("c", Counter))
    reveal_type(counted)  # revealed: Handle[Request[object, CounterApi], None, object] | None
    for listed in await sup.which_children():
        running = tasks.Handle.of(listed.handle)
        if running is not None:
            await running.call("anything")  # a listed child's types are not known: Any


def lookups_on_threads() -> None:
    found = threads.whereis("names", NameServer)
    reveal_type(found)  # revealed: Handle[Find | Add, Forget, str | None] | None
    sup = threads.start(Supervisor())
    child = sup.start_child(ChildSpec("more", NameServer))
    reveal_type(child)  # revealed: Handle[Find | Add, Forget, str | None] | None


class Watcher(GenServer[HandleBase[Any, Any, Any], None, object]):
    async def handle_call(self, msg: HandleBase[Any, Any, Any], caller: Caller[object]) -> Reply[object]:
        self.monitor(msg)
        return Reply(await tasks.Handle.of(msg).join())

    async def handle_info(self, msg: object) -> None:
        match msg:
            case Down(handle=handle, reason=reason):
                reveal_type(tasks.Handle.of(handle))  # revealed: Handle[Any, Any, Any]
                await tasks.Handle.of(handle).join()
                del reason
            case Exit(handle=handle):
                reveal_type(tasks.Handle.of(handle))  # revealed: Handle[Any, Any, Any] | None
            case _:
                pass


class ThreadWatcher(GenServer):
    def handle_info(self, msg: object) -> None:
        if isinstance(msg, Down):
            threads.Handle.of(msg.handle).join()


async def already_started() -> None:
    try:
        await tasks.start(NameServer(), name="names")
    except AlreadyStarted as error:
        reveal_type(error.handle)  # revealed: HandleBase[Any, Any, Any]
        await tasks.Handle.of(error.handle).stop()
