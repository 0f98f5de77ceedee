"""What crosses between nodes besides user messages: process identities and remote errors."""

from __future__ import annotations

from attrs import frozen

__all__ = ["Pid", "RemoteError"]


@frozen
class Pid:
    """The identity of one process in a cluster: its node and its number there.

    ``creation`` tells two runs of a node of the same name apart (Erlang's creation): a pid
    of an earlier run never reaches a process of a later one.
    """

    node: str
    """The node the process runs on."""
    id: int
    """The process's number on that node (``ProcessCore.pid``)."""
    creation: int = 0
    """Which run of the node made it (``0``: any run, for a pid written by hand)."""

    def __str__(self) -> str:
        return f"<{self.node}.{self.id}>"


class RemoteError(Exception):
    """An exception raised on another node whose class this node cannot rebuild (its module
    is not imported here, or it is not an exception class): its type and text travel instead.
    """

    def __init__(self, type_name: str, text: str) -> None:
        super().__init__(f"{type_name}: {text}" if text else type_name)
        self.type_name: str = type_name
        """The remote exception's class, as ``module:QualName``."""
        self.text: str = text
        """``str()`` of the remote exception."""
