"""Registry: unique and duplicate keys, lookups, dispatch, exits, and Via names."""

from __future__ import annotations

from typing import Any

import anyio
import pytest
from servers import Get, Ping, Recorder

from spawned import (
    AlreadyRegistered,
    AlreadyStarted,
    Caller,
    GenServer,
    Registry,
    Reply,
    ServerExited,
    SpawnedError,
    Via,
    threads,
)
from spawned.testing import TestHandle, TestRuntime


class Member(GenServer):
    """Registers itself on request (or in init) and records what it receives."""

    def __init__(self, registry: Registry, key: object = None, value: object = None) -> None:
        self.registry = registry
        self.first = (key, value)
        self.got: list[object] = []

    def init(self) -> None:
        key, value = self.first
        if key is not None:
            self.registry.register(key, value)

    def handle_call(self, msg: Any, caller: Caller[Any]) -> Any:
        match msg:
            case ("register", key, value):
                try:
                    self.registry.register(key, value)
                except AlreadyRegistered as error:
                    return Reply(error)
                return Reply("ok")
            case ("unregister", key):
                self.registry.unregister(key)
                return Reply("ok")
            case "keys":
                return Reply(self.registry.keys(self.handle))
            case "got":
                return Reply(list(self.got))
            case "crash":
                raise ValueError("crash on request")
            case _:
                return Reply(msg)

    def handle_cast(self, msg: Any) -> None:
        match msg:
            case ("register", key):
                self.registry.register(key)
            case _:
                pass

    def handle_info(self, msg: Any) -> None:
        self.got.append(msg)


def handles(entries: list[tuple[Any, Any]]) -> set[Any]:
    return {h for h, _ in entries}


async def test_unique_key_names_one_process(rt: TestRuntime) -> None:
    reg: Registry[str, str] = Registry(keys="unique")
    a = await rt.start(Member(reg, "k", "va"))
    b = await rt.start(Member(reg))
    assert reg.lookup("k") == [(a.handle, "va")]
    error = await b.call(("register", "k", "vb"))
    assert isinstance(error, AlreadyRegistered)
    assert isinstance(error, SpawnedError)
    assert error.handle == a
    again = await a.call(("register", "k", "v2"))
    assert isinstance(again, AlreadyRegistered)
    assert reg.lookup("k") == [(a.handle, "va")]
    assert reg.whereis("k") == a
    assert reg.count() == 1


async def test_duplicate_keys_hold_every_entry(rt: TestRuntime) -> None:
    reg: Registry[str, int] = Registry(keys="duplicate")
    a = await rt.start(Member(reg, "k", 1))
    b = await rt.start(Member(reg, "k", 2))
    assert await a.call(("register", "k", 3)) == "ok"
    assert await a.call(("register", "other", 4)) == "ok"
    assert sorted(v for _, v in reg.lookup("k")) == [1, 2, 3]
    assert handles(reg.lookup("k")) == {a, b}
    assert reg.count() == 4
    assert await a.call("keys") == ["k", "k", "other"]
    assert reg.keys(b.handle) == ["k"]
    assert reg.match("k", lambda v: v > 1) == [(a.handle, 3), (b.handle, 2)]


async def test_keys_lists_a_key_once_per_entry_as_lookup_does(rt: TestRuntime) -> None:
    reg: Registry[str, str] = Registry(keys="duplicate")
    a = await rt.start(Member(reg, "hello", "first"))
    assert await a.call(("register", "hello", "second")) == "ok"
    assert reg.lookup("hello") == [(a.handle, "first"), (a.handle, "second")]
    assert reg.keys(a.handle) == ["hello", "hello"]
    assert await a.call(("unregister", "hello")) == "ok"
    assert reg.keys(a.handle) == []


async def test_keys_compare_with_python_equality(rt: TestRuntime) -> None:
    reg: Registry[float, str] = Registry(keys="duplicate")
    a = await rt.start(Member(reg, 1, "int"))
    assert await a.call(("register", 1.0, "float")) == "ok"
    assert reg.lookup(1.0) == [(a.handle, "int"), (a.handle, "float")]
    assert reg.keys(a.handle) == [1, 1]


async def test_unregister_acts_for_the_calling_process(rt: TestRuntime) -> None:
    reg: Registry[str, int] = Registry(keys="duplicate")
    a = await rt.start(Member(reg, "k", 1))
    b = await rt.start(Member(reg, "k", 2))
    await a.call(("register", "k", 3))
    assert await a.call(("unregister", "k")) == "ok"
    assert reg.lookup("k") == [(b.handle, 2)]
    assert reg.keys(a.handle) == []
    assert await a.call(("unregister", "missing")) == "ok"
    assert reg.count() == 1


async def test_a_released_unique_key_can_be_taken(rt: TestRuntime) -> None:
    reg: Registry[str, None] = Registry()
    a = await rt.start(Member(reg, "k"))
    b = await rt.start(Member(reg))
    await a.call(("unregister", "k"))
    assert await b.call(("register", "k", None)) == "ok"
    assert reg.whereis("k") == b


@pytest.mark.parametrize("ending", ["stop", "crash", "kill"])
async def test_entries_vanish_when_their_process_exits(rt: TestRuntime, ending: str) -> None:
    reg: Registry[str, None] = Registry(keys="duplicate")
    a = await rt.start(Member(reg, "k"))
    b = await rt.start(Member(reg, "k"))
    await a.call(("register", "j", None))
    if ending == "stop":
        await a.stop()
    elif ending == "crash":
        with pytest.raises(ServerExited):
            await a.call("crash")
        await a.join()
    else:
        a.kill()
        await a.join()
    assert reg.lookup("k") == [(b.handle, None)]
    assert reg.lookup("j") == []
    assert reg.keys(a.handle) == []
    assert reg.count() == 1


async def start_many(rt: TestRuntime, count: int, make: Any) -> list[TestHandle[Any, Any, Any]]:
    if rt.backend == "threads":
        raw = await anyio.to_thread.run_sync(lambda: [rt.runtime.start(make()) for _ in range(count)])
        return [rt.wrap(h) for h in raw]
    return [await rt.start(make()) for _ in range(count)]


async def test_a_thousand_under_one_key_half_killed_leaves_the_living_half(rt: TestRuntime) -> None:
    reg: Registry[str, None] = Registry(keys="duplicate")
    members = await start_many(rt, 1000, lambda: Member(reg, "crowd"))
    assert len(reg.lookup("crowd")) == 1000
    dead, living = members[::2], members[1::2]
    for h in dead:
        h.kill()
    for h in dead:
        await h.join()
    assert handles(reg.lookup("crowd")) == {h.handle for h in living}
    assert len(reg.lookup("crowd")) == 500
    assert reg.count() == 500


async def test_register_racing_kill_leaves_nothing_behind(rt: TestRuntime) -> None:
    reg: Registry[str, None] = Registry(keys="duplicate")
    members = await start_many(rt, 100, lambda: Member(reg))
    for h in members:
        h.cast(("register", "race"))
        h.kill()
    for h in members:
        await h.join()
    assert reg.lookup("race") == []
    assert reg.count() == 0


async def test_dispatch_calls_fn_with_the_entries_never_with_none(rt: TestRuntime) -> None:
    reg: Registry[str, str] = Registry(keys="duplicate")
    a = await rt.start(Member(reg, "room", "alice"))
    b = await rt.start(Member(reg, "room", "bob"))
    calls: list[list[tuple[Any, str]]] = []
    reg.dispatch("nobody", calls.append)
    assert calls == []

    def deliver(entries: list[tuple[Any, str]]) -> None:
        calls.append(entries)
        for handle, value in entries:
            handle.send(("hello", value))

    reg.dispatch("room", deliver)
    assert len(calls) == 1
    assert await a.call("got") == [("hello", "alice")]
    assert await b.call("got") == [("hello", "bob")]


async def test_register_outside_a_server_is_refused(rt: TestRuntime) -> None:
    del rt
    reg: Registry[str, None] = Registry()
    with pytest.raises(RuntimeError, match="inside a server"):
        reg.register("k")


async def test_via_names_a_process_found_by_whereis(rt: TestRuntime) -> None:
    reg: Registry[str, None] = Registry()
    h = await rt.start(Recorder(), name=Via(reg, "rec"))
    assert rt.whereis(Via(reg, "rec")) == h
    assert reg.whereis("rec") == h
    assert reg.lookup("rec") == [(h.handle, None)]
    assert h.name == Via(reg, "rec")
    assert rt.whereis("rec") is None  # the runtime's own table is a different registry
    assert await h.call(Ping()) == "pong"


async def test_via_taken_raises_already_started_and_init_never_runs(rt: TestRuntime) -> None:
    reg: Registry[str, None] = Registry()
    first = await rt.start(Recorder(), name=Via(reg, "rec"))
    ran: list[object] = []
    with pytest.raises(AlreadyStarted) as info:
        await rt.start(Recorder(ran), name=Via(reg, "rec"))
    assert info.value.handle == first
    assert ran == []
    assert await first.call(Get()) == []


@pytest.mark.parametrize("ending", ["stop", "kill"])
async def test_via_name_is_released_on_exit(rt: TestRuntime, ending: str) -> None:
    reg: Registry[str, None] = Registry()
    h = await rt.start(Recorder(), name=Via(reg, "rec"))
    if ending == "stop":
        await h.stop()
    else:
        h.kill()
        await h.join()
    assert rt.whereis(Via(reg, "rec")) is None
    assert reg.count() == 0
    again = await rt.start(Recorder(), name=Via(reg, "rec"))
    assert rt.whereis(Via(reg, "rec")) == again


async def test_via_key_taken_by_register_is_already_started(rt: TestRuntime) -> None:
    reg: Registry[str, None] = Registry()
    holder = await rt.start(Member(reg, "rec"))
    with pytest.raises(AlreadyStarted) as info:
        await rt.start(Recorder(), name=Via(reg, "rec"))
    assert info.value.handle == holder


def test_via_needs_a_unique_registry() -> None:
    with pytest.raises(ValueError, match="unique registry"):
        Via(Registry(keys="duplicate"), "x")


@pytest.mark.parametrize("bad", ["some string", None])
def test_via_refuses_what_is_not_a_registry_naming_it(bad: object) -> None:
    with pytest.raises(TypeError, match=f"Via takes a Registry as its first argument, got {bad!r}"):
        Via(bad, "key")  # type: ignore[arg-type]


def test_registry_needs_a_known_keys_kind() -> None:
    with pytest.raises(ValueError, match="'unique' or 'duplicate', got 'both'"):
        Registry(keys="both")  # type: ignore[arg-type]


@pytest.mark.spawned_backends("asyncio", "trio")
async def test_one_registry_serves_tasks_and_threads_servers(rt: TestRuntime) -> None:
    reg: Registry[str, str] = Registry(keys="duplicate")
    on_loop = await rt.start(Member(reg, "mixed", "tasks"))
    with threads.Runtime() as trt:
        on_thread = await anyio.to_thread.run_sync(lambda: trt.start(Member(reg, "mixed", "threads")))
        assert sorted(v for _, v in reg.lookup("mixed")) == ["tasks", "threads"]
        reg.dispatch("mixed", lambda entries: [h.send("hi") for h, _ in entries])
        assert await anyio.to_thread.run_sync(lambda: on_thread.call("got")) == ["hi"]
        assert await on_loop.call("got") == ["hi"]
        await anyio.to_thread.run_sync(on_thread.stop)
        assert reg.lookup("mixed") == [(on_loop.handle, "tasks")]
