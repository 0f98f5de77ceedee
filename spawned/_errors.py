"""Errors raised to the callers of spawned. Each keeps its data as fields."""

from __future__ import annotations

from typing import Any


class SpawnedError(Exception):
    """Base class of every error spawned raises on purpose."""


class CallTimeout(SpawnedError):
    """A ``call`` got no reply within its timeout.

    The server keeps running; if it replies later, the reply is dropped.
    """

    def __init__(self, server: str, timeout: float) -> None:
        self.server = server
        self.timeout = timeout
        super().__init__(f"call to {server} got no reply within {timeout:g} s")


class NoProc(SpawnedError):
    """The target process is not alive (it exited, or the name is not registered)."""

    def __init__(self, server: str) -> None:
        self.server = server
        super().__init__(f"no process: {server} is not alive")


class ServerExited(SpawnedError):
    """The server exited before it replied; ``reason`` is its exit reason.

    Raised at once when the server dies, not at the call's timeout.
    """

    def __init__(self, server: str, reason: object) -> None:
        self.server = server
        self.reason = reason
        super().__init__(f"{server} exited before replying, reason: {reason!r}")


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

    def __init__(self, name: object, handle: Any) -> None:
        self.name = name
        self.handle = handle
        super().__init__(f"name {name!r} is already taken by {handle!r}")


class InitFailed(SpawnedError):
    """``init`` raised or returned ``Stop(reason)``; ``reason`` says why.

    ``terminate`` was not called and the process is gone.
    """

    def __init__(self, server: str, reason: object) -> None:
        self.server = server
        self.reason = reason
        super().__init__(f"{server} failed to start, reason: {reason!r}")


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
        super().__init__(f"{callback} returned {value!r}; allowed: {allowed}")


class AlreadyRegistered(SpawnedError):
    """``Registry.register`` was given a unique key that a living process holds.

    ``handle`` is the holder (possibly the caller itself); the registry is unchanged.
    """

    def __init__(self, key: object, handle: Any) -> None:
        self.key = key
        self.handle = handle
        super().__init__(f"key {key!r} is already registered by {handle!r}")
