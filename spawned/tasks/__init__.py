"""The anyio backend: every process is a task, on asyncio or trio.

Callbacks may be ``def`` or ``async def``. ``start``, ``call``, ``stop`` and ``join`` are
awaited; ``cast``, ``send`` and ``kill`` are plain calls that never block.
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
