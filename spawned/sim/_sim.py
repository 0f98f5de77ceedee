"""``spawned.sim.run``: one simulated run of a scenario, and the ``Sim`` the scenario drives.

The route: a simulated run is the tasks backend's process machinery (``spawned.tasks``) on a
deterministic asyncio event loop of our own (``_loop.SimLoop``: a virtual clock, and a
selector that never waits but hands every quiescent point to the simulator). Every server that
runs on ``spawned.tasks`` runs here unchanged (sync and async callbacks, ``anyio.sleep``,
timers, links, monitors, supervisors, the registry, ``Continue``, deferred replies), because
anyio and the tasks backend already run on asyncio; asyncio's ready queue is FIFO and its
timer heap ordered, and virtual time is just ``time()``. trio with its ``MockClock`` was
weighed: trio shuffles its run queue with a private random generator and has no public hook
for "what runs next", and both routes need the same interposition where processes meet. That
interposition is the sim's process (``_runtime.SimProcess``): it implements the backend
contract (``post``, ``make_slot``, exit signals) by sending through the simulator
(``_engine.Engine``), which decides, through one chooser, everything that could go either way.
"""

from __future__ import annotations

import math
import random
from collections.abc import Awaitable, Callable, Mapping
from contextlib import AsyncExitStack
from functools import partial
from typing import Any, overload

import anyio

from .._handle import HandleBase
from .._nodes import check_node_name
from .._reasons import KILLED
from .._server import GenServer
from .._supervisor_logic import DynamicSupervisor, Supervisor
from ..tasks._handle import DynamicSupervisorHandle, Handle, SupervisorHandle
from ._choices import Chooser, RandomChooser
from ._engine import Engine, NodeState, _Stuck
from ._errors import SimulationError
from ._guard import guarded
from ._loop import SimLoop, drive, in_running_loop
from ._network import Faults, Network
from ._result import SimResult, TraceEvent
from ._runtime import SimProcess, SimRuntime

__all__ = ["Node", "Sim", "run"]

Boot = Callable[["Node"], Awaitable[object]]
"""A node's boot function: starts its processes (again after a restart)."""


class Node:
    """A simulated node: a named group of processes that live and die together.

    Get one with ``s.node(name)``. Processes started by a process are on their starter's node
    (supervisor children too).
    """

    __slots__ = ("_sim", "_state")

    def __init__(self, sim: Sim, state: NodeState) -> None:
        self._sim = sim
        self._state = state

    @property
    def name(self) -> str:
        """The node's name, as declared in ``run(nodes=...)``."""
        return self._state.name

    @property
    def alive(self) -> bool:
        """Whether the node is up (not crashed)."""
        return self._state.alive

    @overload
    async def start(self, server: Supervisor, *, name: object = None) -> SupervisorHandle: ...
    @overload
    async def start(self, server: DynamicSupervisor, *, name: object = None) -> DynamicSupervisorHandle: ...
    @overload
    async def start(
        self, server: GenServer[Any, Any, Any], *, name: object = None
    ) -> Handle[Any, Any, Any]: ...
    async def start(
        self, server: GenServer[Any, Any, Any] | Supervisor | DynamicSupervisor, *, name: object = None
    ) -> Any:
        """Start ``server`` on this node and wait until its ``init`` has run (as
        ``spawned.tasks.Runtime.start``; ``name`` is registered on this node).

        Raises:
            SimulationError: the node is down.
            AlreadyStarted, InitFailed, Ignored: as ``spawned.tasks.start``.
        """
        runtime = self._state.runtime
        if runtime is None:
            msg = f"node {self.name!r} is not running yet"
            raise SimulationError(msg)
        return await runtime.start(server, name=name)

    def whereis(self, name: object) -> Handle[Any, Any, Any] | None:
        """The handle registered under ``name`` on this node, or ``None``."""
        runtime = self._state.runtime
        return None if runtime is None else runtime.whereis(name)

    def crash(self) -> None:
        """Crash the node at once: its processes die (no ``terminate``), its messages in
        flight are lost, and processes on other nodes see its processes exit with
        ``"noconnection"`` (``Down``, link exits, calls in flight raise ``ServerExited``).
        """
        self._sim._engine.crash(self._state)

    def restart(self) -> None:
        """Bring a crashed node back up and run its ``boot`` function again (if any)."""
        self._sim._engine.restart(self._state)

    def __repr__(self) -> str:
        return f"<Node {self.name} ({'up' if self.alive else 'down'})>"


class Sim:
    """What a scenario (and ``on_state``) gets: the nodes, the clock and the faults of a run."""

    __slots__ = ("_engine", "_nodes")

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._nodes = {name: Node(self, state) for name, state in engine.nodes.items()}

    def node(self, name: str, *, boot: Boot | None = None) -> Node:
        """The node ``name`` (declared in ``run(nodes=...)``); ``boot`` (re)sets its boot function.

        Raises:
            ValueError: no node of that name was declared.
        """
        found = self._nodes.get(name)
        if found is None:
            raise self._engine.unknown_node(name)
        if boot is not None:
            found._state.boot = boot
        return found

    @property
    def nodes(self) -> tuple[Node, ...]:
        """Every node of the run, in declaration order."""
        return tuple(self._nodes.values())

    def now(self) -> float:
        """The virtual clock, in seconds since the run began."""
        return self._engine.loop.time()

    def kill(self, handle: HandleBase[Any, Any, Any], reason: object = KILLED) -> None:
        """End the process at once with ``reason``: no ``terminate``, cannot be trapped (a
        crash, when ``reason`` is an exception).

        Raises:
            TypeError: ``handle`` is not a handle of a simulated process.
            ValueError: ``handle`` belongs to another simulated run.
        """
        self._engine.kill(_process_of(handle, self._engine), reason)

    def partition(self, *groups: tuple[str, ...] | list[str]) -> None:
        """Cut the nodes into ``groups`` of node names (nodes not named form one more group).

        Messages between groups are lost until :meth:`heal`; processes see their links and
        monitors across the cut end with ``"noconnection"``, and calls across it raise
        ``ServerExited("noconnection")``.

        Raises:
            ValueError: an unknown node name.
        """
        self._engine.partition(tuple(tuple(group) for group in groups))

    def heal(self) -> None:
        """End the partition: every node reaches every other again."""
        self._engine.heal()

    def server_of(self, handle: HandleBase[Any, Any, Any]) -> GenServer[Any, Any, Any]:
        """The server object behind ``handle``: a read-only peek, for properties and fingerprints.

        Raises:
            TypeError: ``handle`` is not a handle of a simulated process.
            ValueError: ``handle`` belongs to another simulated run.
        """
        return _process_of(handle, self._engine).server

    def processes(self) -> list[Handle[Any, Any, Any]]:
        """The handles of every live process, node by node (declaration order), in start order."""
        found: list[Handle[Any, Any, Any]] = []
        for state in self._engine.nodes.values():
            runtime = state.runtime
            if runtime is not None and state.alive:
                found.extend(Handle.of(p.handle) for p in runtime.live if p is not runtime.root and p.alive)
        return found

    def choose(self, n: int, what: str = "scenario") -> int:
        """A choice of the scenario's own (say, which account to pay from), made by the run's
        chooser so that it is part of the seed: an ``int`` in ``range(n)``, 0 being the
        simplest.

        Raises:
            TypeError: ``n`` is not an ``int``.
            ValueError: ``n`` is below 1.
        """
        if isinstance(n, bool) or not isinstance(n, int):  # pyright: ignore[reportUnnecessaryIsInstance] - untyped callers
            msg = f"choose needs an int number of options, got n={n!r} ({type(n).__name__})"
            raise TypeError(msg)
        if n < 1:
            msg = f"choose needs at least one option, got n={n!r}"
            raise ValueError(msg)
        return self._engine.choose(n, what)

    @property
    def trace(self) -> tuple[TraceEvent, ...]:
        """The trace so far."""
        return tuple(self._engine.trace)

    @property
    def steps(self) -> int:
        """How many events have been chosen so far."""
        return self._engine.steps

    def _start_boot(self, state: NodeState) -> None:
        runtime = state.runtime
        if runtime is not None and state.boot is not None:
            runtime.native.spawn(partial(self._boot, state), f"boot of node {state.name}")

    async def _boot(self, state: NodeState) -> None:
        boot = state.boot
        if boot is None:
            return
        with anyio.CancelScope() as scope:
            state.booting = scope
            try:
                await boot(self._nodes[state.name])
            except Exception as exc:  # noqa: BLE001 - the run records it, as a scenario's
                if state.alive:
                    self._engine.error = self._engine.error or exc
                    self._engine.end(complete=False)
            finally:
                state.booting = None


def _process_of(handle: HandleBase[Any, Any, Any], engine: Engine) -> SimProcess:
    process = getattr(handle, "_process", None)
    if not isinstance(process, SimProcess):
        msg = f"expected a handle of a process of this simulated run, got {handle!r}"
        raise TypeError(msg)
    if process.engine is not engine:
        msg = f"{handle!r} is a handle of another simulated run; use the handles this run started"
        raise ValueError(msg)
    return process


def _check_bounds(max_steps: object, max_time: object) -> None:
    if isinstance(max_steps, bool) or not isinstance(max_steps, int) or max_steps < 0:
        msg = f"max_steps must be an int >= 0, got {max_steps!r}"
        raise ValueError(msg)
    if isinstance(max_time, bool) or not isinstance(max_time, int | float) or not max_time >= 0:
        msg = f"max_time must be a number of virtual seconds >= 0 (or math.inf), got {max_time!r}"
        raise ValueError(msg)


def _check_types(
    scenario: object, network: object, faults: object, chooser: object, on_state: object
) -> None:
    if not callable(scenario):
        msg = f"scenario must be an async def taking the Sim, got {scenario!r}"
        raise TypeError(msg)
    if network is not None and not isinstance(network, Network):
        msg = f"network must be a spawned.sim.Network, got {network!r}"
        raise TypeError(msg)
    if faults is not None and not isinstance(faults, Faults):
        msg = f"faults must be a spawned.sim.Faults, got {faults!r}"
        raise TypeError(msg)
    if chooser is not None and not callable(getattr(chooser, "choose", None)):
        msg = f"chooser must have a choose(n, what) method, got {chooser!r}"
        raise TypeError(msg)
    if on_state is not None and not callable(on_state):
        msg = f"on_state must be a callable, got {on_state!r}"
        raise TypeError(msg)


def _node_states(nodes: tuple[str, ...] | list[str], boot: Mapping[str, Boot] | None) -> dict[str, NodeState]:
    if isinstance(nodes, str):
        msg = (
            f"nodes must be a sequence of node names, got the single name {nodes!r}; write nodes=({nodes!r},)"
        )
        raise TypeError(msg)
    states: dict[str, NodeState] = {}
    for name in nodes:
        check_node_name(name)
        if name in states:
            msg = f"node {name!r} is declared twice in nodes={tuple(nodes)!r}"
            raise ValueError(msg)
        states[name] = NodeState(name, None)
    if not states:
        msg = "a simulated run needs at least one node: nodes=('a',)"
        raise ValueError(msg)
    for name, fn in (boot or {}).items():
        if name not in states:
            known = ", ".join(repr(n) for n in states)
            msg = f"boot names the unknown node {name!r}; declared nodes: {known}"
            raise ValueError(msg)
        states[name].boot = fn
    return states


def run(  # noqa: PLR0913 - the run's settings, all keyword-only
    scenario: Callable[[Sim], Awaitable[object]],
    *,
    nodes: tuple[str, ...] | list[str] = ("main",),
    seed: int | None = None,
    chooser: Chooser | None = None,
    network: Network | None = None,
    faults: Faults | None = None,
    exhaustive: bool = False,
    on_state: Callable[[Sim], None] | None = None,
    max_steps: int = 10_000,
    max_time: float = math.inf,
    boot: Mapping[str, Boot] | None = None,
) -> SimResult:
    """Run ``await scenario(sim)`` in a deterministic simulation and return what happened.

    The scenario starts servers on the declared ``nodes`` (``await s.node("a").start(...)``),
    calls and casts to them, awaits ``anyio.sleep`` (virtual time) and injects faults
    (``s.kill``, ``s.node("a").crash()``, ``s.partition``). When it returns, the run goes on
    until nothing is left to do (no message in flight, no timer) or a bound is reached; then
    every node shuts down, as ``tasks.run`` does, and the result comes back.

    Every decision (which event next, a message's delay, loss, duplication, each random
    fault) is taken by ``chooser`` (by default ``RandomChooser(seed)``): the same seed gives
    the same run, and the same ``trace_text()``, byte for byte.

    Args:
        scenario: an ``async def`` taking the [`Sim`][spawned.sim.Sim].
        nodes: the node names (``s.node(unknown)`` raises ``ValueError`` naming these).
        seed: the seed of the default chooser; ``None`` picks one at random (it is in the result).
        chooser: decides every choice instead of ``RandomChooser(seed)``.
        network: how messages between nodes travel (default: reliable, no delay).
        faults: random faults drawn at each step (default: none).
        exhaustive: model-checking mode: time does not order events; at each step every
            enabled event is an option (``choose(n, "next")``).
        on_state: called with the ``Sim`` at every quiescent point (before each choice), and
            once at the end; an exception it raises ends the run and ``run`` raises it.
        max_steps: end the run (not complete) after this many events.
        max_time: end the run (not complete) before the clock passes this many virtual seconds.
        boot: per node, an ``async def`` that starts its processes; it runs at the start and
            again after each restart of the node.

    Raises:
        SimulationError: called from a running event loop; or the run could not shut down.
        ValueError: bad settings (an unknown node in ``boot`` or ``faults.protect``, a negative
            bound...).
        TypeError: a setting of the wrong type (``network`` not a ``Network``, a ``chooser``
            without ``choose``...).
        Exception: whatever ``chooser.choose`` or ``on_state`` raised (``Frontier``...).
    """
    if in_running_loop():
        msg = (
            "spawned.sim.run() was called from a running event loop; it runs its own simulated "
            "loop to the end, so call it from plain (synchronous) code, such as a plain def test"
        )
        raise SimulationError(msg)
    _check_bounds(max_steps, max_time)
    _check_types(scenario, network, faults, chooser, on_state)
    states = _node_states(nodes, boot)
    for name in (faults or Faults()).protect:
        if name not in states:
            known = ", ".join(repr(n) for n in states)
            msg = f"faults protect the unknown node {name!r}; declared nodes: {known}"
            raise ValueError(msg)
    if chooser is None:
        if seed is None:
            seed = random.SystemRandom().randrange(2**32)
        chooser = RandomChooser(seed)
    holder: list[Engine] = []
    loop = SimLoop(lambda: holder[0].quiescent())  # noqa: PLW0108 - the engine is made after the loop
    engine = Engine(
        loop,
        chooser,
        nodes=states,
        network=network or Network(),
        faults=faults or Faults(),
        exhaustive=exhaustive,
        on_state=on_state,
        max_steps=max_steps,
        max_time=max_time,
    )
    holder.append(engine)
    sim = Sim(engine)
    engine.sim = sim
    stuck: _Stuck | None = None
    with guarded():
        try:
            drive(loop, _main(sim, engine, scenario))
        except _Stuck as exc:
            stuck = exc
    if engine.failure is not None:
        raise engine.failure
    if stuck is not None:
        raise SimulationError(str(stuck))
    return SimResult(
        seed=seed,
        choices=tuple(engine.choices),
        decisions=tuple(engine.decisions),
        trace=tuple(engine.trace),
        complete=engine.complete,
        error=engine.error,
        scenario_finished=engine.scenario_finished,
        steps=engine.steps,
        virtual_time=engine.end_time,
    )


async def _main(sim: Sim, engine: Engine, scenario: Callable[[Sim], Awaitable[object]]) -> None:
    engine.done = anyio.Event()
    async with AsyncExitStack() as stack:
        for state in engine.nodes.values():
            state.runtime = await stack.enter_async_context(SimRuntime(engine, state))
        async with anyio.create_task_group() as task_group:
            for state in engine.nodes.values():
                engine.start_boot(state)
            task_group.start_soon(_scenario, sim, engine, scenario)
            await engine.done.wait()
            for state in engine.nodes.values():
                if state.booting is not None:
                    state.booting.cancel()
            if not engine.quiet_end and engine.failure is None and engine.on_state is not None:
                try:
                    engine.on_state(sim)
                except BaseException as exc:  # noqa: BLE001 - run() raises it
                    engine.failure = exc
            task_group.cancel_scope.cancel()


async def _scenario(sim: Sim, engine: Engine, scenario: Callable[[Sim], Awaitable[object]]) -> None:
    try:
        await scenario(sim)
    except Exception as exc:  # noqa: BLE001 - the result carries it (check_ok raises it)
        if engine.error is None:
            engine.error = exc
        engine.end(complete=False)
    else:
        engine.scenario_finished = True
