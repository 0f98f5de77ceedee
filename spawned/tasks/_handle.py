"""The tasks backend's handle: the waiting methods are awaited."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any, cast

from .._errors import CallTimeout
from .._handle import CallT, CastT, HandleBase, ReplyT
from .._reasons import KILLED, NORMAL

if TYPE_CHECKING:
    from ._process import Process, ReplySlot


class Handle(HandleBase[CallT, CastT, ReplyT]):
    """The address of a process on ``spawned.tasks``; ``call``, ``stop`` and ``join`` are awaited."""

    __slots__ = ()

    async def call(self, msg: CallT, timeout: float = 5.0) -> ReplyT:
        """Send ``msg`` to ``handle_call`` and wait for the reply.

        Raises:
            CallTimeout: no reply within ``timeout`` seconds; the server keeps running and
                a late reply is dropped.
            NoProc: the server is not alive.
            ServerExited: the server exited before replying (raised at once).
            CallingSelf: a server called itself.

        Cancelling the waiting task abandons the call the same way a timeout does.
        """
        process = self._process
        slot = cast("ReplySlot", process.begin_call(msg))
        return cast("ReplyT", await slot.result(process.label, timeout))

    async def stop(self, reason: object = NORMAL, timeout: float = math.inf) -> None:
        """Stop the server with ``reason`` and wait until it is gone.

        The request queues behind messages already sent; ``terminate(reason)`` runs, then
        this returns. If the server is not gone within ``timeout`` it is killed and
        ``CallTimeout`` is raised. Raises ``NoProc`` if it is not alive.
        """
        process = cast("Process", self._process)
        process.begin_stop(reason)
        if not await process.join(timeout):
            process.exit_now(KILLED)
            raise CallTimeout(process.label, timeout, stopping=True)

    async def join(self) -> Any:
        """Wait until the process exits and return its exit reason (at once if it has)."""
        process = cast("Process", self._process)
        await process.join()
        return process.reason
