"""The OpenTelemetry adapter: ``instrument()`` turns spawned's events into spans and metrics.

Needs the ``telemetry`` extra: ``pip install 'spawned[telemetry]'``.
"""

from ..._otel import Instrumentation as Instrumentation
from ..._otel import instrument as instrument
from ..._util import fixup_module_metadata

__all__ = ["Instrumentation", "instrument"]

fixup_module_metadata(__name__, globals())
del fixup_module_metadata
