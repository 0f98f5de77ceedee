"""Exit-reason rules, one place for both backends.

``"normal"`` and ``"shutdown"`` (or ``("shutdown", detail)``) are clean exits. Everything
else (an exception, ``"killed"``, any object given to ``Stop``) is abnormal.
"""

from __future__ import annotations

from typing import cast

NORMAL = "normal"
SHUTDOWN = "shutdown"
KILLED = "killed"
KILL = "kill"
"""The reason that makes ``handle.exit(reason)`` untrappable (the process exits ``"killed"``)."""
NOPROC = "noproc"
NOCONNECTION = "noconnection"
"""The reason seen for a process on another node once that node is gone or cut off (OTP's
``noconnection``): in ``Down``, in an exit signal, and in ``ServerExited`` of a call in flight.
"""


def is_shutdown(reason: object) -> bool:
    """``"shutdown"`` or ``("shutdown", detail)``."""
    if reason == SHUTDOWN:
        return True
    if isinstance(reason, tuple):
        parts = cast("tuple[object, ...]", reason)
        return len(parts) == 2 and parts[0] == SHUTDOWN
    return False


def is_clean(reason: object) -> bool:
    """Whether ``reason`` is a clean exit: not logged as a crash, no transient restart."""
    return reason == NORMAL or is_shutdown(reason)


def crosses_link(reason: object) -> bool:
    """Whether an exit with ``reason`` takes down a linked process that does not trap exits.

    As in OTP, only ``"normal"`` does not: ``"shutdown"`` does.
    """
    return reason != NORMAL


def safe_str(value: object) -> str:
    """``str(value)``, or ``<unprintable T object>`` when that raises (as ``traceback`` does)."""
    try:
        return str(value)
    except Exception:  # noqa: BLE001 - a report must not fail on a user's broken __str__
        return f"<unprintable {type(value).__name__} object>"


def safe_repr(value: object) -> str:
    """``repr(value)``, or ``<unprintable T object>`` when that raises."""
    try:
        return repr(value)
    except Exception:  # noqa: BLE001 - a report must not fail on a user's broken __repr__
        return f"<unprintable {type(value).__name__} object>"


def describe(reason: object) -> str:
    """A short human text for a reason, for logs and error messages.

    Never raises: a reason whose ``str``/``repr`` raises is shown as
    ``<unprintable T object>``.
    """
    if isinstance(reason, BaseException):
        text = safe_str(reason)
        return f"{type(reason).__name__}: {text}" if text else type(reason).__name__
    return safe_repr(reason)
