"""The node: a runtime's presence in a cluster, its NATS connection, and the wire protocol.

Subjects (``<c>`` is the cluster's name, ``<n>`` a node's)::

    <c>.<n>.in          frames to the node's processes (messages, calls, signals), in order
    <c>.<n>.rep.<id>    the reply to call <id> made from node <n>
    <c>.<n>.ctl.<verb>  control requests (lookups, remote start), request/reply
    <c>.hb              heartbeats (only without the system account)

The node subscribes to ``<c>.<n>.>`` once: everything sent to it by one node arrives in the
order sent (NATS keeps each connection's order per subscription). A frame is a list
``[kind, pid, creation, ...]`` encoded by the cluster's codec. A call is published to
``<c>.<n>.in`` with the reply subject ``<c>.<me>.rep.<id>``: when no node ``<n>`` listens,
the server answers with a "no responders" status on that subject at once, which is
``NoProc``; an unknown process on a live node is answered ``NoProc`` by that node.

Node-down: with the system account's user, the node watches ``$SYS.ACCOUNT.*.DISCONNECT``
(the server reports a connection gone within milliseconds of a ``kill -9``); without it, nodes
publish heartbeats and one silent for three intervals is taken for gone. Either way every
call in flight to it fails with ``ServerExited("noconnection")``, monitors get ``Down(...,
"noconnection")`` and links take that exit signal. When this node's own connection drops,
every other node is gone for it, likewise.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import secrets
import threading
import time
import weakref
from collections import deque
from collections.abc import Awaitable, Callable, Coroutine
from typing import TYPE_CHECKING, Any, Final, TypeVar, cast

from loguru import logger

from .._envelope import CALL as CALL_ENV
from .._envelope import CAST as CAST_ENV
from .._envelope import DOWN as DOWN_ENV
from .._envelope import INFO as INFO_ENV
from .._envelope import STOP as STOP_ENV
from .._errors import NoProc, ServerExited
from .._messages import Caller, Down, Ref
from .._process import ProcessCore
from .._reasons import NOCONNECTION, NOPROC, safe_repr
from .._signals import locked
from ._adapters import Adapter, adapter_for
from ._codec import BoundCodec, CodecError
from ._remote import RemoteProcess, RemoteSlot, RemoteWatcher
from ._wire import Pid

if TYPE_CHECKING:
    from nats.aio.client import Client
    from nats.aio.msg import Msg

    from .._backend import ReplySlot
    from .._envelope import Envelope
    from .._handle import HandleBase
    from .._runtime import RuntimeCore
    from .._signals import Signals
    from ._config import Cluster
    from ._embedded import EmbeddedServer

__all__ = ["Node"]

T = TypeVar("T")

# Frame kinds on <c>.<n>.in
CAST: Final = 0
INFO: Final = 1
CALL: Final = 2
STOP: Final = 3
KILL: Final = 4
EXIT: Final = 5
LINK: Final = 6
UNLINK: Final = 7
LINKED_EXIT: Final = 8
MONITOR: Final = 9
DEMONITOR: Final = 10
DOWN: Final = 11

# Reply frames on <c>.<n>.rep.<id>
_REPLY: Final = 0
_EXITED: Final = 1
_NOPROC: Final = 2
_FAILED: Final = 3

REMEMBERED_EXITS: Final = 10_000
"""Exit reasons of exported processes a node keeps, so a ``join`` from another node that
arrives after the exit still returns the reason.
"""

CLOSE_TIMEOUT: Final = 5
"""Seconds a closing node waits for what it still has to send."""

HEARTBEATS_MISSED: Final = 3
"""Heartbeat intervals a node may stay silent before it is taken for gone."""


class Node:
    """A runtime's membership of a cluster: made by ``Runtime(cluster=...)``, as ``runtime.node``.

    Attributes besides the methods: ``name`` (this node's), ``cluster`` (the subject prefix),
    ``codec`` (the cluster codec bound to this node), ``server`` (the embedded server this
    node started, or ``None``), ``creation`` (which run of the node this is).
    """

    def __init__(self, runtime: RuntimeCore, config: Cluster) -> None:  # noqa: PLR0915 - its tables
        self.runtime: RuntimeCore = runtime
        self.config: Cluster = config
        self.name: str = config.node
        """This node's name."""
        self.cluster: str = config.name
        """The cluster's name, the first token of its subjects."""
        self.creation: int = secrets.randbits(31) + 1
        """Which run of this node it is (pids of an earlier run never reach this one)."""
        self.codec: BoundCodec = config.codec.bind(self)
        """The cluster's codec, bound to this node (handles encode as pids, and back)."""
        self.server: EmbeddedServer | None = None
        """The embedded server this node started (no ``url`` given), else ``None``."""
        self.adapter: Adapter = adapter_for(runtime)
        self._lock = threading.Lock()
        self._exported: dict[int, ProcessCore] = {}
        """Local processes other nodes may address (they have a pid), until they exit."""
        self._handles: weakref.WeakValueDictionary[int, HandleBase[Any, Any, Any]] = (
            weakref.WeakValueDictionary()
        )
        """Their handles, kept after the exit as long as anything holds them."""
        self._proxies: weakref.WeakValueDictionary[Pid, RemoteProcess] = weakref.WeakValueDictionary()
        self._calls: dict[int, tuple[ReplySlot[Any], RemoteProcess]] = {}
        self._call_of_slot: dict[int, int] = {}
        self._call_ids = itertools.count(1)
        self._refs: dict[int, tuple[Ref, RemoteProcess]] = {}
        """Monitors of remote processes placed from here, by ref id."""
        self._watched_by: dict[tuple[str, int, int], tuple[ProcessCore, Ref]] = {}
        """Monitors of local processes placed from other nodes, by ``(node, creation, ref id)``."""
        self._joins: dict[RemoteProcess, Ref] = {}
        self._reasons: dict[int, object] = {}
        """The exit reasons of the last exported processes that exited (for a late ``join``)."""
        self._down: set[tuple[str, int]] = set()
        self._seen: dict[str, tuple[int, float]] = {}
        self._down_callbacks: list[Callable[[str], object]] = []
        self._exit_callbacks: list[Callable[[Pid, object], object]] = []
        self._controls: dict[str, Callable[[Any], Any]] = {
            "whereis": self._whereis_here,
            "node": self._identify,
        }
        self._inbound: deque[tuple[list[Any], str]] = deque()
        self._handing_over = False
        self._hand_over: Callable[[Callable[[], None]], None] | None = self.adapter.hand_over()
        """How frames reach the runtime's loop when it is not the node's (trio), else ``None``."""
        self._out: deque[Any] = deque()
        self._kicked = False
        self._busy = False
        self._resuming: asyncio.Task[None] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._loop_thread = 0
        self._nc: Client | None = None
        self._system: Client | None = None
        self._tasks: list[asyncio.Task[None]] = []
        self._prefix = f"{self.cluster}.{self.name}."
        self._inbox = f"{self._prefix}in"
        self._replies = f"{self._prefix}rep."
        self._unserved = f"{self._prefix}nr."
        """Reply subject of monitor and link frames, ``<prefix>nr.<node>.<creation>``: the server
        answers "no responders" there when no run of that node is up, which is its node-down.
        """
        self._control_prefix = f"{self._prefix}ctl."
        self._log = logger.bind(node=self.name)
        self.closed: bool = False
        self._join_errors: list[Exception] = []

    def __repr__(self) -> str:
        return f"<Node {self.name!r} of cluster {self.cluster!r}>"

    # -- opening and closing ------------------------------------------------------------------------

    async def _open(self) -> None:
        """Connect, subscribe and start the writer (on the node's loop)."""
        self._loop = asyncio.get_running_loop()
        config = self.config
        nc: Any = await self._connect(
            config.connect_options(),
            name=f"spawned:{self.cluster}:{self.name}:{self.creation}",
            disconnected_cb=self._disconnected,
            skip_subject_validation=True,
        )
        await self._claim_name(nc)
        self._nc = nc
        self._loop_thread = threading.get_ident()
        self._drain()
        await nc.subscribe(f"{self._prefix}>", cb=self._on_message)
        system = config.system_options()
        if system is not None:
            system_nc: Any = await self._connect(system, name=f"spawned-system:{self.cluster}:{self.name}")
            self._system = system_nc
            await system_nc.subscribe("$SYS.ACCOUNT.*.DISCONNECT", cb=self._on_disconnect_event)
            await system_nc.flush()
        else:
            await nc.subscribe(f"{self.cluster}.hb", cb=self._on_heartbeat)
            self._tasks.append(asyncio.get_running_loop().create_task(self._heartbeats()))
        await nc.flush()

    async def _claim_name(self, nc: Any) -> None:
        """Make sure no node of this name is up in the cluster (it would get this node's
        messages too, and answer them ``NoProc``): raise ``ConnectionError`` if one answers.

        A node that does not answer within three heartbeat intervals is taken for gone (the
        server may keep a dead node's connection until it times out). Two nodes of one name
        joining at the same instant can both pass.
        """
        from nats import errors as nats_errors  # noqa: PLC0415

        silence = self.config.heartbeat * HEARTBEATS_MISSED
        try:
            await nc.request(f"{self._control_prefix}node", self.codec.encode(None), timeout=silence)
        except (nats_errors.NoRespondersError, nats_errors.TimeoutError):
            return
        await nc.close()
        msg = (
            f"node {self.name!r} could not join cluster {self.cluster!r}: a node of that name is "
            "already up (node names are unique within a cluster)"
        )
        raise ConnectionError(msg)

    async def _connect(self, options: dict[str, Any], **more: Any) -> Any:
        """A connected nats-py client, or ``ConnectionError`` after ``join_timeout`` seconds
        (nats-py alone would try for minutes), naming the servers and the last error.
        """
        from nats import errors as nats_errors  # noqa: PLC0415 - only a node imports nats
        from nats.aio.client import Client  # noqa: PLC0415

        client: Any = Client()
        self._join_errors = []
        timeout = self.config.join_timeout
        try:
            await asyncio.wait_for(client.connect(**options, **more, error_cb=self._error), timeout)
        except (TimeoutError, OSError, nats_errors.Error) as error:
            with contextlib.suppress(Exception):
                await client.close()
            seen = [*self._join_errors, error] if not self._join_errors else self._join_errors
            why = "; ".join(dict.fromkeys(repr(e) for e in seen))
            msg = (
                f"node {self.name!r} could not join the cluster at {options.get('servers')!r} "
                f"within {timeout} s: {why}"
            )
            raise ConnectionError(msg) from None
        return client

    async def _close(self) -> None:
        """Send what is queued, then close the connections (on the node's loop)."""
        from nats import errors as nats_errors  # noqa: PLC0415

        if self._nc is None:
            return
        nc = self._nc
        self._all_down()  # what still waits for another node (a task outside any process) ends
        if self._system is None:  # heartbeats: say goodbye, so others need not wait for silence
            self._enqueue((f"{self.cluster}.hb", self.codec.encode([self.name, self.creation, False]), ""))
        done = asyncio.get_running_loop().create_future()
        self._enqueue(done)
        if nc.is_connected:
            try:
                await asyncio.wait_for(done, CLOSE_TIMEOUT)
                await nc.flush(timeout=CLOSE_TIMEOUT)
            except (TimeoutError, nats_errors.Error) as error:
                self._log.warning("messages to other nodes may be lost: {!r}", error)
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if self._system is not None:
            await self._system.close()
        await nc.close()

    def open_blocking(self) -> None:
        """Join the cluster from a thread that may block (threads backend)."""
        self._start_server()
        loop = self.adapter.start_loop()
        try:
            asyncio.run_coroutine_threadsafe(self._open(), loop).result()
        except BaseException:
            self.close_blocking()
            raise

    def close_blocking(self) -> None:
        """Leave the cluster from a thread that may block (threads backend)."""
        if self.closed:
            return
        self.closed = True
        try:
            if self.adapter.loop is not None:
                asyncio.run_coroutine_threadsafe(self._close(), self.adapter.loop).result()
        finally:
            self.adapter.stop_loop()
            self._stop_server()

    async def open_async(self) -> None:
        """Join the cluster from the runtime's loop (tasks backend)."""
        import anyio.to_thread  # noqa: PLC0415

        await anyio.to_thread.run_sync(self._start_server)
        self.adapter.start_loop()
        try:
            await self.adapter.run_io(self._open)
        except BaseException:
            await self.close_async()
            raise

    async def close_async(self) -> None:
        """Leave the cluster from the runtime's loop (tasks backend)."""
        import anyio.to_thread  # noqa: PLC0415

        if self.closed:
            return
        self.closed = True
        try:
            if self.adapter.loop is not None:
                await self.adapter.run_io(self._close)
        finally:
            await anyio.to_thread.run_sync(self.adapter.stop_loop)
            await anyio.to_thread.run_sync(self._stop_server)

    def _start_server(self) -> None:
        if self.config.url is not None:
            return
        from ._embedded import EmbeddedServer  # noqa: PLC0415

        server = EmbeddedServer()
        server.start()
        self.server = server
        self.config = server.cluster(
            node=self.name,
            name=self.cluster,
            codec=self.config.codec,
            heartbeat=self.config.heartbeat,
            options=self.config.options,
        )

    def _stop_server(self) -> None:
        if self.server is not None:
            self.server.stop()

    # -- what other parts of spawned (the registry, remote start) use --------------------------------

    async def nats(self) -> Client:
        """The node's NATS client (use it on the node's loop: through :meth:`run_io`)."""
        assert self._nc is not None  # noqa: S101 - open before any use
        return self._nc

    def run_io(self, fn: Callable[..., Coroutine[Any, Any, T]], *args: Any) -> Any:
        """Run ``fn(*args)`` on the node's asyncio loop: awaitable on ``spawned.tasks``
        (``await node.run_io(fn)``), blocking on ``spawned.threads``.
        """
        return self.adapter.run_io(fn, *args)

    def on_node_down(self, callback: Callable[[str], object]) -> None:
        """Call ``callback(node_name)`` once for each node that goes away (each run of it), as
        the server's disconnect events or missed heartbeats tell, on the node's loop. Not
        called when this node itself loses its connection (the others may well be up).
        """
        self._down_callbacks.append(callback)

    def on_local_exit(self, callback: Callable[[Pid, object], object]) -> None:
        """Call ``callback(pid, reason)`` when a local process that has a pid (it was sent to
        or looked up from another node, or :meth:`pid_of` was asked) exits.
        """
        self._exit_callbacks.append(callback)

    def control(self, verb: str, handler: Callable[[Any], Any]) -> None:
        """Answer requests to ``<cluster>.<node>.ctl.<verb>``: ``handler(payload)`` runs on
        the node's loop and returns the answer (or an awaitable of it); what it raises is
        raised at the requester. See :meth:`request`.
        """
        if not verb or "." in verb or "*" in verb or ">" in verb:
            msg = f"bad control verb {verb!r}: one NATS subject token (no '.', '*' or '>')"
            raise ValueError(msg)
        self._controls[verb] = handler

    async def request(self, node: str, verb: str, payload: object = None, timeout: float = 5.0) -> Any:
        """Ask node ``node``'s ``verb`` control handler (run on the node's loop: use
        :meth:`run_io`). Raises ``NoProc`` when no such node is up, and what the handler raised.
        """
        assert self._nc is not None  # noqa: S101 - open before any use
        from nats.errors import NoRespondersError  # noqa: PLC0415

        subject = f"{self.cluster}.{node}.ctl.{verb}"
        try:
            reply = await self._nc.request(subject, self.codec.encode(payload), timeout=timeout)
        except NoRespondersError:
            raise NoProc(f"node {node!r}") from None
        ok, value = cast("list[Any]", self.codec.decode(reply.data))
        if not ok:
            raise value
        return value

    def whereis(self, name: object, node: str, timeout: float = 5.0) -> Any:
        """The handle of the process registered under ``name`` on node ``node``, or ``None``
        (Erlang's ``{Name, Node}``): awaitable on tasks, blocking on threads.

        Raises ``NoProc`` when node ``node`` is not up.
        """
        return self.run_io(self.request, node, "whereis", name, timeout)

    def _identify(self, payload: object) -> list[object]:
        """Answer a ``node`` request (a node joining under this name asks): name and run."""
        del payload
        return [self.name, self.creation]

    def _whereis_here(self, name: object) -> HandleBase[Any, Any, Any] | None:
        return self.runtime.whereis(name)

    # -- pids -----------------------------------------------------------------------------------------

    def pid_of(self, handle: HandleBase[Any, Any, Any]) -> Pid:
        """The cluster-wide identity of ``handle``'s process (a local one can then be reached
        from other nodes until it exits).
        """
        process = handle._process
        if isinstance(process, RemoteProcess):
            return process.address
        local = process
        if local.runtime is not self.runtime:
            msg = (
                f"{handle!r} is a process of another runtime than node {self.name!r}'s; only the "
                "node's own processes can be reached from other nodes"
            )
            raise TypeError(msg)
        with self._lock:
            fresh = local.pid not in self._handles
            if fresh:
                self._exported[local.pid] = local
                self._handles[local.pid] = local.handle
        if fresh:
            local.on_exit(self._local_exited)
        return Pid(self.name, local.pid, self.creation)

    def handle_for(self, pid: Pid) -> HandleBase[Any, Any, Any]:
        """A handle for ``pid``: the local process's own handle, or a remote handle of this
        runtime's backend (a dead one when the process or its node is known to be gone).
        """
        if pid.node == self.name and pid.creation in (0, self.creation):
            handle = self._handles.get(pid.id)
            if handle is not None:
                return handle
        return self.proxy(pid).handle

    def proxy(self, pid: Pid) -> RemoteProcess:
        """The one ``RemoteProcess`` of this node for ``pid``."""
        with self._lock:
            found = self._proxies.get(pid)
            if found is None:
                dead: object = None
                if pid.node == self.name:
                    dead = NOPROC
                elif (pid.node, pid.creation) in self._down or self.closed:
                    dead = NOCONNECTION
                found = self._proxies[pid] = RemoteProcess(self, pid, dead=dead)
            return found

    def _local_exited(self, process: ProcessCore) -> None:
        with self._lock:
            self._exported.pop(process.pid, None)
            self._reasons[process.pid] = process.reason
            if len(self._reasons) > REMEMBERED_EXITS:
                del self._reasons[next(iter(self._reasons))]
        if self._exit_callbacks:
            pid = Pid(self.name, process.pid, self.creation)
            for callback in self._exit_callbacks:
                self._guard(callback, pid, process.reason)

    def _local(self, number: int, creation: int) -> ProcessCore | None:
        if creation not in (0, self.creation):
            return None
        return self._exported.get(number)

    # -- sending --------------------------------------------------------------------------------------

    def _enqueue(self, item: Any) -> None:
        """Send ``item`` (``(subject, data, reply)``, or a future to resolve once everything
        queued before it is sent) in order: at once on the node's loop, else from the loop
        soon. Never blocks.
        """
        self._out.append(item)
        if threading.get_ident() == self._loop_thread:
            if not self._busy:
                self._drain()
        elif not self._kicked:
            self._kicked = True
            loop = self._loop
            if loop is not None:
                try:
                    loop.call_soon_threadsafe(self._kicked_drain)
                except RuntimeError:  # the loop has closed: the node is gone
                    return

    def _kicked_drain(self) -> None:
        self._kicked = False
        if not self._busy:
            self._drain()

    def _drain(self) -> None:
        """Publish what is queued, on the node's loop. nats-py's ``publish`` only buffers
        (its flusher task writes): it is driven here without a task of its own, and only
        when it must wait (a full buffer) does a task take it over, and the rest after it.
        """
        nc = self._nc
        if nc is None:
            return
        out = self._out
        publish = nc.publish
        while out:
            item = out.popleft()
            if type(item) is not tuple:
                if not item.done():
                    item.set_result(None)
                continue
            subject, data, reply = cast("tuple[str, bytes, str]", item)
            step = publish(subject, data, reply=reply)
            try:
                waiting = step.send(None)
            except StopIteration:
                continue
            except Exception as error:  # noqa: BLE001 - a closed connection drops what is left
                self._log.debug("could not send to {}: {!r}", subject, error)
                continue
            self._busy = True
            self._resuming = asyncio.get_running_loop().create_task(self._resume(step, waiting))
            return

    async def _resume(self, step: Coroutine[Any, Any, None], waiting: Any) -> None:
        """Finish a ``publish`` that had to wait, then go on with the queue."""
        try:
            while True:
                try:
                    if waiting is None:
                        await asyncio.sleep(0)
                    else:
                        await waiting
                except BaseException as error:  # noqa: BLE001 - passed on to the publish it is for
                    waiting = step.throw(error)
                else:
                    waiting = step.send(None)
        except StopIteration:
            pass
        except Exception as error:  # noqa: BLE001 - a closed connection drops what is left
            self._log.debug("could not send: {!r}", error)
        self._busy = False
        self._drain()

    def _encode(self, value: object) -> bytes:
        """``value`` encoded by the codec, or ``CodecError`` when it is larger than the NATS
        server accepts (nats-py's writer would drop it, and a call would wait for its timeout).
        """
        data = self.codec.encode(value)
        limit = self._nc.max_payload if self._nc is not None else 0
        if limit and len(data) > limit:
            msg = (
                f"cannot send a message of {len(data)} bytes to another node: the NATS server's "
                f"max_payload is {limit} bytes (send less, or raise max_payload on the server)"
            )
            raise CodecError(msg)
        return data

    def _frame(self, address: Pid, frame: list[Any], reply: str = "") -> None:
        data = self._encode(frame)
        self._enqueue((f"{self.cluster}.{address.node}.in", data, reply))

    def _signal_frame(self, address: Pid, frame: list[Any]) -> None:
        """Send a frame whose last item is an exit reason: a reason the codec cannot encode
        travels as its ``repr``.
        """
        try:
            self._frame(address, frame)
        except CodecError:
            frame[-1] = safe_repr(frame[-1])
            self._frame(address, frame)

    def _sender(self, process: Signals | None) -> HandleBase[Any, Any, Any] | None:
        return None if process is None else process.handle

    def send_message(self, target: RemoteProcess, kind: int, msg: object) -> None:
        """A cast or a plain message (``kind``: the envelope's, ``CAST`` or ``INFO``)."""
        address = target.address
        self._frame(address, [CAST if kind == CAST_ENV else INFO, address.id, address.creation, msg])

    def send_call(self, target: RemoteProcess, msg: object, caller: Caller[Any]) -> None:
        """Send a call; its answer resolves ``caller``'s slot."""
        address = target.address
        slot = caller._slot
        call_id = next(self._call_ids)
        data = self._encode([CALL, address.id, address.creation, msg])
        with self._lock:
            self._calls[call_id] = (slot, target)
            self._call_of_slot[id(slot)] = call_id
        if not target.alive:  # its node went down meanwhile
            self._fail_call(call_id, ServerExited(target.label, target.reason))
            return
        self._enqueue((f"{self.cluster}.{address.node}.in", data, f"{self._replies}{call_id}"))

    def forget_call(self, slot: ReplySlot[Any]) -> None:
        """The caller of the call answered in ``slot`` stopped waiting."""
        with self._lock:
            call_id = self._call_of_slot.pop(id(slot), None)
            if call_id is not None:
                self._calls.pop(call_id, None)

    def send_stop(self, target: RemoteProcess, reason: object) -> None:
        """Ask the process to stop with ``reason``."""
        address = target.address
        self._signal_frame(address, [STOP, address.id, address.creation, reason])

    def send_kill(self, target: RemoteProcess, reason: object) -> None:
        """End the process at once with ``reason`` (``kill()``)."""
        address = target.address
        self._signal_frame(address, [KILL, address.id, address.creation, reason])

    def send_exit(self, target: RemoteProcess, sender: Signals | None, reason: object) -> None:
        """``handle.exit(reason)`` from ``sender`` (a local process, or ``None``)."""
        address = target.address
        self._signal_frame(address, [EXIT, address.id, address.creation, self._sender(sender), reason])

    def send_link(self, target: RemoteProcess, local: Signals) -> None:
        """``local`` linked to ``target``."""
        address = target.address
        self._frame(address, [LINK, address.id, address.creation, local.handle], self._unserved_of(address))

    def send_unlink(self, target: RemoteProcess, local: Signals) -> None:
        """``local`` unlinked from ``target``."""
        address = target.address
        self._frame(address, [UNLINK, address.id, address.creation, local.handle])

    def send_linked_exit(self, target: RemoteProcess, local: Signals, reason: object) -> None:
        """``local``, linked to ``target``, exited with ``reason``."""
        address = target.address
        self._signal_frame(address, [LINKED_EXIT, address.id, address.creation, local.handle, reason])

    def send_monitor(self, target: RemoteProcess, ref: Ref) -> None:
        """A local watcher monitors ``target`` through ``ref``."""
        with self._lock:
            self._refs[ref._id] = (ref, target)
        address = target.address
        joining = self._joins.get(target) is ref
        frame = [MONITOR, address.id, address.creation, self.name, ref._id, joining, self.creation]
        self._frame(address, frame, self._unserved_of(address))

    def _unserved_of(self, address: Pid) -> str:
        """The reply subject that hears when no run of ``address``'s node is up."""
        return f"{self._unserved}{address.node}.{address.creation}"

    def send_demonitor(self, target: RemoteProcess, ref: Ref) -> None:
        """The monitor ``ref`` of ``target`` is gone on this side."""
        with self._lock:
            self._refs.pop(ref._id, None)
        address = target.address
        self._frame(address, [DEMONITOR, address.id, address.creation, self.name, ref._id, self.creation])

    def send_down(self, watcher: RemoteWatcher, reason: object) -> None:
        """A local process a remote watcher monitors exited with ``reason``."""
        with self._lock:
            self._watched_by.pop((watcher.origin, watcher.creation, watcher.ref_id), None)
        subject = f"{self.cluster}.{watcher.origin}.in"
        frame: list[Any] = [DOWN, 0, watcher.creation, watcher.ref_id, reason]
        try:
            data = self._encode(frame)
        except CodecError:
            frame[-1] = safe_repr(reason)
            data = self.codec.encode(frame)
        self._enqueue((subject, data, ""))

    def send_reply(self, reply_to: str, value: object) -> None:
        """Answer a call from another node with ``value``."""
        try:
            data = self._encode([_REPLY, value])
        except CodecError as error:
            self._log.error("a reply could not be encoded; the caller gets the error: {}", error)
            data = self.codec.encode([_FAILED, error])
        self._enqueue((reply_to, data, ""))

    def send_failure(self, reply_to: str, error: BaseException) -> None:
        """Answer a call from another node with ``error`` (``ServerExited`` keeps its parts)."""
        if isinstance(error, ServerExited):
            frame: list[Any] = [_EXITED, error.reason, error.server]
        elif isinstance(error, NoProc):
            frame = [_NOPROC, error.server]
        else:
            frame = [_FAILED, error]
        try:
            data = self._encode(frame)
        except CodecError:
            frame[1] = safe_repr(frame[1])
            data = self.codec.encode(frame)
        self._enqueue((reply_to, data, ""))

    def watch_exit(self, target: RemoteProcess) -> None:
        """Make sure this node hears when ``target`` exits (for ``join``, ``stop``, ``on_exit``)."""
        with locked(target):
            if not target.alive or target in self._joins:
                return
            ref = Ref._create()
            self._joins[target] = ref
            target.add_monitor(ref, _JOINER)

    # -- receiving ------------------------------------------------------------------------------------

    async def _on_message(self, msg: Msg) -> None:
        subject = msg.subject
        try:
            if subject == self._inbox:
                try:
                    frame = cast("list[Any]", self.codec.decode(msg.data))
                except CodecError as error:
                    if msg.reply:  # a call: its caller gets the error at once
                        self.send_failure(msg.reply, error)
                    raise
                if self._hand_over is None:
                    self._on_frame(frame, msg.reply)
                else:
                    self._inbound.append((frame, msg.reply))
                    if not self._handing_over:
                        self._handing_over = True
                        self._hand_over(self._handle_inbound)
            elif subject.startswith(self._replies):
                self._on_reply(int(subject[len(self._replies) :]), msg)
            elif subject.startswith(self._unserved):
                self._on_unserved(subject[len(self._unserved) :], msg)
            elif subject.startswith(self._control_prefix):
                task = asyncio.get_running_loop().create_task(
                    self._on_control(subject[len(self._control_prefix) :], msg)
                )
                self._tasks.append(task)
                task.add_done_callback(self._tasks.remove)
        except Exception as error:  # noqa: BLE001 - a bad message is dropped, never the node
            self._log.warning("dropped a message on {} that could not be handled: {!r}", subject, error)

    def _handle_inbound(self) -> None:
        """Handle the frames the bridge thread handed over, on the runtime's own loop (trio):
        a batch at a time, in the order they came.
        """
        self._handing_over = False
        inbound = self._inbound
        while inbound:
            frame, reply = inbound.popleft()
            try:
                self._on_frame(frame, reply)
            except Exception as error:  # noqa: BLE001 - a bad message is dropped, never the node
                self._log.warning("dropped a message that could not be handled: {!r}", error)

    def _on_frame(self, frame: list[Any], reply: str) -> None:  # noqa: C901, PLR0912 - one branch per kind
        kind = frame[0]
        if kind == DOWN:
            if frame[2] in (0, self.creation):  # not a Down for an earlier run of this node
                self._on_down(frame[3], frame[4])
            return
        number, creation = frame[1], frame[2]
        process = self._local(number, creation)
        if kind in (CAST, INFO):
            if process is not None:
                process.post((CAST_ENV if kind == CAST else INFO_ENV, frame[3], None))
        elif kind == CALL:
            self._on_call(process, number, frame[3], reply)
        elif kind == STOP:
            if process is not None:
                process.post((STOP_ENV, frame[3], None))
        elif kind == KILL:
            if process is not None:
                process.exit_now(frame[3])
        elif kind == EXIT:
            if process is not None:
                sender = frame[3]
                process.take_exit(None if sender is None else sender._process, frame[4])
        elif kind == LINK:
            self._on_link(process, number, frame[3])
        elif kind == UNLINK:
            if process is not None:
                other = frame[3]._process
                with locked(process, other):
                    process.drop_link(other)
                    if other.links is not None:
                        other.links.discard(process)
        elif kind == LINKED_EXIT:
            if process is not None:
                self._on_linked_exit(process, frame[3]._process, frame[4])
        elif kind == MONITOR:
            number = number if creation in (0, self.creation) else 0
            self._on_monitor(process, number, (frame[3], frame[6]), frame[4], frame[5])
        elif kind == DEMONITOR:
            with self._lock:
                found = self._watched_by.pop((frame[3], frame[5], frame[4]), None)
            if found is not None:
                target, ref = found
                with locked(target):
                    target.drop_monitor(ref)
        else:
            msg = f"unknown frame kind {kind!r}"
            raise ValueError(msg)

    def _on_call(self, process: ProcessCore | None, number: int, msg: object, reply: str) -> None:
        if not reply:
            return
        if process is None:
            self.send_failure(reply, NoProc(str(Pid(self.name, number, self.creation))))
            return
        slot = RemoteSlot(self, reply, process.label)
        process.post((CALL_ENV, msg, Caller[Any]._create(process, slot)))

    def _on_link(
        self, process: ProcessCore | None, number: int, other_handle: HandleBase[Any, Any, Any]
    ) -> None:
        other = cast("RemoteProcess", other_handle._process)
        if process is not None:
            with locked(process, other):
                if process.alive:
                    process.add_link(other)
                    if other.links is None:
                        other.links = set()
                    other.links.add(process)
                    return
        address = other.address
        me = self.handle_for(Pid(self.name, number, self.creation))
        self._signal_frame(address, [LINKED_EXIT, address.id, address.creation, me, NOPROC])

    def _on_linked_exit(self, process: ProcessCore, other: RemoteProcess, reason: object) -> None:
        with locked(process, other):
            linked = process.links is not None and other in process.links
            if linked:
                process.drop_link(other)
                if other.links is not None:
                    other.links.discard(process)
        if linked:
            process.exit_signal(other, reason)

    def _on_monitor(
        self, process: ProcessCore | None, number: int, origin: tuple[str, int], ref_id: int, joining: bool
    ) -> None:
        if process is not None:
            with locked(process):
                if process.alive:
                    ref = Ref._create()
                    with self._lock:
                        self._watched_by[(*origin, ref_id)] = (process, ref)
                    process.add_monitor(ref, RemoteWatcher(self, origin, ref_id))
                    return
        # A monitor of a dead process gets "noproc", as locally; a join gets its exit reason
        # while this node remembers it.
        reason = self._reasons.get(number, NOPROC) if joining else NOPROC
        self.send_down(RemoteWatcher(self, origin, ref_id), reason)

    def _on_down(self, ref_id: int, reason: object) -> None:
        with self._lock:
            found = self._refs.pop(ref_id, None)
        if found is None:
            return
        ref, target = found
        with locked(target):
            watcher = target.monitors.pop(ref, None) if target.monitors is not None else None
            if self._joins.get(target) is ref:
                del self._joins[target]
        target.exited(reason)
        if watcher is not None and watcher is not _JOINER:
            watcher.post((DOWN_ENV, Down(ref, target.handle, reason), None))

    def _on_reply(self, call_id: int, msg: Msg) -> None:
        with self._lock:
            found = self._calls.pop(call_id, None)
            if found is not None:
                self._call_of_slot.pop(id(found[0]), None)
        if found is None:
            return
        slot, target = found
        headers = msg.headers
        if headers and headers.get("Status") == "503":
            slot.fail(NoProc(target.label))
            return
        try:
            answered, value = self._reply_of(msg.data)
        except CodecError as error:  # the call was taken off: its caller gets the error at once
            slot.fail(error)
            raise
        if answered:
            slot.resolve(value)
        else:
            slot.fail(cast("BaseException", value))

    def _reply_of(self, data: bytes) -> tuple[bool, object]:
        """A reply frame as ``(True, value)`` or ``(False, error)``; ``CodecError`` when it
        cannot be decoded or makes no sense.
        """
        decoded = self.codec.decode(data)
        frame = cast("list[Any]", decoded) if type(decoded) is list else []
        if len(frame) < 2:
            msg = f"refused a malformed reply from another node ({len(data)} bytes: not [kind, value, ...])"
            raise CodecError(msg)
        kind, value = frame[:2]
        if kind == _REPLY:
            return True, value
        if kind == _EXITED:
            server = frame[2:3] or ["a process on another node"]
            return False, ServerExited(str(server[0]), value)
        if kind == _NOPROC:
            return False, NoProc(str(value))
        return False, value if isinstance(value, BaseException) else RuntimeError(safe_repr(value))

    def _on_unserved(self, incarnation: str, msg: Msg) -> None:
        """A monitor or link frame found no run of its node up: that run is gone (Erlang's
        failed connection), so the monitor gets its ``Down`` and the link its exit signal.
        """
        headers = msg.headers
        if headers and headers.get("Status") == "503":
            node, _, creation = incarnation.rpartition(".")
            self.node_down(node, int(creation), announce=False)

    def _fail_call(self, call_id: int, error: BaseException) -> None:
        with self._lock:
            found = self._calls.pop(call_id, None)
            if found is not None:
                self._call_of_slot.pop(id(found[0]), None)
        if found is not None:
            found[0].fail(error)

    async def _on_control(self, verb: str, msg: Msg) -> None:
        handler = self._controls.get(verb)
        if not msg.reply:
            return
        try:
            if handler is None:
                msg_text = f"node {self.name!r} has no control verb {verb!r}"
                raise LookupError(msg_text)  # noqa: TRY301 - answered like the handler's errors
            value = handler(self.codec.decode(msg.data))
            if isinstance(value, Awaitable):
                value = await cast("Awaitable[Any]", value)
            data = self._encode([True, value])
        except Exception as error:  # noqa: BLE001 - the requester gets it
            data = self.codec.encode([False, error])
        assert self._nc is not None  # noqa: S101
        await self._nc.publish(msg.reply, data)

    # -- node-down ------------------------------------------------------------------------------------

    async def _on_disconnect_event(self, msg: Msg) -> None:
        try:
            event = json.loads(msg.data)
            name = str(event.get("client", {}).get("name", ""))
        except (ValueError, AttributeError) as error:
            self._log.warning("dropped a disconnect event that could not be read: {!r}", error)
            return
        parts = name.split(":")
        if len(parts) == 4 and parts[0] == "spawned" and parts[1] == self.cluster and parts[2] != self.name:
            try:
                creation = int(parts[3])
            except ValueError:
                return
            self.node_down(parts[2], creation)

    async def _on_heartbeat(self, msg: Msg) -> None:
        try:
            node, creation, alive = cast("list[Any]", self.codec.decode(msg.data))
        except (CodecError, ValueError, TypeError) as error:
            self._log.warning("dropped a heartbeat that could not be read: {!r}", error)
            return
        if node == self.name:
            return
        before = self._seen.get(node)
        if before is not None and before[0] != creation:
            self.node_down(node, before[0])
        if alive:
            self._seen[node] = (creation, time.monotonic())
        else:
            self._seen.pop(node, None)
            self.node_down(node, creation)

    async def _heartbeats(self) -> None:
        assert self._nc is not None  # noqa: S101
        interval = self.config.heartbeat
        subject = f"{self.cluster}.hb"
        beat = self.codec.encode([self.name, self.creation, True])
        while True:
            self._enqueue((subject, beat, ""))
            await asyncio.sleep(interval)
            silent = time.monotonic() - interval * HEARTBEATS_MISSED
            for node, (creation, seen) in list(self._seen.items()):
                if seen < silent:
                    del self._seen[node]
                    self.node_down(node, creation)

    async def _disconnected(self) -> None:
        """This node's connection dropped: every other node is gone for it."""
        if self.closed or self._nc is None:  # closing, or not joined yet
            return
        self._log.warning("lost the connection to the NATS server; every other node is gone for this one")
        self._all_down()

    def _all_down(self) -> None:
        """Every other node is gone for this one (its connection dropped, or it is closing)."""
        with self._lock:
            incarnations = {(pid.node, pid.creation) for pid in self._proxies if pid.node != self.name}
            incarnations |= {(t.address.node, t.address.creation) for _, t in self._calls.values()}
        for node, creation in incarnations:
            self.node_down(node, creation, announce=False)

    async def _error(self, error: Exception) -> None:
        if self._nc is None and len(self._join_errors) < 10:  # joining: for the ConnectionError
            self._join_errors.append(error)
        self._log.debug("NATS client error: {!r}", error)

    def node_down(self, node: str, creation: int, *, announce: bool = True) -> None:
        """Node ``node`` (run ``creation``) is gone: everything of it here ends ``noconnection``.

        ``announce``: call the ``on_node_down`` callbacks (not when only this node lost its
        connection: the others may well be up).
        """
        with self._lock:
            if (node, creation) in self._down:
                return
            self._down.add((node, creation))
            runs = (creation, 0)  # a pid written by hand (creation 0) means any run, this one too
            proxies = [
                p for pid, p in list(self._proxies.items()) if pid.node == node and pid.creation in runs
            ]
            calls = [
                call_id
                for call_id, (_, target) in self._calls.items()
                if target.address.node == node and target.address.creation in runs
            ]
            watched = [key for key in self._watched_by if key[0] == node and key[1] == creation]
            removed = [self._watched_by.pop(key) for key in watched]
        for process, ref in removed:
            with locked(process):
                process.drop_monitor(ref)
        for call_id in calls:
            self._fail_call(call_id, ServerExited(self._label_of(call_id, node), NOCONNECTION))
        for proxy in proxies:
            self._proxy_down(proxy)
        for callback in self._down_callbacks if announce else ():
            self._guard(callback, node)

    def _label_of(self, call_id: int, node: str) -> str:
        del call_id
        return f"a process on node {node!r}"

    def _proxy_down(self, proxy: RemoteProcess) -> None:
        with locked(proxy):
            links, proxy.links = proxy.links, None
            for local in links or ():
                local.drop_link(proxy)
            monitors, proxy.monitors = proxy.monitors, None
            self._joins.pop(proxy, None)
            with self._lock:
                for ref in monitors or {}:
                    self._refs.pop(ref._id, None)
        proxy.exited(NOCONNECTION)
        for local in links or ():
            local.exit_signal(proxy, NOCONNECTION)
        for ref, watcher in (monitors or {}).items():
            if watcher is not _JOINER:
                watcher.post((DOWN_ENV, Down(ref, proxy.handle, NOCONNECTION), None))

    def _guard(self, callback: Callable[..., object], *args: object) -> None:
        try:
            callback(*args)
        except Exception:  # noqa: BLE001 - a callback's failure is logged, the node goes on
            self._log.exception("a cluster callback {!r} failed", callback)


class _Joiner:
    """Stands in a remote process's monitor table for the node's own exit watch."""

    alive = True

    def post(self, env: Envelope) -> None:
        """Never posted to: the node handles its own watch's ``Down``."""


_JOINER: Any = _Joiner()
