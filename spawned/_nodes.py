"""Nodes: the one notion shared by the simulation backend and clusters.

A node is a named group of processes that live and die together, as an Erlang node. Within a
node, delivery is reliable and FIFO per sender and receiver. Between nodes every message,
reply, exit signal and ``Down`` crosses a network; when a node goes away (crashed, killed,
cut off by a partition), the processes of other nodes see its processes exit with reason
``"noconnection"`` (`NOCONNECTION`): monitors get ``Down(..., "noconnection")``, links take
that exit signal, calls in flight raise ``ServerExited("noconnection")``.

``spawned.sim`` simulates nodes in one OS process; ``spawned.cluster`` runs them as real OS
processes over NATS. Both name nodes by the rule below.
"""

from __future__ import annotations

import re

from ._reasons import NOCONNECTION

__all__ = ["NOCONNECTION", "check_node_name"]

_NODE_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}")


def check_node_name(name: object) -> str:
    """Return ``name`` if it is a valid node name, else raise ``TypeError``/``ValueError``.

    A node name is a ``str`` of 1 to 64 letters, digits, ``_``, ``.`` and ``-``, not starting
    with ``.`` or ``-`` (it becomes part of NATS subjects in a cluster, where ``.`` separates
    tokens, so clusters further refuse ``.``).
    """
    if not isinstance(name, str):
        msg = f"a node name must be a str, not {type(name).__name__} ({name!r})"
        raise TypeError(msg)
    if _NODE_NAME.fullmatch(name) is None:
        msg = (
            f"bad node name {name!r}: use 1 to 64 letters, digits, '_', '.' or '-', "
            "not starting with '.' or '-'"
        )
        raise ValueError(msg)
    return name
