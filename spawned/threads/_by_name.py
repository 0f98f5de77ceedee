"""Calls and casts by name, and fan-out, in the current runtime (module-level functions)."""

from __future__ import annotations

import typing
from collections.abc import Iterable
from typing import Any, overload

from .._fanout import CallResult
from .._handle import CallT, HandleBase, ReplyT
from ._handle import Handle
from ._runtime import current_runtime


@overload
def call(target: HandleBase[CallT, Any, ReplyT], msg: CallT, timeout: float = 5.0) -> ReplyT: ...
@overload
def call(target: object, msg: object, timeout: float = 5.0) -> Any: ...
def call(target: object, msg: object, timeout: float = 5.0) -> Any:
    """Call the process ``target`` names (a name, a ``Via`` or a handle) in the current
    runtime and block for the reply; see [`Runtime.call`][spawned.threads.Runtime.call].
    Raises ``NoProc`` for an unknown name.
    """
    if isinstance(target, Handle):
        return typing.cast("Handle[Any, Any, Any]", target).call(msg, timeout)
    return current_runtime().call(target, msg, timeout)


def cast(target: object, msg: object) -> None:
    """Cast ``msg`` to the process ``target`` names in the current runtime; dropped when
    nothing is registered under it. See [`Runtime.cast`][spawned.threads.Runtime.cast].
    """
    if isinstance(target, HandleBase):
        typing.cast("HandleBase[Any, Any, Any]", target).cast(msg)
        return
    current_runtime().cast(target, msg)


def multi_call(targets: Iterable[object], msg: object, timeout: float = 5.0) -> list[CallResult[Any]]:
    """Call every member at once, one [`CallResult`][spawned.CallResult] each; see
    [`Runtime.multi_call`][spawned.threads.Runtime.multi_call].
    """
    return current_runtime().multi_call(targets, msg, timeout)


def abcast(targets: Iterable[object], msg: object) -> None:
    """Cast ``msg`` to every member; see [`Runtime.abcast`][spawned.threads.Runtime.abcast]."""
    current_runtime().abcast(targets, msg)
