"""spawned: Erlang/OTP-style GenServers for Python, on anyio tasks or OS threads.

The core (this package) holds what both backends share; pick a backend with
``from spawned import tasks`` or ``from spawned import threads``.
"""

from importlib import metadata as _metadata

from ._errors import AlreadyRegistered as AlreadyRegistered
from ._errors import AlreadyStarted as AlreadyStarted
from ._errors import BadReturn as BadReturn
from ._errors import CallingSelf as CallingSelf
from ._errors import CallTimeout as CallTimeout
from ._errors import ChildAlreadyPresent as ChildAlreadyPresent
from ._errors import ChildAlreadyStarted as ChildAlreadyStarted
from ._errors import ChildNotFound as ChildNotFound
from ._errors import ChildRunning as ChildRunning
from ._errors import Ignored as Ignored
from ._errors import InitFailed as InitFailed
from ._errors import MaxChildren as MaxChildren
from ._errors import NoProc as NoProc
from ._errors import ServerExited as ServerExited
from ._errors import SpawnedError as SpawnedError
from ._fanout import CallResult as CallResult
from ._handle import HandleBase as HandleBase
from ._introspect import ProcessInfo as ProcessInfo
from ._introspect import ProcessTree as ProcessTree
from ._messages import Caller as Caller
from ._messages import Down as Down
from ._messages import Exit as Exit
from ._messages import Ref as Ref
from ._names import Registry as Registry
from ._names import Via as Via
from ._results import Continue as Continue
from ._results import Ignore as Ignore
from ._results import NoReply as NoReply
from ._results import Reply as Reply
from ._results import Stop as Stop
from ._server import GenServer as GenServer
from ._status import Status as Status
from ._streams import StreamEnded as StreamEnded
from ._streams import StreamFailed as StreamFailed
from ._supervision import BRUTAL_KILL as BRUTAL_KILL
from ._supervision import INFINITY as INFINITY
from ._supervision import BrutalKill as BrutalKill
from ._supervision import Child as Child
from ._supervision import ChildCount as ChildCount
from ._supervision import ChildSpec as ChildSpec
from ._supervision import DynamicSupervisor as DynamicSupervisor
from ._supervision import Restart as Restart
from ._supervision import Strategy as Strategy
from ._supervision import Supervisor as Supervisor
from ._timers import Timer as Timer
from ._util import fixup_module_metadata

__version__: str = _metadata.version("spawned")
"""The installed distribution's version (PEP 440), e.g. ``"0.2.0"``."""

__all__ = [
    "BRUTAL_KILL",
    "INFINITY",
    "AlreadyRegistered",
    "AlreadyStarted",
    "BadReturn",
    "BrutalKill",
    "CallResult",
    "CallTimeout",
    "Caller",
    "CallingSelf",
    "Child",
    "ChildAlreadyPresent",
    "ChildAlreadyStarted",
    "ChildCount",
    "ChildNotFound",
    "ChildRunning",
    "ChildSpec",
    "Continue",
    "Down",
    "DynamicSupervisor",
    "Exit",
    "GenServer",
    "HandleBase",
    "Ignore",
    "Ignored",
    "InitFailed",
    "MaxChildren",
    "NoProc",
    "NoReply",
    "ProcessInfo",
    "ProcessTree",
    "Ref",
    "Registry",
    "Reply",
    "Restart",
    "ServerExited",
    "SpawnedError",
    "Status",
    "Stop",
    "Strategy",
    "StreamEnded",
    "StreamFailed",
    "Supervisor",
    "Timer",
    "Via",
]

fixup_module_metadata(__name__, globals())
del fixup_module_metadata, _metadata
