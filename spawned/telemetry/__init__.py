"""Telemetry events from spawned, and the hooks to receive them (Erlang's ``:telemetry``).

``attach(handler_id, events, handler)`` calls ``handler(event, measurements, metadata)`` for
each event named; nothing is measured while no handler is attached. The OpenTelemetry
adapter is ``spawned.telemetry.otel`` (``pip install 'spawned[telemetry]'``).
"""

from .._telemetry import CALL as CALL
from .._telemetry import EVENTS as EVENTS
from .._telemetry import MESSAGE as MESSAGE
from .._telemetry import PROCESS_CRASH as PROCESS_CRASH
from .._telemetry import PROCESS_START as PROCESS_START
from .._telemetry import PROCESS_STOP as PROCESS_STOP
from .._telemetry import SUPERVISOR_MAX_INTENSITY as SUPERVISOR_MAX_INTENSITY
from .._telemetry import SUPERVISOR_RESTART as SUPERVISOR_RESTART
from .._telemetry import Handler as Handler
from .._telemetry import attach as attach
from .._telemetry import attached as attached
from .._telemetry import detach as detach
from .._telemetry import execute as execute
from .._util import fixup_module_metadata

__all__ = [
    "CALL",
    "EVENTS",
    "MESSAGE",
    "PROCESS_CRASH",
    "PROCESS_START",
    "PROCESS_STOP",
    "SUPERVISOR_MAX_INTENSITY",
    "SUPERVISOR_RESTART",
    "Handler",
    "attach",
    "attached",
    "detach",
    "execute",
]

fixup_module_metadata(__name__, globals())
del fixup_module_metadata
