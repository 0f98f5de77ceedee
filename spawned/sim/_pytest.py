"""pytest integration: [`scenario_test`][spawned.sim.scenario_test] and the ``--sim-seed`` option.

The options are registered by spawned's pytest plugin (``spawned.testing._plugin``, loaded
through the ``pytest11`` entry point), so this module never imports pytest:

- ``--sim-seed=N`` runs every random-mode scenario test with the one seed ``N`` (to replay a
  failure; the failure message prints this line);
- ``--sim-seeds=N`` runs each random-mode scenario test with seeds ``0 .. N-1`` instead of the
  number given to the decorator (say, many more in a nightly job).
"""

from __future__ import annotations

import inspect
import shlex
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from ._explore import Scenario, check
from ._properties import Property

if TYPE_CHECKING:
    import pytest


def scenario_test(
    *,
    properties: Sequence[Property] = (),
    seeds: int = 100,
    exhaustive: bool = False,
    seed: int | None = None,
    **options: Any,
) -> Callable[[Scenario], Callable[[pytest.FixtureRequest], None]]:
    """Make a scenario a pytest test: run it under many seeds (or exhaustively) and check it.

    The decorated ``async def test_...(s: sim.Sim)`` becomes a plain test function that calls
    [`check`][spawned.sim.check] and fails with the report: for each failing property the seed,
    a one-line replay instruction (``pytest <test id> --sim-seed=N``, or ``seed=N`` here), the
    shrunk choice list and its trace.

    Example:
        ```python
        @sim.scenario_test(seeds=200, properties=[sim.always("balanced", balanced)], nodes=("bank",))
        async def test_transfers(s: sim.Sim) -> None:
            bank = await s.node("bank").start(Bank())
            ...
        ```

    Args:
        properties: Checked at every state (see [`check`][spawned.sim.check]).
        seeds: Random mode: run seeds ``0 .. seeds-1`` (``--sim-seeds`` overrides it).
        exhaustive: Explore every interleaving instead (``seeds`` is then unused).
        seed: Run only this seed: replays a failure. ``--sim-seed`` on the command line wins.
        **options: Passed to [`check`][spawned.sim.check] (and so to
            [`run`][spawned.sim.run]): ``nodes``, ``network``, ``faults``, ``fingerprint``,
            ``max_steps``, ...

    Returns:
        A decorator; the test it makes takes pytest's ``request`` fixture.

    Raises:
        ValueError: ``seed`` given for an exhaustive test.
        TypeError: The decorated function is not an ``async def``.
    """
    if exhaustive and seed is not None:
        raise ValueError(
            f"seed={seed!r} replays one random run, but this scenario test is exhaustive (it has no "
            "seeds: the same search runs every time); drop seed= or exhaustive=True"
        )

    def decorate(scenario: Scenario) -> Callable[[pytest.FixtureRequest], None]:
        if not inspect.iscoroutinefunction(scenario):
            raise TypeError(
                f"@sim.scenario_test decorates an async def scenario taking the sim.Sim, got {scenario!r}"
            )

        def test(request: pytest.FixtureRequest) -> None:
            __tracebackhide__ = True
            if exhaustive:
                report = check(scenario, properties=properties, exhaustive=True, **options)
            else:
                cli_seed: int | None = request.config.getoption("sim_seed", None)
                cli_seeds: int | None = request.config.getoption("sim_seeds", None)
                chosen = cli_seed if cli_seed is not None else seed
                runs = range(cli_seeds or seeds) if chosen is None else [chosen]
                test_id = shlex.quote(request.node.nodeid).replace("{", "{{").replace("}", "}}")
                hint = f"pytest {test_id} --sim-seed={{seed}}   (or scenario_test(..., seed={{seed}}))"
                report = check(scenario, properties=properties, seeds=runs, replay_hint=hint, **options)
            report.assert_ok()

        test.__name__ = scenario.__name__
        test.__qualname__ = scenario.__qualname__
        test.__module__ = scenario.__module__
        test.__doc__ = scenario.__doc__
        return test

    return decorate
