"""``Registry`` and ``Via``: processes found by key, on any backend.

A :class:`Registry` is a :class:`~spawned._keytable.KeyTable` of processes plus the lock its
writers share. Readers take no lock and never go through a mailbox. Each process that
registers gets one exit hook, which removes all its entries when it dies, kill included.

The lock is a real thread lock, made by the first runtime that writes to the registry
(``runtime.new_lock``), so one registry serves tasks and threads servers alike while the
core imports no threading module.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, Any, Generic, TypeVar, cast

from attrs import field, frozen
from typing_extensions import TypeVar as DefaultTypeVar

from ._errors import AlreadyRegistered, AlreadyStarted
from ._keytable import Keys, KeyTable
from ._process import current_process
from ._util import check_hashable

if TYPE_CHECKING:
    from ._handle import HandleBase
    from ._process import ProcessCore
    from ._runtime import RuntimeCore

K = DefaultTypeVar("K", default=Any)
V = DefaultTypeVar("V", default=Any)
P = TypeVar("P", bound="ProcessCore")

Entry = tuple["HandleBase[Any, Any, Any]", V]


class Registry(Generic[K, V]):
    """A table of processes by key, as in Elixir's ``Registry``; usable from any backend.

    ``keys="unique"``: a key names at most one process (use it with [`Via`][spawned.Via] to
    name servers). ``keys="duplicate"``: any number of processes share a key, and one
    process may register the same key several times (pub-sub, groups).

    ``register``/``unregister`` act for the calling process, inside its callbacks.
    Lookups may be made from anywhere, on any thread; they take no lock and never wait.
    Entries vanish when their process exits, however it exits; a lookup never returns a
    process that is already dead.

    Keys are compared as dict keys are, with Python's ``hash`` and ``==``: ``1``, ``1.0``
    and ``True`` are one key (Elixir compares with ``===``, where they differ). Use
    strings, tuples or your own frozen types where that matters.

    Example:
        ```python
        rooms = Registry(keys="duplicate")

        class Member(GenServer):
            def init(self):
                rooms.register("lobby", "alice")

        rooms.dispatch("lobby", lambda entries: [h.send("hi") for h, _ in entries])
        ```
    """

    __slots__ = ("_lock", "_lock_box", "_table", "_watched", "keys_kind")

    _reserves: bool = False
    """Whether a ``Via`` name of this registry is reserved elsewhere before its process is
    made (a cluster-wide registry, over the network): the backend then awaits
    :meth:`_reserve` (tasks) or calls :meth:`_reserve_blocking` (threads) first, without the
    runtime's lock, and :meth:`_unreserve` if the start goes no further.
    """

    def __init__(self, keys: Keys = "unique") -> None:
        self._table: KeyTable[ProcessCore] = KeyTable(keys)
        self.keys_kind: Keys = keys
        """``"unique"`` or ``"duplicate"``."""
        self._lock: AbstractContextManager[Any] | None = None
        self._lock_box: dict[int, AbstractContextManager[Any]] = {}
        self._watched: set[ProcessCore] = set()

    @classmethod
    def _with_lock(cls, keys: Keys, lock: AbstractContextManager[Any]) -> Registry[Any, Any]:
        """A registry sharing an existing lock (a runtime's own name table)."""
        registry = cls(keys)
        registry._lock = lock
        return registry

    def _locked(self, runtime: RuntimeCore) -> AbstractContextManager[Any]:
        lock = self._lock
        if lock is None:  # the first writer installs the lock; setdefault is atomic
            lock = self._lock = self._lock_box.setdefault(0, runtime.new_lock())
        return lock

    # -- writers: the calling process ----------------------------------------------------

    def register(self, key: K, value: V = None) -> None:
        """Add an entry ``(calling process, value)`` under ``key``. Never blocks.

        Raises:
            AlreadyRegistered: a unique key is held by a living process (the caller
                included); the registry is unchanged.
            RuntimeError: not called from inside a server.
        """
        process = _calling_process("register")
        with self._locked(process.runtime):
            if not process.alive:  # killed while its callback still runs: nothing to keep
                return
            holder = self._table.register(key, process, value)
            if holder is not None and not holder.alive:  # its exit hook has yet to run
                self._table.drop(holder)
                holder = self._table.register(key, process, value)
            first = holder is None and process not in self._watched
            if first:
                self._watched.add(process)
        if holder is not None:
            raise AlreadyRegistered(key, holder.handle)
        if first:
            process.on_exit(self._forget)

    def unregister(self, key: K) -> None:
        """Remove every entry the calling process holds under ``key`` (none: no-op)."""
        process = _calling_process("unregister")
        with self._locked(process.runtime):
            self._table.unregister(key, process)

    def _forget(self, process: ProcessCore) -> None:
        with self._locked(process.runtime):
            self._table.drop(process)
            self._watched.discard(process)

    def _claim(self, runtime: RuntimeCore, name: object, key: object, make: Callable[[], P]) -> P:
        """Make a process and register it under unique ``key``, or raise ``AlreadyStarted``
        without calling ``make`` (so ``init`` never runs).
        """
        with self._locked(runtime):
            holder = self._table.holder(key)
            if holder is not None:
                if holder.alive:
                    raise AlreadyStarted(name, holder.handle)
                self._table.drop(holder)
            process = make()
            self._table.register(key, process)
            self._watched.add(process)
        process.on_exit(self._forget)
        return process

    async def _reserve(self, name: Via) -> None:
        """Reserve ``name`` for a process about to start (awaited by the tasks backend)."""
        raise NotImplementedError

    def _reserve_blocking(self, name: Via) -> None:
        """Reserve ``name`` for a process about to start (called by the threads backend)."""
        raise NotImplementedError

    def _unreserve(self, name: Via) -> None:
        """Give up a reservation whose process was never made."""
        raise NotImplementedError

    # -- readers: anyone, any thread --------------------------------------------------------

    def lookup(self, key: K) -> list[Entry[V]]:
        """Every living entry under ``key`` as ``(handle, value)``; ``[]`` if none."""
        return [(p.handle, cast("V", v)) for p, v in self._table.lookup(key) if p.alive]

    def handles(self, key: K) -> list[HandleBase[Any, Any, Any]]:
        """The handles of every living process under ``key`` (``[]`` if none): the members
        to pass to ``multi_call``/``abcast`` for a fan-out over a key.
        """
        return [handle for handle, _ in self.lookup(key)]

    def match(self, key: K, predicate: Callable[[V], bool]) -> list[Entry[V]]:
        """The entries of ``lookup(key)`` whose value satisfies ``predicate``."""
        return [entry for entry in self.lookup(key) if predicate(entry[1])]

    def whereis(self, key: K) -> HandleBase[Any, Any, Any] | None:
        """The living process under ``key`` (the first one, on a duplicate registry)."""
        holder = self._table.holder(key)
        if holder is not None and holder.alive:
            return holder.handle
        entries = self.lookup(key)
        return entries[0][0] if entries else None

    def keys(self, handle: HandleBase[Any, Any, Any]) -> list[K]:
        """The keys the process behind ``handle`` holds, one per entry (a key it registered
        twice comes twice, as in Elixir); ``[]`` once it has exited.
        """
        process = handle._process
        if not process.alive:
            return []
        return cast("list[K]", self._table.keys_of(process))

    def count(self) -> int:
        """How many entries the registry holds (one process may hold several)."""
        return self._table.size

    def dispatch(self, key: K, fn: Callable[[list[Entry[V]]], object]) -> None:
        """Call ``fn(entries)`` with ``lookup(key)``, in the calling thread; not at all if
        there are none. ``fn`` runs without the registry's lock, so it may cast, send,
        register or look up freely.
        """
        entries = self.lookup(key)
        if entries:
            fn(entries)

    def __repr__(self) -> str:
        return f"<Registry keys={self.keys_kind!r} entries={self._table.size}>"


def _must_be_unique(_instance: object, _attribute: object, registry: object) -> None:
    if not isinstance(registry, Registry):
        msg = f"Via takes a Registry as its first argument, got {registry!r} ({type(registry).__name__})"
        raise TypeError(msg)
    if registry.keys_kind != "unique":
        msg = f"Via needs a unique registry, got {registry!r}; only unique keys can name a process"
        raise ValueError(msg)


def _hashable_key(_instance: object, _attribute: object, key: object) -> None:
    check_hashable(key, "a Via key")


@frozen(repr=False)
class Via:
    """A name held in a unique [`Registry`][spawned.Registry]: pass it as ``name=`` to ``start`` (or in
    a child spec), and find the process again with ``whereis(Via(registry, key))`` or
    ``registry.whereis(key)``. Released when the process exits.

    Raises:
        TypeError: ``registry`` is not a ``Registry``, or ``key`` is not hashable.
        ValueError: ``registry`` has duplicate keys.
    """

    registry: Registry[Any, Any] = field(validator=_must_be_unique)
    key: object = field(validator=_hashable_key)

    def __repr__(self) -> str:
        return f"Via({self.key!r})"


def reserving(name: object) -> Registry[Any, Any] | None:
    """The registry that must reserve ``name`` before its process is made (see
    ``Registry._reserves``), or ``None``: a plain name, a local ``Via``, no name.
    """
    if isinstance(name, Via) and name.registry._reserves:
        return name.registry
    return None


def _calling_process(what: str) -> ProcessCore:
    process = current_process.get()
    if process is None:
        msg = f"Registry.{what}() acts for the calling process; call it inside a server's callback"
        raise RuntimeError(msg)
    return process
