"""Exhaustive mode: at each step every enabled event is one option of ``choose(n, "next")``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import anyio
import pytest

from spawned import INFINITY, Caller, ChildSpec, GenServer, Reply, Supervisor, sim
from tests.servers import Get, Recorder


class Teller(GenServer):
    """Casts its tag to ``target`` from ``init``."""

    def __init__(self, target: Any, tag: str) -> None:
        self.target = target
        self.tag = tag

    def init(self) -> None:
        self.target.cast(self.tag)


def explore(run: Callable[[sim.Chooser], sim.SimResult]) -> list[sim.SimResult]:
    """Every run of a tiny system, depth first, learning each branching from ``Frontier``."""
    runs: list[sim.SimResult] = []
    prefixes: list[tuple[int, ...]] = [()]
    while prefixes:
        prefix = prefixes.pop()
        try:
            result = run(sim.ReplayChooser(prefix, then="frontier"))
        except sim.Frontier as frontier:
            prefixes.extend((*prefix, choice) for choice in reversed(range(frontier.n)))
            continue
        runs.append(result)
    return runs


def _two_tellers(nodes: tuple[str, str, str]) -> Callable[[sim.Sim], Any]:
    async def scenario(s: sim.Sim) -> None:
        server = await s.node(nodes[0]).start(Recorder())
        await s.node(nodes[1]).start(Teller(server, "x"))
        await s.node(nodes[2]).start(Teller(server, "y"))

    return scenario


def _final_events(finals: list[tuple[object, ...]]) -> Callable[[sim.Sim], None]:
    def on_state(s: sim.Sim) -> None:
        server = s.server_of(s.processes()[0])
        finals.append(tuple(event[1] for event in server.events))  # type: ignore[attr-defined]

    return on_state


def test_two_messages_within_a_node_give_two_orders() -> None:
    finals: list[tuple[object, ...]] = []
    runs = explore(
        lambda chooser: sim.run(
            _two_tellers(("a", "a", "a")),
            nodes=("a",),
            chooser=chooser,
            exhaustive=True,
            on_state=_final_events(finals),
        )
    )
    assert [run.choices for run in runs] == [(0,), (1,)]
    assert [run.decisions for run in runs] == [((2, "next"),), ((2, "next"),)]
    assert all(run.complete for run in runs)
    assert {final for final in finals if len(final) == 2} == {("x", "y"), ("y", "x")}


def test_loss_and_duplication_are_options_between_nodes() -> None:
    network = sim.Network(loss=0.5, duplicate=0.5)

    async def scenario(s: sim.Sim) -> None:
        server = await s.node("a").start(Recorder())
        await s.node("b").start(Teller(server, "x"))

    runs = explore(
        lambda chooser: sim.run(
            scenario, nodes=("a", "b"), chooser=chooser, exhaustive=True, network=network, max_steps=3
        )
    )
    # each step: deliver (done), drop (done) or deliver-and-keep-a-copy (go on), three deep
    assert len(runs) == 7
    assert sum(not run.complete for run in runs) == 1
    assert {run.decisions[0] for run in runs} == {(3, "next")}
    delivered = sorted(sum(event.kind == "handle_cast" for event in _before_the_end(run)) for run in runs)
    assert delivered == [0, 1, 1, 2, 2, 3, 3]


def _before_the_end(run: sim.SimResult) -> list[sim.TraceEvent]:
    kinds = [event.kind for event in run.trace]
    return list(run.trace[: kinds.index("end")])


def test_a_timer_is_one_option_beside_the_messages() -> None:
    class Later(GenServer):
        def init(self) -> None:
            self.send_after(5.0, "late")

        def handle_info(self, msg: Any) -> None:
            pass

        def handle_call(self, msg: Any, caller: Caller[Any]) -> Any:
            return Reply(None)

    async def scenario(s: sim.Sim) -> None:
        server = await s.node("a").start(Recorder())
        await s.node("a").start(Later())
        await s.node("a").start(Teller(server, "x"))

    runs = explore(lambda chooser: sim.run(scenario, nodes=("a",), chooser=chooser, exhaustive=True))
    # first the cast or the timer; after the timer, its message and the cast are both in flight
    assert sorted(run.choices for run in runs) == [(0,), (1, 0), (1, 1)]
    orders = [
        [event.kind for event in run.trace if event.kind in ("timer", "handle_cast", "handle_info")]
        for run in runs
    ]
    assert sorted(orders) == [
        ["handle_cast", "timer", "handle_info"],
        ["timer", "handle_cast", "handle_info"],
        ["timer", "handle_info", "handle_cast"],
    ]
    assert all(run.virtual_time == 5.0 for run in runs)


def test_on_state_sees_every_quiescent_point_and_its_exception_ends_the_run() -> None:
    async def scenario(s: sim.Sim) -> None:
        server = await s.node("a").start(Recorder())
        server.cast("one")
        assert await server.call(Get()) == [("cast", "one")]

    class Seen(Exception):
        pass

    def on_state(s: sim.Sim) -> None:
        if s.steps == 1:
            raise Seen

    with pytest.raises(Seen):
        sim.run(scenario, nodes=("a",), seed=1, on_state=on_state)


def test_a_failing_chooser_ends_the_run_and_is_raised() -> None:
    class Broken:
        def choose(self, n: int, what: str) -> int:
            del n, what
            return 7

    with pytest.raises(ValueError, match=r"returned 7; expected an int in range\(n\)"):
        sim.run(_two_tellers(("a", "a", "a")), nodes=("a",), chooser=Broken(), exhaustive=True)


def test_a_frontier_drawn_inside_a_callback_ends_the_run_and_is_raised() -> None:
    class Forwarder(GenServer):
        def __init__(self, target: Any) -> None:
            self.target = target

        def handle_cast(self, msg: Any) -> None:
            self.target.cast(msg)  # crosses the lossy network: a "loss" draw, in the callback

    async def scenario(s: sim.Sim) -> None:
        server = await s.node("a").start(Recorder())
        forwarder = await s.node("b").start(Forwarder(server))
        forwarder.cast("x")

    with pytest.raises(sim.Frontier) as caught:
        sim.run(
            scenario,
            nodes=("a", "b"),
            chooser=sim.ReplayChooser([], then="frontier"),
            network=sim.Network(loss=0.5),
        )
    assert caught.value.what == "loss"


def test_a_shutdown_that_waits_forever_is_unstuck() -> None:
    class Stubborn(GenServer):
        trap_exits = True

        async def terminate(self, reason: object) -> None:
            await anyio.sleep_forever()

    async def scenario(s: sim.Sim) -> None:
        await s.node("a").start(Supervisor([ChildSpec("x", Stubborn, shutdown=INFINITY)]))

    result = sim.run(scenario, nodes=("a",), seed=1)
    assert result.complete
    assert [event.kind for event in result.trace][-4:] == ["stuck", "exit", "exit", "exit"]
