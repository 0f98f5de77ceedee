"""A process on another node, as this node's processes and handles see it.

:class:`RemoteProcess` stands where a local ``ProcessCore`` stands behind a handle: the
backend's own ``Handle`` class wraps it, so ``call``, ``cast``, ``send``, ``stop``, ``kill``,
``exit``, ``join``, ``link`` and ``monitor`` are the local ones. Each operation becomes a
frame to the process's node (see ``_node.py``); links and monitors are recorded on both
sides, as locally, and the node answers for the remote side when that node goes away.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, cast

from .._envelope import CALL, CAST, DOWN, INFO, STOP, Envelope
from .._errors import CallTimeout, NoProc, ServerExited
from .._messages import Caller, Ref
from .._process import ProcessOptions
from .._reasons import KILLED, NOPROC
from .._signals import Signals
from .._timers import check_timeout
from ._wire import Pid

if TYPE_CHECKING:
    from .._handle import HandleBase
    from .._runtime import RuntimeCore
    from ._node import Node

__all__ = ["RemoteProcess", "RemoteSlot", "RemoteWatcher"]

_answer_lock = threading.Lock()


class RemoteProcess(Signals["RuntimeCore"]):
    """A process of another node, behind a handle of this node's runtime."""

    __slots__ = (
        "__weakref__",
        "address",
        "alive",
        "exit_hooks",
        "handle",
        "label",
        "links",
        "monitors",
        "node",
        "reason",
        "runtime",
        "watching",
    )

    parent = None
    name = None
    server: Any = None
    options: ProcessOptions = ProcessOptions(kind="remote process")
    """What telemetry and introspection read of a process's options."""

    @property
    def pid(self) -> Pid:
        """The process's cluster-wide identity (a local process's ``pid`` is its number)."""
        return self.address

    def __init__(self, node: Node, address: Pid, *, dead: object = None) -> None:
        self.node = node
        self.address = address
        self.runtime: RuntimeCore = node.runtime
        self.label: str = str(address)
        self.alive: bool = dead is None
        self.reason: object = dead
        self.links: set[Signals] | None = None
        """The local processes linked to this one."""
        self.monitors: dict[Ref, Signals] | None = None
        """The local processes (or joiners) watching this one: ``ref -> watcher``."""
        self.watching = None
        self.exit_hooks: list[Callable[[Any], None]] | None = None
        self.handle: HandleBase[Any, Any, Any] = node.runtime.handle_class._create(self)

    # -- messages ---------------------------------------------------------------------------------

    def post(self, env: Envelope) -> None:
        """Send ``env`` to the process's node (a call's caller is answered from there).

        Raises ``CodecError`` (a ``ValueError``) when the message cannot be encoded.
        """
        kind = env[0]
        if kind in (CAST, INFO):
            self.node.send_message(self, kind, env[1])
        elif kind == CALL:
            if not self.alive:
                env[2]._slot.fail(NoProc(self.label))
                return
            self.node.send_call(self, env[1], env[2])
        elif kind == DOWN:  # a local process this one monitors exited: handled by the watcher side
            return
        elif kind == STOP:
            self.node.send_stop(self, env[1])

    def begin_call(self, msg: object, timeout: float) -> Caller[Any]:
        """Check and send a call; the reply lands in the returned caller's slot."""
        check_timeout(timeout)
        if not self.alive:
            raise NoProc(self.label)
        caller = cast("Caller[Any]", Caller._create(self, self.node.adapter.make_slot()))
        self.node.send_call(self, msg, caller)
        return caller

    def forget_call(self, caller: Caller[Any]) -> None:
        """The caller stopped waiting (or was answered): drop its call."""
        self.node.forget_call(caller._slot)

    def begin_system(self, request: object, timeout: float) -> Any:
        """``get_state``/``replace_state`` run a function inside the process: not across nodes."""
        del request, timeout
        msg = f"get_state and replace_state work only on processes of this node, not on {self.label}"
        raise TypeError(msg)

    def refuse_self(self) -> None:
        """A remote process is never the calling one."""

    def begin_stop(self, reason: object, timeout: float) -> None:
        """Ask the process to stop with ``reason``; :meth:`join` sees it go."""
        check_timeout(timeout)
        if not self.alive:
            raise NoProc(self.label)
        self.node.watch_exit(self)  # before the stop request: its Down follows it
        self.node.send_stop(self, reason)

    def end_stop(self, reason: object, timeout: float, gone: bool) -> None:
        """As ``ProcessCore.end_stop``; a process that was not there raises ``NoProc``."""
        if not gone:
            self.exit_now(KILLED)
            raise CallTimeout(self.label, timeout, stopping=True)
        if self.reason == NOPROC:
            raise NoProc(self.label)
        if self.reason is not reason and self.reason != reason:
            raise ServerExited(self.label, self.reason)

    def join(self, timeout: float = math.inf) -> Any:
        """Wait for the exit (awaitable on tasks, blocking on threads); ``False`` on timeout."""
        return self.node.adapter.join(self, timeout)

    def on_exit(self, hook: Callable[[Any], None]) -> None:
        """Run ``hook(self)`` once the process is known to have exited (at once if it has)."""
        with self.runtime.lock:
            if self.alive:
                if self.exit_hooks is None:
                    self.exit_hooks = []
                self.exit_hooks.append(hook)
                watch = True
            else:
                watch = False
        if watch:
            self.node.watch_exit(self)
        else:
            hook(self)

    def mailbox_size(self) -> int:
        """Unknown here: the mailbox is on the other node."""
        return 0

    # -- signals ----------------------------------------------------------------------------------

    def exit_now(self, reason: object) -> None:
        """``kill()``: the process ends at once with ``reason`` on its node."""
        self.node.send_kill(self, reason)

    def take_exit(self, sender: Signals | None, reason: object) -> None:
        """``handle.exit(reason)``: the exit signal travels to the process's node."""
        self.node.send_exit(self, sender, reason)

    def exit_signal(self, sender: Signals, reason: object) -> None:
        """A local process linked to this one exited with ``reason``: tell its node."""
        self.node.send_linked_exit(self, sender, reason)

    def add_link(self, other: Signals) -> None:
        """Link a local process to this one (call with the lock held): recorded here, and
        on the process's node.
        """
        if self.links is None:
            self.links = set()
        self.links.add(other)
        self.node.send_link(self, other)

    def drop_link(self, other: Signals) -> None:
        """Forget the link to ``other``; when ``other`` unlinks (it is alive: not an exit),
        the process's node forgets it too.
        """
        if self.links is not None and other in self.links:
            self.links.discard(other)
            if other.alive:
                self.node.send_unlink(self, other)

    def add_monitor(self, ref: Ref, watcher: Signals) -> None:
        """A local process monitors this one (call with the lock held)."""
        if self.monitors is None:
            self.monitors = {}
        self.monitors[ref] = watcher
        self.node.send_monitor(self, ref)

    def drop_monitor(self, ref: Ref) -> None:
        """The local watcher demonitored (or exited): the process's node forgets it."""
        if self.monitors is not None and self.monitors.pop(ref, None) is not None:
            self.node.send_demonitor(self, ref)

    def exited(self, reason: object) -> None:
        """The process is known to have exited with ``reason`` (its ``Down`` arrived, or its
        node went away): mark it dead and run the exit hooks. Idempotent.
        """
        with self.runtime.lock:
            if not self.alive:
                return
            self.alive = False
            self.reason = reason
            hooks, self.exit_hooks = self.exit_hooks, None
        for hook in hooks or ():
            hook(self)


class RemoteWatcher(Signals["RuntimeCore"]):
    """Stands in a local process's monitor table for a watcher on another node: the
    ``Down`` posted to it when the process exits goes back to that node.
    """

    __slots__ = ("creation", "node", "origin", "ref_id")

    alive = True

    def __init__(self, node: Node, origin: tuple[str, int], ref_id: int) -> None:
        self.node = node
        self.origin, self.creation = origin
        """The watcher's node, and which run of it."""
        self.ref_id = ref_id

    def post(self, env: Envelope) -> None:
        """The watched process exited: send the ``Down``'s reason to the watcher's node."""
        self.node.send_down(self, env[1].reason)


class RemoteSlot:
    """The reply slot of a call from another node: the answer travels back to the caller's
    node (the first answer wins).
    """

    __slots__ = ("done", "error", "label", "node", "reply_to", "value")

    def __init__(self, node: Node, reply_to: str, label: str) -> None:
        self.node = node
        self.reply_to = reply_to
        self.label = label
        self.done = False
        self.value: Any = None
        self.error: BaseException | None = None

    def _claim(self) -> bool:
        with _answer_lock:
            if self.done:
                return False
            self.done = True
            return True

    def resolve(self, value: object) -> bool:
        """Send the reply to the caller's node."""
        if not self._claim():
            return False
        self.node.send_reply(self.reply_to, value)
        return True

    def fail(self, error: BaseException) -> bool:
        """Send the error to the caller's node, to raise there."""
        if not self._claim():
            return False
        self.node.send_failure(self.reply_to, error)
        return True
