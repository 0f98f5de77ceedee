"""The pytest plugin (registered through the ``pytest11`` entry point).

Fixtures: ``spawned_backend`` (``"asyncio"``, ``"trio"`` or ``"threads"``) and
``spawned_runtime`` (a [`TestRuntime`][spawned.testing.TestRuntime] of that backend). A test that
uses either runs once per backend, through anyio's pytest plugin.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

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


def pytest_configure(config: pytest.Config) -> None:
    """Register the ``spawned_backends`` marker."""
    config.addinivalue_line(
        "markers", "spawned_backends(*names): run this test only on these spawned backends"
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
