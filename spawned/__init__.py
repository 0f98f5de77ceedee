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
from ._errors import ChildRestarting as ChildRestarting
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
from ._messages import Request as Request
from ._os_signals import SignalShutdown as SignalShutdown
from ._registry import Registry as Registry
from ._registry import Via as Via
from ._results import Continue as Continue
from ._results import Ignore as Ignore
from ._results import NoReply as NoReply
from ._results import Reply as Reply
from ._results import Stop as Stop
from ._server import GenServer as GenServer
from ._statem import SAME as SAME
from ._statem import Action as Action
from ._statem import BadTransition as BadTransition
from ._statem import Call as Call
from ._statem import CancelTimeout as CancelTimeout
from ._statem import Cast as Cast
from ._statem import Enter as Enter
from ._statem import EventTimeout as EventTimeout
from ._statem import EventType as EventType
from ._statem import GenericTimeout as GenericTimeout
from ._statem import Hibernate as Hibernate
from ._statem import Info as Info
from ._statem import Internal as Internal
from ._statem import KeepState as KeepState
from ._statem import NextEvent as NextEvent
from ._statem import NextState as NextState
from ._statem import Postpone as Postpone
from ._statem import RepeatState as RepeatState
from ._statem import ReplyTo as ReplyTo
from ._statem import Same as Same
from ._statem import StateTimeout as StateTimeout
from ._statem import StopAndReply as StopAndReply
from ._statem import Transition as Transition
from ._statem import UpdateTimeout as UpdateTimeout
from ._statem_server import GenStateMachine as GenStateMachine
from ._status import Status as Status
from ._streams import StreamEnded as StreamEnded
from ._streams import StreamFailed as StreamFailed
from ._supervisor_logic import BRUTAL_KILL as BRUTAL_KILL
from ._supervisor_logic import INFINITY as INFINITY
from ._supervisor_logic import BrutalKill as BrutalKill
from ._supervisor_logic import Child as Child
from ._supervisor_logic import ChildCount as ChildCount
from ._supervisor_logic import ChildSpec as ChildSpec
from ._supervisor_logic import DynamicSupervisor as DynamicSupervisor
from ._supervisor_logic import Restart as Restart
from ._supervisor_logic import Strategy as Strategy
from ._supervisor_logic import Supervisor as Supervisor
from ._timers import Timer as Timer
from ._util import fixup_module_metadata

__version__: str = _metadata.version("spawned")
"""The installed distribution's version (PEP 440), e.g. ``"0.2.0"``."""

__all__ = [
    "BRUTAL_KILL",
    "INFINITY",
    "SAME",
    "Action",
    "AlreadyRegistered",
    "AlreadyStarted",
    "BadReturn",
    "BadTransition",
    "BrutalKill",
    "Call",
    "CallResult",
    "CallTimeout",
    "Caller",
    "CallingSelf",
    "CancelTimeout",
    "Cast",
    "Child",
    "ChildAlreadyPresent",
    "ChildAlreadyStarted",
    "ChildCount",
    "ChildNotFound",
    "ChildRestarting",
    "ChildRunning",
    "ChildSpec",
    "Continue",
    "Down",
    "DynamicSupervisor",
    "Enter",
    "EventTimeout",
    "EventType",
    "Exit",
    "GenServer",
    "GenStateMachine",
    "GenericTimeout",
    "HandleBase",
    "Hibernate",
    "Ignore",
    "Ignored",
    "Info",
    "InitFailed",
    "Internal",
    "KeepState",
    "MaxChildren",
    "NextEvent",
    "NextState",
    "NoProc",
    "NoReply",
    "Postpone",
    "ProcessInfo",
    "ProcessTree",
    "Ref",
    "Registry",
    "RepeatState",
    "Reply",
    "ReplyTo",
    "Request",
    "Restart",
    "Same",
    "ServerExited",
    "SignalShutdown",
    "SpawnedError",
    "StateTimeout",
    "Status",
    "Stop",
    "StopAndReply",
    "Strategy",
    "StreamEnded",
    "StreamFailed",
    "Supervisor",
    "Timer",
    "Transition",
    "UpdateTimeout",
    "Via",
]

fixup_module_metadata(__name__, globals())
del fixup_module_metadata, _metadata
