"""Servers the cluster tests start on node processes by reference (``tests.cluster.apps:X``)."""

from __future__ import annotations

from typing import Any

from spawned.cluster import ClusterRegistry, ProcessGroups
from tests.servers import Recorder


def _backend_is_threads(server: Recorder) -> bool:
    from spawned import threads

    return isinstance(server.handle._process.runtime, threads.Runtime)


class Named(Recorder):
    """A Recorder that registers itself cluster-wide under ``key`` in init."""

    def __init__(self, key: str) -> None:
        super().__init__()
        self.key = key

    def init(self) -> Any:
        return ClusterRegistry.of().register(self.key)  # awaited on tasks, blocking on threads


class Member(Recorder):
    """A Recorder that joins the process groups ``groups`` in init."""

    def __init__(self, *groups: str) -> None:
        super().__init__()
        self.groups = groups

    def init(self) -> Any:
        pg = ProcessGroups.of()
        if _backend_is_threads(self):
            for group in self.groups:
                pg.join(group)
            return None
        return self._join(pg)

    async def _join(self, pg: ProcessGroups) -> None:
        for group in self.groups:
            await pg.join(group)


def announce(node: Any) -> Any:
    """A launcher ``main``: say the node is up, then serve until stopped."""
    from spawned.cluster import serve_forever

    print(f"{node.name} up", flush=True)  # noqa: T201 - what the launcher test reads
    return serve_forever(node)


class Touch:
    """Not a server: making one creates the file ``path`` (proof that it was made)."""

    def __init__(self, path: str) -> None:
        from pathlib import Path

        Path(path).touch()


class Dropper(Named):
    """A :class:`Named` that, on the cast ``"drop"``, unregisters its name and stops at once."""

    def handle_cast(self, msg: Any) -> Any:
        if msg != "drop":
            return super().handle_cast(msg)
        from spawned import Stop

        dropped = ClusterRegistry.of().unregister(self.key)
        if _backend_is_threads(self):
            return Stop("normal")
        return self._drop(dropped)

    async def _drop(self, dropped: Any) -> Any:
        from spawned import Stop

        await dropped
        return Stop("normal")


class SlowNamed(Recorder):
    """Takes ``seconds`` in init, then registers itself cluster-wide under ``key``."""

    def __init__(self, key: str, seconds: float) -> None:
        super().__init__()
        self.key = key
        self.seconds = seconds

    async def init(self) -> None:
        import anyio

        await anyio.sleep(self.seconds)
        await ClusterRegistry.of().register(self.key)
