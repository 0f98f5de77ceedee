"""@sim.scenario_test and --sim-seed/--sim-seeds: the failure a user sees, checked with pytester."""

from __future__ import annotations

import pytest

pytest_plugins = ["pytester"]

OPTIONS = ("-p", "no:cacheprovider", "-p", "no:asyncio")

TESTS = """
import anyio

from spawned import GenServer, Reply, sim


class Counter(GenServer):
    def init(self):
        self.value = 0

    def handle_call(self, msg, caller):
        match msg:
            case "get":
                return Reply(self.value)
            case ("set", value):
                self.value = value
                return Reply("ok")


def value(s):
    return next((s.server_of(h).value for h in s.processes() if isinstance(s.server_of(h), Counter)), 0)


async def bumps(s, times):
    counter = await s.node("db").start(Counter())

    async def bump():
        seen = await counter.call("get")
        await counter.call(("set", seen + 1))

    async with anyio.create_task_group() as tg:
        for _ in range(times):
            tg.start_soon(bump)
    assert value(s) == times, f"lost an update: {value(s)}"


@sim.scenario_test(seeds=30, nodes=("db",), network=sim.Network(delay=(0.0, 1.0)))
async def test_counter(s):
    "Two get-then-set increments at once."
    await bumps(s, 2)


@sim.scenario_test(seed=11, nodes=("db",), network=sim.Network(delay=(0.0, 1.0)))
async def test_replayed(s):
    await bumps(s, 2)


@sim.scenario_test(seeds=5, nodes=("db",), properties=[sim.sometimes("counted", lambda s: value(s) == 1)])
async def test_fine(s):
    await bumps(s, 1)


@sim.scenario_test(seeds=5, nodes=("db",), properties=[sim.sometimes("three", lambda s: value(s) == 3)])
async def test_never(s):
    await bumps(s, 1)


@sim.scenario_test(exhaustive=True, nodes=("db",), max_time=1.0)
async def test_exhaustive(s):
    await bumps(s, 2)
"""


@pytest.fixture
def project(pytester: pytest.Pytester) -> pytest.Pytester:
    pytester.makepyfile(test_scenarios=TESTS)
    return pytester


def test_a_failing_scenario_prints_seed_replay_line_and_shrunk_trace(project: pytest.Pytester) -> None:
    result = project.runpytest_inprocess(*OPTIONS, "-k", "counter")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "*sim.check (random): FAILED. 1 runs*",
            "*always     scenario raises no exception: violated (seed 0, the simplest run: every choice 0)",
            "*raised: AssertionError('lost an update: 1*",
            "*replay: pytest test_scenarios.py::test_counter --sim-seed=0 *(or scenario_test(..., seed=0))",
            "*1. 0.000000  deliver  scenario -> db/Counter#2 call 'get'",
            "*2. 0.000000  deliver  scenario -> db/Counter#2 call 'get'",
        ]
    )


def test_the_replay_line_runs_only_that_seed(project: pytest.Pytester) -> None:
    result = project.runpytest_inprocess(*OPTIONS, "-k", "counter", "--sim-seed=7")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*FAILED. 1 runs*", "*violated (seed 7,*", "*--sim-seed=7*"])


def test_the_seed_argument_runs_only_that_seed_and_the_option_wins(project: pytest.Pytester) -> None:
    result = project.runpytest_inprocess(*OPTIONS, "-k", "replayed")
    result.stdout.fnmatch_lines(["*FAILED. 1 runs*", "*violated (seed 11,*"])
    result = project.runpytest_inprocess(*OPTIONS, "-k", "replayed", "--sim-seed=4")
    result.stdout.fnmatch_lines(["*FAILED. 1 runs*", "*violated (seed 4,*"])


def test_a_passing_scenario_passes(project: pytest.Pytester) -> None:
    project.runpytest_inprocess(*OPTIONS, "-k", "fine").assert_outcomes(passed=1)


def test_sim_seeds_sets_the_number_of_runs(project: pytest.Pytester) -> None:
    result = project.runpytest_inprocess(*OPTIONS, "-k", "never")
    result.stdout.fnmatch_lines(["*FAILED. 5 runs*", "*three: undiscovered"])
    result = project.runpytest_inprocess(*OPTIONS, "-k", "never", "--sim-seeds=3")
    result.stdout.fnmatch_lines(["*FAILED. 3 runs*"])


def test_an_exhaustive_scenario_test_reports_the_choices(project: pytest.Pytester) -> None:
    result = project.runpytest_inprocess(*OPTIONS, "-k", "exhaustive")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "*sim.check (exhaustive): FAILED*",
            "*raised: AssertionError('lost an update: 1*",
            '*replay this run: sim.run(scenario, ..., exhaustive=True, chooser=sim.ReplayChooser(*, then="zero"))',
        ]
    )


def test_the_options_are_in_pytest_help(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest_inprocess(*OPTIONS, "--help")
    result.stdout.fnmatch_lines(["*--sim-seed=N*", "*--sim-seeds=N*"])
