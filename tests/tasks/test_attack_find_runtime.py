"""Attacks on how module-level functions find their runtime (``find_runtime``).

Written by an adversarial review; each case that exposes a bug is ``xfail(strict=True)``.
"""

from __future__ import annotations

import anyio
import pytest
from servers import Ping, Recorder

from spawned import NoProc, tasks

LIMIT = 20


@pytest.fixture(params=["asyncio", "trio"])
def anyio_backend(request: pytest.FixtureRequest) -> str:
    return request.param


async def test_a_task_outliving_its_runtime_finds_the_runtime_open_now(anyio_backend: str) -> None:
    go = anyio.Event()
    done = anyio.Event()
    found: list[object] = []
    started: list[object] = []
    with anyio.fail_after(LIMIT):
        async with anyio.create_task_group() as group:
            async with tasks.Runtime():

                async def late() -> None:  # started inside the first runtime's context
                    await go.wait()
                    try:
                        found.append(tasks.whereis("r"))
                        found.append(await tasks.call("r", Ping()))
                    except NoProc as error:
                        found.append(error)
                    finally:
                        done.set()

                group.start_soon(late)
            async with tasks.Runtime() as second:
                started.append(await second.start(Recorder(), name="r"))
                go.set()
                await done.wait()
    assert found == [*started, "pong"]
