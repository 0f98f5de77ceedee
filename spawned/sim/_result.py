"""What a simulated run hands back: :class:`SimResult` and its :class:`TraceEvent` list."""

from __future__ import annotations

from attrs import frozen

__all__ = ["SimResult", "TraceEvent"]


@frozen
class TraceEvent:
    """One event of a run, at a virtual time.

    ``kind`` is what happened: ``deliver`` (a message, reply or exit signal reached its
    process), a callback (``init``, ``handle_call``, ``handle_cast``, ``handle_info``,
    ``handle_continue``, ``terminate``, ``stop``, ``system``), ``exit``, ``timer`` (the
    clock reached a timer), ``lost``/``dup``/``cut`` (the network dropped, duplicated, or a
    partition cut off a message), ``kill``/``crash``/``restart``/``partition``/``heal`` (done
    by the scenario), ``fault`` (drawn from the seed) and ``end``. ``text`` names processes as
    ``node/label`` (``label`` as in logs, numbered per node), never by address.
    """

    time: float
    """Virtual seconds since the run began."""
    kind: str
    """What happened."""
    text: str
    """Who and what, readably."""

    def __str__(self) -> str:
        return f"{self.time:14.6f}  {self.kind:<15} {self.text}"


@frozen
class SimResult:
    """The outcome of one simulated run (``spawned.sim.run``)."""

    seed: int | None
    """The seed the run drew its choices from (``None`` when a chooser was given)."""
    choices: tuple[int, ...]
    """Every decision taken, in order; ``ReplayChooser(choices)`` reproduces the run."""
    decisions: tuple[tuple[int, str], ...]
    """For each choice, how many options it had and what it decided (``"next"``, ...)."""
    trace: tuple[TraceEvent, ...]
    """Every delivery, callback, exit and fault, with virtual times."""
    complete: bool
    """Whether the run ended with nothing left to do (rather than by a bound or an error)."""
    error: BaseException | None
    """The scenario's exception, if it raised one (``run`` does not raise it; ``check_ok`` does)."""
    scenario_finished: bool
    """Whether the scenario coroutine returned (rather than raised or was still waiting)."""
    steps: int
    """How many events were chosen (deliveries, timers, faults)."""
    virtual_time: float
    """The virtual clock when the run ended (before the shutdown), in seconds."""

    def trace_text(self) -> str:
        """The trace, one event per line: the same bytes for the same seed, on any machine."""
        return "".join(f"{event}\n" for event in self.trace)

    def check_ok(self) -> None:
        """Raise the scenario's exception, if any, with a note naming the seed to replay it."""
        if self.error is not None:
            how = (
                f"replay it with spawned.sim.run(..., seed={self.seed})"
                if self.seed is not None
                else f"replay it with chooser=spawned.sim.ReplayChooser({list(self.choices)!r})"
            )
            note = f"in a simulated run ({self.steps} steps, seed {self.seed}); {how}"
            if note not in getattr(self.error, "__notes__", ()):
                self.error.add_note(note)
            raise self.error
