"""Deterministic simulation of spawned servers: nodes, a network, faults, virtual time.

``spawned.sim.run(scenario, seed=7)`` runs servers written for ``spawned.tasks`` unchanged on a
deterministic event loop with a virtual clock, grouped into simulated nodes joined by a
simulated network; one seed decides every choice, so the same seed gives the same run.
``spawned.sim.check`` explores many runs (every interleaving, or many seeds) and checks
properties over them; ``spawned.sim.scenario_test`` makes that a pytest test.
"""

from .._util import fixup_module_metadata
from ._choices import Chooser as Chooser
from ._choices import Frontier as Frontier
from ._choices import RandomChooser as RandomChooser
from ._choices import ReplayChooser as ReplayChooser
from ._errors import SimulationError as SimulationError
from ._explore import CheckFailed as CheckFailed
from ._explore import PropertyResult as PropertyResult
from ._explore import Report as Report
from ._explore import check as check
from ._network import Faults as Faults
from ._network import Network as Network
from ._properties import Property as Property
from ._properties import always as always
from ._properties import eventually as eventually
from ._properties import sometimes as sometimes
from ._pytest import scenario_test as scenario_test
from ._result import SimResult as SimResult
from ._result import TraceEvent as TraceEvent
from ._sim import Node as Node
from ._sim import Sim as Sim
from ._sim import run as run

__all__ = [
    "CheckFailed",
    "Chooser",
    "Faults",
    "Frontier",
    "Network",
    "Node",
    "Property",
    "PropertyResult",
    "RandomChooser",
    "ReplayChooser",
    "Report",
    "Sim",
    "SimResult",
    "SimulationError",
    "TraceEvent",
    "always",
    "check",
    "eventually",
    "run",
    "scenario_test",
    "sometimes",
]

fixup_module_metadata(__name__, globals())
del fixup_module_metadata
