"""Adversarial review of spawned.sim: bad settings and bad use get a clear error."""

from __future__ import annotations

import gc
import math
from typing import Any

import pytest

from spawned import GenServer, sim
from tests.servers import Recorder


async def _nothing(s: sim.Sim) -> None:
    del s


@pytest.mark.parametrize(
    ("options", "match"),
    [
        ({"network": "lossy"}, r"network must be a spawned\.sim\.Network, got 'lossy'"),
        ({"faults": sim.Network()}, r"faults must be a spawned\.sim\.Faults, got Network\("),
        ({"chooser": 5}, r"chooser must have a choose\(n, what\) method, got 5"),
        ({"on_state": 5}, r"on_state must be a callable, got 5"),
        ({"scenario": 5}, r"scenario must be an async def taking the Sim, got 5"),
    ],
)
def test_settings_of_the_wrong_type_are_refused_up_front(options: dict[str, Any], match: str) -> None:
    # network="lossy" raised AttributeError deep inside the run; chooser=5 was accepted and
    # only failed at the first choice (or never); on_state=5 failed at the first step.
    scenario = options.pop("scenario", _nothing)
    with pytest.raises(TypeError, match=match):
        sim.run(scenario, seed=1, **options)


def test_protect_names_nodes_not_letters() -> None:
    # protect="ab" was taken as the letters 'a' and 'b' ("a" in "ab"): it spared node "a".
    with pytest.raises(TypeError, match=r"protect must be a sequence of node names.*protect=\('ab',\)"):
        sim.Faults(kill=1.0, protect="ab")  # pyright: ignore[reportArgumentType] - the bad use under test


def test_protect_of_an_unknown_node_is_refused() -> None:
    with pytest.raises(ValueError, match=r"unknown node 'nope'"):
        sim.run(_nothing, nodes=("a",), seed=1, faults=sim.Faults(kill=0.5, protect=("nope",)))


@pytest.mark.parametrize("value", [-1, 1.5, True, "2"])
def test_max_faults_must_be_a_count(value: object) -> None:
    with pytest.raises(ValueError, match=r"max_faults must be None or an int >= 0"):
        sim.Faults(kill=0.5, max_faults=value)  # pyright: ignore[reportArgumentType] - the bad use under test


@pytest.mark.parametrize(
    ("options", "match"),
    [
        ({"reorder": "yes"}, r"reorder must be a bool, got 'yes'"),
        ({"delay": [0.0, 1.0]}, r"delay must be a \(shortest, longest\) tuple"),
        ({"delay": (True, 1)}, r"delay must be"),
    ],
)
def test_network_values_of_the_wrong_type_are_refused(options: dict[str, Any], match: str) -> None:
    with pytest.raises((TypeError, ValueError), match=match):
        sim.Network(**options)


def test_a_handle_of_an_earlier_run_is_refused() -> None:
    # s.kill(stale) was accepted silently (the kill went into the earlier run's trace), and
    # s.server_of(stale) peeked at a process of another run.
    kept: list[Any] = []

    async def first(s: sim.Sim) -> None:
        kept.append(await s.node("main").start(Recorder()))

    async def second(s: sim.Sim) -> None:
        with pytest.raises(ValueError, match=r"a handle of another simulated run"):
            s.kill(kept[0])
        with pytest.raises(ValueError, match=r"a handle of another simulated run"):
            s.server_of(kept[0])

    sim.run(first, seed=1).check_ok()
    sim.run(second, seed=1).check_ok()


@pytest.mark.parametrize(
    "options", [{"max_runs": 0}, {"max_runs": -1}, {"max_seconds": -1.0}, {"max_seconds": math.nan}]
)
def test_check_refuses_bounds_that_explore_nothing(options: dict[str, Any]) -> None:
    # max_runs=0 (or a negative bound) explored nothing and reported "ok": a vacuous pass.
    with pytest.raises(ValueError, match=r"must be"):
        sim.check(_nothing, exhaustive=True, **options)


@pytest.mark.parametrize(
    "options",
    [
        {"seeds": True},
        {"exhaustive": True, "max_shrink_runs": -1},
        {"exhaustive": True, "max_shrink_runs": 1.5},
    ],
)
def test_check_refuses_counts_of_the_wrong_kind(options: dict[str, Any]) -> None:
    with pytest.raises((TypeError, ValueError), match=r"must be"):
        sim.check(_nothing, **options)


class Interrupted(GenServer):
    """Raises KeyboardInterrupt in a callback."""

    def handle_cast(self, msg: Any) -> None:
        raise KeyboardInterrupt


@pytest.mark.parametrize(
    ("where", "error"),
    [("scenario", KeyboardInterrupt), ("scenario", SystemExit), ("callback", KeyboardInterrupt)],
)
def test_a_base_exception_leaves_no_unretrieved_task(
    error: type[BaseException], where: str, caplog: pytest.LogCaptureFixture
) -> None:
    # run() raised it, but asyncio also logged "Task exception was never retrieved" with a
    # second traceback once the task it came from was collected.
    async def scenario(s: sim.Sim) -> None:
        if where == "scenario":
            raise error
        (await s.node("main").start(Interrupted())).cast("now")

    with pytest.raises(error):
        sim.run(scenario, seed=1)
    gc.collect()
    assert "never retrieved" not in caplog.text


@pytest.mark.parametrize("seeds", [[], range(-5), iter(())])
def test_check_refuses_an_empty_list_of_seeds(seeds: Any) -> None:
    # An empty iterable ran nothing and reported "ok" (so did --sim-seeds=-5 in pytest).
    with pytest.raises(ValueError, match=r"seeds .*no seed"):
        sim.check(_nothing, seeds=seeds)


@pytest.mark.parametrize("n", [2.5, True, "3", None])
def test_choose_refuses_a_count_that_is_not_an_int(n: object) -> None:
    # s.choose(2.5) reached the chooser: random's own TypeError ended the whole run.
    async def scenario(s: sim.Sim) -> None:
        with pytest.raises(TypeError, match=r"choose needs an int number of options"):
            s.choose(n)  # pyright: ignore[reportArgumentType] - the bad use under test

    sim.run(scenario, seed=1).check_ok()
