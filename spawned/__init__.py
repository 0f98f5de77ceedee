"""spawned: Erlang/OTP-style GenServers for Python, on anyio tasks or OS threads.

The core (this package) holds what both backends share; pick a backend with
``from spawned import tasks`` or ``from spawned import threads``.
"""

from ._errors import AlreadyRegistered as AlreadyRegistered
from ._errors import AlreadyStarted as AlreadyStarted
from ._errors import BadReturn as BadReturn
from ._errors import CallingSelf as CallingSelf
from ._errors import CallTimeout as CallTimeout
from ._errors import Ignored as Ignored
from ._errors import InitFailed as InitFailed
from ._errors import NoProc as NoProc
from ._errors import ServerExited as ServerExited
from ._errors import SpawnedError as SpawnedError
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
from ._streams import StreamEnded as StreamEnded
from ._streams import StreamFailed as StreamFailed
from ._timers import Timer as Timer
from ._util import fixup_module_metadata

__all__ = [
    "AlreadyRegistered",
    "AlreadyStarted",
    "BadReturn",
    "CallTimeout",
    "Caller",
    "CallingSelf",
    "Continue",
    "Down",
    "Exit",
    "GenServer",
    "HandleBase",
    "Ignore",
    "Ignored",
    "InitFailed",
    "NoProc",
    "NoReply",
    "ProcessInfo",
    "ProcessTree",
    "Ref",
    "Registry",
    "Reply",
    "ServerExited",
    "SpawnedError",
    "Stop",
    "StreamEnded",
    "StreamFailed",
    "Timer",
    "Via",
]

fixup_module_metadata(__name__, globals())
del fixup_module_metadata
