"""What a server looks like to a person reading its logs: ``Status``, redaction, and tracebacks
trimmed to the server's own frames.

Nothing here runs on the hot path: a status is made only for a crash report, a warning, or a
``get_state`` request.
"""

from __future__ import annotations

from collections.abc import Generator
from types import FrameType, GeneratorType, TracebackType
from typing import TYPE_CHECKING, Any, cast

from attrs import frozen

from ._reasons import describe

if TYPE_CHECKING:
    from ._server import GenServer


@frozen
class Status:
    """How a server looks in crash reports, warnings and ``get_state``; what
    [`GenServer.format_status`][spawned.GenServer.format_status] receives and returns.

    Return a changed copy with ``attrs.evolve(status, message=..., state=...)`` to hide
    secrets: the crash report prints ``message``, ``get_state`` returns ``state``.
    """

    state: Any
    """The server's public attributes (those not starting with ``_``), as a new ``dict``."""
    message: Any = None
    """The message being handled (a call's, cast's or info message's payload), or ``None``."""
    reason: Any = None
    """The exit reason when the server is terminating, else ``None``. Changing it changes how the
    report's text names the reason; the traceback still shows the exception itself."""


def public_state(server: object) -> dict[str, Any]:
    """The attributes of ``server`` that do not start with ``_``, as a new dict (empty for an
    object without a ``__dict__``).
    """
    attributes: dict[str, Any] = getattr(server, "__dict__", {})
    return {key: value for key, value in attributes.items() if not key.startswith("_")}


def formatted(server: GenServer[Any, Any, Any], message: object = None, reason: object = None) -> Status:
    """The server's status as its ``format_status`` presents it.

    If ``format_status`` raises or returns something that is not a ``Status``, both the
    state and the message are hidden (a redaction that failed must not leak what it hid).
    """
    status = Status(server._spawned_status_state(), message, reason)
    try:
        shown = cast("object", server.format_status(status))  # user code: may return anything
        if not isinstance(shown, Status):
            msg = f"format_status returned {shown!r}; allowed: a Status (use attrs.evolve(status, ...))"
            raise TypeError(msg)  # noqa: TRY301 - handled with every other failure just below
    except Exception as error:  # noqa: BLE001 - a failed redaction hides, it does not crash
        hidden = f"<hidden: format_status raised {describe(error)}>"
        return Status(hidden, hidden, reason)
    return shown


def state_of(server: GenServer[Any, Any, Any]) -> Any:
    """``get_state``'s answer: the server's state as its ``format_status`` shows it."""
    return formatted(server).state


# -- tracebacks that start at the server's code ------------------------------------------------

_FRAMEWORK = frozenset({"spawned", "anyio", "asyncio", "trio", "threading", "concurrent", "contextlib"})


def _top() -> Generator[None]:
    yield  # spawned called into the server here; the frames below are the server's own


_TOP = cast("GeneratorType[None, None, None]", _top())
next(_TOP)
_TOP_FRAME = cast("FrameType", _TOP.gi_frame)
"""A suspended frame with no caller: the first entry of a trimmed traceback.

loguru's ``backtrace`` option walks up from a traceback's first frame through its callers,
which would bring back the event loop, the runtime and the test runner. Starting the
traceback at a frame that has no caller stops the walk there.
"""


def for_log(error: BaseException) -> tuple[type[BaseException], BaseException, TracebackType | None]:
    """``error`` as an exception tuple for ``logger.opt(exception=...)`` whose traceback starts
    where spawned called the server: the leading frames of spawned, anyio, asyncio, trio and
    threading are cut. ``error`` itself is left unchanged (its ``__traceback__`` is intact).

    A traceback with no frame of the server's (say, a bad return value caught by spawned)
    keeps its last frame, where the error was raised.
    """
    tb = error.__traceback__
    entries: list[TracebackType] = []
    while tb is not None:
        entries.append(tb)
        tb = tb.tb_next
    kept = 0
    while kept < len(entries) and _is_framework(entries[kept]):
        kept += 1
    if kept == len(entries):
        kept = max(len(entries) - 1, 0)
    if not entries:
        return type(error), error, None
    chain: TracebackType | None = None
    for entry in reversed(entries[kept:]):
        chain = TracebackType(chain, entry.tb_frame, entry.tb_lasti, entry.tb_lineno)
    top = TracebackType(chain, _TOP_FRAME, _TOP_FRAME.f_lasti, _TOP_FRAME.f_lineno)
    return type(error), error, top


def _is_framework(entry: TracebackType) -> bool:
    module = entry.tb_frame.f_globals.get("__name__", "")
    return isinstance(module, str) and module.partition(".")[0] in _FRAMEWORK
