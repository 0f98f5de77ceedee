"""A local, Maelstrom-compatible test harness: ``python -m spawned.maelstrom.harness``.

It starts N node processes from a command line, routes their messages through a simulated
network (latency, loss, partitions), provides the ``lin-kv``, ``seq-kv`` and ``lww-kv``
services, drives a workload and checks it. It speaks only Maelstrom's protocol, so it
tests any node program. Run it with ``--help`` for the options.
"""

from ._checkers import Check as Check
from ._checkers import Op as Op
from ._harness import Config as Config
from ._harness import Harness as Harness
from ._harness import Result as Result
from ._harness import topology as topology
from ._linearizability import KeyVerdict as KeyVerdict
from ._linearizability import KVOp as KVOp
from ._linearizability import check as check_linearizable
from ._main import main as main
from ._main import run as run

__all__ = [
    "Check",
    "Config",
    "Harness",
    "KVOp",
    "KeyVerdict",
    "Op",
    "Result",
    "check_linearizable",
    "main",
    "run",
    "topology",
]
