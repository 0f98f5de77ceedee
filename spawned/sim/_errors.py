"""The simulator's own error: a use of ``spawned.sim`` that cannot be simulated."""

from __future__ import annotations

__all__ = ["SimulationError"]


class SimulationError(RuntimeError):
    """Raised for a use of the simulation backend that cannot be simulated deterministically.

    A real thread (``threading.Thread.start``, ``anyio.to_thread``, ``start(on_thread=True)``,
    ``handle.blocking``), a real sleep (``time.sleep``), an unknown or crashed node, or
    ``spawned.sim.run`` called from a running event loop. The message names what was wrong
    and what to do instead.
    """
