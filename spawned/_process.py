"""The backend-free half of a process: message dispatch, results, links, monitors, exit.

A backend subclasses :class:`ProcessCore` and adds only how the process runs, waits and
wakes: ``post`` (enqueue and wake), ``drain`` (take what is left), ``halt`` (stop running
after an untrappable exit) and ``exited`` (wake those who join). One message is::

    result = self.dispatch(env)        # run the callback the envelope asks for
    (await the result if it is a coroutine: tasks backend only)
    env = self.conclude(env, result)   # act on the result; a Continue comes back

``follow`` concludes and runs the ``Continue`` chain, and ``handle_batch`` runs that for
every message waiting in the mailbox, with short cuts for the common cases (a plain cast
returning ``None``, a plain call returning ``Reply``). A backend's loop waits for mail,
calls ``handle_batch``, and awaits the coroutine it hands back, if any.

Envelopes are plain tuples ``(kind, payload, caller)``: they are the hot path.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Generator
from contextlib import ExitStack, contextmanager
from contextvars import ContextVar
from types import CoroutineType
from typing import TYPE_CHECKING, Any, Final, cast

from loguru import logger

from . import _telemetry
from ._errors import CallingSelf, CallTimeout, Ignored, InitFailed, NoProc, ServerExited
from ._messages import Caller, Down, Exit, Ref, ReplySlot
from ._outcome import check_call, check_init, check_other
from ._reasons import KILL, KILLED, NOPROC, NORMAL, crosses_link, describe, is_clean
from ._results import Continue, Ignore, NoReply, Reply, Stop
from ._status import for_log, formatted
from ._timers import check_timeout

if TYPE_CHECKING:
    from ._handle import HandleBase
    from ._runtime import RuntimeCore
    from ._server import GenServer

CALL: Final = 0
CAST: Final = 1
INFO: Final = 2
DOWN: Final = 3
CONTINUE: Final = 4
STOP: Final = 5
SYSTEM: Final = 6
"""A debugging request (``get_state``, ``replace_state``): run in the process, answered like a call."""

CALLBACKS: Final = ("handle_call", "handle_cast", "handle_info", "handle_info", "handle_continue")

Envelope = tuple[int, Any, Any]
Pending = tuple[Envelope, Any]
"""An envelope whose callback returned a coroutine, and the coroutine, for the backend."""

SKIPPED: Any = object()
"""What ``dispatch`` returns when no callback ran (a Down after ``demonitor``)."""

current_process: ContextVar[ProcessCore | None] = ContextVar("spawned_process", default=None)


class ExitProcess(Exception):
    """Raised inside a process loop to end it with ``reason`` (a ``Stop`` result)."""

    def __init__(self, reason: object, caller: Caller[Any] | None = None, reply: Any = None) -> None:
        self.reason = reason
        self.caller = caller
        self.reply = reply


class InitIgnored(Exception):
    """Raised when ``init`` returned ``Ignore()``."""


@contextmanager
def locked(*processes: ProcessCore) -> Generator[None]:
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


class ProcessCore:
    """One process, as both backends see it. Subclasses supply the waiting half."""

    __slots__ = (
        "alive",
        "current",
        "exit_hooks",
        "handle",
        "label",
        "links",
        "monitors",
        "name",
        "open_calls",
        "parent",
        "pid",
        "reason",
        "runtime",
        "server",
        "watching",
    )

    def __init__(self, runtime: RuntimeCore, server: GenServer[Any, Any, Any], name: object) -> None:
        self.runtime: RuntimeCore = runtime
        self.server: GenServer[Any, Any, Any] = server
        self.name: object = name
        self.pid: int = runtime.next_pid()
        kind = server._spawned_kind or type(server).__name__
        self.label: str = f"{kind} {name!r}" if name is not None else f"{kind}#{self.pid}"
        self.alive: bool = True
        self.reason: object = None
        # Links, monitors and open calls are rare: each is made on first use (None: empty).
        self.links: set[ProcessCore] | None = None
        self.parent: ProcessCore | None = None
        """The process that started this one with ``link=True``."""
        self.monitors: dict[Ref, ProcessCore] | None = None
        """Who watches this process: ``ref -> watcher``."""
        self.watching: dict[Ref, ProcessCore] | None = None
        """What this process watches: ``ref -> target``."""
        self.open_calls: set[Caller[Any]] | None = None
        """Calls answered ``NoReply()``, not replied to yet and whose caller still waits."""
        self.current: Envelope | None = None
        self.exit_hooks: list[Callable[[ProcessCore], None]] | None = None
        self.handle: HandleBase[Any, Any, Any] = (
            server._spawned_handle_class or runtime.handle_class
        )._create(self)
        server._spawned_process = self

    # -- what a backend supplies -------------------------------------------------------

    def post(self, env: Envelope) -> None:
        """Put ``env`` in the mailbox and wake the process. Never blocks."""
        raise NotImplementedError

    def drain(self) -> list[Envelope]:
        """Take every envelope still in the mailbox (the process is dead)."""
        raise NotImplementedError

    def halt(self) -> None:
        """Stop running this process's code: it was killed or took a link's exit."""
        raise NotImplementedError

    def exited(self) -> None:
        """Wake everyone waiting in ``join``."""
        raise NotImplementedError

    def mailbox_size(self) -> int:
        """How many messages wait in the mailbox (a snapshot, for introspection)."""
        raise NotImplementedError

    def make_slot(self) -> ReplySlot[Any]:
        """A fresh reply slot for a call made from the current context."""
        raise NotImplementedError

    # -- the loop's two halves -----------------------------------------------------------

    def conclude_init(self, result: object) -> Envelope | None:
        """Act on ``init``'s result; a ``Continue`` comes back as the first envelope.

        A process that died while ``init`` ran (killed, or taken down by a link) runs
        nothing more, whatever ``init`` returned: raises ``ExitProcess`` with its reason.
        """
        if not self.alive:
            raise ExitProcess(self.reason)
        outcome = check_init(result)
        if _telemetry.active:
            _telemetry.started(self, outcome)
        if outcome is None:
            return None
        if isinstance(outcome, Continue):
            return (CONTINUE, outcome.arg, None)
        if isinstance(outcome, Ignore):
            raise InitIgnored
        raise ExitProcess(outcome.reason)

    def handle_batch(  # noqa: C901 - the telemetry branch keeps the short cuts untouched
        self, take: Callable[[], Envelope], empty: type[Exception], budget: int
    ) -> tuple[int, Pending | None]:
        """Handle up to ``budget`` messages, each taken with ``take()``, exactly as
        ``dispatch`` and :meth:`follow` would one by one.

        A cast goes straight to ``handle_cast``, and a call straight to ``handle_call``,
        whose ``Reply`` goes straight to the caller (most of what a busy server handles),
        unless a subclass overrides ``dispatch`` to run callbacks elsewhere. Returns
        ``(budget left, pending)``: ``pending`` is ``(env, coroutine)`` when a callback
        returned a coroutine, for the backend to await and pass on to :meth:`follow`.
        Returns early when ``take`` raises ``empty`` (no more mail) or the process has died
        (a message taken then is refused, and so is the rest of the mailbox). Raises what
        ``conclude`` raises (``ExitProcess``) and whatever a callback raised.
        """
        server = self.server
        direct = type(self).dispatch is ProcessCore.dispatch
        fast_cast, fast_call = (CAST, CALL) if direct else (None, None)
        result: Any
        while budget > 0:
            try:
                env = take()
            except empty:
                break
            budget -= 1
            if not self.alive:  # killed: stop at this message boundary
                self.reject(env)
                for late in self.drain():
                    self.reject(late)
                break
            if _telemetry.active:
                if (pending := _telemetry.handle(self, env)) is not None:
                    return budget, pending
                continue
            kind = env[0]
            if kind == fast_cast:
                self.current = env
                result = server.handle_cast(env[1])
                if result is None:
                    continue
            elif kind == fast_call:
                self.current = env
                result = server.handle_call(env[1], env[2])
                if type(result) is Reply and cast("Reply[Any]", result).then is None:
                    env[2]._slot.resolve(cast("Reply[Any]", result).value)
                    continue
            else:
                result = self.dispatch(env)
            pending = self.follow(env, result)
            if pending is not None:
                return budget, pending
        return budget, None

    def follow(self, env: Envelope, result: Any) -> Pending | None:
        """Conclude ``env`` with its callback's ``result`` and run the ``Continue`` chain
        that starts, until it ends or the process was killed by a callback, or hand each
        step to the mailbox (see :meth:`continue_later`). Returns ``(env, coroutine)`` when
        a callback returned a coroutine (tasks: await it and follow on with its result;
        threads: ``conclude`` refuses it as a bad return).
        """
        while type(result) is not CoroutineType:
            following = self.conclude(env, result)
            if following is None or not self.alive:  # killed while the callback ran: no Continue
                return None
            if self.continue_later(following):
                return None
            env = following
            result = self.dispatch(env)
        return env, cast("Any", result)

    def continue_later(self, env: Envelope) -> bool:
        """Put the ``Continue`` envelope ``env`` at the front of the mailbox, to be handled as
        the next message, and return ``True``; or return ``False`` to have :meth:`follow`
        run it at once (here). A backend whose processes share a thread puts it in the
        mailbox, so its loop yields and checks for ``kill`` between the steps of a chain as
        between messages.
        """
        del env
        return False

    def init_failed(self, error: BaseException) -> Exception:
        """``init`` did not succeed (it raised, or returned ``Ignore()`` or ``Stop``, or the
        process died while it ran): end the process without ``terminate`` and return the
        error its starter raises.

        As in OTP, the exit signal reaches every process ``init`` linked to; only the
        starter's link is removed first, so a starter linked to it gets this error instead
        of being taken down. A process that already died keeps its exit as it was.
        """
        if not self.alive:
            return InitFailed(self.label, self.reason, "it exited while init ran", logged=False)
        if isinstance(error, InitIgnored):
            reason: object = NORMAL
            failure: Exception = Ignored(self.label)
        else:
            reason = error.reason if isinstance(error, ExitProcess) else error
            failure = InitFailed(self.label, reason)
        if self.parent is not None:
            self.unlink(self.parent)
        self.report(reason)
        self.finish(reason)
        return failure

    def dispatch(self, env: Envelope) -> Any:  # noqa: PLR0911 - one return per kind of envelope
        """Run the callback ``env`` asks for and return its raw result."""
        self.current = env
        kind, payload, caller = env
        server = self.server
        if kind == CAST:
            return server.handle_cast(payload)
        if kind == CALL:
            return server.handle_call(payload, caller)
        if kind == INFO:
            return server.handle_info(payload)
        if kind == CONTINUE:
            return server.handle_continue(payload)
        if kind == DOWN:
            if self.watching is None or self.watching.pop(payload.ref, None) is None:
                return SKIPPED
            return server.handle_info(payload)
        if kind == SYSTEM:
            return self.system(payload, caller)
        raise ExitProcess(payload)

    def system(self, request: Callable[[Any], Any], caller: Caller[Any]) -> Any:
        """Answer a debugging request between two messages: run ``request(server)`` here, in
        the process, and reply with what it returns or raises. The server runs on either way.
        """
        try:
            value = request(self.server)
            if inspect.iscoroutine(value):
                value.close()
                msg = f"{request!r} returned a coroutine; replace_state takes a plain (def) function"
                raise TypeError(msg)  # noqa: TRY301 - answered like any failure of the request
        except Exception as error:  # noqa: BLE001 - the requester gets it, the server runs on
            caller._slot.fail(error)
        else:
            caller._slot.resolve(value)
        return SKIPPED

    def conclude(self, env: Envelope, result: object) -> Envelope | None:
        """Act on a callback's ``result``; returns the ``Continue`` envelope to run next."""
        kind = env[0]
        if kind == CALL:
            caller: Caller[Any] = env[2]
            outcome = check_call(result)
            if isinstance(outcome, Reply):
                caller._slot.resolve(outcome.value)
                then = outcome.then
            elif isinstance(outcome, NoReply):
                then = outcome.then
                self.keep_open(caller)
            else:
                if outcome.has_reply:
                    raise ExitProcess(outcome.reason, caller, outcome.reply)
                raise ExitProcess(outcome.reason)  # the caller gets ServerExited(reason)
            return None if then is None else (CONTINUE, then.arg, None)
        if result is None or result is SKIPPED:
            return None
        outcome = check_other(CALLBACKS[kind], result)
        if isinstance(outcome, Continue):
            return (CONTINUE, outcome.arg, None)
        raise ExitProcess(cast("Stop", outcome).reason)

    # -- calls and stops, the non-waiting half -------------------------------------------

    def begin_call(self, msg: object, timeout: float) -> Caller[Any]:
        """Check the call may be made (``timeout`` included), post it, and return its
        caller, whose slot the answer lands in. A caller that gives up waiting (timeout,
        cancellation) calls :meth:`forget_call`.
        """
        check_timeout(timeout)
        if not self.alive:
            raise NoProc(self.label)
        self.refuse_self()
        caller = cast("Caller[Any]", Caller._create(self, self.make_slot()))
        self.post((CALL, msg, caller))
        return caller

    def begin_system(self, request: Callable[[Any], Any]) -> ReplySlot[Any]:
        """Post a debugging request (see :meth:`system`); return the slot its answer lands in."""
        if not self.alive:
            raise NoProc(self.label)
        self.refuse_self()
        slot = self.make_slot()
        self.post((SYSTEM, request, cast("Caller[Any]", Caller._create(self, slot))))
        return slot

    def keep_open(self, caller: Caller[Any]) -> None:
        """Record the call of ``caller``, answered ``NoReply()``, as open until it is
        answered, its caller stops waiting, or the process exits (the caller then gets
        ``ServerExited``).
        """
        slot = caller._slot
        if slot.done:  # already answered, or its caller gave up
            return
        if self.open_calls is None:
            self.open_calls = set()
        self.open_calls.add(caller)
        if not self.alive:  # killed from another thread meanwhile: finish() missed it
            slot.fail(ServerExited(self.label, self.reason))
        elif slot.done:  # its caller gave up from another thread meanwhile
            self.forget_call(caller)

    def forget_call(self, caller: Caller[Any]) -> None:
        """Drop ``caller`` from the open calls: it was answered, or its caller stopped
        waiting. Safe from any thread (one ``set.discard``).
        """
        open_calls = self.open_calls
        if open_calls is not None:
            open_calls.discard(caller)

    def begin_stop(self, reason: object, timeout: float) -> None:
        """Ask the process to stop with ``reason`` once it reaches this request (after
        checking the stop may be made, ``timeout`` included).
        """
        check_timeout(timeout)
        if not self.alive:
            raise NoProc(self.label)
        self.refuse_self()
        self.post((STOP, reason, None))

    def end_stop(self, reason: object, timeout: float, gone: bool) -> None:
        """Finish a ``stop(reason, timeout)`` once its wait is over: a server not ``gone`` is
        killed and ``CallTimeout`` raised; one that exited with another reason (it crashed or
        stopped before reaching the request) raises ``ServerExited`` with that reason.
        """
        if not gone:
            self.exit_now(KILLED)
            raise CallTimeout(self.label, timeout, stopping=True)
        if self.reason is not reason and self.reason != reason:
            raise ServerExited(self.label, self.reason)

    def refuse_self(self) -> None:
        """Raise ``CallingSelf`` when the process would wait for itself (call, stop, join)."""
        if current_process.get() is self:
            raise CallingSelf(self.label)

    def reject(self, env: Envelope) -> None:
        """Answer an envelope that reached a dead process: a call fails, the rest is dropped."""
        if env[0] == CALL or env[0] == SYSTEM:
            env[2]._slot.fail(ServerExited(self.label, self.reason))

    # -- links and monitors ------------------------------------------------------------

    def link(self, other: ProcessCore) -> None:
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

    def add_link(self, other: ProcessCore) -> None:
        """Record a link to ``other`` on this side only (call with the lock held)."""
        if self.links is None:
            self.links = set()
        self.links.add(other)

    def drop_link(self, other: ProcessCore) -> None:
        """Forget a link to ``other`` on this side only, if any (call with the lock held)."""
        if self.links is not None:
            self.links.discard(other)

    def unlink(self, other: ProcessCore) -> None:
        """Remove the link both ways, if any."""
        with locked(self, other):
            self.drop_link(other)
            other.drop_link(self)

    def monitor(self, target: ProcessCore) -> Ref:
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
                    if target.monitors is None:
                        target.monitors = {}
                    target.monitors[ref] = self
                    return ref
        self.post((DOWN, Down(ref, target.handle, NOPROC), None))
        return ref

    def demonitor(self, ref: Ref) -> None:
        """Stop watching; no ``Down`` for ``ref`` arrives after this, even one already sent."""
        with self.runtime.lock:
            target = self.watching.pop(ref, None) if self.watching is not None else None
            if target is not None and target.monitors is not None:
                target.monitors.pop(ref, None)

    def exit_signal(self, sender: ProcessCore, reason: object) -> None:
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

    def take_exit(self, sender: ProcessCore | None, reason: object) -> None:
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

    # -- exit ----------------------------------------------------------------------------

    def on_exit(self, hook: Callable[[ProcessCore], None]) -> None:
        """Run ``hook(self)`` once the process is dead (timers, registry entries, ...).

        Runs at once if the process is already dead.
        """
        with self.runtime.lock:
            if self.alive:
                if self.exit_hooks is None:
                    self.exit_hooks = []
                self.exit_hooks.append(hook)
                return
        hook(self)

    def exit_now(self, reason: object) -> None:
        """End the process at once with ``reason``: no ``terminate``, cannot be trapped."""
        if self.finish(reason):
            self.halt()

    def report(self, reason: object) -> None:
        """Log an abnormal exit once, with the traceback and the last message."""
        if is_clean(reason):
            return
        env = self.current
        status = formatted(self.server, None if env is None else env[1], reason)
        log = logger.bind(server=self.label)
        if isinstance(reason, BaseException):
            log = log.opt(exception=for_log(reason))
        last = _describe_envelope(env, status.message)
        context = self.server._spawned_crash_context()
        if context:
            last = f"{last}; {context}"
        log.error("{} terminating, reason: {}; last message: {}", self.label, describe(status.reason), last)

    def finish(self, reason: object, stopper: Caller[Any] | None = None, reply: Any = None) -> bool:
        """Mark the process dead with ``reason`` and tell everyone who must know.

        Runs once; later calls return ``False``. Releases the name, answers ``stopper``
        with ``reply`` (a ``Stop`` from ``handle_call``), fails every other pending call
        with ``ServerExited``, sends exit signals to links and ``Down`` to monitors.
        """
        runtime = self.runtime
        with runtime.lock:
            if not self.alive:
                return False
            self.alive = False
            self.reason = reason
            runtime.forget(self)
            links, self.links = self.links, None
            for other in links or ():
                other.drop_link(self)
            monitors, self.monitors = self.monitors, None
            watching, self.watching = self.watching, None
            for ref, target in (watching or {}).items():
                if target.monitors is not None:
                    target.monitors.pop(ref, None)
            hooks, self.exit_hooks = self.exit_hooks, None
        for hook in hooks or ():
            hook(self)
        if _telemetry.active:
            _telemetry.stopped(self, reason)
        if stopper is not None:
            stopper._slot.resolve(reply)
        self._fail_pending_calls(reason)
        for other in links or ():
            other.exit_signal(self, reason)
        for ref, watcher in (monitors or {}).items():
            watcher.post((DOWN, Down(ref, self.handle, reason), None))
        self.exited()
        return True

    def _fail_pending_calls(self, reason: object) -> None:
        current = self.current
        open_calls, self.open_calls = self.open_calls, None
        if open_calls or (current is not None and current[0] == CALL):
            error = ServerExited(self.label, reason)
            if current is not None and current[0] == CALL:
                current[2]._slot.fail(error)
            for caller in open_calls or ():
                caller._slot.fail(error)
        for env in self.drain():
            self.reject(env)


def _describe_envelope(env: Envelope | None, shown: object) -> str:
    """``env`` for a report: its kind and ``shown``, the payload as ``format_status`` shows it."""
    if env is None:
        return "none (in init)"
    names = {
        CALL: "call",
        CAST: "cast",
        INFO: "info",
        DOWN: "info",
        CONTINUE: "continue",
        STOP: "stop",
        SYSTEM: "system request",
    }
    return f"{names[env[0]]} {shown!r}"
