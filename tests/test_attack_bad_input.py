"""Attack review (rev10): public functions given wrong types or values.

Each must raise a clear ``TypeError``/``ValueError`` that names the bad value, never a bare
``AttributeError``/``KeyError``, a hang, or a silent acceptance that fails later.
"""

from __future__ import annotations

import math
from typing import Any

import anyio
import pytest
from servers import Hold, Ping, Recorder

from spawned import Caller, ChildSpec, DynamicSupervisor, GenServer, Registry, Reply, Supervisor, Via
from spawned.testing import TestRuntime


class Misuser(GenServer):
    """Calls one of its own callback-side methods with the argument it is sent; replies with
    what was raised (the server survives a refused argument).
    """

    def handle_call(self, msg: Any, caller: Caller[Any]) -> Any:
        op, arg = msg
        try:
            match op:
                case "link":
                    self.link(arg)
                case "unlink":
                    self.unlink(arg)
                case "monitor":
                    self.monitor(arg)
                case "demonitor":
                    self.demonitor(arg)
                case "send_after_to":
                    self.send_after(60, "m", to=arg)
                case "send_after":
                    self.send_after(arg, "m")
                case _:
                    self.send_interval(arg, "m")
        except Exception as e:
            return Reply(e)
        return Reply(None)


async def misuse(rt: TestRuntime, op: str, arg: object) -> BaseException | None:
    h = await rt.start(Misuser())
    with anyio.fail_after(5):
        raised = await h.call((op, arg))
    assert h.is_alive
    return raised


@pytest.mark.parametrize(
    ("op", "arg"),
    [
        *((op, arg) for op in ("link", "unlink", "monitor") for arg in ("not a handle", None)),
        ("send_after_to", "not a handle"),  # to=None is the default: this server itself
    ],
    ids=str,
)
async def test_a_non_handle_is_refused_with_a_type_error_naming_it(
    rt: TestRuntime, op: str, arg: object
) -> None:
    raised = await misuse(rt, op, arg)
    assert isinstance(raised, TypeError), repr(raised)
    assert repr(arg) in str(raised)


async def test_demonitor_refuses_what_is_not_a_ref(rt: TestRuntime) -> None:
    raised = await misuse(rt, "demonitor", "not a ref")
    assert isinstance(raised, TypeError), repr(raised)


@pytest.mark.parametrize(
    ("op", "arg"),
    [
        ("send_after", -1),
        ("send_after", math.nan),
        ("send_interval", 0),
        ("send_interval", -1),
        ("send_interval", math.nan),
        ("send_interval", math.inf),
    ],
    ids=str,
)
async def test_bad_timer_delays_are_refused_with_a_value_error(rt: TestRuntime, op: str, arg: object) -> None:
    raised = await misuse(rt, op, arg)
    assert isinstance(raised, ValueError), repr(raised)
    assert repr(arg) in str(raised)


@pytest.mark.parametrize("server", [Recorder, None, "x"], ids=["class", "None", "str"])
async def test_start_refuses_what_is_not_a_server_instance(rt: TestRuntime, server: object) -> None:
    with pytest.raises(TypeError, match="GenServer instance"):
        await rt.start(server)  # type: ignore[arg-type]


async def test_start_refuses_an_instance_started_before(rt: TestRuntime) -> None:
    server = Recorder()
    await rt.start(server)
    with pytest.raises(TypeError, match="already started"):
        await rt.start(server)


async def test_start_refuses_an_unhashable_name_naming_it(rt: TestRuntime) -> None:
    with pytest.raises(TypeError, match=r"name.*\[1\]"):
        await rt.start(Recorder(), name=[1])


async def test_call_refuses_a_timeout_that_is_not_a_number_naming_it(rt: TestRuntime) -> None:
    h = await rt.start(Recorder())
    with pytest.raises(TypeError, match=r"timeout.*'1'"):
        await h.call(Hold(), timeout="1")  # type: ignore[arg-type]
    assert (await h.get_state())["held"] == []  # nothing was sent


async def test_stop_with_a_non_number_timeout_raises_and_leaves_the_server_running(rt: TestRuntime) -> None:
    h = await rt.start(Recorder())
    with pytest.raises(TypeError):
        await h.stop(timeout="1")  # type: ignore[arg-type]
    assert await h.call(Ping()) == "pong"  # behind a stop, if one was sent


@pytest.mark.parametrize("timeout", [-1, math.nan], ids=str)
@pytest.mark.parametrize("method", ["get_state", "replace_state"])
async def test_get_and_replace_state_refuse_a_negative_or_nan_timeout(
    rt: TestRuntime, method: str, timeout: float
) -> None:
    """Issue #10 item 18 chose: a negative or NaN timeout is a ValueError, nothing sent."""
    h = await rt.start(Recorder())
    ran: list[object] = []

    def fn(state: Any) -> Any:
        ran.append(state)
        return state

    with anyio.fail_after(5), pytest.raises(ValueError, match="timeout"):
        await (
            h.get_state(timeout=timeout) if method == "get_state" else h.replace_state(fn, timeout=timeout)
        )
    assert ran == []


@pytest.mark.parametrize("timeout", [-1, math.nan], ids=str)
async def test_multi_call_refuses_a_negative_or_nan_timeout(rt: TestRuntime, timeout: float) -> None:
    h = await rt.start(Recorder())
    with anyio.fail_after(5), pytest.raises(ValueError, match="timeout"):
        await rt.multi_call([h], Ping(), timeout=timeout)


def test_registry_refuses_unknown_keys_kind() -> None:
    with pytest.raises(ValueError, match="bogus"):
        Registry(keys="bogus")  # type: ignore[arg-type]


def test_via_refuses_a_duplicate_registry() -> None:
    with pytest.raises(ValueError, match="unique"):
        Via(Registry(keys="duplicate"), "k")


def test_via_refuses_an_unhashable_key() -> None:
    with pytest.raises(TypeError, match=r"\['k'\]"):
        Via(Registry(), ["k"])


def test_registry_register_outside_a_process_names_the_rule() -> None:
    with pytest.raises(RuntimeError, match="calling process"):
        Registry().register("k")


@pytest.mark.parametrize("bad", ["3", 1.5, True], ids=str)
def test_dynamic_supervisor_refuses_a_max_children_that_is_not_an_int(bad: object) -> None:
    with pytest.raises((TypeError, ValueError), match="max_children"):
        DynamicSupervisor(max_children=bad)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "kwargs",
    [
        {"max_restarts": -1},
        {"max_restarts": 1.5},
        {"max_restarts": True},
        {"max_seconds": 0},
        {"max_seconds": math.nan},
    ],
    ids=str,
)
def test_supervisors_refuse_bad_intensity(kwargs: dict[str, Any]) -> None:
    for make in (Supervisor, DynamicSupervisor):
        with pytest.raises(ValueError, match=next(iter(kwargs))):
            make(**kwargs)


def test_supervisor_refuses_a_max_seconds_that_is_not_a_number() -> None:
    with pytest.raises((TypeError, ValueError), match="max_seconds"):
        Supervisor(max_seconds="5")  # type: ignore[arg-type]


@pytest.mark.parametrize("children", ["one spec", None], ids=str)
def test_supervisor_children_must_be_a_sequence_of_specs(children: object) -> None:
    arg = ChildSpec("a", Recorder) if children == "one spec" else children
    with pytest.raises(TypeError, match="children"):
        Supervisor(arg)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "kwargs",
    [{"restart": None}, {"restart": "bogus"}, {"shutdown": "5"}, {"shutdown": math.nan}, {"shutdown": -1}],
    ids=str,
)
def test_child_spec_refuses_bad_restart_and_shutdown(kwargs: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match=next(iter(kwargs))):
        ChildSpec("a", Recorder, **kwargs)


@pytest.mark.parametrize("kwargs", [{"id": ["a"]}, {"name": ["x"]}, {"on_thread": "yes"}], ids=str)
def test_child_spec_refuses_unhashable_ids_and_names_and_non_bool_on_thread(kwargs: dict[str, Any]) -> None:
    args: dict[str, Any] = {"id": "a", "start": Recorder, **kwargs}
    with pytest.raises((TypeError, ValueError), match=next(iter(kwargs))):
        ChildSpec(**args)
