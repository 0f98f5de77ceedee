"""The backend-free half of a process: its lifecycle (init, messages, results, calls, exit).

Links, monitors and exit signals are in ``_signals.py``, the envelope in ``_envelope.py``,
and what a backend supplies in ``_backend.py``.

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
from collections.abc import Callable
from contextvars import ContextVar
from types import CoroutineType
from typing import TYPE_CHECKING, Any, ClassVar, Final, cast

from attrs import frozen
from loguru import logger

from . import _telemetry
from ._backend import ProcessBackend
from ._envelope import (
    CALL,
    CALLBACKS,
    CAST,
    CONTINUE,
    DOWN,
    INFO,
    SKIPPED,
    STOP,
    SYSTEM,
    Envelope,
    ExitProcess,
    InitIgnored,
    Pending,
    answer,
    describe_envelope,
)
from ._errors import CallingSelf, CallTimeout, Ignored, InitFailed, NoProc, ServerExited
from ._messages import Caller, Down, Ref
from ._outcome import check_call, check_init, check_other
from ._reasons import KILLED, NORMAL, describe, is_clean
from ._results import Continue, Ignore, NoReply, Reply, Stop
from ._signals import RuntimeT_co, Signals
from ._status import for_log, formatted
from ._timers import check_timeout

if TYPE_CHECKING:
    from ._backend import ReplySlot
    from ._handle import HandleBase
    from ._messages import Ref
    from ._server import GenServer


@frozen
class ProcessOptions:
    """Per-process settings, chosen by whoever starts the process and kept off the user's
    server object.
    """

    kind: str | None = None
    """What the process's label calls it (``None``: the server's class name)."""
    handle_class: type[HandleBase[Any, Any, Any]] | None = None
    """The handle class for this process (``None``: the runtime's ``handle_class``)."""
    on_thread: bool = False
    """Run the callbacks on a thread of their own (``spawned.tasks``; threads ignore it)."""


PLAIN: Final = ProcessOptions()
"""The options of a process started with none."""

current_process: ContextVar[ProcessCore | None] = ContextVar("spawned_process", default=None)


class ProcessCore(Signals[RuntimeT_co], ProcessBackend):
    """One process, as both backends see it: the backend-free half. A backend subclasses
    it, names its runtime class as ``RuntimeT_co`` and supplies the waiting half that
    :class:`~spawned._backend.ProcessBackend` declares.
    """

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
        "options",
        "parent",
        "pid",
        "reason",
        "runtime",
        "server",
        "watching",
    )

    runs_callbacks_inline: ClassVar[bool] = True
    """Whether callbacks run right here, in :meth:`handle_batch` (so a cast or call may skip
    :meth:`dispatch`); a process that runs them elsewhere (on a thread of its own) sets it
    ``False`` and overrides :meth:`dispatch`.
    """

    def __init__(
        self,
        runtime: RuntimeT_co,
        server: GenServer[Any, Any, Any],
        name: object,
        options: ProcessOptions = PLAIN,
    ) -> None:
        self.runtime: RuntimeT_co = runtime
        self.server: GenServer[Any, Any, Any] = server
        self.name: object = name
        self.pid: int = runtime.next_pid()
        self.options: ProcessOptions = options
        kind = options.kind or type(server).__name__
        self.label: str = f"{kind} {name!r}" if name is not None else f"{kind}#{self.pid}"
        self.alive: bool = True
        self.reason: object = None
        # Links, monitors and open calls are rare: each is made on first use (None: empty).
        self.links: set[Signals] | None = None
        self.parent: ProcessCore | None = None
        """The process that started this one with ``link=True``."""
        self.monitors: dict[Ref, Signals] | None = None
        """Who watches this process: ``ref -> watcher``."""
        self.watching: dict[Ref, Signals] | None = None
        """What this process watches: ``ref -> target``."""
        self.open_calls: set[Caller[Any]] | None = None
        """Calls answered ``NoReply()``, not replied to yet and whose caller still waits."""
        self.current: Envelope | None = None
        self.exit_hooks: list[Callable[[ProcessCore], None]] | None = None
        self.handle: HandleBase[Any, Any, Any] = (options.handle_class or runtime.handle_class)._create(self)
        server._spawned_process = self

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
        unless the process runs its callbacks elsewhere (``runs_callbacks_inline``). Returns
        ``(budget left, pending)``: ``pending`` is ``(env, coroutine)`` when a callback
        returned a coroutine, for the backend to await and pass on to :meth:`follow`.
        Returns early when ``take`` raises ``empty`` (no more mail) or the process has died
        (a message taken then is refused, and so is the rest of the mailbox). Raises what
        ``conclude`` raises (``ExitProcess``) and whatever a callback raised.
        """
        server = self.server
        direct = self.runs_callbacks_inline
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
                    answer(env[2], cast("Reply[Any]", result))
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
                return answer(caller, outcome)
            if isinstance(outcome, NoReply):
                self.keep_open(caller)
                then = outcome.then
                return None if then is None else (CONTINUE, then.arg, None)
            if outcome.has_reply:
                raise ExitProcess(outcome.reason, caller, outcome.reply)
            raise ExitProcess(outcome.reason)  # the caller gets ServerExited(reason)
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

    def begin_system(self, request: Callable[[Any], Any], timeout: float) -> ReplySlot[Any]:
        """Post a debugging request (see :meth:`system`) after checking ``timeout`` like a
        call's; return the slot its answer lands in.
        """
        check_timeout(timeout)
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
        last = describe_envelope(env, status.message)
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
                target.drop_monitor(ref)
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
