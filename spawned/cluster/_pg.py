"""Process groups across a cluster: OTP's ``pg``, on the mirrored JetStream bucket.

One key per (group, member): ``g.<group>.<node>.<id>.<creation>``. A member's node writes
it when the member joins and deletes it when the member leaves or exits; every node that
sees the member's node go down drops that node's members; the lease backs both up (see
``_kvtable``). Each node keeps an index group -> members, fed by its mirror, so listing a
group never waits.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
from typing import TYPE_CHECKING, Any

from .._process import current_process
from ._kvtable import DEFAULT_LEASE, KvTable, Record, Taken, bucket_name, decode_part, encode_part
from ._port import NodePort, PidParts, port_of, run_io, shared_per_node, soon

if TYPE_CHECKING:
    from .._handle import HandleBase
    from .._process import ProcessCore

"""Per node: the registries and groups :meth:`of` made."""

__all__ = ["ProcessGroups"]


class ProcessGroups:
    """Named groups of processes across the cluster, as OTP's ``pg``.

    Make one per node, with the same ``scope`` on every node that shares the groups (the
    default ``"pg"``). A process joins a group from its own node (``join`` acts for the
    calling process, or for a local handle given); any node lists a group's members
    cluster-wide and casts to them all. A member leaves when it calls ``leave``, when it
    exits (however it exits), and when its node goes down (every node that sees it go
    drops that node's members at once). A lease backs this up, as for the
    [`ClusterRegistry`][spawned.cluster.ClusterRegistry].

    Listing never waits: it reads this node's mirror. A member joined on this node is listed
    here at once; one joined on another node once the watch brings it (about a millisecond
    on one machine). A process that joins a group twice is listed once (OTP lists it twice).

    ``join``/``leave``/:meth:`ready`/:meth:`close` go over the network: on a tasks node they
    return an awaitable, on a threads node they block, as ``call`` does.
    """

    __slots__ = ("_groups", "_joined", "_kv", "_node", "_opening", "bucket", "lease")

    def __init__(self, node: Any, scope: str = "pg", *, lease: float = DEFAULT_LEASE) -> None:
        self._node: NodePort = port_of(node)
        self.bucket: str = bucket_name(self._node.cluster, "pg", scope)
        """The JetStream bucket that holds the memberships."""
        self.lease: float = lease
        """Seconds a membership outlives its node when nobody saw the node go down."""
        self._kv: KvTable | None = None
        self._groups: dict[str, dict[str, PidParts]] = {}
        self._joined: dict[ProcessCore, set[str]] = {}
        self._opening: concurrent.futures.Future[KvTable] = asyncio.run_coroutine_threadsafe(
            self._open(), self._node.loop
        )

    @classmethod
    def of(cls, node: Any = None, scope: str = "pg") -> ProcessGroups:
        """This node's one ``ProcessGroups`` of ``scope``, made on first use: every server and
        function of a node can share it (one mirror, one watch). ``node`` is a node or a
        runtime that joined a cluster; ``None``: the calling process's node.

        Raises:
            TypeError: no node given and the calling process's runtime joined no cluster
                (or this is not called from a process).
        """
        return shared_per_node(cls, node, scope)

    async def _open(self) -> KvTable:
        client = await self._node.nats()
        js = client.jetstream()  # pyright: ignore[reportUnknownMemberType] - nats-py: bare **opts
        table = await KvTable.open(js, self.bucket, self._node.name, self.lease, self._node.track)
        table.on_change.append(self._index)
        for key, record in table.items():
            self._index(key, record)
        self._kv = table
        self._node.on_node_down(table.forget_node_soon)
        return table

    async def _opened(self) -> KvTable:
        return await asyncio.wrap_future(self._opening)

    def ready(self) -> Any:
        """Wait until this node's mirror holds the cluster's groups. Awaitable on tasks,
        blocking on threads.
        """
        return run_io(self._node, self._ready())

    async def _ready(self) -> None:
        await self._opened()

    def close(self) -> Any:
        """Stop following the bucket and renewing this node's memberships. Awaitable on
        tasks, blocking on threads.
        """
        return run_io(self._node, self._close())

    async def _close(self) -> None:
        await (await self._opened()).close()

    # -- membership --------------------------------------------------------------------------

    def join(self, group: str, handle: HandleBase[Any, Any, Any] | None = None) -> Any:
        """Add the calling process (or the local process behind ``handle``) to ``group``.
        Awaitable on tasks, blocking on threads; returns once the membership is written.

        Raises:
            TypeError: ``group`` is not a ``str``.
            ValueError: ``handle`` is a process of another node (it joins from there), or
                ``group`` is longer than 1024 bytes in UTF-8.
            RuntimeError: no ``handle`` and not called from inside a server.
        """
        process = self._member(handle, "join")
        key = self._key(group, process)
        return run_io(self._node, self._join(key, process))

    async def _join(self, key: str, process: ProcessCore) -> None:
        table = await self._opened()
        if not process.alive:
            return
        first = process not in self._joined
        keys = self._joined.setdefault(process, set())
        if key in keys:
            return
        keys.add(key)
        if first:
            process.on_exit(lambda _process: soon(self._node, lambda: self._exited(process)))
        with contextlib.suppress(Taken):  # written by an earlier run of this join: the same membership
            await table.create(key, None)
        if key not in self._joined.get(process, ()):  # it left or exited meanwhile
            self._drop(table, key)

    def leave(self, group: str, handle: HandleBase[Any, Any, Any] | None = None) -> Any:
        """Remove the calling process (or the local process behind ``handle``) from
        ``group``; nothing if it is not a member. Awaitable on tasks, blocking on threads.
        """
        process = self._member(handle, "leave")
        key = self._key(group, process)
        return run_io(self._node, self._leave(key, process))

    async def _leave(self, key: str, process: ProcessCore) -> None:
        table = await self._opened()
        keys = self._joined.get(process)
        if keys is not None and key in keys:
            keys.discard(key)
            self._drop(table, key)

    def _exited(self, process: ProcessCore) -> None:
        keys = self._joined.pop(process, set())
        table = self._kv
        if table is not None:
            for key in keys:
                self._drop(table, key)

    def _drop(self, table: KvTable, key: str) -> None:
        revision = table.own.get(key)
        if revision is not None:
            table.release_soon(key, revision)

    # -- listing (this node's mirror; never waits) -------------------------------------------

    def members(self, group: str) -> list[HandleBase[Any, Any, Any]]:
        """Every member of ``group`` across the cluster (``[]`` if none), in no set order;
        never a process this node knows is dead.
        """
        return self._listed(group, None)

    def local_members(self, group: str) -> list[HandleBase[Any, Any, Any]]:
        """The members of ``group`` that run on this node."""
        return self._listed(group, self._node.name)

    def _listed(self, group: str, node: str | None) -> list[HandleBase[Any, Any, Any]]:
        found = self._groups.get(encode_part(_check_group(group), "process group name"), {})
        handles = [self._node.handle_for(parts) for parts in list(found.values()) if node in (None, parts[0])]
        return [handle for handle in handles if handle.is_alive]

    def which_groups(self) -> list[str]:
        """Every group with at least one member (not known dead), cluster-wide, sorted."""
        handle_for = self._node.handle_for
        return sorted(
            decode_part(group)
            for group, members in list(self._groups.items())
            if any(handle_for(parts).is_alive for parts in list(members.values()))
        )

    def cast(self, group: str, msg: object) -> None:
        """Cast ``msg`` to every member of ``group``. Never blocks or fails; a member that has
        just exited drops it, as a cast to a dead process is.
        """
        for handle in self.members(group):
            handle.cast(msg)

    def send(self, group: str, msg: object) -> None:
        """Send ``msg`` to ``handle_info`` of every member of ``group`` (as :meth:`cast`)."""
        for handle in self.members(group):
            handle.send(msg)

    def __repr__(self) -> str:
        return f"<ProcessGroups {self.bucket} on node {self._node.name}>"

    # -- internals --------------------------------------------------------------------------

    def _member(self, handle: HandleBase[Any, Any, Any] | None, what: str) -> ProcessCore:
        if handle is None:
            process = current_process.get()
            if process is None:
                msg = (
                    f"ProcessGroups.{what}() with no handle acts for the calling process; "
                    "call it inside a server, or pass the handle of a process of this node"
                )
                raise RuntimeError(msg)
            return process
        parts = self._node.pid_parts(handle)
        if parts[0] != self._node.name:
            here = self._node.name
            msg = f"{handle!r} runs on node {parts[0]}, not {here}: a process joins groups from its own node"
            raise ValueError(msg)
        return handle._process

    def _key(self, group: str, process: ProcessCore) -> str:
        node, pid_id, creation = self._node.pid_parts(process.handle)
        part = encode_part(_check_group(group), "process group name")
        return f"g.{part}.{node}.{pid_id}.{creation}"

    def _index(self, key: str, record: Record | None) -> None:
        parts = _parse(key)
        if parts is None:
            return
        group, member = parts
        if record is None:
            members = self._groups.get(group)
            if members is not None:
                members.pop(key, None)
                if not members:
                    del self._groups[group]
        else:
            self._groups.setdefault(group, {})[key] = member


def _check_group(group: object) -> str:
    if not isinstance(group, str):
        msg = (
            f"a process group's name must be a str (it crosses nodes), got {group!r} ({type(group).__name__})"
        )
        raise TypeError(msg)
    return group


def _parse(key: str) -> tuple[str, PidParts] | None:
    fields = key.split(".")
    if len(fields) != 5 or fields[0] != "g":
        return None
    _, group, node, pid_id, creation = fields
    return group, (node, int(pid_id), int(creation))
