"""The simulator: the messages in flight, the choices, the faults and the trace of one run.

The engine sits between the processes of a run. Whatever one process sends another (a post,
a reply, an exit signal) becomes a *flight* in the channel of its (sender, receiver) pair.
At each quiescent point of the loop (nothing ready to run), the engine picks the next event
through the chooser: deliver one flight, or let the clock reach the next timer. Between
nodes a flight may be lost, duplicated or delayed (:class:`~spawned.sim.Network`); within a
node, and between the scenario and a node, it is delivered reliably, FIFO per pair.
"""

from __future__ import annotations

import math
import re
from collections import deque
from collections.abc import Callable, Generator, Hashable
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, cast

from .._envelope import CALL, CAST, CONTINUE, DOWN, INFO, STOP, SYSTEM
from .._errors import ServerExited
from .._messages import Down, Exit
from .._nodes import NOCONNECTION
from .._process import current_process
from .._reasons import KILLED, safe_repr
from .._signals import Signals
from ..tasks._process import Process
from ._errors import SimulationError
from ._network import Faults, Network
from ._result import TraceEvent
from ._statekey import state_key

if TYPE_CHECKING:
    import anyio

    from .._envelope import Envelope
    from .._handle import HandleBase
    from .._timers import Timer
    from ._choices import Chooser
    from ._loop import SimLoop
    from ._runtime import SimProcess, SimRuntime, SimSlot

POST = 0
REPLY = 1
SIGNAL = 2

_ADDRESS = re.compile(r" at 0x[0-9a-fA-F]+")
"""The address in Python's default repr (``<Blob object at 0x7f...>``): left out of the trace,
which must be the same in every interpreter.
"""

RESOLUTION = 1_000_000
"""How finely a probability is drawn: ``choose(RESOLUTION, what)``."""

TEARDOWN_LIMIT = 1_000_000
"""Events the shutdown at the end of a run may take before it counts as stuck."""

_KINDS = {
    CALL: "call",
    CAST: "cast",
    INFO: "info",
    DOWN: "info",
    CONTINUE: "continue",
    STOP: "stop",
    SYSTEM: "system",
}
_CALLBACKS = {
    CALL: "handle_call",
    CAST: "handle_cast",
    INFO: "handle_info",
    DOWN: "handle_info",
    CONTINUE: "handle_continue",
    STOP: "stop",
    SYSTEM: "system",
}


class NodeState:
    """One simulated node: its runtime, whether it is up, its partition group and boot."""

    __slots__ = ("alive", "boot", "booting", "group", "name", "runtime")

    def __init__(self, name: str, boot: Callable[[Any], Any] | None) -> None:
        self.name: str = name
        self.alive: bool = True
        self.group: int = 0
        self.boot: Callable[[Any], Any] | None = boot
        self.booting: anyio.CancelScope | None = None
        self.runtime: SimRuntime | None = None


class Flight:
    """One message on its way: a post, a reply or an exit signal."""

    __slots__ = (
        "at",
        "channel",
        "dst",
        "first",
        "inter",
        "kind",
        "reliable",
        "second",
        "seq",
        "src",
        "third",
    )

    def __init__(  # noqa: PLR0913, PLR0917 - a record
        self,
        seq: int,
        at: float,
        src: SimProcess | None,
        dst: SimProcess | None,
        kind: int,
        first: Any,
        second: Any,
        third: Any,
        *,
        inter: bool,
        reliable: bool,
    ) -> None:
        self.seq = seq
        self.at = at
        self.src = src
        self.dst = dst
        self.kind = kind
        self.first = first
        self.second = second
        self.third = third
        self.inter = inter
        self.reliable = reliable
        self.channel: Channel | None = None

    def copy(self, seq: int, at: float) -> Flight:
        """The same message again (a duplicate)."""
        return Flight(
            seq,
            at,
            self.src,
            self.dst,
            self.kind,
            self.first,
            self.second,
            self.third,
            inter=self.inter,
            reliable=self.reliable,
        )


class Channel:
    """The flights from one sender to one receiver, oldest first."""

    __slots__ = ("inter", "key", "queue")

    def __init__(self, key: tuple[object, object], *, inter: bool) -> None:
        self.key = key
        self.inter = inter
        self.queue: deque[Flight] = deque()


def _node(process: SimProcess | None) -> NodeState | None:
    return None if process is None else process.node


class Engine:
    """The state and the decisions of one simulated run."""

    def __init__(  # noqa: PLR0913 - a run's settings
        self,
        loop: SimLoop,
        chooser: Chooser,
        *,
        nodes: dict[str, NodeState],
        network: Network,
        faults: Faults,
        exhaustive: bool,
        on_state: Callable[[Any], None] | None,
        max_steps: int,
        max_time: float,
    ) -> None:
        self.loop = loop
        self.chooser = chooser
        self.nodes = nodes
        self.network = network
        self.faults = faults
        self.exhaustive = exhaustive
        self.on_state = on_state
        self.max_steps = max_steps
        self.max_time = max_time
        self.sim: Any = None
        """The ``Sim`` handed to ``on_state``."""
        self.channels: dict[tuple[object, object], Channel] = {}
        self.open_slots: dict[SimSlot, None] = {}
        self.trace: list[TraceEvent] = []
        self.choices: list[int] = []
        self.decisions: list[tuple[int, str]] = []
        self.steps: int = 0
        self.faults_done: int = 0
        self.partitioned: bool = False
        self._seq = 0
        self._order = 0
        self._refs = 0
        self.direct: SimProcess | None = None
        """The process a signal is being delivered to: its own posts go straight in."""
        self.acting: SimProcess | None = None
        """The process on whose behalf the current code sends (an exiting process)."""
        self._reliable = 0
        self.ending: bool = False
        """Set when the run has ended: from then on the runtime shuts down, no choice is asked."""
        self.complete: bool = False
        self.quiet_end: bool = False
        self.end_time: float = 0.0
        self.failure: BaseException | None = None
        """An exception of the chooser or ``on_state``: ends the run, and ``run`` raises it."""
        self.error: BaseException | None = None
        """The scenario's exception."""
        self.scenario_finished = False
        self.done: anyio.Event | None = None
        self._teardown_steps = 0
        self._stuck = 0

    # -- numbering -------------------------------------------------------------------------

    def next_order(self) -> int:
        """A fresh creation number (deterministic hashes for processes)."""
        self._order += 1
        return self._order

    def next_ref(self) -> int:
        """A fresh monitor reference number, counted within the run."""
        self._refs += 1
        return self._refs

    # -- choices ---------------------------------------------------------------------------

    def choose(self, n: int, what: str) -> int:
        """Ask the chooser to pick one of ``n`` options (0 without asking when ``n < 2`` or the
        run has ended). A failing chooser ends the run.
        """
        if n < 2 or self.ending:
            return 0
        try:
            choice = self.chooser.choose(n, what)
            if not _is_int(choice) or not 0 <= choice < n:
                msg = (
                    f"{self.chooser!r}.choose({n}, {what!r}) returned {choice!r}; expected an int in range(n)"
                )
                raise ValueError(msg)  # noqa: TRY301 - reported like any failure of the chooser
        except BaseException as exc:  # noqa: BLE001 - ends the run; run() raises it
            self.abort(exc)
            return 0
        self.choices.append(choice)
        self.decisions.append((n, what))
        return choice

    def happens(self, probability: float, what: str) -> bool:
        """Draw an event of ``probability`` (0 means it does not happen)."""
        if probability <= 0.0 or self.ending:
            return False
        if probability >= 1.0:
            return True
        return self.choose(RESOLUTION, what) >= RESOLUTION - round(probability * RESOLUTION)

    def abort(self, exc: BaseException) -> None:
        """End the run at once because the chooser or ``on_state`` raised ``exc``."""
        if self.failure is None:
            self.failure = exc
        self.end(complete=False)

    def end(self, *, complete: bool, quiet: bool = False) -> None:
        """End the run: from now on the runtime shuts down without choices."""
        if self.ending:
            return
        self.ending = True
        self.complete = complete
        self.quiet_end = quiet
        self.end_time = self.loop.time()
        self.trace_event("end", "complete" if complete else "stopped (a bound, an error or a failure)")
        if self.done is not None:
            self.done.set()

    # -- sending ---------------------------------------------------------------------------

    def label(self, process: SimProcess | None) -> str:
        """How the trace names ``process`` (``None``: the scenario)."""
        return "scenario" if process is None else f"{process.node.name}/{process.label}"

    def show(self, value: object, *, exact: bool = False) -> str:
        """``value`` for the trace: deterministic (no addresses, no monitor reference numbers).

        ``exact`` keeps the addresses of default reprs: a model checker's state key must tell
        apart two messages whose reprs hide their content, even if the trace cannot.
        """
        if isinstance(value, Down):
            return f"Down({self.show_handle(value.handle)}, {self.show(value.reason, exact=exact)})"
        if isinstance(value, Exit):
            return f"Exit({self.show_handle(value.handle)}, {self.show(value.reason, exact=exact)})"
        text = safe_repr(value)
        return text if exact else _ADDRESS.sub("", text)

    def show_handle(self, handle: HandleBase[Any, Any, Any] | None) -> str:
        """A handle for the trace."""
        return "None" if handle is None else self.label(cast("SimProcess", handle._process))

    def sender(self) -> SimProcess | None:
        """The process sending now: an exiting process, else the one whose code runs."""
        if self.acting is not None:
            return self.acting
        return cast("SimProcess | None", current_process.get())

    @contextmanager
    def reliably(self) -> Generator[None]:
        """Messages sent inside are never lost or cut off (a node's own notices of a lost
        connection: ``noconnection`` exits, ``Down`` and failed calls).
        """
        self._reliable += 1
        try:
            yield
        finally:
            self._reliable -= 1

    def send_post(self, dst: SimProcess, env: Envelope) -> None:
        """Send the envelope ``env`` to ``dst`` (a ``Down`` comes from the process that exited)."""
        src = env[1].handle._process if env[0] == DOWN else self.sender()
        self._send(cast("SimProcess", src), dst, POST, env, None, None)

    def send_timer(self, timer: Timer, env: Envelope) -> None:
        """A timer fired: its owner sends its message to its target."""
        self._send(cast("SimProcess", timer.owner), cast("SimProcess", timer.target), POST, env, None, None)

    def send_reply(self, slot: SimSlot, value: Any, error: BaseException | None) -> None:
        """Send a call's answer from the callee back to the caller."""
        self._send(slot.callee, slot.caller, REPLY, slot, value, error)

    def send_signal(
        self, sender: SimProcess | None, dst: SimProcess, reason: object, *, trap_only: bool
    ) -> None:
        """Send an exit signal: a linked process's exit (``trap_only=False``) or
        ``handle.exit(reason)`` (``trap_only=True``).
        """
        src = sender if sender is not None else self.sender()
        self._send(src, dst, SIGNAL, sender, reason, trap_only)

    def calls_open(self, slot: SimSlot) -> None:
        """Track a call until it is answered (a crash or a partition fails it)."""
        self.open_slots[slot] = None

    def separated(self, one: NodeState | None, other: NodeState | None) -> bool:
        """Whether a partition cuts ``one`` off from ``other`` (the scenario is never cut off)."""
        return one is not None and other is not None and one is not other and one.group != other.group

    def unreachable(self, process: SimProcess, target: SimProcess) -> bool:
        """Whether ``target`` is on another node that is down or cut off from ``process``'s."""
        there = target.node
        return there is not process.node and (not there.alive or self.separated(process.node, there))

    def _send(  # noqa: C901, PLR0913, PLR0917 - a flight's fields; the network's rules in order
        self, src: SimProcess | None, dst: SimProcess | None, kind: int, first: Any, second: Any, third: Any
    ) -> None:
        src_node = _node(src)
        dst_node = _node(dst)
        reliable = self._reliable > 0 or self.ending  # the shutdown at the end reaches every node
        if dst_node is not None and not dst_node.alive and not self.ending:
            return  # to a crashed node: nobody receives it
        if src_node is not None and not src_node.alive and not reliable:
            return
        inter = src_node is not None and dst_node is not None and src_node is not dst_node
        copies = 1
        delays: list[float] = [0.0]
        if inter and not reliable:
            if self.separated(src_node, dst_node):
                self.trace_event("cut", self._describe(src, dst, kind, first, second, third))
                return
            if not self.exhaustive:
                network = self.network
                if self.happens(network.loss, "loss"):
                    self.trace_event("lost", self._describe(src, dst, kind, first, second, third))
                    return
                if self.happens(network.duplicate, "duplicate"):
                    copies = 2
                delays = [self._delay() for _ in range(copies)]
        now = self.loop.time()
        key = (src, dst)
        channel = self.channels.get(key)
        if channel is None:
            channel = self.channels[key] = Channel(key, inter=inter)
        for delay in delays:
            self._seq += 1
            flight = Flight(
                self._seq, now + delay, src, dst, kind, first, second, third, inter=inter, reliable=reliable
            )
            flight.channel = channel
            channel.queue.append(flight)
        if copies == 2:
            self.trace_event("dup", self._describe(src, dst, kind, first, second, third))

    def _delay(self) -> float:
        low, high = self.network.delay
        steps = self.network.delay_steps
        if high <= low or steps < 2:
            return low
        return low + (high - low) * self.choose(steps, "delay") / (steps - 1)

    # -- delivering ------------------------------------------------------------------------

    def _candidates(self) -> list[Flight]:
        """Every flight that may be delivered next, oldest first: each channel's head, and
        every flight between nodes when the network reorders.
        """
        reorder = self.network.reorder
        found: list[Flight] = []
        for channel in self.channels.values():
            if reorder and channel.inter:
                found.extend(channel.queue)
            else:
                found.append(channel.queue[0])
        if len(found) > 1:
            found.sort(key=_by_seq)
        return found

    def _take(self, flight: Flight) -> None:
        channel = flight.channel
        assert channel is not None  # noqa: S101 - every queued flight has its channel
        queue = channel.queue
        if queue[0] is flight:
            queue.popleft()
        else:
            queue.remove(flight)
        if not queue:
            del self.channels[channel.key]

    def _deliver(self, flight: Flight, event: str = "deliver") -> None:
        """Deliver ``flight``, traced as ``event`` (``"dup"``: a copy of it stays in flight)."""
        kind = flight.kind
        dst = flight.dst
        if kind == POST:
            env: Envelope = flight.first
            self.trace_event(event, self._describe_flight(flight))
            assert dst is not None  # noqa: S101 - posts always have a process to go to
            Process.post(dst, env)
        elif kind == REPLY:
            slot: SimSlot = flight.first
            self.open_slots.pop(slot, None)
            self.trace_event(event, self._describe_flight(flight))
            slot.land(flight.second, flight.third)
        else:
            assert dst is not None  # noqa: S101 - signals always have a process to go to
            self.trace_event(event, self._describe_flight(flight))
            self.direct = dst
            try:
                if flight.third:
                    Signals.take_exit(dst, flight.first, flight.second)
                else:
                    Signals.exit_signal(dst, flight.first, flight.second)
            finally:
                self.direct = None

    def _describe_flight(self, flight: Flight, *, exact: bool = False) -> str:
        return self._describe(
            flight.src, flight.dst, flight.kind, flight.first, flight.second, flight.third, exact=exact
        )

    def _describe(  # noqa: PLR0913, PLR0917 - a flight's fields
        self,
        src: SimProcess | None,
        dst: SimProcess | None,
        kind: int,
        first: Any,
        second: Any,
        third: Any,
        *,
        exact: bool = False,
    ) -> str:
        route = f"{self.label(src)} -> {self.label(dst)}"
        if kind == POST:
            return f"{route} {_KINDS.get(first[0], '?')} {self.show(first[1], exact=exact)}"
        if kind == REPLY:
            if third is not None:
                return f"{route} reply error {self.show(third, exact=exact)}"
            return f"{route} reply {self.show(second, exact=exact)}"
        return f"{route} exit {self.show(second, exact=exact)}"

    # -- the quiescent point: the next step ------------------------------------------------

    def quiescent(self) -> None:
        """The loop has nothing ready: take the next step (or shut down, once ended)."""
        if self.ending:
            self._teardown_step()
            return
        if self.on_state is not None:
            try:
                self.on_state(self.sim)
            except BaseException as exc:  # noqa: BLE001 - ends the run; run() raises it
                self.abort(exc)
                return
        if self.exhaustive:
            self._step_exhaustive()
        else:
            self._step_timed()

    def _step_timed(self) -> None:
        flights = self._candidates()
        timer = self.loop.next_timer()
        if not flights and timer is None:
            self.end(complete=True, quiet=True)
            return
        if self.steps >= self.max_steps:
            self.end(complete=False, quiet=True)
            return
        if self.faults.any and self._random_fault():
            self.steps += 1
            return
        if self.ending:
            return
        when = flights[0].at if flights else math.inf
        for flight in flights:
            when = min(when, flight.at)
        if timer is not None and timer < when:
            when = timer
        if when > self.max_time:
            self.end(complete=False, quiet=True)
            return
        tied = [flight for flight in flights if flight.at <= when]
        options = len(tied) + (1 if timer is not None and timer <= when else 0)
        choice = self.choose(options, "next")
        if self.ending:
            return
        self.steps += 1
        self.loop.advance(when)
        if choice < len(tied):
            flight = tied[choice]
            self._take(flight)
            self._deliver(flight)
        else:
            self.trace_event("timer", f"the clock reaches {when:.6f}")

    def _step_exhaustive(self) -> None:  # noqa: C901, PLR0912 - one branch per kind of option
        flights = self._candidates()
        network = self.network
        options: list[tuple[str, Any]] = []
        for flight in flights:
            options.append(("deliver", flight))
            if flight.inter and not flight.reliable:
                if network.loss > 0:
                    options.append(("drop", flight))
                if network.duplicate > 0:
                    options.append(("duplicate", flight))
        timer = self.loop.next_timer()
        if timer is not None and timer <= self.max_time:
            options.append(("timer", timer))
        if not options:
            self.end(complete=timer is None, quiet=True)
            return
        if self.steps >= self.max_steps:
            self.end(complete=False, quiet=True)
            return
        if self.faults.any:
            options.extend(self._fault_options())
        choice = self.choose(len(options), "next")
        if self.ending:
            return
        self.steps += 1
        what, target = options[choice]
        if what == "timer":
            self.loop.advance(target)
            self.trace_event("timer", f"the clock reaches {target:.6f}")
        elif what == "deliver":
            self._take(target)
            self._deliver(target)
        elif what == "drop":
            self._take(target)
            self.trace_event("lost", self._describe_flight(target))
        elif what == "duplicate":
            self._deliver(target, "dup")  # delivered, and a copy stays in flight: it may arrive again
        else:
            self.faults_done += 1
            target()

    def _teardown_step(self) -> None:
        self._teardown_steps += 1
        flights = self._candidates()
        timer = self.loop.next_timer()
        if self._teardown_steps > TEARDOWN_LIMIT or (not flights and timer is None):
            self._unstick()
            return
        first = min(flights, key=_by_time) if flights else None
        if first is None or (timer is not None and timer < first.at):
            assert timer is not None  # noqa: S101 - one of the two is there
            self.loop.advance(timer)
            return
        self.loop.advance(first.at)
        self._take(first)
        self._deliver(first)

    def _unstick(self) -> None:
        """Nothing left to deliver, yet the shutdown waits: kill what still runs, then give up."""
        self._stuck += 1
        if self._stuck == 1:
            self.trace_event("stuck", "the shutdown waits for nothing that can come: every process is killed")
            for node in self.nodes.values():
                runtime = node.runtime
                if runtime is None:
                    continue
                for process in runtime.shutdown_order():
                    if process is not runtime.root:
                        process.exit_now(KILLED)
            return
        msg = "the simulated runtime could not shut down: its tasks wait for something that never comes"
        raise _Stuck(msg)

    # -- faults ----------------------------------------------------------------------------

    def _killable(self) -> list[SimProcess]:
        protected = self.faults.protect
        found: list[SimProcess] = []
        for node in self.nodes.values():
            runtime = node.runtime
            if node.alive and runtime is not None and node.name not in protected:
                found.extend(cast("SimProcess", p) for p in runtime.live if p is not runtime.root and p.alive)
        return found

    def _fault_targets(self) -> list[tuple[str, Any]]:
        faults = self.faults
        protected = faults.protect
        targets: list[tuple[str, Any]] = []
        if faults.max_faults is not None and self.faults_done >= faults.max_faults:
            return targets
        if faults.kill > 0:
            targets.extend(("kill", process) for process in self._killable())
        up = [node for node in self.nodes.values() if node.alive and node.name not in protected]
        if faults.crash > 0:
            targets.extend(("crash", node) for node in up)
        if faults.restart > 0:
            targets.extend(("restart", node) for node in self.nodes.values() if not node.alive)
        if faults.partition > 0 and not self.partitioned and len(self.nodes) > 1:
            targets.extend(("partition", node) for node in up)
        if faults.heal > 0 and self.partitioned:
            targets.append(("heal", None))
        return targets

    def _fault_action(self, kind: str, target: Any) -> Callable[[], None]:
        if kind == "kill":
            return lambda: self.kill(target, KILLED, fault=True)
        if kind == "crash":
            return lambda: self.crash(target, fault=True)
        if kind == "restart":
            return lambda: self.restart(target, fault=True)
        if kind == "partition":
            others = [node.name for node in self.nodes.values() if node is not target]
            return lambda: self.partition(((target.name,), tuple(others)), fault=True)
        return lambda: self.heal(fault=True)

    def _fault_options(self) -> list[tuple[str, Any]]:
        return [("fault", self._fault_action(kind, target)) for kind, target in self._fault_targets()]

    def _random_fault(self) -> bool:
        """Draw this step's random faults; whether one happened."""
        faults = self.faults
        targets = self._fault_targets()
        if not targets:
            return False
        for kind in ("kill", "crash", "restart", "partition", "heal"):
            of_kind = [target for found, target in targets if found == kind]
            if of_kind and self.happens(getattr(faults, kind), f"fault {kind}"):
                target = of_kind[self.choose(len(of_kind), f"{kind} which")]
                if self.ending:
                    return False
                self.faults_done += 1
                self._fault_action(kind, target)()
                return True
        return False

    def kill(self, process: SimProcess, reason: object, *, fault: bool = False) -> None:
        """End ``process`` at once with ``reason`` (no ``terminate``, cannot be trapped)."""
        self.trace_event("fault" if fault else "kill", f"kill {self.label(process)} {self.show(reason)}")
        process.exit_now(reason)

    def crash(self, node: NodeState, *, fault: bool = False) -> None:
        """Crash ``node``: its processes die; other nodes see ``"noconnection"``."""
        if not node.alive:
            return
        self.trace_event("fault" if fault else "crash", f"crash node {node.name}")
        node.alive = False
        if node.booting is not None:
            node.booting.cancel()
        self._purge(lambda flight: _node(flight.src) is node or _node(flight.dst) is node)
        runtime = node.runtime
        with self.reliably():
            if runtime is not None:
                for process in runtime.shutdown_order():
                    if process is not runtime.root and process.alive:
                        process.exit_now(NOCONNECTION)
            for slot in list(self.open_slots):
                if slot.callee.node is node:
                    self._fail_call(slot)

    def restart(self, node: NodeState, *, fault: bool = False) -> None:
        """Bring a crashed ``node`` back up and run its ``boot`` again."""
        if node.alive:
            return
        self.trace_event("fault" if fault else "restart", f"restart node {node.name}")
        node.alive = True
        self.start_boot(node)

    def start_boot(self, node: NodeState) -> None:
        """Run ``node``'s boot function as a task (if it has one)."""
        if node.boot is not None and node.runtime is not None and self.sim is not None:
            self.sim._start_boot(node)

    def partition(self, groups: tuple[tuple[str, ...], ...], *, fault: bool = False) -> None:
        """Cut the nodes into ``groups`` (unnamed nodes form one more group together)."""
        named: dict[str, int] = {}
        for index, group in enumerate(groups):
            for name in group:
                if name not in self.nodes:
                    raise self.unknown_node(name)
                named[name] = index
        for name, node in self.nodes.items():
            node.group = named.get(name, len(groups))
        self.partitioned = True
        text = " | ".join(",".join(group) for group in groups)
        self.trace_event("fault" if fault else "partition", f"partition {text}")
        self._purge(
            lambda flight: not flight.reliable and self.separated(_node(flight.src), _node(flight.dst))
        )
        with self.reliably():
            self._cut_links_and_monitors()
            for slot in list(self.open_slots):
                if self.separated(slot.callee.node, _node(slot.caller)):
                    self._fail_call(slot)

    def heal(self, *, fault: bool = False) -> None:
        """End every partition."""
        if not self.partitioned:
            return
        for node in self.nodes.values():
            node.group = 0
        self.partitioned = False
        self.trace_event("fault" if fault else "heal", "heal")

    def _cut_links_and_monitors(self) -> None:
        for node in self.nodes.values():
            runtime = node.runtime
            if runtime is None or not node.alive:
                continue
            for process in list(runtime.live):
                sim_process = cast("SimProcess", process)
                for other in list(process.links or ()):
                    other_process = cast("SimProcess", other)
                    if self.separated(node, other_process.node):
                        process.drop_link(other)
                        other.drop_link(process)
                        self.send_signal(other_process, sim_process, NOCONNECTION, trap_only=False)
                        self.send_signal(sim_process, other_process, NOCONNECTION, trap_only=False)
                for ref, target in list((process.watching or {}).items()):
                    target_process = cast("SimProcess", target)
                    if self.separated(node, target_process.node):
                        if target.monitors is not None:
                            target.monitors.pop(ref, None)
                        self._send(
                            target_process,
                            sim_process,
                            POST,
                            (DOWN, Down(ref, target.handle, NOCONNECTION), None),
                            None,
                            None,
                        )

    def _fail_call(self, slot: SimSlot) -> None:
        """The callee's node crashed or was cut off from the caller: the call fails with
        ``noconnection``, unless its answer is still on its way (a reply already lost, to the
        crash, the cut or the network, counts as none: the caller learns of the lost
        connection, as an Erlang caller's monitor would).
        """
        self.open_slots.pop(slot, None)
        if slot.done:
            return
        error = ServerExited(slot.callee.label, NOCONNECTION)
        if not slot.sent:
            slot.fail(error)
        elif not self._reply_in_flight(slot):
            self._send(slot.callee, slot.caller, REPLY, slot, None, error)

    def _reply_in_flight(self, slot: SimSlot) -> bool:
        channel = self.channels.get((slot.callee, slot.caller))
        return channel is not None and any(
            flight.kind == REPLY and flight.first is slot for flight in channel.queue
        )

    def _purge(self, doomed: Callable[[Flight], bool]) -> None:
        for key, channel in list(self.channels.items()):
            kept = deque(flight for flight in channel.queue if not doomed(flight))
            if len(kept) != len(channel.queue):
                for flight in channel.queue:
                    if doomed(flight):
                        self.trace_event(
                            "lost",
                            self._describe_flight(flight),
                        )
                if kept:
                    channel.queue = kept
                else:
                    del self.channels[key]

    def state_key(self) -> Hashable:
        """The simulator's part of a state, for the explorer: messages in flight per channel,
        armed timers, the clock, which nodes are up and in which partition group, and how
        many random faults happened.
        """
        channels = sorted(
            (
                tuple(self._flight_key(flight) for flight in channel.queue)
                for channel in self.channels.values()
            ),
            key=repr,
        )
        nodes = tuple((name, node.alive, node.group) for name, node in self.nodes.items())
        return (tuple(channels), self.loop.armed_timers(), self.loop.time(), nodes, self.faults_done)

    def _flight_key(self, flight: Flight) -> Hashable:
        """A message in flight as part of a state key: its route and its content."""

        def label(handle: HandleBase[Any, Any, Any]) -> str:
            return self.label(cast("SimProcess", handle._process))

        route = (self.label(flight.src), self.label(flight.dst), flight.kind)
        if flight.kind == POST:
            return (route, _KINDS.get(flight.first[0], "?"), state_key(flight.first[1], label))
        if flight.kind == REPLY:
            return (route, state_key(flight.second, label), state_key(flight.third, label))
        return (route, state_key(flight.second, label))

    def unknown_node(self, name: object) -> ValueError:
        """The error for a node name that was not declared."""
        known = ", ".join(repr(node) for node in self.nodes)
        return ValueError(
            f"unknown node {name!r}: this run declared nodes=({known}); pass it to run(nodes=...)"
        )

    # -- the trace -------------------------------------------------------------------------

    def trace_event(self, kind: str, text: str) -> None:
        """Add an event to the trace, at the current virtual time."""
        self.trace.append(TraceEvent(self.loop.time(), kind, text))

    def trace_callback(self, process: SimProcess, env: Envelope) -> None:
        """Note that ``process`` runs the callback ``env`` asks for."""
        kind = env[0]
        self.trace.append(
            TraceEvent(
                self.loop.time(),
                _CALLBACKS.get(kind, "?"),
                f"{self.label(process)} {self.show(env[1])}",
            )
        )

    def trace_exit(self, process: SimProcess, reason: object) -> None:
        """Note that ``process`` exited with ``reason``."""
        self.trace.append(TraceEvent(self.loop.time(), "exit", f"{self.label(process)} {self.show(reason)}"))


class _Stuck(SimulationError):
    """The shutdown at the end of a run waits for something that can never come."""


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _by_seq(flight: Flight) -> int:
    return flight.seq


def _by_time(flight: Flight) -> tuple[float, int]:
    return (flight.at, flight.seq)
