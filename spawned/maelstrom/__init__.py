"""Maelstrom nodes as GenServers, and the errors and service clients of Maelstrom's protocol.

A node reads JSON messages on stdin and writes them on stdout; run one with
[`run`][spawned.maelstrom.run] (or [`main`][spawned.maelstrom.main], which reads
``--backend``). ``python -m spawned.maelstrom.harness`` runs nodes under a local,
Maelstrom-compatible test harness.
"""

from ._errors import Abort as Abort
from ._errors import Crash as Crash
from ._errors import KeyAlreadyExists as KeyAlreadyExists
from ._errors import KeyDoesNotExist as KeyDoesNotExist
from ._errors import MaelstromError as MaelstromError
from ._errors import MalformedRequest as MalformedRequest
from ._errors import NodeNotFound as NodeNotFound
from ._errors import NotSupported as NotSupported
from ._errors import PreconditionFailed as PreconditionFailed
from ._errors import TemporarilyUnavailable as TemporarilyUnavailable
from ._errors import Timeout as Timeout
from ._errors import TxnConflict as TxnConflict
from ._errors import UnknownError as UnknownError
from ._errors import error_from_body as error_from_body
from ._kv import KV as KV
from ._kv import LIN_KV as LIN_KV
from ._kv import LWW_KV as LWW_KV
from ._kv import SEQ_KV as SEQ_KV
from ._messages import Fields as Fields
from ._messages import Message as Message
from ._messages import body as body
from ._node import Node as Node
from ._node import main as main
from ._node import on as on
from ._node import run as run

__all__ = [
    "KV",
    "LIN_KV",
    "LWW_KV",
    "SEQ_KV",
    "Abort",
    "Crash",
    "Fields",
    "KeyAlreadyExists",
    "KeyDoesNotExist",
    "MaelstromError",
    "MalformedRequest",
    "Message",
    "Node",
    "NodeNotFound",
    "NotSupported",
    "PreconditionFailed",
    "TemporarilyUnavailable",
    "Timeout",
    "TxnConflict",
    "UnknownError",
    "body",
    "error_from_body",
    "main",
    "on",
    "run",
]


def _name_public_module() -> None:
    """Make tracebacks and reprs say ``spawned.maelstrom.Timeout``, not ``..._errors.Timeout``."""
    namespace = globals()
    for name in __all__:
        public = namespace[name]
        if getattr(public, "__module__", "").startswith(f"{__name__}."):
            public.__module__ = __name__


_name_public_module()
del _name_public_module
