"""Links, monitors and exit signals between processes (the Erlang rules).

:class:`Signals` is the half of ``ProcessCore`` that links and monitors processes and
propagates exits: a link is two-way and carries exit signals; a monitor is one-way and
delivers one ``Down``; a trapping process receives a linked exit as an ``Exit`` message. A
process's ``alive`` flag and its link and monitor tables change under its runtime's lock.
"""

from __future__ import annotations

from collections.abc import Generator
from contextlib import ExitStack, contextmanager
from typing import TYPE_CHECKING, Any, Generic

from typing_extensions import TypeVar

from ._envelope import DOWN, INFO, STOP
from ._messages import Down, Exit, Ref
from ._reasons import KILL, KILLED, NOPROC, crosses_link

if TYPE_CHECKING:
    from ._envelope import Envelope
    from ._handle import HandleBase
    from ._process import ProcessCore
    from ._runtime import RuntimeCore
    from ._server import GenServer


RuntimeT_co = TypeVar("RuntimeT_co", bound="RuntimeCore", default="RuntimeCore", covariant=True)
"""The runtime type of a process: a backend's process lives in that backend's runtime."""


@contextmanager
def locked(*processes: Signals) -> Generator[None]:
    """Hold the runtime locks of ``processes``: one lock when they share a runtime, else each,
    always in the same order (so two threads never wait on each other).

    A process's ``alive`` flag and its link and monitor tables change under its own runtime's
    lock, so linking to or monitoring a process of another runtime takes that lock too.
    """
    locks = {id(p.runtime.lock): p.runtime.lock for p in processes}
    with ExitStack() as stack:
        for key in sorted(locks):
            stack.enter_context(locks[key])
        yield


class Signals(Generic[RuntimeT_co]):
    """A process as links, monitors and exit signals see it: ``ProcessCore`` subclasses it
    and holds the state.
    """

    __slots__ = ()

    if TYPE_CHECKING:
        runtime: RuntimeT_co
        server: GenServer[Any, Any, Any]
        handle: HandleBase[Any, Any, Any]
        alive: bool
        reason: object
        parent: ProcessCore | None
        links: set[Signals] | None
        monitors: dict[Ref, Signals] | None
        watching: dict[Ref, Signals] | None

        def post(self, env: Envelope) -> None: ...

        def exit_now(self, reason: object) -> None: ...

    def link(self, other: Signals) -> None:
        """Link both ways. Linking to a dead process is an exit signal ``"noproc"`` at once.

        A process that is already dead (killed while its thread still runs a callback) links
        as if it had linked just before it exited: ``other`` gets its exit signal at once,
        and no link is kept. So a child it starts linked cannot outlive it.
        """
        if other is self:
            return
        with locked(self, other):
            dead = not self.alive
            if not dead and other.alive:
                self.add_link(other)
                other.add_link(self)
                return
        if dead:
            other.exit_signal(self, self.reason)
        else:
            self.exit_signal(other, NOPROC)

    def add_link(self, other: Signals) -> None:
        """Record a link to ``other`` on this side only (call with the lock held)."""
        if self.links is None:
            self.links = set()
        self.links.add(other)

    def drop_link(self, other: Signals) -> None:
        """Forget a link to ``other`` on this side only, if any (call with the lock held)."""
        if self.links is not None:
            self.links.discard(other)

    def unlink(self, other: Signals) -> None:
        """Remove the link both ways, if any."""
        with locked(self, other):
            self.drop_link(other)
            other.drop_link(self)

    def monitor(self, target: Signals) -> Ref:
        """Watch ``target``: one ``Down`` arrives when it exits (``"noproc"`` if it has).

        A process that is already dead (killed while its thread still runs a callback)
        records nothing: its ``Down`` is posted at once, to a mailbox that drops it.
        """
        ref = Ref._create()
        with locked(self, target):
            if self.alive:
                if self.watching is None:
                    self.watching = {}
                self.watching[ref] = target
                if target.alive:
                    target.add_monitor(ref, self)
                    return ref
        self.post((DOWN, Down(ref, target.handle, NOPROC), None))
        return ref

    def demonitor(self, ref: Ref) -> None:
        """Stop watching; no ``Down`` for ``ref`` arrives after this, even one already sent."""
        with self.runtime.lock:
            target = self.watching.pop(ref, None) if self.watching is not None else None
            if target is not None:
                target.drop_monitor(ref)

    def add_monitor(self, ref: Ref, watcher: Signals) -> None:
        """Record that ``watcher`` watches this process through ``ref`` (call with the lock held)."""
        if self.monitors is None:
            self.monitors = {}
        self.monitors[ref] = watcher

    def drop_monitor(self, ref: Ref) -> None:
        """Forget the monitor ``ref`` of this process, if any (call with the lock held)."""
        if self.monitors is not None:
            self.monitors.pop(ref, None)

    def exit_signal(self, sender: Signals, reason: object) -> None:
        """A linked process exited: trap it as an ``Exit`` message, or die with it.

        As with OTP's gen_server, a trapped exit of the *parent* (the process that started
        this one linked, such as its supervisor) is not a message: the process stops with
        the same reason, running ``terminate``.
        """
        if self.server.trap_exits:
            if sender is self.parent:
                self.post((STOP, reason, None))
                return
            self.post((INFO, Exit(sender.handle, reason), None))
        elif crosses_link(reason):
            self.exit_now(reason)

    def take_exit(self, sender: Signals | None, reason: object) -> None:
        """An exit signal sent with ``handle.exit(reason)`` (Erlang's ``exit(Pid, Reason)``).

        ``"kill"`` cannot be trapped: the process exits ``"killed"``. Otherwise a trapping
        process gets ``Exit(sender's handle or None, reason)`` (or stops, when ``sender`` is
        its parent), and any other process exits with ``reason``, unless it is ``"normal"``,
        which it ignores (a process signalling itself ``"normal"`` exits).
        """
        if reason == KILL:
            self.exit_now(KILLED)
        elif self.server.trap_exits:
            if sender is not None and sender is self.parent:
                self.post((STOP, reason, None))
            else:
                self.post((INFO, Exit(None if sender is None else sender.handle, reason), None))
        elif crosses_link(reason) or sender is self:
            self.exit_now(reason)
