"""Stream listeners on tasks: one task per ``self.listen(stream)``, in the runtime's group."""

from __future__ import annotations

from collections.abc import AsyncIterable, AsyncIterator
from functools import partial
from typing import TYPE_CHECKING, Any, cast

import anyio
from loguru import logger

from .._envelope import INFO
from .._status import for_log
from .._streams import StreamEnded, StreamFailed
from ._native import is_failure

if TYPE_CHECKING:
    from .._process import ProcessCore
    from ._native import Native
    from ._runtime import Runtime


class ListenerService:
    """Starts a task per listened stream; the task is cancelled when its owner exits.

    Each item is posted to the owner as an info message, then ``StreamEnded(stream)``
    or ``StreamFailed(stream, error)``. The stream's iterator is closed (``aclose``)
    however the task ends. There is no backpressure: a fast stream fills the mailbox.
    """

    def __init__(self, runtime: Runtime) -> None:
        self._runtime = runtime

    def listen(self, owner: ProcessCore, stream: object) -> None:
        """Start listening to ``stream`` for ``owner``; see ``GenServer.listen``."""
        if not isinstance(stream, AsyncIterable):
            msg = (
                f"spawned.tasks listens to async iterables (async for); got {stream!r}. "
                "Wrap a blocking iterable in an async generator, or use spawned.threads"
            )
            raise TypeError(msg)
        source = cast("AsyncIterable[Any]", stream)
        self._runtime.run_on_loop(self._start, owner, source)

    def close(self) -> None:
        """Nothing to do: listeners end with their owners, which the runtime stopped."""

    def _start(self, owner: ProcessCore, stream: AsyncIterable[Any]) -> None:
        scope = anyio.CancelScope()
        pump = partial(_pump, owner, stream, scope, self._runtime.native)
        if self._runtime.start_task(pump, name=f"spawned listener of {owner.label}"):
            owner.on_exit(partial(self._stop, scope))

    def _stop(self, scope: anyio.CancelScope, _owner: ProcessCore) -> None:
        self._runtime.run_on_loop(scope.cancel)


async def _pump(
    owner: ProcessCore, stream: AsyncIterable[Any], scope: anyio.CancelScope, native: Native
) -> None:
    with scope:
        try:
            iterator = aiter(stream)
        except Exception as error:  # noqa: BLE001 - not iterable (or already used): the owner hears of it
            owner.post((INFO, StreamFailed(stream, error), None))
            return
        try:
            async for item in iterator:
                owner.post((INFO, item, None))
        except BaseException as error:
            if not is_failure(error, native):
                raise  # the listener is being cancelled (its owner exited), or the run is ending
            owner.post((INFO, StreamFailed(stream, error), None))  # the owner hears of any failure
            return
        finally:
            await _close(iterator, owner)
        owner.post((INFO, StreamEnded(stream), None))


async def _close(iterator: AsyncIterator[Any], owner: ProcessCore) -> None:
    aclose = getattr(iterator, "aclose", None)
    if aclose is not None:
        with anyio.CancelScope(shield=True):
            try:
                await aclose()
            except Exception as error:  # noqa: BLE001 - a failing close must not take the runtime down
                logger.bind(server=owner.label).opt(exception=for_log(error)).warning(
                    "{}: closing a listened stream raised {!r}", owner.label, error
                )
