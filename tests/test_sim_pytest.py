"""@sim.scenario_test and --sim-seed/--sim-seeds: the failure a user sees, checked with pytester."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from spawned import sim

pytest_plugins = ["pytester"]

OPTIONS = ("-p", "no:cacheprovider", "-p", "no:asyncio")

TESTS = """
from spawned import sim
from fake_sim import lost_update


def no_lost_update(s):
    return s.vars["x"] == s.vars["done"]


@sim.scenario_test(seeds=30, properties=[sim.always("no lost update", no_lost_update)], model=lost_update())
async def test_counter(s):
    "Two read-then-write increments."


@sim.scenario_test(seeds=5, properties=[sim.always("x is small", lambda s: s.vars["x"] <= 2)], model=lost_update())
async def test_fine(s):
    pass


@sim.scenario_test(seeds=5, properties=[sim.sometimes("x reaches 3", lambda s: s.vars["x"] == 3)], model=lost_update())
async def test_never(s):
    pass


@sim.scenario_test(exhaustive=True, properties=[sim.always("no lost update", no_lost_update)], model=lost_update())
async def test_exhaustive(s):
    pass
"""


def fake_run(scenario: Any, *, chooser: Any, on_state: Any, max_steps: int, model: Any, **_: Any) -> Any:
    """sim.run's interface over the fake transition system in tests/core/fake_sim.py."""
    del scenario
    return model.run(chooser, on_state, max_steps)


@pytest.fixture
def project(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> pytest.Pytester:
    monkeypatch.setattr(sim, "run", fake_run, raising=False)
    pytester.syspathinsert(Path(__file__).parent / "core")
    pytester.makepyfile(test_scenarios=TESTS)
    return pytester


def test_a_failing_scenario_prints_seed_replay_line_and_shrunk_trace(project: pytest.Pytester) -> None:
    result = project.runpytest_inprocess(*OPTIONS, "-k", "counter")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "*sim.check (random): FAILED*",
            "*always     no lost update: violated (seed *, 1 choices: [[]1[]])",
            "*replay: pytest test_scenarios.py::test_counter --sim-seed=*",
            "*1. b: read x",
            "*2. a: read x",
            "*3. a: write x+1",
            "*4. b: write x+1",
        ]
    )


def test_the_replay_line_runs_only_that_seed(project: pytest.Pytester) -> None:
    first = project.runpytest_inprocess(*OPTIONS, "-k", "counter")
    line = next(line for line in first.outlines if "replay: pytest" in line)
    seed = int(line.split("--sim-seed=")[1].split()[0])
    again = project.runpytest_inprocess(*OPTIONS, "-k", "counter", f"--sim-seed={seed}")
    again.assert_outcomes(failed=1)
    again.stdout.fnmatch_lines(["*FAILED. 1 runs*", f"*violated (seed {seed},*"])


def test_a_passing_scenario_passes(project: pytest.Pytester) -> None:
    project.runpytest_inprocess(*OPTIONS, "-k", "fine").assert_outcomes(passed=1)


def test_sim_seeds_sets_the_number_of_runs(project: pytest.Pytester) -> None:
    result = project.runpytest_inprocess(*OPTIONS, "-k", "never")
    result.stdout.fnmatch_lines(["*FAILED. 5 runs*", "*x reaches 3: undiscovered"])
    result = project.runpytest_inprocess(*OPTIONS, "-k", "never", "--sim-seeds=3")
    result.stdout.fnmatch_lines(["*FAILED. 3 runs*"])


def test_an_exhaustive_scenario_test_reports_the_choices(project: pytest.Pytester) -> None:
    result = project.runpytest_inprocess(*OPTIONS, "-k", "exhaustive")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        ["*sim.check (exhaustive): FAILED*", '*sim.ReplayChooser([[]1[]], then="zero")*']
    )


def test_the_options_are_in_pytest_help(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest_inprocess(*OPTIONS, "--help")
    result.stdout.fnmatch_lines(["*--sim-seed=N*", "*--sim-seeds=N*"])
