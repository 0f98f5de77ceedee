"""Values a server receives or holds: ``Caller``, ``Request``, ``Ref``, ``Down``, ``Exit``."""

from __future__ import annotations

import itertools
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from attrs import frozen
from typing_extensions import TypeVar as DefaultTypeVar

from ._util import NoPublicConstructor

if TYPE_CHECKING:
    from ._backend import ReplySlot
    from ._handle import HandleBase
    from ._process import ProcessCore

R_contra = TypeVar("R_contra", contravariant=True)


class Caller(Generic[R_contra], metaclass=NoPublicConstructor):
    """The reply address of one call, passed to ``handle_call``. Opaque and hashable.

    Contravariant in the reply type, as anything that only takes a value is: a caller that
    accepts ``int | None`` may be passed where a ``Caller[int]`` is expected (a helper that
    replies an ``int`` gives it a value it accepts), never the reverse (a helper typed
    ``Caller[int | None]`` may reply ``None`` to a caller that takes only ``int``).
    """

    __slots__ = ("_server", "_slot")

    def __init__(self, server: ProcessCore, slot: ReplySlot[R_contra]) -> None:
        self._server = server
        self._slot = slot

    def reply(self, value: R_contra) -> None:
        """Answer the call with ``value``. Never blocks, never raises.

        Only the first answer counts: a second reply, or a reply to a caller that timed
        out or was cancelled, is dropped.
        """
        self._slot.resolve(value)
        self._server.forget_call(self)

    def __repr__(self) -> str:
        return f"<Caller of {self._server.label}>"


ReplyT_co = TypeVar("ReplyT_co", covariant=True)
ApiT = DefaultTypeVar("ApiT", default=object)


class Request(Generic[ReplyT_co, ApiT]):
    """Base class for a call message that names its reply type (and, optionally, its API).

    A server with several kinds of call gets a precise reply type per call: derive each
    message from ``Request[its reply type, API]`` and declare the server
    ``GenServer[Request[object, API], CastT, object]``. ``handle.call(msg)`` is then typed as
    the reply of ``msg``, and a request of another API (or no request) is rejected::

        class CounterApi: ...                       # any class: a tag for this server's calls

        @frozen
        class Get(Request[int, CounterApi]): ...

        @frozen
        class Rename(Request[str | None, CounterApi]):
            name: str

        class Counter(GenServer[Request[object, CounterApi], None, object]):
            def handle_call(self, msg: Request[object, CounterApi], caller: Caller[object]):
                match msg:
                    case Get(): ...
                    case Rename(name): ...

        n = await counter.call(Get())               # int
        old = await counter.call(Rename("b"))       # str | None

    Write ``object``, not ``Any``, in the server's declaration: with ``Any`` there pyright
    cannot tell which of ``call``'s signatures applies and types the reply as ``Any``.
    ``API`` may be left out (``Request[int]``): the server then takes any such request. A
    server declared with a plain union (``GenServer[Get | Rename, None, int | str | None]``)
    still works, typed by its reply union. ``Request`` adds nothing at run time: the server's
    ``handle_call`` matches on the classes as usual, and replies are not checked per request.
    """

    __slots__ = ()


_ref_ids = itertools.count(1)


class Ref(metaclass=NoPublicConstructor):
    """A monitor reference, returned by ``self.monitor(handle)``. Opaque and hashable."""

    __slots__ = ("_id",)

    def __init__(self, number: int | None = None) -> None:
        self._id = next(_ref_ids) if number is None else number

    def __repr__(self) -> str:
        return f"<Ref {self._id}>"


@frozen
class Down:
    """Info message: the process behind ``handle``, monitored through ``ref``, exited.

    ``reason`` is its exit reason, or ``"noproc"`` if it was already gone when monitored.
    Arrives once per monitor, never after ``demonitor(ref)``. ``handle`` is typed as the
    backend-neutral [`HandleBase`][spawned.HandleBase]; ``tasks.Handle.of(down.handle)`` (or
    ``threads.Handle.of``) gives the backend's handle, with ``join`` and ``call``.
    """

    ref: Ref
    handle: HandleBase[Any, Any, Any]
    reason: object


@frozen
class Exit:
    """Info message, for a server with ``trap_exits = True``: a linked process exited, or a
    process sent this one an exit signal with ``handle.exit(reason)``.

    ``handle`` is the linked process, or the sender of the signal: ``None`` when it was sent
    from outside any process. ``tasks.Handle.of(exit.handle)`` (or ``threads.Handle.of``)
    gives the backend's handle, or ``None``.
    """

    handle: HandleBase[Any, Any, Any] | None
    reason: object
