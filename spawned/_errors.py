"""Errors raised to the callers of spawned. Each keeps its data as fields."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ._reasons import describe, is_clean

if TYPE_CHECKING:
    from ._handle import HandleBase


class SpawnedError(Exception):
    """Base class of every error spawned raises on purpose."""


class CallTimeout(SpawnedError):
    """A ``call`` got no reply within its timeout, or a ``stop`` did not finish within its own.

    After a call, the server keeps running; if it replies later, the reply is dropped.
    After a stop, the server was killed. ``stopping`` says which.
    """

    def __init__(self, server: str, timeout: float, *, stopping: bool = False) -> None:
        self.server = server
        self.timeout = timeout
        self.stopping = stopping
        if stopping:
            text = (
                f"{server} did not stop within {timeout:g} s and was killed "
                "(its terminate took too long; pass a longer timeout to stop)"
            )
        else:
            text = (
                f"call to {server} got no reply within {timeout:g} s; the server keeps running "
                "and will drop a late reply (pass a longer timeout, or check that every call is answered)"
            )
        super().__init__(text)


class NoProc(SpawnedError):
    """The target process is not alive (it exited, or the name is not registered)."""

    def __init__(self, server: str, *, unregistered: bool = False) -> None:
        self.server = server
        if unregistered:
            text = (
                f"no process: nothing is registered under {server} (it never started, or it "
                "exited and released the name); check the name, or start a server under it"
            )
        else:
            text = (
                f"no process: {server} is not alive (it has exited); start a new one, "
                "or monitor it to learn when it exits"
            )
        super().__init__(text)


class ServerExited(SpawnedError):
    """The server exited before it replied; ``reason`` is its exit reason.

    Raised at once when the server dies, not at the call's timeout. When the server crashed,
    its exception is also this error's ``__cause__``, so the caller's traceback shows the
    server's too.
    """

    __cause__: BaseException | None

    def __init__(self, server: str, reason: object) -> None:
        self.server = server
        self.reason = reason
        if isinstance(reason, BaseException):
            self.__cause__ = reason
        hint = "; its crash report is in the log" if isinstance(reason, BaseException) else ""
        super().__init__(f"{server} exited before replying, reason: {describe(reason)}{hint}")


class CallingSelf(SpawnedError):
    """A server called itself, which would wait forever. Use a plain method instead."""

    def __init__(self, server: str) -> None:
        self.server = server
        super().__init__(
            f"{server} called itself; a server cannot wait for its own reply "
            "(call a plain method, or cast to yourself)"
        )


class AlreadyStarted(SpawnedError):
    """``start`` was given a name a living process holds; ``handle`` is that process.

    The new server's ``init`` never ran.
    """

    def __init__(self, name: object, handle: HandleBase[Any, Any, Any]) -> None:
        self.name = name
        self.handle = handle
        super().__init__(
            f"name {name!r} is already taken by {handle!r}; reach that process with "
            f"whereis({name!r}), or start this one under another name"
        )


class InitFailed(SpawnedError):
    """``init`` raised or returned ``Stop(reason)``, or the process died while ``init`` ran
    (killed, or taken down by a link: ``reason`` is then its exit reason, such as
    ``"killed"``); ``reason`` says why.

    ``terminate`` was not called and the process is gone. When ``init`` raised, its exception
    is also this error's ``__cause__``.
    """

    __cause__: BaseException | None

    def __init__(self, server: str, reason: object, how: str | None = None, *, logged: bool = True) -> None:
        self.server = server
        self.reason = reason
        if isinstance(reason, BaseException):
            self.__cause__ = reason
        if how is None:
            how = "init raised" if isinstance(reason, BaseException) else "init returned Stop"
        hint = "" if is_clean(reason) or not logged else "; its crash report is in the log"
        super().__init__(f"{server} failed to start ({how}), reason: {describe(reason)}{hint}")


class Ignored(SpawnedError):
    """``init`` returned ``Ignore()``: the server chose not to run. No process remains."""

    def __init__(self, server: str) -> None:
        self.server = server
        super().__init__(f"{server} returned Ignore() from init and is not running")


class BadReturn(SpawnedError):
    """A callback returned a value it may not return. This is the crash reason of the server."""

    def __init__(self, callback: str, value: object, allowed: str) -> None:
        self.callback = callback
        self.value = value
        self.allowed = allowed
        hint = ""
        if value is None and callback == "handle_call":
            hint = " (a `match` with no matching case returns None: add a case for this message)"
        super().__init__(f"{callback} returned {value!r}; allowed: {allowed}{hint}")


class AlreadyRegistered(SpawnedError):
    """``Registry.register`` was given a unique key that a living process holds.

    ``handle`` is the holder (possibly the caller itself); the registry is unchanged.
    """

    def __init__(self, key: object, handle: HandleBase[Any, Any, Any]) -> None:
        self.key = key
        self.handle = handle
        super().__init__(
            f"key {key!r} is already registered by {handle!r} in this unique registry; "
            "look it up with lookup(), or use a registry with keys='duplicate'"
        )


class ChildAlreadyStarted(SpawnedError):
    """``start_child`` got a spec whose id belongs to a running child; ``handle`` is that child."""

    def __init__(self, child_id: object, handle: HandleBase[Any, Any, Any]) -> None:
        self.id = child_id
        self.handle = handle
        super().__init__(f"child {child_id!r} is already started: {handle!r}")


class ChildAlreadyPresent(SpawnedError):
    """``start_child`` got a spec whose id the supervisor holds for a child that is not running.

    Use ``restart_child(id)`` to start it, or ``delete_child(id)`` first.
    """

    def __init__(self, child_id: object) -> None:
        self.id = child_id
        super().__init__(f"child {child_id!r} is already present (not running); restart or delete it")


class ChildNotFound(SpawnedError):
    """The supervisor has no child with this id (or, on a ``DynamicSupervisor``, this handle)."""

    def __init__(self, child: object) -> None:
        self.child = child
        super().__init__(f"no child {child!r} in this supervisor")


class ChildRunning(SpawnedError):
    """``restart_child`` or ``delete_child`` named a child that is running; terminate it first."""

    def __init__(self, child_id: object) -> None:
        self.id = child_id
        super().__init__(f"child {child_id!r} is running; terminate_child it first")


class ChildRestarting(SpawnedError):
    """``restart_child``, ``delete_child`` or ``start_child`` named a child whose restart failed
    and is being tried again (OTP's ``{error, restarting}``); the child is left as it is.
    ``terminate_child`` ends the retries.
    """

    def __init__(self, child_id: object) -> None:
        self.id = child_id
        super().__init__(f"child {child_id!r} is restarting (its restart failed); terminate_child stops it")


class MaxChildren(SpawnedError):
    """A ``DynamicSupervisor`` already has ``max_children`` children; nothing was started."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        super().__init__(f"the supervisor already has its max_children ({limit}) children")
