"""Bad use of the simulation backend gets a clear error naming what to do instead."""

from __future__ import annotations

import asyncio
import threading
import time
from typing import Any

import anyio
import anyio.to_thread
import pytest
import trio

from spawned import ChildSpec, GenServer, InitFailed, ServerExited, Supervisor, sim, tasks
from tests.servers import Recorder


def _run(scenario: Any) -> None:
    sim.run(scenario, nodes=("a",), seed=1).check_ok()


def test_a_real_thread_is_refused() -> None:
    async def scenario(s: sim.Sim) -> None:
        del s
        with pytest.raises(sim.SimulationError, match="starting a real thread"):
            threading.Thread(target=print).start()

    _run(scenario)


def test_anyio_to_thread_is_refused() -> None:
    async def scenario(s: sim.Sim) -> None:
        del s
        with pytest.raises(sim.SimulationError, match=r"anyio\.to_thread"):
            await anyio.to_thread.run_sync(print)

    _run(scenario)


def test_run_in_executor_is_refused() -> None:
    async def scenario(s: sim.Sim) -> None:
        del s
        with pytest.raises(sim.SimulationError, match="run_in_executor"):
            await asyncio.get_running_loop().run_in_executor(None, print)

    _run(scenario)


class Sleeper(GenServer):
    """Sleeps for real in a plain callback."""

    def handle_call(self, msg: Any, caller: Any) -> Any:
        time.sleep(0.01)


def test_a_real_sleep_in_a_callback_crashes_the_server_with_a_clear_reason() -> None:
    async def scenario(s: sim.Sim) -> None:
        sleeper = await s.node("a").start(Sleeper())
        with pytest.raises(ServerExited) as caught:
            await sleeper.call("nap")
        assert isinstance(caught.value.reason, sim.SimulationError)
        assert "time.sleep(0.01)" in str(caught.value.reason)
        assert "anyio.sleep" in str(caught.value.reason)

    _run(scenario)


def test_handle_blocking_is_refused() -> None:
    async def scenario(s: sim.Sim) -> None:
        recorder = await s.node("a").start(Recorder())
        with pytest.raises(sim.SimulationError, match="blocking call needs a real thread"):
            recorder.blocking.call("x")
        sup = await s.node("a").start(Supervisor([]))
        with pytest.raises(sim.SimulationError, match="blocking"):
            _ = sup.blocking

    _run(scenario)


class Starter(GenServer):
    """Starts a server with on_thread=True from its init."""

    async def init(self) -> None:
        await tasks.start(Recorder(), on_thread=True)


def test_on_thread_is_refused() -> None:
    async def scenario(s: sim.Sim) -> None:
        with pytest.raises(InitFailed) as caught:
            await s.node("a").start(Starter())
        assert isinstance(caught.value.reason, sim.SimulationError)
        assert "on_thread=True" in str(caught.value.reason)
        with pytest.raises(InitFailed) as caught:
            await s.node("a").start(Supervisor([ChildSpec("r", Recorder, on_thread=True)]))

    _run(scenario)


def test_run_inside_a_running_loop_is_refused() -> None:
    async def nothing(s: sim.Sim) -> None:
        del s

    async def on_asyncio() -> None:
        sim.run(nothing)

    async def on_trio() -> None:
        sim.run(nothing)

    with pytest.raises(sim.SimulationError, match="called from a running event loop"):
        asyncio.run(on_asyncio())
    with pytest.raises(sim.SimulationError, match="called from a running event loop"):
        trio.run(on_trio)


def test_sleep_and_threads_are_back_after_the_run() -> None:
    original_sleep = time.sleep
    original_start = threading.Thread.start

    async def scenario(s: sim.Sim) -> None:
        del s
        assert time.sleep is not original_sleep

    _run(scenario)
    assert time.sleep is original_sleep
    assert threading.Thread.start is original_start
    thread = threading.Thread(target=time.sleep, args=(0,))
    thread.start()
    thread.join()


def test_other_threads_may_sleep_during_a_run() -> None:
    done = threading.Event()

    def other() -> None:
        while not done.is_set():
            time.sleep(0.0001)  # the patched sleep passes through on this thread

    async def scenario(s: sim.Sim) -> None:
        del s
        await anyio.sleep(1)

    thread = threading.Thread(target=other)
    thread.start()
    try:
        _run(scenario)
    finally:
        done.set()
        thread.join()


@pytest.mark.parametrize(
    ("options", "match"),
    [
        ({"max_steps": -1}, "max_steps must be an int >= 0"),
        ({"max_time": -1.0}, "max_time must be a number"),
        ({"nodes": ()}, "at least one node"),
        ({"nodes": ("a", "a")}, "declared twice"),
    ],
)
def test_bad_settings_are_refused(options: dict[str, Any], match: str) -> None:
    async def nothing(s: sim.Sim) -> None:
        del s

    with pytest.raises(ValueError, match=match):
        sim.run(nothing, **options)


def test_a_single_node_name_string_is_refused() -> None:
    async def nothing(s: sim.Sim) -> None:
        del s

    with pytest.raises(TypeError, match=r"nodes=\('ab',\)"):
        sim.run(nothing, nodes="ab")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("make", "match"),
    [
        (lambda: sim.Network(loss=1.5), "loss must be a probability"),
        (lambda: sim.Network(delay=(2.0, 1.0)), "delay must be"),
        (lambda: sim.Network(delay_steps=0), "delay_steps must be an int >= 1"),
        (lambda: sim.Faults(kill=-0.1), "kill must be a probability"),
    ],
)
def test_bad_network_and_faults_are_refused(make: Any, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        make()
