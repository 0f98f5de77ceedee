"""The pytest plugin beside pytest-asyncio: strict mode works, auto mode stops with advice."""

from __future__ import annotations

import pytest

pytest.importorskip("pytest_asyncio")

pytest_plugins = ["pytester"]

TESTS = """
import asyncio

import pytest

from spawned import GenServer, Reply


class Echo(GenServer):
    def handle_call(self, msg, caller):
        return Reply(msg)


async def test_echo(spawned_runtime):
    h = await spawned_runtime.start(Echo())
    assert await h.call(1) == 1


@pytest.mark.asyncio
async def test_pytest_asyncio_still_runs_its_own():
    await asyncio.sleep(0)
"""


def _project(pytester: pytest.Pytester, mode: str) -> None:
    pytester.makeini(
        f"""
        [pytest]
        asyncio_mode = {mode}
        asyncio_default_fixture_loop_scope = function
        """
    )
    pytester.makepyfile(test_spawned=TESTS)


def test_strict_mode_runs_spawned_tests_on_every_backend_and_asyncio_marked_ones(
    pytester: pytest.Pytester,
) -> None:
    _project(pytester, "strict")
    result = pytester.runpytest_subprocess("-p", "asyncio", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=4)


def test_auto_mode_stops_the_run_and_says_what_to_set(pytester: pytest.Pytester) -> None:
    _project(pytester, "auto")
    result = pytester.runpytest_subprocess("-p", "asyncio", "-p", "no:cacheprovider")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    expected = (
        "*pytest-asyncio's asyncio_mode=auto claims every async test*"
        "(3 here, for example test_spawned.py::test_echo[[]asyncio[]])*"
        "Set asyncio_mode = strict*@pytest.mark.asyncio*-p no:asyncio"
    )
    result.stderr.fnmatch_lines([expected])
