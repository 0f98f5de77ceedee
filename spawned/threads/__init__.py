"""The threads backend: every process is an OS thread.

Callbacks are plain ``def``. ``start``, ``call``, ``stop`` and ``join`` block the calling
thread; ``cast``, ``send`` and ``kill`` never block. For blocking libraries and CPU work
that releases the GIL.
"""

from .._util import fixup_module_metadata
from ._by_name import abcast as abcast
from ._by_name import call as call
from ._by_name import cast as cast
from ._by_name import multi_call as multi_call
from ._handle import DynamicSupervisorHandle as DynamicSupervisorHandle
from ._handle import Handle as Handle
from ._handle import SupervisorHandle as SupervisorHandle
from ._runtime import Runtime as Runtime
from ._runtime import processes as processes
from ._runtime import run as run
from ._runtime import start as start
from ._runtime import tree as tree
from ._runtime import whereis as whereis

__all__ = [
    "DynamicSupervisorHandle",
    "Handle",
    "Runtime",
    "SupervisorHandle",
    "abcast",
    "call",
    "cast",
    "multi_call",
    "processes",
    "run",
    "start",
    "tree",
    "whereis",
]

fixup_module_metadata(__name__, globals())
del fixup_module_metadata
