"""Deterministic simulation of spawned servers: nodes, a network, faults, virtual time.

``spawned.sim.run(scenario, seed=7)`` runs servers written for ``spawned.tasks`` unchanged on a
deterministic event loop with a virtual clock, grouped into simulated nodes joined by a
simulated network; one seed decides every choice, so the same seed gives the same run.
"""

from .._util import fixup_module_metadata
from ._choices import Chooser as Chooser
from ._choices import Frontier as Frontier
from ._choices import RandomChooser as RandomChooser
from ._choices import ReplayChooser as ReplayChooser
from ._errors import SimulationError as SimulationError
from ._network import Faults as Faults
from ._network import Network as Network
from ._result import SimResult as SimResult
from ._result import TraceEvent as TraceEvent
from ._sim import Node as Node
from ._sim import Sim as Sim
from ._sim import run as run

__all__ = [
    "Chooser",
    "Faults",
    "Frontier",
    "Network",
    "Node",
    "RandomChooser",
    "ReplayChooser",
    "Sim",
    "SimResult",
    "SimulationError",
    "TraceEvent",
    "run",
]

fixup_module_metadata(__name__, globals())
del fixup_module_metadata
