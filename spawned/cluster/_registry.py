"""The cluster-wide registry: unique names across every node, on a JetStream key-value bucket.

A :class:`ClusterRegistry` is a unique [`Registry`][spawned.Registry] whose table is the bucket
(see ``_kvtable``): ``start(server, name=Via(names, "key"))`` creates the key atomically
before the process is made, so a name held on any node makes ``start`` raise
``AlreadyStarted`` and ``init`` never runs. Lookups read this node's mirror of the bucket:
they never wait and never touch the network.

A name is written twice: reserved when ``start`` begins (the holder is "starting": lookups
do not see it yet), then given its process's identity the moment the process is made.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
from collections.abc import Callable, Generator
from typing import TYPE_CHECKING, Any

import msgspec
from loguru import logger

from .._errors import AlreadyRegistered, AlreadyStarted
from .._process import current_process
from .._registry import Registry, Via
from ._kvtable import DEFAULT_LEASE, KvTable, Record, Taken, bucket_name, decode_part, encode_part
from ._port import NodePort, on_loop, port_of, run_io, shared_per_node, soon

if TYPE_CHECKING:
    from .._handle import HandleBase
    from .._process import ProcessCore

"""Per node: the registries and groups :meth:`of` made."""

__all__ = ["ClusterRegistry"]

HOLDER_WAIT = 5.0
"""Seconds a start waits for a name's holder to finish starting, to name it in
``AlreadyStarted``."""

_PREFIX = "n."


class ClusterRegistry(Registry[str, Any]):
    """Unique names across a cluster: OTP's ``global``, with Elixir ``Registry``'s API.

    Make one per node, with the same ``name`` on every node that shares it (the default
    ``"names"``); use it as any unique registry: ``start(server, name=Via(names, "key"))``,
    ``names.whereis("key")``, ``names.lookup("key")``, ``names.keys(handle)``. Keys are
    strings of at most 1024 bytes in UTF-8; values (``register(key, value)``) must be
    msgpack-encodable builtins.

    - **Unique across the cluster.** The name is created atomically in the bucket before the
      process is made: if any node holds it, ``start`` raises ``AlreadyStarted`` naming the
      holder (a handle, possibly remote) and ``init`` never runs.
    - **Released** when the process exits (kill included), and when its node goes down:
      every node that sees the node go away drops its names at once and deletes them from
      the bucket. A lease backs this up: each node renews its names every ``lease / 3``
      seconds, and a name not renewed for ``lease`` seconds expires (a node that died when
      no other node was up to see it).
    - **Lookups** read this node's mirror of the bucket, kept by a watch: they never wait.
      A name registered on this node is seen here at once; one registered on another node
      is seen once the watch brings it (about a millisecond on one machine). A lookup never
      returns a process this node knows to be dead: a name of a node that went down is gone
      here as soon as this node learns it (the node-down detection time).

    ``register``/``unregister``/:meth:`ready`/:meth:`close` go over the network: on a tasks
    node they return an awaitable, on a threads node they block, as ``call`` does.
    """

    __slots__ = ("_kv", "_local", "_node", "_opening", "_reserved", "bucket", "lease")

    _reserves = True

    def __init__(self, node: Any, name: str = "names", *, lease: float = DEFAULT_LEASE) -> None:
        super().__init__("unique")
        self._node: NodePort = port_of(node)
        self.bucket: str = bucket_name(self._node.cluster, "names", name)
        """The JetStream bucket that holds the names."""
        self.lease: float = lease
        """Seconds a name outlives its node when nobody saw the node go down."""
        self._kv: KvTable | None = None
        self._reserved: dict[str, int] = {}
        self._local: dict[str, ProcessCore] = {}
        self._opening: concurrent.futures.Future[KvTable] = asyncio.run_coroutine_threadsafe(
            self._open(), self._node.loop
        )

    @classmethod
    def of(cls, node: Any = None, name: str = "names") -> ClusterRegistry:
        """This node's one ``ClusterRegistry`` of ``name``, made on first use: every server and
        function of a node can share it (one mirror, one watch). ``node`` is a node or a
        runtime that joined a cluster; ``None``: the calling process's node.

        Raises:
            TypeError: no node given and the calling process's runtime joined no cluster
                (or this is not called from a process).
        """
        return shared_per_node(cls, node, name)

    async def _open(self) -> KvTable:
        client = await self._node.nats()
        js = client.jetstream()  # pyright: ignore[reportUnknownMemberType] - nats-py: bare **opts
        table = await KvTable.open(js, self.bucket, self._node.name, self.lease, self._node.track)
        table.on_lost = self._lost
        self._kv = table
        self._node.on_node_down(table.forget_node_soon)
        return table

    async def _opened(self) -> KvTable:
        return await asyncio.wrap_future(self._opening)

    def ready(self) -> Any:
        """Wait until this node's mirror holds the cluster's names (its first lookups may
        otherwise miss names of other nodes). Awaitable on tasks, blocking on threads.
        """
        return run_io(self._node, self._ready())

    async def _ready(self) -> None:
        await self._opened()

    def wait_for(self, key: str, timeout: float = 5.0) -> Any:
        """The handle of the process holding ``key`` anywhere in the cluster, once there is
        one: for a service another node is starting. Awaitable on tasks, blocking on threads.

        Raises:
            TimeoutError: nothing held ``key`` within ``timeout`` seconds.
            TypeError: ``key`` is not a ``str``.
            ValueError: ``key`` is longer than ``MAX_PART_BYTES`` (1024) bytes in UTF-8.
        """
        _kv_key(key)
        return run_io(self._node, self._wait_for(key, timeout))

    async def _wait_for(self, key: str, timeout: float) -> HandleBase[Any, Any, Any]:
        table = await self._opened()
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        with _watching(table, _kv_key(key)) as changed:
            while (handle := self.whereis(key)) is None:
                remaining = deadline - loop.time()
                if remaining <= 0:
                    msg = f"no process took the name {key!r} in {self.bucket} within {timeout} s"
                    raise TimeoutError(msg)
                changed.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(changed.wait(), remaining)
            return handle

    def close(self) -> Any:
        """Stop following the bucket and renewing this node's names (they stay until their
        processes exit or the lease runs out). Awaitable on tasks, blocking on threads.
        """
        return run_io(self._node, self._close())

    async def _close(self) -> None:
        await (await self._opened()).close()

    # -- starting under a name (Via) ---------------------------------------------------------

    async def _reserve(self, name: Via) -> None:
        kv_key = _kv_key(name.key)
        try:
            await on_loop(self._node.loop, self._take(name.key, name))
        except BaseException:  # cancelled: the bucket may hold the reservation all the same
            self._abandon(kv_key)
            raise

    def _reserve_blocking(self, name: Via) -> None:
        run_io(self._node, self._take(name.key, name))

    def _abandon(self, kv_key: str) -> None:
        """Give up a reservation whose ``start`` went no further (it was cancelled while the
        reservation was on the way): delete it if the bucket has it as this node's, starting.
        """
        self._reserved.pop(kv_key, None)

        def check() -> None:
            table = self._kv
            if table is not None:
                table.keep_soon(self._delete_if_abandoned(table, kv_key))

        soon(self._node, check)

    async def _delete_if_abandoned(self, table: KvTable, kv_key: str) -> None:
        record = await table.read(kv_key)
        starting = record is not None and record.node == self._node.name and _payload(record)[0] is None
        if starting and record is not None and kv_key not in self._reserved and kv_key not in self._local:
            await table.delete(kv_key, record.revision)

    def _unreserve(self, name: Via) -> None:
        key = _kv_key(name.key)
        revision = self._reserved.pop(key, None)
        if revision is not None:
            soon(self._node, lambda: self._release(key, revision))

    def _claim(self, runtime: object, name: object, key: object, make: Callable[[], Any]) -> Any:
        del runtime
        kv_key = _kv_key(key)
        revision = self._reserved.pop(kv_key, None)
        if revision is None:
            msg = f"{name!r} was not reserved in the cluster first; start the process with start(..., name=)"
            raise RuntimeError(msg)
        process: ProcessCore = make()
        self._hold(kv_key, revision, process, None)
        return process

    async def _take(self, key: object, name: Via | None) -> int:
        """Reserve ``key`` in the bucket (its holder is "starting"); raise ``AlreadyStarted``
        (for a ``Via`` name) or ``AlreadyRegistered`` with the holder when it is taken.
        """
        table = await self._opened()
        kv_key = _kv_key(key)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + HOLDER_WAIT
        while True:
            with _watching(table, kv_key) as changed:  # from before the attempt: no change missed
                try:
                    revision = await table.create(kv_key, [None, None, None])
                except Taken as taken:
                    holder = self._holder(taken.record)
                    if (holder is not None and holder.is_alive) or loop.time() >= deadline:
                        self._refuse(key, name, holder, taken.record)
                    # starting, or held by a process known dead: its release is on the way
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(changed.wait(), max(deadline - loop.time(), 0))
                    continue
            if name is not None:
                self._reserved[kv_key] = revision
            return revision

    def _refuse(
        self, key: object, name: Via | None, holder: HandleBase[Any, Any, Any] | None, record: Record | None
    ) -> None:
        if holder is None:
            node = record.node if record else "?"
            msg = f"{key!r} is being taken by node {node}, which did not finish starting its process"
            raise RuntimeError(msg)
        if name is not None:
            raise AlreadyStarted(name, holder)
        raise AlreadyRegistered(key, holder)

    def _hold(self, kv_key: str, revision: int, process: ProcessCore, value: object) -> None:
        """``process`` now holds the reserved ``kv_key``: write its identity, release on exit."""
        self._local[kv_key] = process
        parts = self._node.pid_parts(process.handle)
        payload = [parts[1], parts[2], value]
        soon(self._node, lambda: self._identify(kv_key, revision, payload, process))
        process.on_exit(lambda _process: self._exited(kv_key, process))

    def _identify(self, kv_key: str, revision: int, payload: list[Any], process: ProcessCore) -> None:
        table = self._kv
        if table is None:
            return
        table.records[kv_key] = Record(self._node.name, payload, revision)
        table.keep_soon(self._write(table, kv_key, revision, payload, process))

    async def _write(
        self, table: KvTable, kv_key: str, revision: int, payload: list[Any], process: ProcessCore
    ) -> None:
        try:
            new = await table.update(kv_key, payload, revision)
        except Taken:
            logger.warning(
                "cluster name {!r} changed hands while its process started", decode_part(kv_key[2:])
            )
        except Exception:  # noqa: BLE001 - the lease renews it later, or it expires
            logger.opt(exception=True).warning("could not write cluster name {!r}", kv_key)
        else:
            if self._local.get(kv_key) is not process:  # it exited while this was on the way
                table.release_soon(kv_key, new)

    def _exited(self, kv_key: str, process: ProcessCore) -> None:
        if self._local.get(kv_key) is process:
            del self._local[kv_key]
        soon(self._node, lambda: self._release_own(kv_key))

    def _release_own(self, kv_key: str) -> None:
        table = self._kv
        if table is None:
            return
        record = table.records.get(kv_key)
        revision = table.own.get(
            kv_key, record.revision if record and record.node == self._node.name else None
        )
        if revision is not None:
            table.release_soon(kv_key, revision)

    def _release(self, kv_key: str, revision: int) -> None:
        if self._kv is not None:
            self._kv.release_soon(kv_key, revision)

    def _lost(self, kv_key: str) -> None:
        self._local.pop(kv_key, None)

    def _holder(self, record: Record | None) -> HandleBase[Any, Any, Any] | None:
        if record is None:
            return None
        pid_id, creation, _value = _payload(record)
        if pid_id is None:
            return None
        return self._node.handle_for((record.node, pid_id, creation))

    # -- writers: the calling process ----------------------------------------------------

    def register(self, key: str, value: Any = None) -> Any:
        """Register the calling process under ``key`` with ``value`` across the cluster.
        Awaitable on tasks, blocking on threads.

        Raises:
            AlreadyRegistered: a living process holds ``key`` (the caller included).
            TypeError: ``key`` is not a ``str``, or ``value`` is not msgpack-encodable.
            ValueError: ``key`` is longer than ``MAX_PART_BYTES`` (1024) bytes in UTF-8.
            RuntimeError: not called from inside a server.
        """
        process = _calling_process("register")
        _kv_key(key)
        _check_value(value)
        return run_io(self._node, self._register(process, key, value))

    async def _register(self, process: ProcessCore, key: str, value: object) -> None:
        kv_key = _kv_key(key)
        held = self._local.get(kv_key)
        if held is not None and held.alive:
            raise AlreadyRegistered(key, held.handle)
        revision = await self._take(key, None)
        self._hold(kv_key, revision, process, value)

    def unregister(self, key: str) -> Any:
        """Release ``key`` if the calling process holds it (else nothing). Awaitable on tasks,
        blocking on threads (it does not wait for the bucket's answer).
        """
        process = _calling_process("unregister")
        kv_key = _kv_key(key)
        if self._local.get(kv_key) is process:
            del self._local[kv_key]
            return run_io(self._node, self._unregister(kv_key))
        return run_io(self._node, _nothing())

    async def _unregister(self, kv_key: str) -> None:
        self._release_own(kv_key)

    # -- readers: anyone, any thread --------------------------------------------------------

    def lookup(self, key: str) -> list[tuple[HandleBase[Any, Any, Any], Any]]:
        """``[(handle, value)]`` of the process holding ``key`` anywhere in the cluster, or
        ``[]``. Reads this node's mirror: never waits.
        """
        kv_key = _kv_key(key)
        local = self._local.get(kv_key)
        if local is not None:
            if not local.alive:
                return []
            record = self._kv.records.get(kv_key) if self._kv is not None else None
            return [(local.handle, _payload(record)[2] if record else None)]
        record = self._kv.records.get(kv_key) if self._kv is not None else None
        if record is None:
            return []
        pid_id, creation, value = _payload(record)
        if pid_id is None:
            return []
        handle = self._node.handle_for((record.node, pid_id, creation))
        if not handle.is_alive:  # known dead here (it exited, or its node went down)
            return []
        return [(handle, value)]

    def whereis(self, key: str) -> HandleBase[Any, Any, Any] | None:
        """The process holding ``key`` anywhere in the cluster, or ``None`` (never waits)."""
        entries = self.lookup(key)
        return entries[0][0] if entries else None

    def keys(self, handle: HandleBase[Any, Any, Any]) -> list[str]:
        """The keys the process behind ``handle`` holds, as this node's mirror has them."""
        parts = self._node.pid_parts(handle)
        table = self._kv
        if table is None:
            return []
        found: list[str] = []
        for kv_key, record in table.items():
            pid_id, creation, _ = _payload(record)
            if (record.node, pid_id, creation) == parts:
                found.append(decode_part(kv_key[len(_PREFIX) :]))
        return found

    def count(self) -> int:
        """How many names the cluster holds, as this node's mirror has them (those still
        starting are not counted).
        """
        table = self._kv
        if table is None:
            return 0
        return sum(1 for _, record in table.items() if _payload(record)[0] is not None)

    def dispatch(self, key: str, fn: Callable[[list[tuple[HandleBase[Any, Any, Any], Any]]], object]) -> None:
        """Call ``fn(entries)`` with ``lookup(key)``, in the calling thread; not at all if
        ``key`` is free.
        """
        entries = self.lookup(key)
        if entries:
            fn(entries)

    def __repr__(self) -> str:
        return f"<ClusterRegistry {self.bucket} on node {self._node.name}>"


def _kv_key(key: object) -> str:
    if not isinstance(key, str):
        msg = f"a cluster registry key must be a str (it crosses nodes), got {key!r} ({type(key).__name__})"
        raise TypeError(msg)
    return _PREFIX + encode_part(key, "registry key")


def _check_value(value: object) -> None:
    try:
        msgspec.msgpack.encode(value)
    except TypeError as error:
        msg = f"a cluster registry value must be msgpack-encodable builtins, got {value!r}: {error}"
        raise TypeError(msg) from None


def _payload(record: Record | None) -> tuple[int | None, int, Any]:
    if record is None:
        return None, 0, None
    pid_id, creation, value = record.payload
    return pid_id, creation or 0, value


@contextlib.contextmanager
def _watching(table: KvTable, kv_key: str) -> Generator[asyncio.Event]:
    """An event set when the mirror's entry under ``kv_key`` changes, while the block runs."""
    changed = asyncio.Event()

    def check(key: str, _record: Record | None) -> None:
        if key == kv_key:
            changed.set()

    table.on_change.append(check)
    try:
        yield changed
    finally:
        table.on_change.remove(check)


async def _nothing() -> None:
    return None


def _calling_process(what: str) -> ProcessCore:
    process = current_process.get()
    if process is None:
        msg = f"ClusterRegistry.{what}() acts for the calling process; call it inside a server's callback"
        raise RuntimeError(msg)
    return process
