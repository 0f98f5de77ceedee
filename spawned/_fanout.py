"""Fan-out calls (OTP's ``multi_call``): post one call to every member, then gather.

Every request is posted before any reply is awaited, so the calls are in flight together
and one overall timeout bounds the whole gather. Waiting is the backend's: ``gather``
takes its ``wait`` and its clock (on threads, ``wait`` blocks and ``drive`` runs it).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from attrs import frozen

from ._errors import CallTimeout, NoProc, SpawnedError
from ._handle import HandleBase
from ._messages import Caller
from ._timers import check_timeout

if TYPE_CHECKING:
    from ._backend import ReplySlot

R = TypeVar("R")


@frozen
class CallResult(Generic[R]):
    """One member's answer to a ``multi_call``: its reply, or the error its call raised.

    Attributes:
        target: what was called: the handle or name given, or for a ``Via`` the member's handle.
        handle: the process that was called; ``None`` when ``target`` named no process.
        value: the reply (``None`` when the call failed).
        error: the [`SpawnedError`][spawned.SpawnedError] a plain ``call`` would have raised
            (``NoProc``, ``CallTimeout``, ``ServerExited``, ``CallingSelf``), or ``None``.
    """

    target: object
    handle: HandleBase[Any, Any, Any] | None
    value: R | None = None
    error: SpawnedError | None = None

    @property
    def ok(self) -> bool:
        """Whether the member replied."""
        return self.error is None

    def unwrap(self) -> R:
        """The reply; raises the member's error if its call failed."""
        if self.error is not None:
            raise self.error
        return self.value  # pyright: ignore[reportReturnType]


Member = tuple[object, HandleBase[Any, Any, Any] | None]
Posted = tuple[object, HandleBase[Any, Any, Any] | None, "Caller[Any] | None", SpawnedError | None]


def post_calls(members: list[Member], msg: object, timeout: float) -> list[Posted]:
    """Post ``msg`` as a call to every member; a member that cannot be called (unknown
    name, dead, the calling process itself) gets its error now. ``timeout`` is checked
    first (``ValueError`` when negative or NaN).
    """
    check_timeout(timeout)
    posted: list[Posted] = []
    for target, handle in members:
        if handle is None:
            posted.append((target, None, None, NoProc(repr(target), unregistered=True)))
            continue
        try:
            caller = handle._process.begin_call(msg, timeout)
        except SpawnedError as error:
            posted.append((target, handle, None, error))
        else:
            posted.append((target, handle, caller, None))
    return posted


async def gather(
    posted: list[Posted],
    timeout: float,
    now: Callable[[], float],
    wait: Callable[[ReplySlot[Any], str, float], Awaitable[Any]],
) -> list[CallResult[Any]]:
    """Wait for every posted call, all against one deadline ``timeout`` seconds from now.

    A call still unanswered at the deadline fails with ``CallTimeout`` (its late reply is
    dropped); ``wait(slot, label, seconds)`` returns a reply or raises the call's error.
    """
    deadline = now() + timeout
    results: list[CallResult[Any]] = []
    for target, handle, caller, error in posted:
        if handle is None or caller is None:
            results.append(CallResult(target, handle, None, error))
            continue
        process = handle._process
        slot = caller._slot
        try:
            if slot.done:  # answered already, however late it is: no wait
                if slot.error is not None:
                    raise slot.error
                value = slot.value
            else:
                value = await wait(slot, process.label, max(0.0, deadline - now()))
        except CallTimeout:
            process.forget_call(caller)
            results.append(CallResult(target, handle, None, CallTimeout(process.label, timeout)))
        except SpawnedError as failure:
            results.append(CallResult(target, handle, None, failure))
        else:
            results.append(CallResult(target, handle, value))
    return results
