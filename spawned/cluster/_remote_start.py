"""Starting a server on another node, by an importable reference.

Code does not cross the wire: the starter names a class (or any factory) as
``"package.module:Class"``, with arguments the cluster's codec encodes, and the target node
imports that module, builds the server and starts it, exactly as a local ``start`` would. The
target answers with the new process's handle, or with the error ``start`` raised there
(``InitFailed``, ``AlreadyStarted``, ``Ignored``, an ``ImportError`` for a bad reference...),
which the starter raises as if the start had been local.

A node accepts remote starts only after :func:`allow_remote_start` ran on it: importing and
running a module because a message said so is running code the cluster chose, which is safe
only in a trusted cluster (every node that can reach this one's subjects may do it).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import importlib
import re
from collections.abc import Callable, Hashable, Sequence
from typing import TYPE_CHECKING, Any, cast

from .._errors import NoProc, ServerExited
from .._messages import Exit
from .._results import Reply, Stop
from .._server import GenServer
from .._supervisor_logic import ChildSpec, DynamicSupervisor, Restart, Supervisor

if TYPE_CHECKING:
    from .._handle import HandleBase
    from .._messages import Caller
    from ._node import Node

__all__ = ["RemoteChild", "allow_remote_start", "check_reference", "remote_child", "start_on"]

_SERVER_TYPES = (GenServer, Supervisor, DynamicSupervisor)
"""What a remote start may make: a class named by reference must be one of these."""

REPLY_MARGIN = 2.0
"""Seconds a starter waits for the target's answer beyond the start's own timeout: the target
times the start out itself (and kills a server made too late), so its answer always comes."""

START_VERB = "start"
"""The control verb a node answers remote starts on."""

_REFERENCE = re.compile(r"[A-Za-z_]\w*(\.[A-Za-z_]\w*)*:[A-Za-z_]\w*(\.[A-Za-z_]\w*)*")


def check_reference(reference: object) -> str:
    """Return ``reference`` if it is ``"package.module:Name"`` (dotted identifiers on both
    sides of one colon), else raise.

    Raises:
        TypeError: ``reference`` is not a ``str``.
        ValueError: it is not of that form (a bare name, a path, code...).
    """
    if not isinstance(reference, str):
        msg = f"a remote start reference must be a str 'package.module:Class', got {reference!r}"
        raise TypeError(msg)
    if _REFERENCE.fullmatch(reference) is None:
        msg = (
            f"bad remote start reference {reference!r}: use 'package.module:Class' (dotted "
            "identifiers, one colon), naming an importable module and a class or factory in it"
        )
        raise ValueError(msg)
    return reference


def resolve(reference: str) -> Callable[..., Any]:
    """Import the module of ``reference`` and return the object it names.

    Raises:
        TypeError, ValueError: a malformed reference (see :func:`check_reference`).
        ImportError: the module cannot be imported.
        AttributeError: the module has no such name.
    """
    module_name, _, qualname = check_reference(reference).partition(":")
    found: Any = importlib.import_module(module_name)
    for part in qualname.split("."):
        found = getattr(found, part)
    if not callable(found):
        msg = f"{reference!r} names {found!r}, which is not a class or factory"
        raise TypeError(msg)
    return found


def allow_remote_start(node: Node) -> None:
    """Let other nodes start servers on ``node`` by reference (see :func:`start_on`).

    Call once after the node joined. Every node that can reach this node's subjects may then
    make it import any module on its path and run any callable in it: do it only in a
    trusted cluster (the launcher and the pytest fixture do it on the nodes they start).
    """
    node.control(START_VERB, functools.partial(_start_here, node))


async def _start_here(node: Node, payload: Any) -> Any:
    """The target's half: build the server from its reference and start it here."""
    reference, args, kwargs, name, timeout = payload
    factory = resolve(reference)
    named: object = factory
    if isinstance(named, type) and not issubclass(named, _SERVER_TYPES):  # refused unmade
        msg = (
            f"{reference!r} names the class {named.__qualname__}, not a GenServer, Supervisor or "
            "DynamicSupervisor (name a server class, or a factory that returns a fresh server)"
        )
        raise TypeError(msg)
    server = factory(*args, **(kwargs or {}))
    if not isinstance(server, _SERVER_TYPES):
        msg = (
            f"{reference!r} made {server!r}, not a GenServer, Supervisor or DynamicSupervisor "
            "(name a server class, or a factory that returns a fresh server)"
        )
        raise TypeError(msg)
    started = asyncio.ensure_future(_start_on_runtime(node, server, name))
    try:
        return await asyncio.wait_for(asyncio.shield(started), timeout)
    except TimeoutError:  # the starter gives up now: so does this node, once the start ends
        started.add_done_callback(_kill_late)
        msg = f"{reference!r} did not finish starting on node {node.name} within {timeout} s"
        raise TimeoutError(msg) from None


def _kill_late(started: asyncio.Future[HandleBase[Any, Any, Any]]) -> None:
    """Kill the server of a start its starter gave up on (it timed out), once it is made."""
    if not started.cancelled() and started.exception() is None:
        started.result().kill()


async def _start_on_runtime(node: Node, server: Any, name: object) -> HandleBase[Any, Any, Any]:
    """``node.runtime.start(server, name=name)``, from the node's loop, whatever the backend."""
    from ..tasks._runtime import Runtime as TasksRuntime  # noqa: PLC0415 - no import cycle
    from ..threads._runtime import Runtime as ThreadsRuntime  # noqa: PLC0415

    runtime = node.runtime
    loop = asyncio.get_running_loop()
    if isinstance(runtime, ThreadsRuntime):  # start blocks: off the node's loop
        start: Callable[[], HandleBase[Any, Any, Any]] = functools.partial(runtime.start, server, name=name)
        return await loop.run_in_executor(None, start)
    assert isinstance(runtime, TasksRuntime)  # noqa: S101 - a runtime is of one of the two
    if runtime.on_loop():  # asyncio: the node's loop is the runtime's
        return cast("HandleBase[Any, Any, Any]", await runtime.start(server, name=name))
    done: asyncio.Future[HandleBase[Any, Any, Any]] = loop.create_future()

    async def start_there() -> None:
        try:
            handle = cast("HandleBase[Any, Any, Any]", await runtime.start(server, name=name))
        except Exception as error:  # noqa: BLE001 - handed to the requester
            loop.call_soon_threadsafe(_settle, done, None, error)
        else:
            loop.call_soon_threadsafe(_settle, done, handle, None)

    runtime.soon(lambda: runtime.start_task(start_there, name=f"remote start {server!r}"))
    return await done


def _settle(future: asyncio.Future[Any], value: Any, error: BaseException | None) -> None:
    if future.done():
        return
    if error is not None:
        future.set_exception(error)
    else:
        future.set_result(value)


def start_on(  # noqa: PLR0913 - where, what, its arguments, then start's own options
    node: Node,
    target: str,
    reference: str,
    *,
    args: Sequence[object] = (),
    kwargs: dict[str, object] | None = None,
    name: object = None,
    timeout: float = 5.0,
) -> Any:
    """Start ``reference(*args, **kwargs)`` on node ``target`` and return its handle:
    awaitable on a tasks node, blocking on a threads node.

    The target imports the module of ``reference`` (``"package.module:Class"``), calls it
    with the arguments (encoded by the cluster's codec) and starts the server it returns at
    top level there (a temporary child of the target runtime's root), registered under
    ``name`` on the target (a plain name, local to that node). The start is synchronous, as
    a local one: the handle comes back once ``init`` has run. A class that ``reference``
    names must be a server class (it is refused before it is made); a function is called,
    and what it returns must be a server.

    Raises:
        InitFailed, AlreadyStarted, Ignored: as a local ``start`` raises them.
        TimeoutError: the start did not finish within ``timeout`` seconds on the target (which
            kills the server if it is made later), or the target did not answer.
        NoProc: node ``target`` is not up (or does not accept remote starts).
        LookupError: node ``target`` does not accept remote starts (no
            :func:`allow_remote_start` there).
        ImportError, AttributeError, TypeError: the reference cannot be imported or does not
            make a server there.
        ValueError: ``reference`` is not ``"package.module:Class"``.
    """
    check_reference(reference)
    payload = [reference, list(args), dict(kwargs or {}), name, timeout]
    return node.run_io(node.request, target, START_VERB, payload, timeout + REPLY_MARGIN)


def remote_child(  # noqa: PLR0913 - a child spec's options, then where and what
    child_id: Hashable,
    node: Node,
    target: str,
    reference: str,
    *,
    args: Sequence[object] = (),
    kwargs: dict[str, object] | None = None,
    restart: Restart | str = Restart.PERMANENT,
    shutdown: float | None = None,
) -> ChildSpec[RemoteChild]:
    """A child spec whose child runs on node ``target``: a supervisor on this node starts,
    restarts and stops it as any child, through a local stand-in (:class:`RemoteChild`).

    Each (re)start starts ``reference(*args, **kwargs)`` on ``target`` (see
    :func:`start_on`) and links the stand-in to it: when the remote process exits, or its
    node goes away (reason ``"noconnection"``), the stand-in exits with the same reason and
    the supervisor acts on it; when the supervisor stops the stand-in, it stops the remote
    process first.

    Limits: the supervisor's handle of the child is the stand-in's (calls and casts to it
    are forwarded; use :attr:`RemoteChild.remote` through ``get_state`` or register the
    remote server under a name to reach it directly); a restart always goes to ``target``
    (if that node is gone, the restart fails and counts towards the supervisor's intensity,
    as a failing local start does); a dynamic supervisor takes the same spec.
    """
    check_reference(reference)
    return ChildSpec(
        child_id,
        lambda: RemoteChild(node, target, reference, args, kwargs),
        restart=restart,
        shutdown=shutdown,
    )


class RemoteChild(GenServer[Any, Any, Any]):
    """The local stand-in of a supervisor's child on another node (see :func:`remote_child`).

    Starts the remote server in ``init``, links to it and traps exits: the remote's exit
    becomes its own, and its ``terminate`` stops the remote. Calls, casts and other
    messages are forwarded to the remote server.
    """

    def __init__(
        self,
        node: Node,
        target: str,
        reference: str,
        args: Sequence[object] = (),
        kwargs: dict[str, object] | None = None,
    ) -> None:
        self.node = node
        self.target = target
        self.reference = reference
        self.args: list[Any] = list(args)
        self.kwargs: dict[str, Any] = dict(kwargs or {})
        self.remote: HandleBase[Any, Any, Any] | None = None
        """The remote server's handle, once started."""

    def _tasks(self) -> bool:
        from ..tasks._runtime import Runtime as TasksRuntime  # noqa: PLC0415 - no import cycle

        return isinstance(self.node.runtime, TasksRuntime)

    def init(self) -> Any:
        """Start the remote server and link to it (awaited on tasks, blocking on threads)."""
        self.trap_exits = True
        started = start_on(self.node, self.target, self.reference, args=self.args, kwargs=self.kwargs)
        if self._tasks():
            return self._linked_async(started)
        self._linked(started)
        return None

    async def _linked_async(self, started: Any) -> None:
        self._linked(await started)

    def _linked(self, remote: HandleBase[Any, Any, Any]) -> None:
        self.remote = remote
        self.link(remote)

    def handle_call(self, msg: Any, caller: Caller[Any]) -> Any:
        """Forward the call to the remote server; its reply (or error) is the answer."""
        del caller
        remote = self._remote()
        if self._tasks():
            return self._call_async(remote, msg)
        blocking: Any = remote
        return Reply(blocking.call(msg))

    async def _call_async(self, remote: HandleBase[Any, Any, Any], msg: Any) -> Reply[Any]:
        awaited: Any = remote
        return Reply(await awaited.call(msg))

    def handle_cast(self, msg: Any) -> None:
        """Forward the cast."""
        self._remote().cast(msg)

    def handle_info(self, msg: Any) -> Stop | None:
        """Exit with the remote's reason when it exits; forward anything else."""
        if isinstance(msg, Exit):
            return Stop(msg.reason)
        self._remote().send(msg)
        return None

    def terminate(self, reason: object) -> Any:
        """Stop the remote server (it may be gone already)."""
        remote = self.remote
        if remote is None or not remote.is_alive:
            return None
        self.unlink(remote)
        if self._tasks():
            return self._stop_async(remote, reason)
        with contextlib.suppress(NoProc, ServerExited):  # gone meanwhile
            blocking: Any = remote
            blocking.stop(reason)
        return None

    async def _stop_async(self, remote: HandleBase[Any, Any, Any], reason: object) -> None:
        with contextlib.suppress(NoProc, ServerExited):  # gone meanwhile
            awaited: Any = remote
            await awaited.stop(reason)

    def _remote(self) -> HandleBase[Any, Any, Any]:
        assert self.remote is not None  # noqa: S101 - set by init before any message
        return self.remote
