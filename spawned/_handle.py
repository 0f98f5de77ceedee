"""The non-waiting half of a handle, shared by both backends."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Generic, NoReturn

from typing_extensions import TypeVar

from ._envelope import CAST, INFO
from ._process import current_process
from ._reasons import KILLED
from ._util import NoPublicConstructor

if TYPE_CHECKING:
    from ._process import ProcessCore

CallT = TypeVar("CallT", default=Any)
CastT = TypeVar("CastT", default=Any)
ReplyT = TypeVar("ReplyT", default=Any)


class HandleBase(Generic[CallT, CastT, ReplyT], metaclass=NoPublicConstructor):
    """The address of one process. Compare, hash and keep it; only a runtime makes one.

    ``cast``, ``send`` and ``kill`` never block and never raise. The waiting methods
    (``call``, ``stop``, ``join``) are the backend's: awaited on ``spawned.tasks``,
    blocking on ``spawned.threads``.
    """

    __slots__ = ("__weakref__", "_process")

    def __init__(self, process: ProcessCore) -> None:
        self._process = process

    def cast(self, msg: CastT) -> None:
        """Deliver ``msg`` to ``handle_cast``. Never blocks or fails; dropped if the server
        is dead. Safe from any thread.
        """
        self._process.post((CAST, msg, None))

    def send(self, msg: object) -> None:
        """Deliver ``msg`` to ``handle_info``. Never blocks or fails; dropped if the server
        is dead. Safe from any thread.
        """
        self._process.post((INFO, msg, None))

    def kill(self) -> None:
        """End the process at once with reason ``"killed"``: no ``terminate``, cannot be
        trapped. Pending callers get ``ServerExited("killed")``. Never blocks.

        As in Erlang, only the kill itself is untrappable: the ``"killed"`` exit then
        reaches linked processes like any abnormal reason (a trapping one receives
        ``Exit(handle, "killed")``, any other dies with ``"killed"``).
        """
        self._process.exit_now(KILLED)

    def exit(self, reason: object) -> None:
        """Send the process an exit signal with ``reason`` (Erlang's ``exit(Pid, Reason)``).
        Never blocks; ignored if the process is dead.

        A process with ``trap_exits`` receives ``Exit(sender, reason)`` in ``handle_info``
        (``sender`` is the calling process's handle, ``None`` from outside any process); a
        supervised server whose supervisor sends it stops, running ``terminate``. Any other
        process exits at once with ``reason`` (no ``terminate``), except that ``"normal"`` is
        ignored. ``"kill"`` cannot be trapped: the process exits ``"killed"``, as with
        [`kill`][spawned.tasks.Handle.kill]. To stop a server in order, use ``stop``.
        """
        self._process.take_exit(current_process.get(), reason)

    @property
    def is_alive(self) -> bool:
        """Whether the process has not exited yet."""
        return self._process.alive

    @property
    def name(self) -> object:
        """The name given to ``start``, or ``None``."""
        return self._process.name

    def __repr__(self) -> str:
        state = "" if self._process.alive else " (exited)"
        return f"<Handle {self._process.label}{state}>"


def check_backend(handle: object, backend: str) -> NoReturn:
    """Refuse ``handle`` for ``Handle.of`` of ``backend``: it is not one of its handles."""
    what = f"a handle of another runtime ({handle!r})" if isinstance(handle, HandleBase) else repr(handle)
    msg = f"spawned.{backend}.Handle.of expects a handle of spawned.{backend} or None, got {what}"
    raise TypeError(msg)


def check_server(handle: HandleBase[Any, Any, Any] | None, server: object) -> None:
    """Raise ``TypeError`` unless ``handle`` is ``None`` or runs an instance of ``server``."""
    if not isinstance(server, type):
        msg = f"whereis expects a GenServer class as its server argument, got {server!r}"
        raise TypeError(msg)
    if handle is not None and not isinstance(handle._process.server, server):
        running = type(handle._process.server).__name__
        msg = f"{handle!r} runs a {running}, not a {server.__name__}"
        raise TypeError(msg)
