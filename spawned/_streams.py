"""Messages a listening server gets when its stream ends or fails (see ``GenServer.listen``)."""

from __future__ import annotations

from attrs import frozen


@frozen
class StreamEnded:
    """Info message: ``stream``, passed to ``self.listen``, has no more items.

    Arrives after its last item. A server listening to several streams tells them apart
    with a guard: ``case StreamEnded(stream) if stream is self.feed:``.
    """

    stream: object


@frozen
class StreamFailed:
    """Info message: iterating ``stream`` raised ``error``; no more items will come."""

    stream: object
    error: BaseException
