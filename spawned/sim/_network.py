"""What a simulated run's network and faults may do: :class:`Network` and :class:`Faults`."""

from __future__ import annotations

import math
from typing import TypeGuard, cast

from attrs import field, frozen

__all__ = ["Faults", "Network"]


def _probability(_instance: object, attribute: object, value: object) -> None:
    name = getattr(attribute, "name", "probability")
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0.0 <= value <= 1.0:
        msg = f"{name} must be a probability between 0.0 and 1.0, got {value!r}"
        raise ValueError(msg)


def _seconds(value: object) -> TypeGuard[float]:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _delay(_instance: object, _attribute: object, value: object) -> None:
    if not isinstance(value, tuple) or len(cast("tuple[object, ...]", value)) != 2:
        msg = f"delay must be a (shortest, longest) tuple of seconds, got {value!r}"
        raise ValueError(msg)
    low, high = cast("tuple[object, object]", value)
    if not (_seconds(low) and _seconds(high) and 0 <= low <= high < math.inf):
        msg = f"delay must be (shortest, longest) seconds with 0 <= shortest <= longest < inf, got {value!r}"
        raise ValueError(msg)


def _bool(_instance: object, attribute: object, value: object) -> None:
    if not isinstance(value, bool):
        name = getattr(attribute, "name", "flag")
        msg = f"{name} must be a bool, got {value!r}"
        raise TypeError(msg)


def _max_faults(_instance: object, _attribute: object, value: object) -> None:
    if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 0):
        msg = f"max_faults must be None or an int >= 0, got {value!r}"
        raise ValueError(msg)


def _node_names(value: tuple[str, ...] | list[str]) -> tuple[str, ...]:
    given = cast("object", value)  # checked for untyped callers
    if isinstance(given, str):
        msg = f"protect must be a sequence of node names, got {given!r}; write protect=({given!r},)"
        raise TypeError(msg)
    if not isinstance(given, tuple | list):
        msg = f"protect must be a sequence of node names, got {given!r}"
        raise TypeError(msg)
    names = tuple(cast("tuple[object, ...] | list[object]", given))
    for name in names:
        if not isinstance(name, str):
            msg = f"protect must be a sequence of node names (str), got {name!r} in {given!r}"
            raise TypeError(msg)
    return cast("tuple[str, ...]", names)


def _positive_count(_instance: object, attribute: object, value: object) -> None:
    name = getattr(attribute, "name", "count")
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        msg = f"{name} must be an int >= 1, got {value!r}"
        raise ValueError(msg)


@frozen
class Network:
    """How messages travel **between nodes** (within a node delivery is reliable and FIFO
    per sender and receiver, as in OTP, and takes no time).

    Every message that crosses between two nodes (cast, send, call, reply, exit signal,
    ``Down``) may be lost (``loss``), arrive twice (``duplicate``), take a delay within
    ``delay`` (seconds; drawn as one of ``delay_steps`` evenly spaced values, the shortest
    being the simplest), and, with ``reorder``, overtake earlier messages between the same
    two processes (without it each sender/receiver pair stays FIFO, as over Erlang's
    distribution). In exhaustive mode delays do not apply (time does not order events),
    and loss and duplication are explored as options rather than drawn.
    """

    loss: float = field(default=0.0, validator=_probability)
    """Probability that a message between nodes is lost."""
    duplicate: float = field(default=0.0, validator=_probability)
    """Probability that a message between nodes is delivered twice."""
    delay: tuple[float, float] = field(default=(0.0, 0.0), validator=_delay)
    """``(shortest, longest)`` seconds a message between nodes takes."""
    reorder: bool = field(default=False, validator=_bool)
    """Whether messages between the same two processes on different nodes may overtake each other."""
    delay_steps: int = field(default=8, validator=_positive_count)
    """How many evenly spaced delays within ``delay`` are drawn from."""


@frozen
class Faults:
    """Random faults, drawn from the seed: at each step of a timed run (before the next event
    is chosen), each kind happens with its probability, to a target chosen by the seed.

    - ``kill``: a live process (not a node's root) is killed (reason ``"killed"``).
    - ``crash``: a live node crashes: its processes die; other nodes see ``"noconnection"``.
    - ``restart``: a crashed node restarts (its ``boot`` runs again).
    - ``partition``: a live node is cut off from the others (until a heal).
    - ``heal``: a partition heals.

    In exhaustive mode each kind with a probability above 0 is an option at each step
    (every target), after the message and timer options. ``max_faults`` bounds how many
    faults one run has (``None``: no bound); ``protect`` names nodes that never crash or
    get cut off and whose processes are never killed by a random fault.
    """

    kill: float = field(default=0.0, validator=_probability)
    """Per-step probability of killing a random process."""
    crash: float = field(default=0.0, validator=_probability)
    """Per-step probability of crashing a random live node."""
    restart: float = field(default=0.0, validator=_probability)
    """Per-step probability of restarting a random crashed node."""
    partition: float = field(default=0.0, validator=_probability)
    """Per-step probability of cutting a random live node off from the others."""
    heal: float = field(default=0.0, validator=_probability)
    """Per-step probability of healing a partition."""
    max_faults: int | None = field(default=None, validator=_max_faults)
    """At most this many random faults in one run (``None``: no bound)."""
    protect: tuple[str, ...] = field(default=(), converter=_node_names)
    """Nodes that random faults leave alone."""

    @property
    def any(self) -> bool:
        """Whether any fault may happen at all."""
        return (self.kill or self.crash or self.restart or self.partition or self.heal) > 0 and (
            self.max_faults is None or self.max_faults > 0
        )
