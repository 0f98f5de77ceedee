"""spawned.sim: deterministic simulation and model checking (stand-in exports until SIM-CORE lands)."""

from ._choices import Chooser as Chooser
from ._choices import Frontier as Frontier
from ._choices import RandomChooser as RandomChooser
from ._choices import ReplayChooser as ReplayChooser
from ._explore import CheckFailed as CheckFailed
from ._explore import PropertyResult as PropertyResult
from ._explore import Report as Report
from ._explore import check as check
from ._properties import Property as Property
from ._properties import always as always
from ._properties import eventually as eventually
from ._properties import sometimes as sometimes
from ._pytest import scenario_test as scenario_test

__all__ = [
    "CheckFailed",
    "Chooser",
    "Frontier",
    "Property",
    "PropertyResult",
    "RandomChooser",
    "ReplayChooser",
    "Report",
    "always",
    "check",
    "eventually",
    "scenario_test",
    "sometimes",
]
