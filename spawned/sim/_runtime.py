"""The simulated node's runtime and process: the tasks backend's, routed through the simulator.

A node is one :class:`SimRuntime` (a ``spawned.tasks.Runtime`` on the simulator's loop). Its
processes are :class:`SimProcess` (a tasks ``Process``) whose ``ProcessBackend`` methods send
everything that crosses between two processes through the simulator (``Engine``) instead of
straight into a mailbox: posts (casts, sends, calls, ``Down``), replies (each call's
:class:`SimSlot`) and exit signals (links, ``handle.exit``). The simulator delivers them one
at a time, at its quiescent points, in the order its chooser picks, over the network it
simulates between nodes. The core's rules (results, links, monitors, supervisors, names)
run unchanged.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any, NoReturn, Self, cast

from .._envelope import INFO
from .._errors import ServerExited
from .._nodes import NOCONNECTION
from .._process import PLAIN, ProcessCore, ProcessOptions, current_process
from .._signals import Signals
from .._timers import Timer, Wakeup
from ..tasks._deadlines import Deadlines, bucket_boundary
from ..tasks._handle import DynamicSupervisorHandle, Handle, SupervisorHandle
from ..tasks._process import Process, ReplySlot
from ..tasks._runtime import Runtime
from ..tasks._timers import TimerService
from ._errors import SimulationError

if TYPE_CHECKING:
    from .._envelope import Envelope
    from .._handle import HandleBase
    from .._messages import Caller
    from .._server import GenServer
    from ..tasks._blocking import BlockingHandle
    from ._engine import Engine, NodeState


def _refuse_blocking(handle: HandleBase[Any, Any, Any]) -> NoReturn:
    msg = (
        f"{handle!r}.blocking inside spawned.sim.run: a blocking call needs a real thread, which a "
        "simulation cannot order; await handle.call(...) from the scenario or an async def callback"
    )
    raise SimulationError(msg)


class SimHandle(Handle[Any, Any, Any]):
    """The handle of a simulated process: a ``spawned.tasks.Handle`` (so ``Handle.of`` and
    ``isinstance`` checks hold), whose hash is the same in every run.
    """

    __slots__ = ()

    def __hash__(self) -> int:
        return cast("SimProcess", self._process).order

    @property
    def blocking(self) -> BlockingHandle[Any, Any, Any]:
        """Refused: blocking needs a real thread (``SimulationError``)."""
        _refuse_blocking(self)


class SimSupervisorHandle(SupervisorHandle):
    """A supervisor's handle in a simulated run."""

    __slots__ = ()

    def __hash__(self) -> int:
        return cast("SimProcess", self._process).order

    @property
    def blocking(self) -> BlockingHandle[Any, Any, Any]:
        """Refused: blocking needs a real thread (``SimulationError``)."""
        _refuse_blocking(self)


class SimDynamicSupervisorHandle(DynamicSupervisorHandle):
    """A dynamic supervisor's handle in a simulated run."""

    __slots__ = ()

    def __hash__(self) -> int:
        return cast("SimProcess", self._process).order

    @property
    def blocking(self) -> BlockingHandle[Any, Any, Any]:
        """Refused: blocking needs a real thread (``SimulationError``)."""
        _refuse_blocking(self)


class _OrderedCallers:
    """The open calls of a process, as a set that iterates in insertion order (a ``Caller``
    hashes by address, so a plain ``set`` of them would fail calls in a different order in
    each run).
    """

    __slots__ = ("_items",)

    def __init__(self) -> None:
        self._items: dict[Caller[Any], None] = {}

    def add(self, caller: Caller[Any]) -> None:
        self._items[caller] = None

    def discard(self, caller: Caller[Any]) -> None:
        self._items.pop(caller, None)

    def __iter__(self) -> Iterator[Caller[Any]]:
        return iter(list(self._items))

    def __len__(self) -> int:
        return len(self._items)


class SimSlot(ReplySlot):
    """A call's reply slot whose answer crosses the simulated network from the callee's node
    to the caller's before it lands. The first answer sent wins.
    """

    __slots__ = ("callee", "caller", "sent")

    def __init__(self, runtime: Runtime, callee: SimProcess, caller: SimProcess | None) -> None:
        super().__init__(runtime)
        self.callee: SimProcess = callee
        """The process that answers."""
        self.caller: SimProcess | None = caller
        """The process that waits (``None``: the scenario)."""
        self.sent: bool = False
        """Whether an answer is on its way (later answers are dropped)."""

    def _complete(self, value: Any, error: BaseException | None) -> bool:
        if self.done or self.sent:
            return False
        self.sent = True
        self.callee.engine.send_reply(self, value, error)
        return True

    def land(self, value: Any, error: BaseException | None) -> None:
        """The answer arrived: wake the caller (dropped if it stopped waiting)."""
        ReplySlot._complete(self, value, error)


class SimProcess(Process):
    """A tasks process whose messages, replies and exit signals go through the simulator."""

    __slots__ = ("engine", "node", "order")

    runs_callbacks_inline = False  # every message goes through dispatch, which traces it

    def __init__(
        self, runtime: SimRuntime, server: Any, name: object, options: ProcessOptions = PLAIN
    ) -> None:
        self.engine: Engine = runtime.engine
        self.node: NodeState = runtime.sim_node
        self.order: int = self.engine.next_order()
        super().__init__(runtime, server, name, options)
        self.open_calls: set[Caller[Any]] | None = cast("set[Caller[Any]]", _OrderedCallers())

    def __hash__(self) -> int:
        return self.order

    def __repr__(self) -> str:
        return f"<SimProcess {self.node.name}/{self.label}>"

    # -- what crosses between processes goes through the simulator --------------------------

    def post(self, env: Envelope) -> None:
        """Send ``env`` to this process through the simulator (or straight into the mailbox,
        when the simulator is delivering a signal here).
        """
        engine = self.engine
        if engine.direct is self:
            Process.post(self, env)
        else:
            engine.send_post(self, env)

    def exit_signal(self, sender: Signals, reason: object) -> None:
        """A linked process's exit signal: it travels from ``sender`` to here first."""
        self.engine.send_signal(cast("SimProcess", sender), self, reason, trap_only=False)

    def take_exit(self, sender: Signals | None, reason: object) -> None:
        """``handle.exit(reason)``: the signal travels from ``sender`` to here first."""
        self.engine.send_signal(cast("SimProcess | None", sender), self, reason, trap_only=True)

    def begin_call(self, msg: object, timeout: float) -> Caller[Any]:
        """Post a call; a process cut off from the caller (its node crashed or partitioned
        away) makes it fail at once with ``ServerExited("noconnection")``, as in Erlang.
        """
        self._refuse_cut_off()
        return super().begin_call(msg, timeout)

    def begin_system(self, request: Callable[[Any], Any], timeout: float) -> ReplySlot:
        """Post a debugging request; refused like a call when cut off."""
        self._refuse_cut_off()
        return cast("ReplySlot", super().begin_system(request, timeout))

    def _refuse_cut_off(self) -> None:
        crashed = not self.alive and self.reason == NOCONNECTION and not self.node.alive
        caller = cast("SimProcess | None", current_process.get())
        if crashed or (caller is not None and self.engine.separated(caller.node, self.node)):
            raise ServerExited(self.label, NOCONNECTION)

    def make_slot(self) -> ReplySlot:
        """A slot whose answer travels from this process back to the calling one."""
        caller = current_process.get()
        slot = SimSlot(self.runtime, self, cast("SimProcess | None", caller))
        self.engine.calls_open(slot)
        return slot

    async def join(self, timeout: float = math.inf) -> bool:
        """Wait for the exit (a local observation, not a message); ``False`` on timeout."""
        if not self.alive:
            return True
        slot = ReplySlot(self.runtime)
        joiners = self._joiners
        if joiners is None:
            joiners = self._joiners = []
        joiners.append(slot)
        try:
            await slot.wait(timeout)
        finally:
            if slot in joiners:
                joiners.remove(slot)
        return not self.alive

    def finish(self, reason: object, stopper: Caller[Any] | None = None, reply: Any = None) -> bool:
        """Mark the process dead; what it tells others (``Down``, exit signals, failed calls)
        is sent from this process.
        """
        engine = self.engine
        previous, engine.acting = engine.acting, self
        try:
            done = super().finish(reason, stopper, reply)
        finally:
            engine.acting = previous
        if done:
            engine.trace_exit(self, reason)
        return done

    # -- tracing ---------------------------------------------------------------------------

    def dispatch(self, env: Envelope) -> Any:
        """Run the callback ``env`` asks for, noting it in the trace."""
        self.engine.trace_callback(self, env)
        return super().dispatch(env)

    def run_init(self) -> Any:
        """Call ``init``, noting it in the trace."""
        self.engine.trace_event("init", self.engine.label(self))
        return super().run_init()

    def run_terminate(self, reason: object) -> Any:
        """Call ``terminate``, noting it in the trace."""
        self.engine.trace_event("terminate", f"{self.engine.label(self)} {self.engine.show(reason)}")
        return super().run_terminate(reason)


class SimTimerService(TimerService):
    """The tasks timer service, on the virtual clock; a timer's message is sent by its owner.

    The loop's alarm always sits at the earliest *armed* deadline: a cancelled timer (or one
    whose owner exited) leaves no alarm behind, so a run whose timers are all gone has
    nothing left to do.
    """

    def cancel(self, timer: Timer | Wakeup) -> float | None:
        """Disarm ``timer``; the seconds it had left, or ``None``."""
        left = super().cancel(timer)
        self._resync()
        return left

    def _owner_exited(self, owner: ProcessCore) -> None:
        super()._owner_exited(owner)
        self._resync()

    def _resync(self) -> None:
        with self._lock:
            deadline = self._book.next_deadline()
            when = math.inf if deadline is None else deadline
            if when != self._alarm_at:
                self._set_alarm(when)

    def _fire(self) -> None:
        now = self._stamp()
        with self._lock:
            self._alarm_at = math.inf
            fired = self._book.due(now)
            deadline = self._book.next_deadline()
            if deadline is not None:
                self._set_alarm(deadline)
        engine = cast("SimRuntime", self._runtime).engine
        for timer in fired:
            if isinstance(timer, Wakeup):
                timer.fire()
            else:
                engine.send_timer(timer, (INFO, timer.message, None))


class SimDeadlines:
    """Call deadlines, kept as the tasks backend keeps them (one wakeup per bucket).

    Two changes from ``spawned.tasks._deadlines.Deadlines``, for the simulator:

    - a bucket wakes its callers in the order they parked (a ``set`` would wake them in
      the order of their addresses, different in every run);
    - its wakeup is withdrawn once nobody waits in it: a stale deadline would be one more
      timer for the simulator to reach (an option, in exhaustive mode) that changes nothing.
    """

    __slots__ = ("_buckets", "_native", "_timers", "_wakeups")

    def __init__(self, native: Any, timers: Any) -> None:
        self._native = native
        self._timers = timers
        self._buckets: dict[float, dict[Any, None]] = {}
        self._wakeups: dict[float, Wakeup] = {}

    async def park(self, holder: Any, timeout: float) -> None:
        """Park on ``holder`` until woken, or until ``timeout`` seconds have passed."""
        native = self._native
        if timeout == math.inf:
            await native.park(holder)
            return
        if not timeout > 0:
            timeout = 0.0
        boundary = bucket_boundary(native.now(), timeout)
        bucket = self._buckets.get(boundary)
        if bucket is None:
            bucket = self._buckets[boundary] = {}
            self._wakeups[boundary] = self._timers.call_at(boundary, self._expire, boundary)
        bucket[holder] = None
        try:
            await native.park(holder)
        finally:
            bucket.pop(holder, None)
            if not bucket and self._buckets.get(boundary) is bucket:
                del self._buckets[boundary]
                wakeup = self._wakeups.pop(boundary, None)
                if wakeup is not None:
                    self._timers.cancel(wakeup)

    def _expire(self, boundary: float) -> None:
        self._wakeups.pop(boundary, None)
        wake = self._native.wake
        for holder in list(self._buckets.pop(boundary, {})):
            wake(holder)


class SimRuntime(Runtime):
    """One simulated node: a tasks runtime on the simulator's loop, with no real threads."""

    handle_class: type[HandleBase[Any, Any, Any]] = SimHandle
    supervisor_handle_classes: tuple[type[HandleBase[Any, Any, Any]], type[HandleBase[Any, Any, Any]]] = (
        SimSupervisorHandle,
        SimDynamicSupervisorHandle,
    )
    timer_service_class: Callable[[Any], Any] = SimTimerService

    def __init__(self, engine: Engine, node: NodeState) -> None:
        super().__init__(blocking_threshold=None)
        self.engine: Engine = engine
        """The simulator this node belongs to."""
        self.sim_node: NodeState = node
        """The simulated node this runtime is (``RuntimeCore.node`` is a cluster's node)."""

    async def start(
        self,
        server: Any,
        *,
        name: object = None,
        link: bool = False,
        on_thread: bool = False,
    ) -> Any:
        """Start ``server`` on this node; see ``spawned.tasks.Runtime.start``.

        Raises:
            SimulationError: ``on_thread=True`` (a real thread), or the node is down.
        """
        if on_thread:
            msg = (
                f"start({type(server).__name__}(...), on_thread=True) inside spawned.sim.run: a real "
                "thread cannot be simulated; start it without on_thread (its plain def callbacks "
                "run on the simulated loop, where blocking calls are refused)"
            )
            raise SimulationError(msg)
        if not self.sim_node.alive:
            msg = f"node {self.sim_node.name!r} is down (crashed); restart it before starting processes on it"
            raise SimulationError(msg)
        return cast("Any", await super().start(server, name=name, link=link))

    async def __aenter__(self) -> Self:
        """Open the node's runtime on the simulator's loop."""
        await super().__aenter__()
        self.deadlines: Deadlines = cast("Deadlines", SimDeadlines(self.native, self.timers()))
        return self

    async def _spawn(
        self,
        server: GenServer[Any, Any, Any],
        name: object,
        parent: ProcessCore | None,
        options: ProcessOptions,
    ) -> Handle[Any, Any, Any]:
        process = self.admit(name, lambda: SimProcess(self, server, name, options), parent)
        self.native.spawn(process.body(), process.label)
        await process.wait_started()
        return Handle.of(process.handle)
