"""Telemetry: named events, the handlers attached to them, and where spawned emits them.

In the spirit of Erlang's ``:telemetry``: ``attach(handler_id, events, handler)`` and
``execute(event, measurements, metadata)``. Handlers run synchronously, in the thread or
task that emits the event, and must be quick.

Emitting costs nothing while no handler is attached: every emission point in spawned is
``if _telemetry.active: ...``, reading :data:`active` on this module (one attribute load),
which :func:`attach` and :func:`detach` keep up to date. Read it as ``_telemetry.active``,
never ``from ._telemetry import active`` (a copy that never changes).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Coroutine, Hashable, Iterable, Mapping
from time import perf_counter
from types import CoroutineType
from typing import TYPE_CHECKING, Any, Final, Protocol, cast

from attrs import frozen
from loguru import logger

from ._errors import CallTimeout
from ._reasons import is_clean
from ._results import Continue

if TYPE_CHECKING:
    from ._envelope import Envelope, Pending
    from ._messages import Caller
    from ._process import ProcessCore

PROCESS_START: Final = "spawned.process.start"
"""A process's ``init`` succeeded. Measurements: ``monotonic_time``."""
PROCESS_STOP: Final = "spawned.process.stop"
"""A process exited (also after a failed ``init``). Measurements: ``monotonic_time``;
metadata adds ``reason`` and ``clean`` (``"normal"`` or ``"shutdown"``)."""
PROCESS_CRASH: Final = "spawned.process.crash"
"""A process exited with a reason that is not clean (an exception, ``"killed"``, ...), right
after its ``spawned.process.stop``. Measurements: ``monotonic_time``; metadata adds ``reason``."""
MESSAGE: Final = "spawned.message"
"""A process handled one message. Measurements: ``duration`` (seconds, the callback and
what its result asks for, such as replying) and ``queue_length`` (messages still waiting
when it was taken); metadata adds ``message_kind``."""
CALL: Final = "spawned.call"
"""A call ended, measured at the caller. Measurements: ``duration`` (seconds, from sending
to the reply or error); metadata adds ``outcome`` (``"reply"``, ``"timeout"``, ``"error"``, or on tasks
``"cancelled"`` when the calling task was cancelled)
and ``error`` (the exception raised to the caller, or ``None``)."""
SUPERVISOR_RESTART: Final = "spawned.supervisor.restart"
"""A supervisor restarts children after one exited. Measurements: ``monotonic_time``;
metadata: the supervisor's, plus ``child`` (its id), ``child_server`` (its label or
``None``), ``reason`` and ``restarts`` (the ids restarting)."""
SUPERVISOR_MAX_INTENSITY: Final = "spawned.supervisor.max_intensity"
"""A supervisor reached its restart intensity and shuts down. Measurements:
``monotonic_time``; metadata: the supervisor's, plus ``child``, ``child_server``, ``reason``."""

EVENTS: Final = (
    PROCESS_START,
    PROCESS_STOP,
    PROCESS_CRASH,
    MESSAGE,
    CALL,
    SUPERVISOR_RESTART,
    SUPERVISOR_MAX_INTENSITY,
)
"""Every event spawned emits."""


class Handler(Protocol):
    """What :func:`attach` takes: any callable ``handler(event, measurements, metadata)``."""

    def __call__(
        self, event: str, measurements: Mapping[str, float], metadata: Mapping[str, Any], /
    ) -> object:
        """Receive one event: its name, its numbers (``duration`` ...) and what it is about
        (``server``, ``handle``, ``backend`` ...). What it returns is ignored.
        """
        ...


MESSAGE_KINDS: Final = ("call", "cast", "info", "info", "continue", "stop", "system")
"""``message_kind`` by envelope kind (``_process.CALL`` ... ``SYSTEM``; a ``Down`` is info)."""


@frozen
class _Attached:
    handler_id: Hashable
    events: tuple[str, ...]
    handler: Handler


active: bool = False
"""Whether any handler is attached: every emission point checks this first."""
_lock = threading.Lock()
_by_id: dict[Hashable, _Attached] = {}
_by_event: dict[str, tuple[_Attached, ...]] = {}
"""Rebuilt on each attach or detach, so emitting reads it without a lock."""


def attach(handler_id: Hashable, events: str | Iterable[str], handler: Handler) -> None:
    """Call ``handler(event, measurements, metadata)`` each time one of ``events`` is emitted.

    Args:
        handler_id: a unique, hashable id, for :func:`detach`.
        events: an event name (such as ``spawned.telemetry.CALL``) or several.
        handler: runs synchronously where the event is emitted (a process's task or thread,
            or the caller's), so it must be quick and must not wait. If it raises, it is
            detached and the error is logged once; the process that emitted runs on.

    Raises:
        ValueError: ``handler_id`` is already attached, or ``events`` is empty.
        TypeError: ``handler`` is not callable, or an event name is not a ``str``.
    """
    names = (events,) if isinstance(events, str) else tuple(events)
    if not names:
        raise ValueError(f"attach({handler_id!r}, ...) got no event names; pass one or more")
    for name in names:
        if not isinstance(name, str):  # pyright: ignore[reportUnnecessaryIsInstance] - callers may not be typed
            raise TypeError(f"an event name is a str such as {CALL!r}, not {name!r}")
    if not callable(handler):
        raise TypeError(f"handler must be callable as handler(event, measurements, metadata): {handler!r}")
    with _lock:
        if handler_id in _by_id:
            raise ValueError(f"a telemetry handler {handler_id!r} is already attached; detach it first")
        _by_id[handler_id] = _Attached(handler_id, names, handler)
        _rebuild()


def detach(handler_id: Hashable) -> bool:
    """Detach the handler ``handler_id``; ``False`` if none was attached with this id."""
    with _lock:
        if _by_id.pop(handler_id, None) is None:
            return False
        _rebuild()
        return True


def attached() -> list[tuple[Hashable, tuple[str, ...]]]:
    """The attached handlers, as ``(handler_id, events)``, in the order they were attached."""
    with _lock:
        return [(a.handler_id, a.events) for a in _by_id.values()]


def _rebuild() -> None:
    global active, _by_event  # noqa: PLW0603 - the flag every emission point reads
    table: dict[str, list[_Attached]] = {}
    for entry in _by_id.values():
        for name in entry.events:
            table.setdefault(name, []).append(entry)
    _by_event = {name: tuple(entries) for name, entries in table.items()}
    active = bool(_by_id)


def execute(event: str, measurements: Mapping[str, float], metadata: Mapping[str, Any]) -> None:
    """Emit ``event``: call every handler attached to it, in the order they were attached.

    Applications may emit their own events too. A handler that raises is detached and
    logged once (with its id, the event and the traceback); the others still run.
    """
    for entry in _by_event.get(event, ()):
        try:
            entry.handler(event, measurements, metadata)
        except Exception:  # noqa: BLE001 - a broken handler never takes a process down
            if detach(entry.handler_id):
                logger.opt(exception=True).bind(server=metadata.get("server")).error(
                    "telemetry handler {!r} raised on event {}; it is detached",
                    entry.handler_id,
                    event,
                )


# -- metadata ---------------------------------------------------------------------------------


def backend_of(process: ProcessCore) -> str:
    """``"asyncio"``, ``"trio"`` or ``"threads"``: where ``process`` runs."""
    native = getattr(process.runtime, "native", None)
    return "threads" if native is None else str(native.library)


def describe_process(process: ProcessCore) -> dict[str, Any]:
    """The metadata every event about ``process`` carries."""
    server = process.server
    return {
        "server": process.label,
        "server_kind": process.options.kind or type(server).__name__,
        "name": process.name,
        "pid": process.pid,
        "handle": process.handle,
        "backend": backend_of(process),
    }


# -- emission points --------------------------------------------------------------------------


def started(process: ProcessCore, outcome: object) -> None:
    """``init`` returned ``outcome`` (checked): a start unless it is ``Ignore()`` or ``Stop``."""
    if outcome is None or isinstance(outcome, Continue):
        execute(PROCESS_START, {"monotonic_time": time.monotonic()}, describe_process(process))


def stopped(process: ProcessCore, reason: object) -> None:
    """``process`` exited with ``reason``: a stop, and a crash when ``reason`` is not clean."""
    clean = is_clean(reason)
    metadata = describe_process(process)
    metadata["reason"] = reason
    metadata["clean"] = clean
    execute(PROCESS_STOP, {"monotonic_time": time.monotonic()}, metadata)
    if not clean:
        execute(PROCESS_CRASH, {"monotonic_time": time.monotonic()}, metadata)


def supervisor_event(process: ProcessCore, action: Any) -> None:
    """A supervisor logs ``action``: a ``LogRestart`` (restart) or ``LogGiveUp`` (max intensity)."""
    metadata = describe_process(process)
    metadata["child"] = action.child
    metadata["child_server"] = None if action.process is None else action.process.label
    metadata["reason"] = action.reason
    starts = getattr(action, "starts", None)
    if starts is None:
        execute(SUPERVISOR_MAX_INTENSITY, {"monotonic_time": time.monotonic()}, metadata)
    else:
        metadata["restarts"] = starts
        execute(SUPERVISOR_RESTART, {"monotonic_time": time.monotonic()}, metadata)


def handle(process: ProcessCore, env: Envelope) -> Pending | None:
    """Handle ``env`` as ``ProcessCore.handle_batch`` does (without its short cuts) and emit
    :data:`MESSAGE` with the time it took. A callback that returns a coroutine (tasks) is
    timed until the coroutine finishes: it comes back wrapped, for the backend to await.
    """
    queued = process.mailbox_size()
    begun = perf_counter()
    try:
        result = process.dispatch(env)
    except BaseException:
        _handled(process, env, queued, begun)
        raise
    if type(result) is CoroutineType:
        return env, _timed(process, env, queued, begun, cast("Coroutine[Any, Any, Any]", result))
    try:
        return process.follow(env, result)
    finally:
        _handled(process, env, queued, begun)


async def _timed(
    process: ProcessCore, env: Envelope, queued: int, begun: float, coroutine: Coroutine[Any, Any, Any]
) -> Any:
    try:
        return await coroutine
    finally:
        _handled(process, env, queued, begun)


def _handled(process: ProcessCore, env: Envelope, queued: int, begun: float) -> None:
    duration = perf_counter() - begun
    metadata = describe_process(process)
    metadata["message_kind"] = MESSAGE_KINDS[env[0]]
    execute(MESSAGE, {"duration": duration, "queue_length": queued}, metadata)


def call_ended(process: ProcessCore, begun: float, error: BaseException | None) -> None:
    """A call to ``process`` begun at ``perf_counter()`` ``begun`` ended (``error``: what it raised)."""
    duration = perf_counter() - begun
    metadata = describe_process(process)
    if error is None:
        metadata["outcome"] = "reply"
    elif isinstance(error, CallTimeout):
        metadata["outcome"] = "timeout"
    else:
        metadata["outcome"] = "error" if isinstance(error, Exception) else "cancelled"
    metadata["error"] = error
    execute(CALL, {"duration": duration}, metadata)


async def call_async(process: ProcessCore, msg: object, timeout: float) -> Any:
    """``tasks.Handle.call``, timed: emits :data:`CALL` however the call ends."""
    begun = perf_counter()
    try:
        caller: Caller[Any] = process.begin_call(msg, timeout)
        try:
            slot: Any = caller._slot  # the backend's: its result() is awaited here
            reply: Any = await slot.result(process.label, timeout)
        except BaseException:  # timed out or cancelled: the server forgets the call
            process.forget_call(caller)
            raise
    except BaseException as error:
        call_ended(process, begun, error)
        raise
    call_ended(process, begun, None)
    return reply


def call_blocking(process: ProcessCore, msg: object, timeout: float) -> Any:
    """``threads.Handle.call``, timed: emits :data:`CALL` however the call ends."""
    begun = perf_counter()
    try:
        caller: Caller[Any] = process.begin_call(msg, timeout)
        try:
            slot: Any = caller._slot  # the backend's: its result() blocks here
            reply: Any = slot.result(process.label, timeout)
        except CallTimeout:  # the server forgets the call
            process.forget_call(caller)
            raise
    except BaseException as error:
        call_ended(process, begun, error)
        raise
    call_ended(process, begun, None)
    return reply
