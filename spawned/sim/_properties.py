"""Properties checked by [`check`][spawned.sim.check]: ``always``, ``sometimes`` and ``eventually``.

A property is a name and a predicate over the simulated system (the [`Sim`][spawned.sim.Sim] a
scenario runs in, as ``on_state`` sees it at each quiescent point). The three kinds say where the
predicate must hold:

- ``always``: at every state of every run (an invariant). One state where it is false is a
  counterexample.
- ``sometimes``: at some state of some run. The first such state is reported as *discovered*,
  with its trace; never reaching one is a failure.
- ``eventually``: at some state of every *complete* run (one that ended with nothing left to do,
  not cut short by ``max_steps``). A complete run where it never held is a counterexample.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Literal

from attrs import frozen

if TYPE_CHECKING:
    from ._sim import Sim

Kind = Literal["always", "sometimes", "eventually"]
"""The three kinds of property."""

KINDS: tuple[Kind, ...] = ("always", "sometimes", "eventually")


@frozen
class Property:
    """A named predicate over the simulated system, of one of three kinds.

    Made by [`always`][spawned.sim.always], [`sometimes`][spawned.sim.sometimes] and
    [`eventually`][spawned.sim.eventually]; given to [`check`][spawned.sim.check].

    Attributes:
        name: Shown in the report; unique among the properties of one check.
        kind: ``"always"``, ``"sometimes"`` or ``"eventually"``.
        predicate: Called with the system at each quiescent point; truthy means "holds". It may
            read the servers' state (``s.server_of(handle)``) but must not change anything.
    """

    name: str
    kind: Kind
    predicate: Callable[[Any], object]


def _make(kind: Kind, name: str, predicate: Callable[[Any], object]) -> Property:
    if not isinstance(name, str) or not name:  # pyright: ignore[reportUnnecessaryIsInstance] - users call this untyped
        raise TypeError(f"a property's name must be a non-empty str, got {name!r}")
    if not callable(predicate):
        raise TypeError(f"property {name!r}: the predicate must be callable (sim -> bool), got {predicate!r}")
    return Property(name, kind, predicate)


def always(name: str, predicate: Callable[[Sim], object]) -> Property:
    """An invariant: ``predicate(sim)`` must hold at every state of every run.

    Args:
        name: The property's name in the report.
        predicate: Called with the system at each quiescent point.

    Returns:
        The property, to pass to [`check`][spawned.sim.check] in ``properties=``.

    Raises:
        TypeError: ``name`` is not a non-empty str, or ``predicate`` is not callable.
    """
    return _make("always", name, predicate)


def sometimes(name: str, predicate: Callable[[Sim], object]) -> Property:
    """A state that must be reachable: ``predicate(sim)`` holds at some state of some run.

    The report calls it *discovered* and shows the (shortest, when exhaustive) trace that reaches
    it; it is a failure only if no explored run reaches such a state.

    Args:
        name: The property's name in the report.
        predicate: Called with the system at each quiescent point.

    Returns:
        The property, to pass to [`check`][spawned.sim.check] in ``properties=``.

    Raises:
        TypeError: ``name`` is not a non-empty str, or ``predicate`` is not callable.
    """
    return _make("sometimes", name, predicate)


def eventually(name: str, predicate: Callable[[Sim], object]) -> Property:
    """A goal every complete run reaches: ``predicate(sim)`` holds at some state of it.

    Runs cut short by ``max_steps`` (or ``max_time``) are not complete and are not checked.

    Args:
        name: The property's name in the report.
        predicate: Called with the system at each quiescent point.

    Returns:
        The property, to pass to [`check`][spawned.sim.check] in ``properties=``.

    Raises:
        TypeError: ``name`` is not a non-empty str, or ``predicate`` is not callable.
    """
    return _make("eventually", name, predicate)
