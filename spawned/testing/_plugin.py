"""The pytest plugin (registered through the ``pytest11`` entry point).

Fixtures: ``spawned_backend`` (``"asyncio"``, ``"trio"`` or ``"threads"``),
``spawned_runtime`` (a [`TestRuntime`][spawned.testing.TestRuntime] of that backend) and
``spawned_cluster`` (a [`TestCluster`][spawned.testing.TestCluster]: a NATS server and node
processes, with the test's runtime joined as a node; needs the ``cluster`` extra). A test that
uses any of them runs once per backend, through anyio's pytest plugin. Options: ``--sim-seed=N``
and ``--sim-seeds=N`` for [`spawned.sim.scenario_test`][spawned.sim.scenario_test].

pytest-asyncio in ``asyncio_mode = auto`` takes every async test for its own loop; the plugin
then stops the run with a message that says what to set (``asyncio_mode = strict``).
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from ._cluster import TestCluster, open_test_cluster
from ._runtime import BACKENDS, Backend, TestRuntime, open_test_runtime

_LOOP_OF: dict[Backend, str] = {"asyncio": "asyncio", "trio": "trio", "threads": "asyncio"}


@pytest.hookimpl(tryfirst=True)
def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Run every test that uses ``spawned_backend`` on each backend, ids as in ``BACKENDS``.

    Runs before pytest parametrizes fixtures, so it also chooses anyio's event loop.
    """
    if "spawned_backend" in metafunc.fixturenames:
        marker = metafunc.definition.get_closest_marker("spawned_backends")
        chosen: tuple[Backend, ...] = tuple(marker.args) if marker else BACKENDS
        metafunc.parametrize(
            ("spawned_backend", "anyio_backend"),
            [(name, _LOOP_OF[name]) for name in chosen],
            ids=list(chosen),
            indirect=["spawned_backend"],
        )


AUTO_MODE_CONFLICT = (
    "spawned's spawned_runtime fixture runs each test through anyio on asyncio, trio and threads, "
    "but pytest-asyncio's asyncio_mode=auto claims every async test and fixture for its own asyncio "
    "loop, so these tests would fail ({tests} here, for example {example}). Set asyncio_mode = strict "
    "(pytest-asyncio's default) in your pytest configuration and mark the tests that pytest-asyncio "
    "should run with @pytest.mark.asyncio; or, if no test needs pytest-asyncio, disable it with "
    "-p no:asyncio"
)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Refuse to run beside pytest-asyncio's auto mode, which would take these tests over."""
    if not _asyncio_auto_mode(config):
        return
    ours = [item.nodeid for item in items if "spawned_backend" in getattr(item, "fixturenames", ())]
    if ours:
        raise pytest.UsageError(AUTO_MODE_CONFLICT.format(tests=len(ours), example=ours[0]))


def _asyncio_auto_mode(config: pytest.Config) -> bool:
    if not config.pluginmanager.has_plugin("asyncio"):
        return False
    mode = config.getoption("asyncio_mode", None) or config.getini("asyncio_mode")
    return str(getattr(mode, "value", mode)) == "auto"


def pytest_addoption(parser: pytest.Parser) -> None:
    """Add ``--sim-seed`` and ``--sim-seeds``, read by ``spawned.sim.scenario_test``."""
    group = parser.getgroup("spawned", "spawned.sim scenario tests")
    group.addoption(
        "--sim-seed",
        type=int,
        dest="sim_seed",
        metavar="N",
        help="run every random-mode @sim.scenario_test with only this seed (replays a failure)",
    )
    group.addoption(
        "--sim-seeds",
        type=int,
        dest="sim_seeds",
        metavar="N",
        help="run every random-mode @sim.scenario_test with seeds 0..N-1 instead of its own seeds=",
    )


def pytest_configure(config: pytest.Config) -> None:
    """Register the ``spawned_backends`` marker."""
    config.addinivalue_line(
        "markers", "spawned_backends(*names): run this test only on these spawned backends"
    )
    config.addinivalue_line(
        "markers", "spawned_cluster(nodes=2): how many node processes the spawned_cluster fixture starts"
    )


@pytest.fixture
def spawned_backend(request: pytest.FixtureRequest, anyio_backend: object) -> Backend:
    """The backend of this run of the test (parametrized by the plugin, with anyio's loop)."""
    del anyio_backend
    return request.param


@pytest.fixture
async def spawned_runtime(spawned_backend: Backend) -> AsyncIterator[TestRuntime]:
    """A fresh runtime of the test's backend, shut down (and checked for leaks) afterwards."""
    async with open_test_runtime(spawned_backend) as runtime:
        yield runtime


@pytest.fixture
async def spawned_cluster(
    request: pytest.FixtureRequest, spawned_backend: Backend
) -> AsyncIterator[TestCluster]:
    """A [`TestCluster`][spawned.testing.TestCluster] of the test's backend: a NATS server,
    node processes (2, or ``@pytest.mark.spawned_cluster(nodes=N)``) and the test's own node,
    all stopped (and checked) afterwards. Skipped without the ``cluster`` extra.
    """
    pytest.importorskip(
        "nats", reason="spawned_cluster needs the cluster extra: pip install 'spawned[cluster]'"
    )
    pytest.importorskip(
        "msgspec", reason="spawned_cluster needs the cluster extra: pip install 'spawned[cluster]'"
    )
    marker = request.node.get_closest_marker("spawned_cluster")
    nodes: int = marker.kwargs.get("nodes", 2) if marker is not None else 2
    async with open_test_cluster(spawned_backend, nodes) as cluster:
        yield cluster
