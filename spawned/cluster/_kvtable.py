"""A JetStream key-value bucket mirrored on every node: the store of the cluster registry
and of process groups.

Every entry is owned by one node (its value starts with the node's name). Writes go to the
bucket: ``create`` is atomic (it fails when the key exists: that is how a name is unique
across the cluster), ``delete`` names the revision it removes (so it never removes a newer
entry a restarted node wrote). Reads never touch the network: each node keeps a mirror of
the whole bucket, fed by a watch, and a node's own writes enter its mirror at once.

Entries go away three ways:

- their owner deletes them (its process exited): the mirror of the owner drops them at once,
  the others when the watch brings the delete (about a millisecond);
- a node sees another node go down: it drops that node's entries from its mirror at once and
  deletes them from the bucket (every node that sees it does; the revision check makes the
  extra deletes harmless);
- the lease: the bucket's ``max_age`` is ``lease`` seconds and each node rewrites its own
  entries every ``lease / 3`` seconds; an entry whose node stopped rewriting it (the node died
  while no other node was there to see it) expires, and the server announces the expiry to the
  watches (a subject delete marker, NATS 2.11+).

Nothing here knows about processes or runtimes: it runs on the node's asyncio loop.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
from collections.abc import Callable, Coroutine
from typing import TYPE_CHECKING, Any

import msgspec
from attrs import define, field, frozen
from loguru import logger

if TYPE_CHECKING:
    from nats.js.client import JetStreamContext
    from nats.js.kv import KeyValue

__all__ = ["DEFAULT_LEASE", "MAX_PART_BYTES", "KvTable", "Record", "Taken", "bucket_name", "encode_part"]

DEFAULT_LEASE = 30.0
"""Seconds an entry lives in the bucket unless its node rewrites it (every third of that)."""
MAX_PART_BYTES = 1024
"""The longest registry key or group name, in UTF-8 bytes: a subject longer than the server's
control line (4 KiB by default) makes it drop the node's connection."""
MIN_LEASE = 3.0
"""The shortest lease: the server's expiry markers live one second, a third of it."""


@frozen
class Record:
    """One entry of the mirror: its owner node, its payload and its bucket revision."""

    node: str
    payload: Any
    revision: int


class Taken(Exception):
    """``create`` found the key held; ``record`` is its holder as the bucket has it
    (``None`` if it vanished between the two reads).
    """

    def __init__(self, key: str, record: Record | None) -> None:
        self.key = key
        self.record = record
        super().__init__(f"{key!r} is held by {record!r}")


def encode_part(text: str, what: str = "key") -> str:
    """``text`` as one NATS subject token: unpadded URL-safe base64 (letters, digits, ``-``,
    ``_``), so any string, ``.`` and ``*`` included, is a valid key part.

    Raises:
        ValueError: ``text`` is longer than :data:`MAX_PART_BYTES` in UTF-8 (``what`` names
            it in the message).
    """
    raw = text.encode()
    if len(raw) > MAX_PART_BYTES:
        msg = (
            f"a cluster {what} is at most {MAX_PART_BYTES} bytes in UTF-8 (it becomes part of a NATS "
            f"subject), got one of {len(raw)} bytes: {text[:40]!r}..."
        )
        raise ValueError(msg)
    return base64.urlsafe_b64encode(raw).decode().rstrip("=") or "="


def decode_part(part: str) -> str:
    """The string :func:`encode_part` encoded."""
    if part == "=":
        return ""
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)).decode()


def bucket_name(cluster: str, kind: str, name: str) -> str:
    """The bucket of registry or group scope ``name`` in ``cluster``: ASCII letters, digits,
    ``_`` and ``-`` only (what JetStream allows). In each part every other character, ``_``
    and ``-`` included, is hex-escaped as ``-<hex>-``, so the ``_`` between parts is never
    part of one and distinct scopes never share a bucket.
    """
    return "_".join(["spawned", *(_bucket_part(part) for part in (cluster, kind, name))])


def _bucket_part(text: str) -> str:
    return "".join(c if c.isascii() and c.isalnum() else f"-{ord(c):x}-" for c in text)


_encoder = msgspec.msgpack.Encoder()
_decoder = msgspec.msgpack.Decoder(tuple[str, Any])


@define
class KvTable:
    """The bucket and this node's mirror of it. Use :meth:`open`; every coroutine runs on
    the node's asyncio loop; :meth:`get` and :meth:`items` may be read from any thread.
    """

    kv: KeyValue
    node: str
    lease: float
    records: dict[str, Record]
    """The mirror: key -> record (entries of nodes known to be down are already gone)."""
    own: dict[str, int]
    """The keys this node wrote and still holds -> their last revision (rewritten each lease)."""
    on_change: list[Callable[[str, Record | None], None]]
    """Called on the loop with ``(key, record or None)`` whenever the mirror changes."""
    on_lost: Callable[[str], None] | None = None
    """Called when an own entry was taken over by another node (the lease ran out unseen)."""
    track: Callable[[asyncio.Task[Any]], None] | None = None
    """Given each long-lived task (watch, renewal), for the node to cancel when it leaves."""
    _tasks: list[asyncio.Task[None]] = field(factory=list[asyncio.Task[None]])
    _gone: dict[str, int] = field(factory=dict[str, int])
    """Revisions of entries dropped ahead of the watch: older puts for them are stale."""

    @classmethod
    async def open(
        cls,
        js: JetStreamContext,
        bucket: str,
        node: str,
        lease: float = DEFAULT_LEASE,
        track: Callable[[asyncio.Task[Any]], None] | None = None,
    ) -> KvTable:
        """Open (or create) ``bucket``, fill the mirror from a watch, and clear what a previous
        life of ``node`` left in it (a node restarted under the same name).

        Raises:
            ValueError: ``lease`` is shorter than :data:`MIN_LEASE` seconds.
        """
        if not lease >= MIN_LEASE:
            msg = f"lease must be at least {MIN_LEASE} seconds, got {lease!r}"
            raise ValueError(msg)
        kv = await _bucket(js, bucket, lease)
        table = cls(kv, node, lease, {}, {}, [], track=track)
        watcher = await kv.watchall()  # pyright: ignore[reportUnknownMemberType] - nats-py: bare **kwargs
        synced = asyncio.Event()
        table._keep(table._follow(watcher, synced))
        await synced.wait()
        await table.forget_node(node)
        table._keep(table._refresh())
        return table

    def _keep(self, coro: Coroutine[Any, Any, None]) -> None:
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.append(task)
        if self.track is not None:
            self.track(task)

    async def close(self) -> None:
        """Stop following the bucket and rewriting own entries (the entries stay)."""
        tasks, self._tasks = self._tasks, []
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task

    # -- reads (mirror) --------------------------------------------------------------------

    def get(self, key: str) -> Record | None:
        """The mirror's record under ``key``, or ``None``."""
        return self.records.get(key)

    def items(self) -> list[tuple[str, Record]]:
        """A snapshot of the mirror."""
        return list(self.records.items())

    # -- writes ---------------------------------------------------------------------------

    async def create(self, key: str, payload: object) -> int:
        """Write ``key`` if nobody holds it; its revision.

        Raises:
            Taken: the key is held (with the holder as the bucket has it now).
        """
        from nats.js.errors import KeyWrongLastSequenceError  # noqa: PLC0415 - nats only once joined

        try:
            revision = await self.kv.create(key, self._encode(payload))
        except KeyWrongLastSequenceError:
            raise Taken(key, await self.read(key)) from None
        self._put(key, Record(self.node, payload, revision))
        self.own[key] = revision
        return revision

    async def update(self, key: str, payload: object, revision: int) -> int:
        """Rewrite own ``key`` held at ``revision``; its new revision.

        Raises:
            Taken: the key changed hands since ``revision``.
        """
        from nats.js.errors import KeyWrongLastSequenceError  # noqa: PLC0415 - nats only once joined

        try:
            new = await self.kv.update(key, self._encode(payload), last=revision)
        except KeyWrongLastSequenceError:
            self.own.pop(key, None)
            raise Taken(key, await self.read(key)) from None
        self._put(key, Record(self.node, payload, new))
        self.own[key] = new
        return new

    async def delete(self, key: str, revision: int) -> None:
        """Delete ``key`` if it is still at ``revision`` (else someone rewrote it: keep it).
        The mirror drops it at once.
        """
        if self.own.get(key) == revision:
            del self.own[key]
        self._drop(key, revision)
        await _delete(self.kv, key, revision)

    def release_soon(self, key: str, revision: int) -> None:
        """Drop ``key`` from the mirror now and delete it from the bucket in the background."""
        if self.own.get(key) == revision:
            del self.own[key]
        self._drop(key, revision)
        self._background(self.delete(key, revision))

    async def forget_node(self, node: str) -> None:
        """Drop every entry of ``node`` (gone) from the mirror now, then from the bucket."""
        for key, revision in self._drop_node(node):
            await _delete(self.kv, key, revision)

    def _drop_node(self, node: str) -> list[tuple[str, int]]:
        doomed = [(key, record.revision) for key, record in self.records.items() if record.node == node]
        for key, revision in doomed:
            self._drop(key, revision)
        return doomed

    def forget_node_soon(self, node: str) -> None:
        """:meth:`forget_node` without waiting (call on the loop): the mirror drops the
        entries of ``node`` before this returns, the bucket in the background.
        """
        doomed = self._drop_node(node)
        if doomed:
            self._background(self._delete_all(doomed))

    async def _delete_all(self, doomed: list[tuple[str, int]]) -> None:
        for key, revision in doomed:
            await _delete(self.kv, key, revision)

    # -- internals --------------------------------------------------------------------------

    def _encode(self, payload: object) -> bytes:
        return _encoder.encode((self.node, payload))

    async def read(self, key: str) -> Record | None:
        """The record under ``key`` as the bucket has it now (not the mirror), or ``None``."""
        from nats.js.errors import NotFoundError  # noqa: PLC0415 - nats only once joined

        try:
            entry = await self.kv.get(key)
        except (NotFoundError, KeyError):
            return None
        if entry.value is None or entry.revision is None:
            return None
        node, payload = _decoder.decode(entry.value)
        return Record(node, payload, entry.revision)

    def _put(self, key: str, record: Record) -> None:
        known = self.records.get(key)
        if (known is not None and known.revision >= record.revision) or self._gone.get(
            key, 0
        ) >= record.revision:
            return
        self._gone.pop(key, None)
        self.records[key] = record
        self._changed(key, record)

    def _drop(self, key: str, revision: int) -> None:
        self._gone[key] = max(self._gone.get(key, 0), revision)
        known = self.records.get(key)
        if known is not None and known.revision <= revision:
            del self.records[key]
            self._changed(key, None)

    def _changed(self, key: str, record: Record | None) -> None:
        for callback in self.on_change:
            try:
                callback(key, record)
            except Exception:  # noqa: BLE001 - one listener's bug must not stop the mirror
                logger.opt(exception=True).error("a cluster table listener failed on {}", key)

    async def _follow(self, watcher: KeyValue.KeyWatcher, synced: asyncio.Event) -> None:
        try:
            async for entry in watcher:
                if entry is None:  # the end of the initial values
                    synced.set()
                    continue
                self._apply(entry)
        finally:
            synced.set()
            with contextlib.suppress(Exception):
                await watcher.stop()

    def _apply(self, entry: KeyValue.Entry) -> None:
        revision = entry.revision or 0
        if entry.operation in {"DEL", "PURGE"} or not entry.value:
            self._drop(entry.key, revision)
            if self._gone.get(entry.key, 0) <= revision:  # every older put came before this
                self._gone.pop(entry.key, None)
            return
        try:
            node, payload = _decoder.decode(entry.value)
        except msgspec.DecodeError:
            logger.warning(
                "dropped an undecodable entry {!r} from cluster bucket {}", entry.key, entry.bucket
            )
            return
        self._put(entry.key, Record(node, payload, revision))

    async def _refresh(self) -> None:
        try:
            await self._renew_forever()
        finally:  # closed (or the node left and cancelled it): so is every write in flight
            for task in list(self._tasks):
                if task is not asyncio.current_task():
                    task.cancel()

    async def _renew_forever(self) -> None:
        while True:
            await asyncio.sleep(self.lease / 3)
            for key, revision in list(self.own.items()):
                record = self.records.get(key)
                if self.own.get(key) != revision or record is None:
                    continue
                try:
                    await self.update(key, record.payload, revision)
                except Taken:
                    logger.warning(
                        "cluster entry {!r} of node {} was taken over by another node "
                        "(its lease ran out unseen); it no longer belongs here",
                        key,
                        self.node,
                    )
                    if self.on_lost is not None:
                        self.on_lost(key)
                except Exception:  # noqa: BLE001 - a failed rewrite is retried next round
                    logger.opt(exception=True).warning("could not renew cluster entry {!r}", key)

    def keep_soon(self, coro: Coroutine[Any, Any, None]) -> None:
        """Run ``coro`` in the background on the loop (call on it); a failure is logged, and
        the task is cancelled if the table closes first.
        """
        self._background(coro)

    def _background(self, coro: Any) -> None:
        task: asyncio.Task[None] = asyncio.get_running_loop().create_task(coro)
        self._tasks.append(task)
        task.add_done_callback(self._finished)

    def _finished(self, task: asyncio.Task[None]) -> None:
        from nats.errors import ConnectionClosedError  # noqa: PLC0415 - nats only once joined

        with contextlib.suppress(ValueError):
            self._tasks.remove(task)
        error = None if task.cancelled() else task.exception()
        if isinstance(error, ConnectionClosedError):  # the node left: the lease finishes the job
            logger.debug("a cluster bucket write was dropped: the node's connection closed")
        elif error is not None:
            logger.opt(exception=error).warning("a cluster bucket write failed")


WRONG_LAST_SEQUENCE = 10071
"""JetStream's error code for a write whose expected revision is not the key's."""


async def _delete(kv: KeyValue, key: str, revision: int) -> None:
    """Delete ``key`` if it is still at ``revision``; a newer revision stays."""
    from nats.js.errors import BadRequestError, KeyWrongLastSequenceError  # noqa: PLC0415

    try:
        await kv.delete(key, last=revision)
    except KeyWrongLastSequenceError:
        pass
    except BadRequestError as error:  # nats-py reports a delete's wrong revision this way
        if error.err_code != WRONG_LAST_SEQUENCE:
            raise


async def _bucket(js: JetStreamContext, bucket: str, lease: float) -> KeyValue:
    from nats.js.api import KeyValueConfig  # noqa: PLC0415 - nats only once joined
    from nats.js.errors import BucketNotFoundError  # noqa: PLC0415

    try:
        return await js.key_value(bucket)
    except BucketNotFoundError:
        pass
    config = KeyValueConfig(bucket=bucket, history=1, ttl=lease, limit_marker_ttl=1.0)
    return await js.create_key_value(config)  # pyright: ignore[reportUnknownMemberType] - bare **params
